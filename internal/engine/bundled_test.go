package engine

import (
	"context"
	"testing"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
)

// TestBundledRules screens with the rules aup ships and the real language
// detector: obfuscation must not get past them, and innocent text must not
// trip them. Each case names a phenomenon, not a sentence to tune for.
func TestBundledRules(t *testing.T) {
	e, _ := bundledEngine(t)
	tests := []struct {
		name     string
		text     string
		flagged  bool
		category moderation.Category // reported when set
	}{
		{"threat", "i will kill you", true, moderation.Violence},
		{"threat in leetspeak", "i will k1ll you", true, moderation.Violence},
		{"threat spaced out", "i will k i l l you", true, moderation.Violence},
		{"threat with repeated letters", "i will kiiill you", true, moderation.Violence},
		{"threat in slang", "im gonna k1ll u", true, moderation.Violence},
		{"call to exterminate in leetspeak", "all mu5lims should be ext3rminated", true, moderation.Hate},
		{"censored slur", "shut up you n***a", false, moderation.Hate},
		{"censored profanity is reported", "f*ck this", false, moderation.Profanity},
		{"gambling promotion", "free spins at our online casino, claim your sign-up bonus", true, moderation.Gambling},
		{"card number", "my card is 4111 1111 1111 1111, expiry 12/29", true, moderation.Privacy},
		{"scunthorpe", "I grew up near Scunthorpe and Penistone", false, ""},
		{"kill the process", "just kill the process and restart the server", false, ""},
		{"cocktail", "cocktail recipes for the party on Saturday", false, ""},
		{"ordinary note", "Remember to buy milk, call the dentist and water the tomatoes.", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := e.Screen(context.Background(), moderation.Content{Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if flagged := v.Action != moderation.Allow; flagged != tc.flagged {
				t.Errorf("action %s, want flagged=%v; verdict %+v", v.Action, tc.flagged, v)
			}
			if tc.category != "" && v.Score(tc.category) == 0 {
				t.Errorf("%s not reported: %+v", tc.category, v.Categories)
			}
			for _, m := range v.Matches {
				if m.Start < 0 || m.End > len(tc.text) || m.Start >= m.End {
					t.Errorf("match %+v outside the text", m)
				}
			}
		})
	}
}

// TestCachedOffsetsFollowTheRequest: texts that fold alike share a verdict,
// but each answer's offsets point into its own text.
func TestCachedOffsetsFollowTheRequest(t *testing.T) {
	e := newTestEngine(t, &fixedLang{lang: english}, Options{Local: memstore.NewCache(10)})
	ctx := context.Background()
	plain := "they are vermin"
	wide := "ｔｈｅｙ　ａｒｅ\u200b ｖｅｒｍｉｎ" // fullwidth, with a zero-width space
	first, _ := e.Screen(ctx, moderation.Content{Text: plain})
	second, _ := e.Screen(ctx, moderation.Content{Text: wide})
	if first.Cached || !second.Cached {
		t.Fatalf("cached = %v then %v, want false then true", first.Cached, second.Cached)
	}
	if got := plain[first.Matches[0].Start:first.Matches[0].End]; got != "vermin" {
		t.Errorf("first points at %q", got)
	}
	if got := wide[second.Matches[0].Start:second.Matches[0].End]; got != "ｖｅｒｍｉｎ" {
		t.Errorf("second points at %q", got)
	}
}

// bundledCase is a sentence in one language that the bundled rules must
// flag (with category, when set) or allow.
type bundledCase struct {
	lang     string
	text     string
	flagged  bool
	category moderation.Category // reported when set
}

// checkBundled screens each case with the bundled rules and the real
// language detector, model off.
func checkBundled(t *testing.T, cases []bundledCase) {
	t.Helper()
	e, _ := bundledEngine(t)
	for _, tc := range cases {
		t.Run(tc.lang+"/"+tc.text, func(t *testing.T) {
			v, err := e.Screen(context.Background(), moderation.Content{Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if flagged := v.Action != moderation.Allow; flagged != tc.flagged {
				t.Errorf("action %s, want flagged=%v; categories %+v matches %+v", v.Action, tc.flagged, v.Categories, v.Matches)
			}
			if tc.category != "" && v.Score(tc.category) == 0 {
				t.Errorf("%s not reported: %+v", tc.category, v.Categories)
			}
		})
	}
}
