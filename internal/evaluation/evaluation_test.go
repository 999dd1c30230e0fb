package evaluation

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
)

// keyword flags texts containing "bad" as hate and "spam" as spam, and
// answers language "en": enough to check the arithmetic of the report.
type keyword struct{}

func (keyword) Screen(_ context.Context, c moderation.Content) (moderation.Verdict, error) {
	v := moderation.Verdict{Action: moderation.Allow, Language: moderation.Language{Code: "en"}}
	switch {
	case strings.Contains(c.Text, "bad"):
		v.Action, v.Categories = moderation.Block, []moderation.CategoryScore{{Category: moderation.Hate, Score: 0.9}}
	case strings.Contains(c.Text, "spam"):
		v.Action, v.Categories = moderation.Review, []moderation.CategoryScore{{Category: moderation.Spam, Score: 0.6}}
	}
	return v, nil
}

const rows = `{"id":"1","text":"bad words","labels":["hate"],"expect":"flag","lang":"en","note":"slur"}
{"id":"2","text":"spam here","labels":["hate"],"expect":"flag","lang":"en","note":"slur"}
{"id":"3","text":"nice words","labels":["hate"],"expect":"flag","lang":"de","note":"threat"}
{"id":"4","text":"a bad day","labels":[],"expect":"allow","lang":"en"}
{"id":"5","text":"a good day","labels":[],"expect":"allow","lang":"en"}

{"id":"6","text":"spam again","labels":["spam"],"expect":"any","lang":"fr"}
`

func TestRun(t *testing.T) {
	rs, err := ReadRows(strings.NewReader(rows))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), "t", rs, keyword{})
	if err != nil {
		t.Fatal(err)
	}
	tot := r.Total
	if tot.Rows != 6 || tot.Recall() != 2.0/3 || tot.FPR() != 0.5 || tot.CategoryAccuracy() != 0.5 || tot.FlagRate() != 1 {
		t.Errorf("total = %+v (recall %v fpr %v cat %v)", tot, tot.Recall(), tot.FPR(), tot.CategoryAccuracy())
	}
	if de := r.ByLang["de"]; de.Recall() != 0 || de.FPR() != -1 {
		t.Errorf("de = %+v", de)
	}
	if slur := r.ByNote["slur"]; slur.Recall() != 1 || slur.CategoryAccuracy() != 0.5 {
		t.Errorf("note slur = %+v", slur)
	}
	if tot.LangAccuracy() != 4.0/6 || r.ByLang["de"].LangAccuracy() != 0 {
		t.Errorf("language accuracy %v (de %v), want 4/6 (0)", tot.LangAccuracy(), r.ByLang["de"].LangAccuracy())
	}
	if r.Confusion[moderation.Hate][moderation.Spam] != 1 || r.Confusion[moderation.Hate][moderation.Hate] != 1 {
		t.Errorf("confusion = %v", r.Confusion)
	}
	var kinds []string
	for _, m := range r.Mistakes {
		kinds = append(kinds, m.Kind+" "+m.ID)
	}
	if got := strings.Join(kinds, ", "); got != "category 2, miss 3, false_flag 4" {
		t.Errorf("mistakes = %s, want category 2, miss 3, false_flag 4", got)
	}
	var out bytes.Buffer
	r.WriteText(&out, true)
	for _, want := range []string{"== t", "lang de", "note slur", "0.667", "hate"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestReadRowsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"text":"x","expect":"maybe"}`, `line 1: expect is "maybe"`},
		{"\n{bad", "line 2:"},
	} {
		if _, err := ReadRows(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadRows(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}
