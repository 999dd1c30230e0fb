package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/rules"
)

// fixedLang is a language detector that always answers the same language and
// counts its calls: the engine's tests are about matching, not detection.
type fixedLang struct {
	lang  moderation.Language
	calls atomic.Int64
}

func (d *fixedLang) Detect(string) moderation.Language { d.calls.Add(1); return d.lang }

var english = moderation.Language{Code: "en", Confidence: 0.99}

const testPolicy = `
harassment      0.3 0.5 0.85
hate            0.3 0.5 0.85
violence        0.3 0.5 0.85
sexual          0.3 0.5 0.85
child_safety    0.2 0.3 0.6
self_harm       0.3 0.5 0.85
spam            0.3 0.6 0.9
privacy         0.3 0.5 0.9
malware         0.3 0.5 0.85
fraud           0.3 0.5 0.85
gambling        0.3 0.5 0.85
regulated_goods 0.3 0.5 0.85
illegal_activity 0.3 0.5 0.85
ip_infringement 0.3 0.5 0.85
service_abuse   0.3 0.5 0.85
profanity       0.3 -   -
`

func testRules() fstest.MapFS {
	return fstest.MapFS{
		"policy.conf": {Data: []byte(testPolicy)},
		"en/hate.rules": {Data: []byte(`
@score 0.9
vermin
go back to ~3 country | score=0.6
`)},
		"en/profanity.rules": {Data: []byte(`
@score 0.4
fuck
cunt
ass
cock*
!cocktail
`)},
		"en/violence.rules":   {Data: []byte(`/\bkill (?:all|every) \w+s\b/ | id=violence.en.kill_all score=0.9`)},
		"de/hate.rules":       {Data: []byte("hurensohn* | score=0.7\n")},
		"ja/harassment.rules": {Data: []byte("死ね | score=0.7\n")},
		"uk/harassment.rules": {Data: []byte("курво | score=0.7\n")},
		"any/privacy.rules":   {Data: []byte("$card | score=0.6\n$email | min=3 score=0.5\n")},
		"any/spam.rules":      {Data: []byte("$wave | users=3 window=1m score=0.7\n$links | min=3 score=0.3\n")},
		"hosts/phish.hosts":   {Data: []byte("@category fraud\n@score 0.9\nevil.example\n")},
	}
}

func newTestEngine(t *testing.T, det moderation.LanguageDetector, opts Options) *Engine {
	t.Helper()
	set, err := rules.Load(testRules())
	if err != nil {
		t.Fatal(err)
	}
	opts.Detector = det
	e, err := New(set, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestScreenMatches(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		lang   moderation.Language
		rule   string // a rule that must match, "" for none
		span   string // the original text it must point at
		action moderation.Action
	}{
		{"plain term", "they are vermin.", english, "hate.en.vermin", "vermin", moderation.Block},
		{"upper case", "They are VERMIN", english, "hate.en.vermin", "VERMIN", moderation.Block},
		{"separators", "they are v.e.r.m.i.n!", english, "hate.en.vermin", "v.e.r.m.i.n", moderation.Block},
		{"spaced", "they are v e r m i n", english, "hate.en.vermin", "v e r m i n", moderation.Block},
		{"leetspeak", "they are v3rm1n", english, "hate.en.vermin", "v3rm1n", moderation.Block},
		{"repeated letters", "they are verrrmiiiin", english, "hate.en.vermin", "verrrmiiiin", moderation.Block},
		{"homoglyph", "they are v\u0435rmin", english, "hate.en.vermin", "v\u0435rmin", moderation.Block},
		{"fullwidth", "they are ｖｅｒｍｉｎ", english, "hate.en.vermin", "ｖｅｒｍｉｎ", moderation.Block},
		{"zero width", "they are ver\u200bmin", english, "hate.en.vermin", "ver\u200bmin", moderation.Block},
		{"censored", "what the f*ck", english, "profanity.en.fuck", "f*ck", moderation.Allow},
		{"phrase with gap", "go back to your own country", english, "hate.en.go_back_to_~3_country", "go back to your own country", moderation.Review},
		{"prefix", "du hurensohnes", moderation.Language{Code: "de", Confidence: 0.9}, "hate.de.hurensohn*", "hurensohnes", moderation.Review},
		{"pattern", "kill all dogs now", english, "violence.en.kill_all", "kill all dogs", moderation.Block},
		{"spaceless script", "お前は死ねよ", moderation.Language{Code: "ja", Confidence: 0.9}, "harassment.ja.死ね", "死ね", moderation.Review},
		{"host", "login at https://secure.evil.example/verify now", english, "fraud.phish", "https://secure.evil.example/verify", moderation.Block},
		{"card", "my card is 4111 1111 1111 1111 ok", english, "privacy.any.$card", "4111 1111 1111 1111", moderation.Review},
		{"profanity allowed", "fuck this", english, "profanity.en.fuck", "fuck", moderation.Allow},

		{"substring is not a word", "the verminous fields", english, "", "", moderation.Allow},
		{"scunthorpe", "I live in Scunthorpe", english, "", "", moderation.Allow},
		{"assassin", "an assassin and a class act", english, "", "", moderation.Allow},
		{"run shorter than term", "as far as I know", english, "", "", moderation.Allow},
		{"exception", "a cocktail party", english, "", "", moderation.Allow},
		{"gap too wide", "go back to the very old and quiet country", english, "", "", moderation.Allow},
		{"other language rules off", "my friend wrote hurensohn in the group chat yesterday, what does that mean", english, "", "", moderation.Allow},
		{"short text opens the gate", "du hurensohn", english, "hate.de.hurensohn*", "hurensohn", moderation.Review},
		{"uncertain language opens the gate", "hurensohn", moderation.Language{Code: "en", Confidence: 0.3}, "hate.de.hurensohn*", "hurensohn", moderation.Review},
		{"undetermined opens the gate", "hurensohn", moderation.Language{Code: moderation.Undetermined}, "hate.de.hurensohn*", "hurensohn", moderation.Review},
		{"sibling language's rules apply", "ну ты и курво, в самом деле, как всегда", moderation.Language{Code: "ru", Confidence: 0.95}, "harassment.uk.курво", "курво", moderation.Review},
		{"emails under min", "a@example.com b@example.org", english, "", "", moderation.Allow},
		{"benign", "Remember to buy milk and call the dentist on Tuesday.", english, "", "", moderation.Allow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, &fixedLang{lang: tc.lang}, Options{})
			v, err := e.Screen(context.Background(), moderation.Content{Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if v.Action != tc.action {
				t.Errorf("action = %s, want %s (verdict %+v)", v.Action, tc.action, v)
			}
			if tc.rule == "" {
				if len(v.Matches) > 0 {
					t.Errorf("matches = %+v, want none", v.Matches)
				}
				return
			}
			for _, m := range v.Matches {
				if m.Rule == tc.rule {
					if got := tc.text[m.Start:m.End]; got != tc.span {
						t.Errorf("match %s points at %q, want %q", m.Rule, got, tc.span)
					}
					return
				}
			}
			t.Errorf("no match of %s in %+v", tc.rule, v.Matches)
		})
	}
}

func TestPolicy(t *testing.T) {
	e := newTestEngine(t, &fixedLang{lang: english}, Options{})
	v, err := e.Screen(context.Background(), moderation.Content{Text: "fuck, they are vermin"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Action != moderation.Block {
		t.Errorf("action = %s", v.Action)
	}
	if len(v.Categories) != 2 || v.Categories[0].Category != moderation.Hate || v.Categories[1].Category != moderation.Profanity {
		t.Errorf("categories = %+v, want hate then profanity", v.Categories)
	}
	if v.PolicyVersion == "" || v.Language != english {
		t.Errorf("verdict = %+v", v)
	}
}

func TestScoresCombine(t *testing.T) {
	e := newTestEngine(t, &fixedLang{lang: english}, Options{})
	// Two profanity rules: 1-(0.6*0.6) = 0.64; the same rule twice counts once.
	v, _ := e.Screen(context.Background(), moderation.Content{Text: "fuck fuck ass"})
	if got := v.Score(moderation.Profanity); got != 0.64 {
		t.Errorf("profanity = %v, want 0.64", got)
	}
}

func TestCache(t *testing.T) {
	det := &fixedLang{lang: english}
	e := newTestEngine(t, det, Options{Local: memstore.NewCache(100)})
	ctx := context.Background()
	first, _ := e.Screen(ctx, moderation.Content{Text: "They are VERMIN"})
	second, _ := e.Screen(ctx, moderation.Content{Text: "they are vermin"}) // same folded text
	if first.Cached || !second.Cached {
		t.Fatalf("cached = %v then %v, want false then true", first.Cached, second.Cached)
	}
	if det.calls.Load() != 1 {
		t.Errorf("detector called %d times, want 1", det.calls.Load())
	}
	if second.Matches[0].Start != 9 || second.Matches[0].End != 15 || second.Action != first.Action {
		t.Errorf("cached verdict %+v", second)
	}
	// A new rule takes effect at once: the policy version is in the key.
	files := testRules()
	files["en/hate.rules"] = &fstest.MapFile{Data: []byte("milk | score=0.9\n")}
	if _, err := e.Load(files); err != nil {
		t.Fatal(err)
	}
	third, _ := e.Screen(ctx, moderation.Content{Text: "they are vermin"})
	if third.Cached || third.Action != moderation.Allow || third.PolicyVersion == first.PolicyVersion {
		t.Errorf("after reload: %+v", third)
	}
}

func TestConcurrentMissesComputedOnce(t *testing.T) {
	det := &slowLang{fixedLang: fixedLang{lang: english}, delay: 50 * time.Millisecond}
	e := newTestEngine(t, det, Options{Local: memstore.NewCache(100)})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.Screen(context.Background(), moderation.Content{Text: "the same new note"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := det.calls.Load(); n != 1 {
		t.Errorf("screened %d times, want 1", n)
	}
}

type slowLang struct {
	fixedLang
	delay time.Duration
}

func (d *slowLang) Detect(s string) moderation.Language {
	time.Sleep(d.delay)
	return d.fixedLang.Detect(s)
}

func TestReloadRefusesBrokenRules(t *testing.T) {
	e := newTestEngine(t, &fixedLang{lang: english}, Options{})
	before := e.PolicyVersion()
	files := testRules()
	files["en/hate.rules"] = &fstest.MapFile{Data: []byte("ok\n/a(/ | id=x.y\n")}
	_, err := e.Load(files)
	if err == nil || !strings.Contains(err.Error(), "en/hate.rules:2") {
		t.Fatalf("err = %v, want one naming en/hate.rules:2", err)
	}
	if e.PolicyVersion() != before {
		t.Error("a refused reload changed the rules in force")
	}
	v, _ := e.Screen(context.Background(), moderation.Content{Text: "vermin"})
	if v.Action != moderation.Block {
		t.Error("old rules no longer in force")
	}
}

func TestWave(t *testing.T) {
	e := newTestEngine(t, &fixedLang{lang: english}, Options{Waves: memstore.NewWaveCounter(100, 100), Local: memstore.NewCache(10)})
	ctx := context.Background()
	var v moderation.Verdict
	for i := range 3 {
		v, _ = e.Screen(ctx, moderation.Content{Text: "Win a FREE cruise today", UserID: fmt.Sprint("u", i)})
		if i < 2 && v.Action != moderation.Allow {
			t.Fatalf("user %d: action %s before the wave", i, v.Action)
		}
	}
	if v.Action != moderation.Review || v.Score(moderation.Spam) != 0.7 || len(v.Signals) != 1 || v.Signals[0].Name != "wave" {
		t.Errorf("third user: %+v", v)
	}
	// The same user again does not make a wave.
	v, _ = e.Screen(ctx, moderation.Content{Text: "another text", UserID: "u1"})
	v, _ = e.Screen(ctx, moderation.Content{Text: "another text", UserID: "u1"})
	if v.Action != moderation.Allow {
		t.Errorf("one user twice: %+v", v)
	}
}
