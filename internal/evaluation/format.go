package evaluation

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteText writes r as aligned text tables.
func (r *Report) WriteText(w io.Writer, notes bool) {
	fmt.Fprintf(w, "== %s\n", r.Name)
	fmt.Fprintf(w, "%-32s %s\n", "", header)
	fmt.Fprintf(w, "%-32s %s\n", "all", r.Total.line())
	if len(r.ByLang) > 1 {
		for _, k := range sortedKeys(r.ByLang) {
			fmt.Fprintf(w, "%-32s %s\n", "lang "+k, r.ByLang[k].line())
		}
	}
	if notes {
		for _, k := range sortedKeys(r.ByNote) {
			fmt.Fprintf(w, "%-32s %s\n", "note "+trunc(k, 27), r.ByNote[k].line())
		}
	}
	if len(r.Confusion) > 0 {
		fmt.Fprintln(w, "confusion (labelled -> top reported category, caught rows):")
		for _, l := range sortedKeys(r.Confusion) {
			row := r.Confusion[l]
			var cells []string
			for _, g := range sortedKeys(row) {
				cells = append(cells, fmt.Sprintf("%s=%d", g, row[g]))
			}
			fmt.Fprintf(w, "  %-18s %s\n", l, strings.Join(cells, " "))
		}
	}
}

const header = "   rows  recall (n)        fpr (n)          cat.acc  any-flagged (n)   lang.acc"

func (c *Counts) line() string {
	return fmt.Sprintf("%7d  %s  %s  %s  %s  %s", c.Rows,
		figure(c.Recall(), c.Flag), figure(c.FPR(), c.Allow), pct(c.CategoryAccuracy()), figure(c.FlagRate(), c.Any), pct(c.LangAccuracy()))
}

func figure(x float64, n int) string {
	if x < 0 {
		return fmt.Sprintf("%-15s", "-")
	}
	return fmt.Sprintf("%.3f %-9s", x, fmt.Sprintf("(%d)", n))
}

func pct(x float64) string {
	if x < 0 {
		return fmt.Sprintf("%-7s", "-")
	}
	return fmt.Sprintf("%.3f  ", x)
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// WriteMistakes writes one line per mistake: kind, row id, action, reported
// categories and matched rules. Row texts stay in the labelled file.
func (r *Report) WriteMistakes(w io.Writer) {
	for _, m := range r.Mistakes {
		cats := make([]string, len(m.Categories))
		for i, c := range m.Categories {
			cats[i] = string(c)
		}
		fmt.Fprintf(w, "%-10s %s %s cats=%s rules=%s\n", m.Kind, m.ID, m.Action, strings.Join(cats, ","), strings.Join(m.Rules, ","))
	}
}
