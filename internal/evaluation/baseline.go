package evaluation

import (
	"fmt"
	"slices"
)

// Figures are the headline figures of one file, as a baseline keeps them;
// -1 where a figure does not apply (no rows of that kind).
type Figures struct {
	Recall           float64 `json:"recall"`
	FPR              float64 `json:"fpr"`
	CategoryAccuracy float64 `json:"category_accuracy"`
	FlagRate         float64 `json:"flag_rate"`
	LangAccuracy     float64 `json:"lang_accuracy"`
}

// Figures returns the report's headline figures, rounded to 4 places.
func (r *Report) Figures() Figures {
	c := r.Total
	return Figures{
		Recall:           round4(c.Recall()),
		FPR:              round4(c.FPR()),
		CategoryAccuracy: round4(c.CategoryAccuracy()),
		FlagRate:         round4(c.FlagRate()),
		LangAccuracy:     round4(c.LangAccuracy()),
	}
}

func round4(x float64) float64 {
	if x < 0 {
		return x
	}
	return float64(int(x*10000+0.5)) / 10000
}

// Baseline holds the figures a build must not fall below, by file name.
type Baseline map[string]Figures

// NewBaseline records the figures of reports.
func NewBaseline(reports []*Report) Baseline {
	b := Baseline{}
	for _, r := range reports {
		b[r.Name] = r.Figures()
	}
	return b
}

// Regressions lists, one line each, every figure of reports that is worse
// than base by more than tolerance: recall, category accuracy and language
// accuracy lower, the false-positive rate higher, and, in files of ordinary
// text only, the flag rate higher. A file the baseline
// does not know is not judged; a baseline file missing from reports is a
// regression (the gate must not pass by skipping a file).
func Regressions(base Baseline, reports []*Report, tolerance float64) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range reports {
		b, ok := base[r.Name]
		if !ok {
			continue
		}
		seen[r.Name] = true
		f := r.Figures()
		check := func(name string, got, want float64, higherIsBetter bool) {
			if want < 0 || got < 0 {
				return
			}
			if higherIsBetter && got < want-tolerance || !higherIsBetter && got > want+tolerance {
				out = append(out, fmt.Sprintf("%s: %s %.4f, baseline %.4f", r.Name, name, got, want))
			}
		}
		check("recall", f.Recall, b.Recall, true)
		check("false-positive rate", f.FPR, b.FPR, false)
		check("category accuracy", f.CategoryAccuracy, b.CategoryAccuracy, true)
		if f.Recall < 0 && f.FPR < 0 {
			// Only in a file of ordinary text (nothing must be flagged or
			// allowed) does flagging more of its any-rows mean harm; in a
			// file like Davidson's they are offensive and may be flagged.
			check("flag rate", f.FlagRate, b.FlagRate, false)
		}
		check("language accuracy", f.LangAccuracy, b.LangAccuracy, true)
	}
	for name := range base {
		if !seen[name] {
			out = append(out, fmt.Sprintf("%s: in the baseline but not evaluated", name))
		}
	}
	slices.Sort(out)
	return out
}
