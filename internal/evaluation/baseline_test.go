package evaluation

import (
	"strings"
	"testing"
)

func TestRegressions(t *testing.T) {
	report := func(name string, c Counts) *Report { return &Report{Name: name, Total: c} }
	base := NewBaseline([]*Report{
		report("a", Counts{Flag: 100, Caught: 80, RightCat: 72, Allow: 100, FalseFlags: 5}),
		report("b", Counts{Any: 1000, AnyFlagged: 10, LangRows: 100, LangRight: 95}),
	})
	tests := []struct {
		name    string
		reports []*Report
		want    []string
	}{
		{"same", []*Report{report("a", Counts{Flag: 100, Caught: 80, RightCat: 72, Allow: 100, FalseFlags: 5}), report("b", Counts{Any: 1000, AnyFlagged: 10, LangRows: 100, LangRight: 95})}, nil},
		{"better", []*Report{report("a", Counts{Flag: 100, Caught: 90, RightCat: 90, Allow: 100, FalseFlags: 1}), report("b", Counts{Any: 1000, AnyFlagged: 0, LangRows: 100, LangRight: 99})}, nil},
		{"within tolerance", []*Report{report("a", Counts{Flag: 1000, Caught: 796, RightCat: 717, Allow: 1000, FalseFlags: 54}), report("b", Counts{Any: 1000, AnyFlagged: 14, LangRows: 100, LangRight: 95})}, nil},
		{"worse", []*Report{report("a", Counts{Flag: 100, Caught: 70, RightCat: 70, Allow: 100, FalseFlags: 9}), report("b", Counts{Any: 1000, AnyFlagged: 30, LangRows: 100, LangRight: 90})}, []string{
			"a: false-positive rate 0.0900, baseline 0.0500",
			"a: recall 0.7000, baseline 0.8000",
			"b: flag rate 0.0300, baseline 0.0100",
			"b: language accuracy 0.9000, baseline 0.9500",
		}},
		{"flagging more offensive rows is no regression", []*Report{report("a", Counts{Flag: 100, Caught: 80, RightCat: 72, Allow: 100, FalseFlags: 5, Any: 100, AnyFlagged: 90}), report("b", Counts{Any: 1000, AnyFlagged: 10, LangRows: 100, LangRight: 95})}, nil},
		{"a file skipped", []*Report{report("a", Counts{Flag: 100, Caught: 80, RightCat: 72, Allow: 100, FalseFlags: 5})}, []string{"b: in the baseline but not evaluated"}},
		{"an unknown file is not judged", []*Report{report("a", Counts{Flag: 100, Caught: 80, RightCat: 72, Allow: 100, FalseFlags: 5}), report("b", Counts{Any: 1000, AnyFlagged: 10, LangRows: 100, LangRight: 95}), report("c", Counts{Flag: 10})}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Regressions(base, tc.reports, 0.005)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Regressions =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
