package normalize

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", " ", "a", "Y0u are a f.u.c.k.i.n.g  ⅰdiot", "f\u200buck", "раypal", "ВITCH",
		"ｆｕｃｋ", "𝐟𝐮𝐜𝐤", "Fück maricón", "xуй пpивeт", "hello сор world", "Это сор",
		"नमस्ते दुनिया", "你好世界 こんにちは", "2024", "@ss a$$ sh!t |x| f*ck n***a *",
		"k i l l p.o.r.n c-a-s-i-n-o", "a b c.d.e", "v.e.r.m.i.n!", "!a!.b.c", "s h ! t", "fuuuuck", strings.Repeat("z", 300),
		"Straße ΣΊΣΥΦΟΣ ǅ ﬃ ﷺ", "e\u0301\u0302\u0303 \u0301x", "\xff\xe2\x82 \xed\xa0\x80",
		"john.doe@example.com https://x.io/?a=1", "ｶﾀｶﾅ 안녕 สวัสดี", "\u202e\U000E0041\ufe0f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		folded := Fold(s)
		checkFolded(t, s, &folded)
		// Fold normalises only the segments that need it; the result must
		// be that of folding the whole NFKC text.
		if want := Fold(norm.NFKC.String(s)).Text; folded.Text != want {
			t.Fatalf("Fold(%q) = %q, Fold(NFKC) = %q", s, folded.Text, want)
		}
		w := WordsOf(&folded)
		checkWords(t, s, &folded, &w)
		// WordsOf skips joining when classify counts too few one-character
		// tokens; the count must never be short.
		var sc wordsScratch
		sc.classify(folded.Text)
		if sc.singles < 3 && sc.joinSpaced() {
			t.Fatalf("WordsOf(Fold(%q)): %d singles counted, but letters were joined", s, sc.singles)
		}

		sk, run := Skeleton(s)
		if len(run) != len(sk) {
			t.Fatalf("Skeleton(%q) = %q with %d runs", s, sk, len(run))
		}
		if sk == "" {
			return
		}
		if !strings.Contains(strings.TrimSpace(w.Text), sk) {
			t.Fatalf("Skeleton(%q) = %q not in %q", s, sk, w.Text)
		}
		// A term is found in a text that quotes it.
		q := Fold("(" + s + ")")
		if wq := WordsOf(&q); !strings.Contains(wq.Text, " "+sk+" ") {
			t.Fatalf("Skeleton(%q) = %q not a phrase of %q", s, sk, wq.Text)
		}
	})
}
