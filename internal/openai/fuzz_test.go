package openai

import (
	"testing"

	"github.com/aup-dev/aup/models"
)

// FuzzReadChat reads arbitrary answers of a chat model, which is outside
// input: an answer is read into probabilities in [0, 1] and mapped to
// scores, or refused as malformed; it never panics.
func FuzzReadChat(f *testing.F) {
	for _, seed := range []string{
		`{"categories": {"harassment": 0.9, "spam": 0.1}}`,
		"```json\n{\"categories\": {\"hate\": 1}}\n```",
		"safe", "unsafe\nS1,S10", "UNSAFE\n S2 ,", `{"categories": {"x": 2}}`, `{"categories": null}`, `{`, ``,
	} {
		f.Add(seed)
	}
	m, err := LoadMapping(models.Classifier, ModeChat)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, answer string) {
		p, err := m.readChat(answer)
		if err != nil {
			return
		}
		for label, v := range p {
			if v < 0 || v > 1 || v != v {
				t.Fatalf("answer %q: %s = %v, outside [0, 1]", answer, label, v)
			}
		}
		for _, s := range m.scores(p, nil) {
			if s.P < 0 || s.P > 1 {
				t.Fatalf("answer %q: score %+v outside [0, 1]", answer, s)
			}
		}
	})
}
