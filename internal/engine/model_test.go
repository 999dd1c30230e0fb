package engine

import (
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
)

// fixedModel answers the same estimates for every text.
type fixedModel []moderation.ModelScore

func (m fixedModel) Classify(string) []moderation.ModelScore { return m }

func TestModelScores(t *testing.T) {
	tests := []struct {
		name       string
		model      fixedModel
		text       string
		action     moderation.Action
		hateScore  float64
		withSignal bool
	}{
		{"below its threshold: nothing", fixedModel{{Category: moderation.Hate, P: 0.39, Threshold: 0.4}}, "hello there", moderation.Allow, 0, false},
		{"at its threshold: review", fixedModel{{Category: moderation.Hate, P: 0.4, Threshold: 0.4}}, "hello there", moderation.Review, 0.5, true},
		{"certain: still only review", fixedModel{{Category: moderation.Hate, P: 1, Threshold: 0.4}}, "hello there", moderation.Review, 0.815, true},
		{"with a rule: block", fixedModel{{Category: moderation.Hate, P: 0.7, Threshold: 0.4}}, "you are vermin", moderation.Block, 0.966, true},
		{"spam needs a rule to agree", fixedModel{{Category: moderation.Spam, P: 0.99, Threshold: 0.4}}, "hello there", moderation.Allow, 0, false},
		{"profanity has no review threshold", fixedModel{{Category: moderation.Profanity, P: 0.99, Threshold: 0.4}}, "hello there", moderation.Allow, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, &fixedLang{lang: english}, Options{Linear: tc.model, LinearID: "m1"})
			v, err := e.Screen(t.Context(), moderation.Content{Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if v.Action != tc.action || v.Score(moderation.Hate) != tc.hateScore {
				t.Errorf("action %s, hate %v; want %s, %v (%+v)", v.Action, v.Score(moderation.Hate), tc.action, tc.hateScore, v)
			}
			got := false
			for _, s := range v.Signals {
				got = got || s.Name == "model"
			}
			if got != tc.withSignal {
				t.Errorf("model signal %v, want %v: %+v", got, tc.withSignal, v.Signals)
			}
		})
	}
}

func TestModelIsInThePolicyVersion(t *testing.T) {
	det := &fixedLang{lang: english}
	a := newTestEngine(t, det, Options{})
	b := newTestEngine(t, det, Options{Linear: fixedModel{}, LinearID: "m1"})
	c := newTestEngine(t, det, Options{Linear: fixedModel{}, LinearID: "m2"})
	if a.PolicyVersion() == b.PolicyVersion() || b.PolicyVersion() == c.PolicyVersion() {
		t.Errorf("policy versions %s %s %s: a model, and its version, must change them", a.PolicyVersion(), b.PolicyVersion(), c.PolicyVersion())
	}
}
