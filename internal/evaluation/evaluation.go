// Package evaluation measures the screening engine on labelled texts in the
// format of shared/data/README.md: recall on rows that must be flagged,
// false-positive rate on rows that must be allowed, and category accuracy,
// per file, per language and per note, with a confusion table of categories.
package evaluation

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/aup-dev/aup/internal/moderation"
)

// Row is one labelled text.
type Row struct {
	ID     string                `json:"id"`
	Text   string                `json:"text"`
	Labels []moderation.Category `json:"labels"`
	Expect string                `json:"expect"` // flag, allow or any
	Lang   string                `json:"lang"`
	Source string                `json:"source"`
	Note   string                `json:"note"`
}

// ReadRows reads JSON lines; the line number is in every error.
func ReadRows(r io.Reader) ([]Row, error) {
	var rows []Row
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var row Row
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		switch row.Expect {
		case "flag", "allow", "any":
		default:
			return nil, fmt.Errorf("line %d: expect is %q; want flag, allow or any", n, row.Expect)
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

// Counts are the tallies behind the figures of one group of rows.
type Counts struct {
	Rows       int `json:"rows"`
	Flag       int `json:"flag"`        // rows that must be flagged
	Caught     int `json:"caught"`      // ... and were
	RightCat   int `json:"right_cat"`   // ... with one of the labelled categories
	Allow      int `json:"allow"`       // rows that must be allowed
	FalseFlags int `json:"false_flags"` // ... and were flagged
	AnyFlagged int `json:"any_flagged"` // expect-any rows flagged
	Any        int `json:"any"`
	LangRows   int `json:"lang_rows"`  // rows with a labelled language
	LangRight  int `json:"lang_right"` // ... detected as that language
}

// Recall is the share of must-flag rows flagged, or -1 without such rows.
func (c Counts) Recall() float64 { return ratio(c.Caught, c.Flag) }

// FPR is the share of must-allow rows flagged, or -1 without such rows.
func (c Counts) FPR() float64 { return ratio(c.FalseFlags, c.Allow) }

// CategoryAccuracy is the share of caught rows whose categories include a
// label, or -1 when none were caught.
func (c Counts) CategoryAccuracy() float64 { return ratio(c.RightCat, c.Caught) }

// FlagRate is the share of expect-any rows flagged (ordinary text).
func (c Counts) FlagRate() float64 { return ratio(c.AnyFlagged, c.Any) }

// LangAccuracy is the share of rows with a labelled language whose detected
// language was that one, or -1 without such rows.
func (c Counts) LangAccuracy() float64 { return ratio(c.LangRight, c.LangRows) }

func ratio(a, b int) float64 {
	if b == 0 {
		return -1
	}
	return float64(a) / float64(b)
}

// Report is the evaluation of one file.
type Report struct {
	Name   string             `json:"name"`
	Total  Counts             `json:"total"`
	ByLang map[string]*Counts `json:"by_lang"`
	ByNote map[string]*Counts `json:"by_note"`
	// Confusion counts, for caught must-flag rows, each labelled category
	// against each reported category ("none" when none was reported).
	Confusion map[moderation.Category]map[moderation.Category]int `json:"confusion"`
	// Mistakes lists the rows judged wrongly, in file order.
	Mistakes []Mistake `json:"mistakes,omitempty"`
}

// Mistake is one wrongly judged row: a missed must-flag row, a flagged
// must-allow row, or a caught row reported under none of its labels.
type Mistake struct {
	ID     string            `json:"id"`
	Kind   string            `json:"kind"` // "miss", "false_flag" or "category"
	Action moderation.Action `json:"action"`
	// Categories and Rules are what the engine reported.
	Categories []moderation.Category `json:"categories,omitempty"`
	Rules      []string              `json:"rules,omitempty"`
}

// Screener is what the evaluation runs.
type Screener interface {
	Screen(ctx context.Context, c moderation.Content) (moderation.Verdict, error)
}

// Run screens every row with s, using all cores, and tallies the results.
func Run(ctx context.Context, name string, rows []Row, s Screener) (*Report, error) {
	verdicts := make([]moderation.Verdict, len(rows))
	errs := make([]error, len(rows))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				verdicts[i], errs[i] = s.Screen(ctx, moderation.Content{Text: rows[i].Text})
			}
		}()
	}
	for i := range rows {
		next <- i
	}
	close(next)
	wg.Wait()

	r := &Report{Name: name, ByLang: map[string]*Counts{}, ByNote: map[string]*Counts{},
		Confusion: map[moderation.Category]map[moderation.Category]int{}}
	for i, row := range rows {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: row %s: %w", name, row.ID, errs[i])
		}
		v := verdicts[i]
		lang := row.Lang
		if lang == "" {
			lang = moderation.Undetermined
		}
		groups := []*Counts{&r.Total, group(r.ByLang, lang)}
		if row.Note != "" {
			groups = append(groups, group(r.ByNote, row.Note))
		}
		flagged := v.Action != moderation.Allow
		right := flagged && hasLabel(v, row.Labels)
		for _, g := range groups {
			g.Rows++
			if row.Lang != "" {
				g.LangRows++
				if v.Language.Code == row.Lang {
					g.LangRight++
				}
			}
			switch row.Expect {
			case "flag":
				g.Flag++
				if flagged {
					g.Caught++
					if right {
						g.RightCat++
					}
				}
			case "allow":
				g.Allow++
				if flagged {
					g.FalseFlags++
				}
			default:
				g.Any++
				if flagged {
					g.AnyFlagged++
				}
			}
		}
		if row.Expect == "flag" && flagged {
			r.confuse(row.Labels, v)
		}
		switch {
		case row.Expect == "flag" && !flagged:
			r.mistake(row.ID, "miss", v)
		case row.Expect == "allow" && flagged:
			r.mistake(row.ID, "false_flag", v)
		case row.Expect == "flag" && !right:
			r.mistake(row.ID, "category", v)
		}
	}
	return r, nil
}

func (r *Report) mistake(id, kind string, v moderation.Verdict) {
	m := Mistake{ID: id, Kind: kind, Action: v.Action}
	for _, c := range v.Categories {
		m.Categories = append(m.Categories, c.Category)
	}
	for _, x := range v.Matches {
		m.Rules = append(m.Rules, x.Rule)
	}
	r.Mistakes = append(r.Mistakes, m)
}

func group(m map[string]*Counts, k string) *Counts {
	if m[k] == nil {
		m[k] = &Counts{}
	}
	return m[k]
}

func hasLabel(v moderation.Verdict, labels []moderation.Category) bool {
	for _, cs := range v.Categories {
		if slices.Contains(labels, cs.Category) {
			return true
		}
	}
	return false
}

func (r *Report) confuse(labels []moderation.Category, v moderation.Verdict) {
	got := []moderation.Category{"none"}
	if len(v.Categories) > 0 {
		got = []moderation.Category{v.Categories[0].Category}
	}
	for _, l := range labels {
		if r.Confusion[l] == nil {
			r.Confusion[l] = map[moderation.Category]int{}
		}
		for _, g := range got {
			r.Confusion[l][g]++
		}
	}
}
