package engine

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/rules"
)

// scriptedClassifier stands in for the moderation.Classifier port (the
// adapter over the real API is tested in internal/openai and cmd/aup): it
// scores a text by the words in it, or fails, and counts its calls.
type scriptedClassifier struct {
	words  map[string]moderation.ModelScore // a word in the text -> its score
	err    error
	images bool
	calls  atomic.Int64
	seen   atomic.Int64 // images received
}

func (c *scriptedClassifier) Images() bool { return c.images }

func (c *scriptedClassifier) Classify(_ context.Context, text string, images []moderation.Image) (moderation.ModelAnswer, error) {
	c.calls.Add(1)
	c.seen.Add(int64(len(images)))
	if c.err != nil {
		return moderation.ModelAnswer{}, c.err
	}
	ans := moderation.ModelAnswer{Model: "scripted-1"}
	for w, s := range c.words {
		if strings.Contains(text, w) || len(images) > 0 && w == "[image]" {
			ans.Scores = append(ans.Scores, s)
		}
	}
	return ans, nil
}

func TestClassifierScoresJoinTheRules(t *testing.T) {
	threat := moderation.ModelScore{Category: moderation.Violence, P: 0.9, Threshold: 0.5, Label: "harassment/threatening"}
	sure := threat
	sure.P, sure.Block = 0.97, 0.95
	tests := []struct {
		name    string
		words   map[string]moderation.ModelScore
		text    string
		action  moderation.Action
		sources []string
	}{
		{"the model alone reviews", map[string]moderation.ModelScore{"tonight": threat}, "see you tonight", moderation.Review, []string{"classifier"}},
		{"above its block probability it blocks alone", map[string]moderation.ModelScore{"tonight": sure}, "see you tonight", moderation.Block, []string{"classifier"}},
		{"below its threshold it adds nothing", map[string]moderation.ModelScore{"tonight": {Category: moderation.Violence, P: 0.4, Threshold: 0.5}}, "see you tonight", moderation.Allow, []string{"rules", "classifier"}},
		{"rules and model agree", map[string]moderation.ModelScore{"vermin": {Category: moderation.Hate, P: 0.9, Threshold: 0.5}}, "they are vermin", moderation.Block, []string{"rules", "classifier"}},
		{"the rules decide alone", map[string]moderation.ModelScore{}, "they are vermin", moderation.Block, []string{"rules"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cl := &scriptedClassifier{words: tc.words}
			e := newTestEngine(t, &fixedLang{lang: english}, Options{Classifier: cl, ClassifierID: "c1"})
			v, err := e.Screen(t.Context(), moderation.Content{Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if v.Action != tc.action || !slices.Equal(v.Sources, tc.sources) {
				t.Errorf("action %s, sources %v; want %s, %v (%+v)", v.Action, v.Sources, tc.action, tc.sources, v)
			}
			if v.Classifier == nil || v.Classifier.Status != moderation.ClassifierOK || v.Classifier.Model != "scripted-1" {
				t.Errorf("classifier status %+v, want ok from scripted-1", v.Classifier)
			}
		})
	}
}

func TestClassifierSignalNamesTheModelsLabel(t *testing.T) {
	cl := &scriptedClassifier{words: map[string]moderation.ModelScore{
		"tonight": {Category: moderation.SelfHarm, P: 0.8, Threshold: 0.5, Label: "self-harm/intent"},
		"night":   {Category: moderation.SelfHarm, P: 0.6, Threshold: 0.5, Label: "self-harm"},
	}}
	e := newTestEngine(t, &fixedLang{lang: english}, Options{Classifier: cl})
	v, _ := e.Screen(t.Context(), moderation.Content{Text: "see you tonight"})
	var details []string
	for _, s := range v.Signals {
		if s.Name == moderation.SourceClassifier {
			details = append(details, s.Detail)
		}
	}
	slices.Sort(details)
	if !slices.Equal(details, []string{"self-harm p=0.6", "self-harm/intent p=0.8"}) {
		t.Errorf("classifier signals %q", details)
	}
	// Two labels of one category are one piece of evidence: the stronger.
	if want := modelScore(cl.words["tonight"], mustThreshold(t, e, moderation.SelfHarm)); v.Score(moderation.SelfHarm) != want {
		t.Errorf("self_harm %v, want the stronger label's %v alone", v.Score(moderation.SelfHarm), want)
	}
}

func TestClassifierUnavailableFallsBackToRules(t *testing.T) {
	cache := memstore.NewCache(100)
	cl := &scriptedClassifier{err: moderation.Errorf(moderation.EUNAVAILABLE, moderation.UnavailableCircuitOpen)}
	e := newTestEngine(t, &fixedLang{lang: english}, Options{Classifier: cl, Local: cache})
	for range 2 {
		v, err := e.Screen(t.Context(), moderation.Content{Text: "they are vermin"})
		if err != nil {
			t.Fatalf("a failing classifier failed the check: %v", err)
		}
		if v.Action != moderation.Block || v.Cached || !slices.Equal(v.Sources, []string{"rules"}) {
			t.Errorf("fallback verdict %+v, want the rules' block, not cached", v)
		}
		if v.Classifier == nil || *v.Classifier != (moderation.ClassifierStatus{Status: moderation.ClassifierUnavailable, Reason: moderation.UnavailableCircuitOpen}) {
			t.Errorf("classifier status %+v", v.Classifier)
		}
	}
	if cl.calls.Load() != 2 {
		t.Errorf("%d calls: a verdict without the classifier must not be cached", cl.calls.Load())
	}
	cl.err = context.DeadlineExceeded // not an *Error: reported as "error"
	v, _ := e.Screen(t.Context(), moderation.Content{Text: "something else"})
	if v.Classifier.Reason != moderation.UnavailableError {
		t.Errorf("reason %q for an unexpected error", v.Classifier.Reason)
	}
}

func TestClassifierNeverAskedAboutCachedTexts(t *testing.T) {
	cl := &scriptedClassifier{words: map[string]moderation.ModelScore{"tonight": {Category: moderation.Violence, P: 0.9, Threshold: 0.5}}}
	e := newTestEngine(t, &fixedLang{lang: english}, Options{Classifier: cl, Local: memstore.NewCache(100)})
	first, _ := e.Screen(t.Context(), moderation.Content{Text: "see you tonight"})
	second, _ := e.Screen(t.Context(), moderation.Content{Text: "See you TONIGHT"})
	if cl.calls.Load() != 1 || !second.Cached {
		t.Fatalf("%d calls, second cached %v: a known text must not be sent again", cl.calls.Load(), second.Cached)
	}
	if second.Action != first.Action || *second.Classifier != *first.Classifier || !slices.Equal(second.Sources, first.Sources) {
		t.Errorf("cached %+v differs from %+v", second, first)
	}
}

func TestClassifyUnsure(t *testing.T) {
	cl := &scriptedClassifier{words: map[string]moderation.ModelScore{}}
	e := newTestEngine(t, &fixedLang{lang: english}, Options{Classifier: cl, ClassifyWhen: ClassifyUnsure})
	for _, tc := range []struct {
		text  string
		asked bool
	}{
		{"see you tonight", false},        // nothing scored
		{"they are vermin", false},        // the rules block
		{"what an ass, honestly", true},   // profanity: something, not a block
		{"go back to your country", true}, // a strong phrase: review
	} {
		before := cl.calls.Load()
		v, _ := e.Screen(t.Context(), moderation.Content{Text: tc.text})
		asked := cl.calls.Load() > before
		if asked != tc.asked {
			t.Errorf("%q: asked %v, want %v (%+v)", tc.text, asked, tc.asked, v)
		}
		want := moderation.ClassifierSkipped
		if tc.asked {
			want = moderation.ClassifierOK
		}
		if v.Classifier == nil || v.Classifier.Status != want {
			t.Errorf("%q: classifier status %+v, want %s", tc.text, v.Classifier, want)
		}
	}
}

func TestClassifierIsInThePolicyVersion(t *testing.T) {
	det := &fixedLang{lang: english}
	cl := &scriptedClassifier{}
	versions := map[string]bool{}
	for _, o := range []Options{{}, {Classifier: cl, ClassifierID: "a"}, {Classifier: cl, ClassifierID: "b"}, {Classifier: cl, ClassifierID: "b", ClassifyWhen: ClassifyUnsure}} {
		versions[newTestEngine(t, det, o).PolicyVersion()] = true
	}
	if len(versions) != 4 {
		t.Errorf("%d policy versions for 4 classifier configurations", len(versions))
	}
	if _, err := New(nil, Options{Detector: det, ClassifyWhen: "sometimes"}); err == nil || !strings.Contains(err.Error(), "sometimes") {
		t.Errorf("ClassifyWhen sometimes: err %v", err)
	}
}

func TestScreenFileShowsImagesToTheClassifier(t *testing.T) {
	nude := moderation.ModelScore{Category: moderation.Sexual, P: 0.99, Threshold: 0.5, Block: 0.9}
	images := []moderation.Image{{MediaType: "image/png", Data: []byte("png"), Source: "a.zip/x.png"}}
	tests := []struct {
		name       string
		cl         *scriptedClassifier
		count      int
		action     moderation.Action
		assessed   bool
		wantDetail string
	}{
		{"no image input: not assessed", &scriptedClassifier{words: map[string]moderation.ModelScore{"[image]": nude}}, 1, moderation.Allow, false, "no image classifier"},
		{"assessed", &scriptedClassifier{images: true, words: map[string]moderation.ModelScore{"[image]": nude}}, 1, moderation.Block, true, ""},
		{"one of two over the limits", &scriptedClassifier{images: true, words: map[string]moderation.ModelScore{}}, 2, moderation.Allow, false, "1 image was of 2 not assessed (over"},
		{"unavailable", &scriptedClassifier{images: true, err: moderation.Errorf(moderation.EUNAVAILABLE, moderation.UnavailableTimeout)}, 1, moderation.Allow, false, "unavailable for 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, &fixedLang{lang: english}, Options{Classifier: tc.cl})
			v, err := e.ScreenFile(t.Context(), File{ImageCount: tc.count, Images: images})
			if err != nil {
				t.Fatal(err)
			}
			if v.Action != tc.action {
				t.Errorf("action %s, want %s (%+v)", v.Action, tc.action, v)
			}
			var detail string
			for _, s := range v.Signals {
				if s.Name == FindingNotAssessed {
					detail = s.Detail
				}
				if s.Name == moderation.SourceClassifier && s.Source != "a.zip/x.png" {
					t.Errorf("classifier signal source %q", s.Source)
				}
			}
			if tc.assessed != (detail == "") || !strings.Contains(detail, tc.wantDetail) {
				t.Errorf("not-assessed detail %q, want one containing %q (assessed %v)", detail, tc.wantDetail, tc.assessed)
			}
			if tc.action == moderation.Block && !slices.Equal(v.Sources, []string{"classifier"}) {
				t.Errorf("sources %v", v.Sources)
			}
		})
	}
}

func mustThreshold(t *testing.T, e *Engine, c moderation.Category) rules.Threshold {
	t.Helper()
	th, ok := e.current.Load().thresholds[c]
	if !ok {
		t.Fatalf("no threshold for %s", c)
	}
	return th
}

func TestTwoModelsDoNotAddUp(t *testing.T) {
	sure := moderation.ModelScore{Category: moderation.Hate, P: 1, Threshold: 0.4}
	e := newTestEngine(t, &fixedLang{lang: english}, Options{
		Linear:     fixedModel{sure},
		Classifier: &scriptedClassifier{words: map[string]moderation.ModelScore{"hello": sure}},
	})
	v, _ := e.Screen(t.Context(), moderation.Content{Text: "hello there"})
	one := modelScore(sure, mustThreshold(t, e, moderation.Hate))
	if v.Action != moderation.Review || v.Score(moderation.Hate) != one {
		t.Errorf("action %s, hate %v: two models at review must count as the stronger one (%v), not block together", v.Action, v.Score(moderation.Hate), one)
	}
	if !slices.Equal(v.Sources, []string{"linear", "classifier"}) {
		t.Errorf("sources %v", v.Sources)
	}
}

// slowClassifier answers after a delay, whatever the caller's context says.
type slowClassifier struct {
	delay time.Duration
	calls atomic.Int64
}

func (*slowClassifier) Images() bool { return false }

func (c *slowClassifier) Classify(context.Context, string, []moderation.Image) (moderation.ModelAnswer, error) {
	c.calls.Add(1)
	time.Sleep(c.delay)
	return moderation.ModelAnswer{Model: "slow"}, nil
}

func TestCallerStopsWaitingForASlowClassifier(t *testing.T) {
	cl := &slowClassifier{delay: 300 * time.Millisecond}
	e := newTestEngine(t, &fixedLang{lang: english}, Options{Classifier: cl, Local: memstore.NewCache(10)})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.Screen(ctx, moderation.Content{Text: "see you tonight"})
	if moderation.ErrorCode(err) != moderation.EUNAVAILABLE || time.Since(start) > 250*time.Millisecond {
		t.Fatalf("err %v after %v: want the caller to give up at its deadline", err, time.Since(start))
	}
	// The computation goes on for the next caller, who joins it.
	v, err := e.Screen(t.Context(), moderation.Content{Text: "see you tonight"})
	if err != nil || v.Classifier.Model != "slow" || cl.calls.Load() != 1 {
		t.Errorf("next caller: %+v, %v, %d calls; want the verdict the first started", v, err, cl.calls.Load())
	}
}
