package normalize

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii lower-cased", "Hello, World!", "hello, world!"},
		{"zero-width space inside a word", "f\u200buck", "fuck"},
		{"zero-width joiner, non-joiner and word joiner", "f\u200du\u200cc\u2060k", "fuck"},
		{"bidi controls", "\u202ekcuf\u202c \u2066x\u2069", "kcuf x"},
		{"soft hyphen and BOM", "fu\u00adck\ufeff", "fuck"},
		{"tags and variation selectors", "ok\U000E0041\U000E007F\ufe0f\U000E0100!", "ok!"},
		{"combining grapheme joiner", "f\u034fuck", "fuck"},
		{"fullwidth", "ｆｕｃｋ　ＹＯＵ", "fuck you"},
		{"mathematical bold", "𝐟𝐮𝐜𝐤 𝐘𝐎𝐔", "fuck you"},
		{"mathematical script and double-struck", "𝓯𝓾𝓬𝓴 𝕗𝕦𝕔𝕜", "fuck fuck"},
		{"circled letters", "ⓕⓤⓒⓚ", "fuck"},
		{"ligatures", "ﬁnd ﬂag", "find flag"},
		{"roman numeral", "ⅰdiot", "idiot"},
		{"diacritics", "Fück maricón Ça élève", "fuck maricon ca eleve"},
		{"stacked diacritics (zalgo)", "f̸̢̛u̷͎c̴̈k̵", "fuck"},
		{"decomposed input", "e\u0301te\u0301", "ete"},
		{"sharp s", "Straße STRASSE", "strasse strasse"},
		{"Turkish dotless and dotted i", "SIK sık İstanbul", "sik sik istanbul"},
		{"stroke letters and ligature letters", "Łódź Øre Æsir cœur", "lodz ore aesir coeur"},
		{"Greek accents and final sigma", "ΣΊΣΥΦΟΣ", "σισυφοσ"},
		{"Cyrillic in a Latin word", "раypal", "paypal"},
		{"Cyrillic capitals in a Latin word", "ВITCH", "bitch"},
		{"Greek in a Latin word", "pοrn", "porn"},
		{"all-Cyrillic look-alike word in Latin text", "you are a ѕех addict", "you are a sex addict"},
		{"Russian text stays Cyrillic", "Это сор в доме", "это сор в доме"},
		{"Cyrillic look-alike word in mixed text that is not mostly Latin", "ok сор", "ok сор"},
		{"Greek text stays Greek", "Καλημέρα κόσμε", "καλημερα κοσμε"},
		{"Latin letter in a Greek word", "καλημεpα", "καλημερα"},
		{"Russian word with Latin letters", "xуй пpивeт", "хуи привет"},
		{"Russian short i and yo lose their marks", "Мой ёж", "мои еж"},
		{"Ukrainian", "Слава Україні", "слава украіні"},
		{"Ukrainian without diacritics unchanged", "Доброго ранку, як справи?", "доброго ранку, як справи?"},
		{"Hindi keeps its vowel signs", "नमस्ते दुनिया", "नमस्ते दुनिया"},
		{"Arabic keeps its marks", "مَرْحَبًا", "مَرْحَبًا"},
		{"Chinese and Japanese untouched", "你好世界。こんにちは、カタカナ", "你好世界。こんにちは、カタカナ"},
		{"halfwidth katakana", "ｶﾀｶﾅ", "カタカナ"},
		{"Korean", "안녕하세요", "안녕하세요"},
		{"Thai", "สวัสดีครับ", "สวัสดีครับ"},
		{"numbers", "2024 ２０２４ ①", "2024 2024 1"},
		{"email and URL keep their punctuation", "Mail JOHN.Doe+x@Example.COM or https://Ex.com/a?b=1&c=%20",
			"mail john.doe+x@example.com or https://ex.com/a?b=1&c=%20"},
		{"non-breaking and ideographic spaces", "a\u00a0b\u3000c", "a b c"},
		{"invalid UTF-8", "a\xffb\xe2\x82", "a\ufffdb\ufffd\ufffd"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Fold(tc.in)
			if f.Text != tc.want {
				t.Errorf("Fold(%q).Text = %q, want %q", tc.in, f.Text, tc.want)
			}
			checkFolded(t, tc.in, &f)
		})
	}
}

func TestWordsOf(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"separators", "Hello,  world!\n(ok)", " helo world ok "},
		{"no words", "?!  ...", " "},
		{"empty", "", " "},
		{"apostrophes", "don't l'arabe l’homme", " don t l arabe l home "},
		{"leet", "h3ll0 b00bs 5h1t", " helo bobs shit "},
		{"leet symbols next to letters", "@ss a$$ b@st@rd", " as as bastard "},
		{"leet symbols alone stay separators", "$ 100 @ home $$$", " 100 home "},
		{"money stays a number", "$100", " 100 "},
		{"bang and pipe between word characters", "sh!t b!tch |ol a|b", " shit bitch ol alb "},
		{"bang at the end of a word", "hello! wow!!", " helo wow "},
		{"pure numbers stay numbers", "2024 420 1000", " 2024 420 1000 "},
		{"star between letters is a wildcard", "f*ck n***a sh*t", " f*ck n*a sh*t "},
		{"star elsewhere separates", "5*3 *bold* a*", " 5 3 bold a "},
		{"spaced letters", "k i l l", " kil "},
		{"dotted letters", "p.o.r.n", " porn "},
		{"dotted letters then a bang", "v.e.r.m.i.n! |x.y.z|", " vermin xyz "},
		{"spaced letters with a leet bang", "s h ! t", " shit "},
		{"dashed letters", "c-a-s-i-n-o", " casino "},
		{"underscores, slashes, commas, stars", "s_e_x f/u/c/k s,h,i,t f*u*c*k", " sex fuck shit fuck "},
		{"two spaces between letters", "f  u  c  k", " fuck "},
		{"spaced word followed by a word", "f u c k you", " fuck you "},
		{"spaced leet", "$ h 1 t", " shit "},
		{"space chain gives its last letter to a dot chain", "k i l l p.o.r.n", " kil porn "},
		{"mixed separators do not join", "a f.u.c.k.i.n.g", " a fucking "},
		{"two letters do not join", "e.g. a b", " e g a b "},
		{"sentence breaks do not join", "Plan A. B. C. Done", " plan a b c done "},
		{"spaced digits do not join", "1 2 3 4", " 1 2 3 4 "},
		{"repeats collapse", "fuuuuck", " fuck "},
		{"CJK kept together", "你好世界 こんにちは", " 你好世界 こんにちは "},
		{"CJK not joined", "你 好 世", " 你 好 世 "},
		{"digits next to CJK stay", "第3回 2024年", " 第3回 2024年 "},
		{"whole words", "Scunthorpe cocktail assassin", " scunthorpe cocktail asasin "},
		{"Russian", "Привет, как дела?", " привет как дела "},
		{"Hindi", "नमस्ते दुनिया", " नमस्ते दुनिया "},
		{"email and URL", "john.doe@example.com https://x.io/a", " john doeaexample com htps x io a "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Fold(tc.in)
			w := WordsOf(&f)
			if w.Text != tc.want {
				t.Errorf("WordsOf(Fold(%q)).Text = %q, want %q", tc.in, w.Text, tc.want)
			}
			checkWords(t, tc.in, &f, &w)
		})
	}
}

func TestDisguised(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"Hello, world! Don't call me at 10:30.", false},
		{"all good, see you tomorrow", false}, // doubled letters are spelling
		{"2024 and 1000 stay numbers", false},
		{"Привет, как дела? 你好世界", false},
		{"i will k1ll you", true},
		{"you a$$hole", true},
		{"sh!t", true},
		{"f*ck", true},
		{"k i l l", true},
		{"p.o.r.n", true},
		{"fuuuck", true},
		{"sooo good", true},
	}
	for _, tc := range tests {
		f := Fold(tc.in)
		if w := WordsOf(&f); w.Disguised != tc.want {
			t.Errorf("WordsOf(Fold(%q)).Disguised = %v, want %v (view %q)", tc.in, w.Disguised, tc.want, w.Text)
		}
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name, in string
		want     []uint8
	}{
		{"single letters", "fuck", []uint8{0, 1, 1, 1, 1, 0}},
		{"repeated u", "fuuuuck", []uint8{0, 1, 4, 1, 1, 0}},
		{"ass", "ass", []uint8{0, 1, 2, 0}},
		{"kill", "kill", []uint8{0, 1, 1, 2, 0}},
		{"leet collapses with letters", "a$s", []uint8{0, 1, 2, 0}},
		{"multi-byte runes carry their run on every byte", "ооо", []uint8{0, 3, 3, 0}},
		{"capped at 255", "a" + strings.Repeat("h", 300), []uint8{0, 1, 255, 0}},
		{"digits do not collapse", "1000", []uint8{0, 1, 1, 1, 1, 0}},
		{"censored stars collapse", "n***a", []uint8{0, 1, 3, 1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Fold(tc.in)
			w := WordsOf(&f)
			if !slices.Equal(w.Run, tc.want) {
				t.Errorf("WordsOf(Fold(%q)): Text %q Run %v, want Run %v", tc.in, w.Text, w.Run, tc.want)
			}
		})
	}
}

// TestOffsets finds a term in the word view the way the engine does and
// checks the original bytes it maps back to.
func TestOffsets(t *testing.T) {
	tests := []struct {
		name, in, term, want string
	}{
		{"dotted letters", "Y0u are a f.u.c.k.i.n.g  ⅰdiot", "fucking", "f.u.c.k.i.n.g"},
		{"leet and roman numeral", "Y0u are a f.u.c.k.i.n.g  ⅰdiot", "idiot", "ⅰdiot"},
		{"leading leet", "Y0u are a f.u.c.k.i.n.g  ⅰdiot", "you", "Y0u"},
		{"zero-width space", "so f\u200buck off", "fuck", "f\u200buck"},
		{"homoglyphs", "log in at раypal now", "paypal", "раypal"},
		{"fullwidth", "ｆｕｃｋ this", "fuck", "ｆｕｃｋ"},
		{"math bold", "a 𝐟𝐮𝐜𝐤", "fuck", "𝐟𝐮𝐜𝐤"},
		{"diacritics", "¡Maricón!", "maricon", "Maricón"},
		{"decomposed diacritics", "fu\u0308ck", "fuck", "fu\u0308ck"},
		{"repeated letters", "you fuuuuck!!", "fuck", "fuuuuck"},
		{"spaced with two spaces", "you f  u  c  k off", "fuck", "f  u  c  k"},
		{"leet symbols", "you @$$hole", "asshole", "@$$hole"},
		{"ligature", "the ﬁnal", "final", "ﬁnal"},
		{"sharp s", "die Straße", "strasse", "Straße"},
		{"Russian", "Ну ты и Сволочь.", "сволочь", "Сволочь"},
		{"Russian with Latin letters", "ты xуйло", "хуйло", "xуйло"},
		{"Chinese", "你好世界", "你好世界", "你好世界"},
		{"censored", "what the f*ck", "f*ck", "f*ck"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Fold(tc.in)
			w := WordsOf(&f)
			sk, run := Skeleton(tc.term)
			i := strings.Index(w.Text, " "+sk+" ")
			if i < 0 {
				t.Fatalf("Skeleton(%q) = %q not a word of %q", tc.term, sk, w.Text)
			}
			start, end := i+1, i+1+len(sk)
			for k, r := range run {
				if w.Run[start+k] < r {
					t.Errorf("run at %d = %d, term needs %d", k, w.Run[start+k], r)
				}
			}
			os, oe := w.Orig(&f, start, end)
			if got := tc.in[os:oe]; got != tc.want {
				t.Errorf("Orig of %q in %q = [%d,%d) %q, want %q", sk, tc.in, os, oe, got, tc.want)
			}
		})
	}
}

func TestOrigEdges(t *testing.T) {
	in := "\u200bAb\u200b" // the zero-width spaces are dropped: nothing maps to them
	f := Fold(in)
	w := WordsOf(&f)
	if f.Text != "ab" || w.Text != " ab " {
		t.Fatalf("Fold(%q) = %q, words %q", in, f.Text, w.Text)
	}
	tests := []struct {
		name                     string
		start, end, wantS, wantE int
	}{
		{"whole word", 1, 3, 3, 5},
		{"leading space", 0, 1, 3, 3},
		{"trailing space", 3, 4, 5, 5},
		{"empty at start", 0, 0, 3, 3},
		{"empty at end", 4, 4, 5, 5},
		{"clamped", -5, 99, 3, 5},
		{"reversed", 3, 1, 5, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, e := w.Orig(&f, tc.start, tc.end)
			if s != tc.wantS || e != tc.wantE {
				t.Errorf("Orig(%d,%d) = [%d,%d), want [%d,%d)", tc.start, tc.end, s, e, tc.wantS, tc.wantE)
			}
		})
	}
	var zero Folded
	if s, e := zero.Orig(0, 3); s != 0 || e != 0 {
		t.Errorf("zero Folded: Orig(0,3) = [%d,%d)", s, e)
	}
	// A Folded made by hand has no map; invalid UTF-8 in it must not panic.
	hand := Folded{Text: "ab\xff\xfe cd"}
	if hw := WordsOf(&hand); hw.Text != " ab cd " {
		t.Errorf("WordsOf(hand-made) = %q", hw.Text)
	}
}

func TestSkeleton(t *testing.T) {
	tests := []struct {
		term, want string
		run        []uint8
	}{
		{"ass", "as", []uint8{1, 2}},
		{"Fück", "fuck", []uint8{1, 1, 1, 1}},
		{"go back to", "go back to", []uint8{1, 1, 0, 1, 1, 1, 1, 0, 1, 1}},
		{"hurensöhne", "hurensohne", []uint8{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"сволочь", "сволочь", []uint8{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"  ", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.term, func(t *testing.T) {
			got, run := Skeleton(tc.term)
			if got != tc.want || !slices.Equal(run, tc.run) {
				t.Errorf("Skeleton(%q) = %q %v, want %q %v", tc.term, got, run, tc.want, tc.run)
			}
		})
	}
}

func TestIsCJK(t *testing.T) {
	for _, r := range "你好こんにちはカタカナー안녕สวัสดีພາສາខ្មែរ" {
		if !IsCJK(r) {
			t.Errorf("IsCJK(%q) = false", r)
		}
	}
	for _, r := range "aZéжαनمש1 ,。・" {
		if IsCJK(r) {
			t.Errorf("IsCJK(%q) = true", r)
		}
	}
}

// checkFolded asserts the invariants of a Folded built from in.
func checkFolded(t *testing.T, in string, f *Folded) {
	t.Helper()
	if f.identity {
		if len(f.Text) != len(in) || f.src != nil {
			t.Fatalf("Fold(%q): identity map over %d bytes of %d", in, len(f.Text), len(in))
		}
		return
	}
	if len(f.src) != len(f.Text) {
		t.Fatalf("Fold(%q): %d spans for %d bytes", in, len(f.src), len(f.Text))
	}
	prev := span{}
	for i, sp := range f.src {
		if sp.start < prev.start || sp.end < prev.end || sp.start > sp.end || int(sp.end) > len(in) {
			t.Fatalf("Fold(%q): byte %d maps to [%d,%d) after [%d,%d)", in, i, sp.start, sp.end, prev.start, prev.end)
		}
		prev = sp
	}
	if s, e := f.Orig(0, len(f.Text)); s < 0 || e < s || e > len(in) {
		t.Fatalf("Fold(%q): Orig of all = [%d,%d)", in, s, e)
	}
}

// checkWords asserts the invariants of the word view of f, built from in.
func checkWords(t *testing.T, in string, f *Folded, w *Words) {
	t.Helper()
	if len(w.Text) == 0 || w.Text[0] != ' ' || w.Text[len(w.Text)-1] != ' ' || strings.Contains(w.Text, "  ") {
		t.Fatalf("WordsOf(Fold(%q)).Text = %q: want one space around and between words", in, w.Text)
	}
	if len(w.Run) != len(w.Text) || len(w.src) != len(w.Text) {
		t.Fatalf("WordsOf(Fold(%q)): %d bytes, %d runs, %d spans", in, len(w.Text), len(w.Run), len(w.src))
	}
	for i := range len(w.Text) {
		if (w.Text[i] == ' ') != (w.Run[i] == 0) {
			t.Fatalf("WordsOf(Fold(%q)): byte %d %q has run %d", in, i, w.Text[i], w.Run[i])
		}
	}
	prev := span{}
	for i, sp := range w.src {
		if sp.start < prev.start || sp.end < prev.end || sp.start > sp.end || int(sp.end) > len(f.Text) {
			t.Fatalf("WordsOf(Fold(%q)): byte %d maps to [%d,%d) after [%d,%d)", in, i, sp.start, sp.end, prev.start, prev.end)
		}
		prev = sp
	}
	ps := 0
	for i := range len(w.Text) {
		s, e := w.Orig(f, i, i+1)
		if s < ps || s > e || e > len(in) {
			t.Fatalf("WordsOf(Fold(%q)): byte %d maps to original [%d,%d) after %d", in, i, s, e, ps)
		}
		ps = s
	}
}

// TestASCIIFastPath checks that Fold's shortcut for ASCII text gives what
// the general path gives, offsets included.
func TestASCIIFastPath(t *testing.T) {
	var all strings.Builder
	for b := 0; b < utf8.RuneSelf; b++ {
		all.WriteByte(byte(b))
	}
	for _, s := range []string{"", all.String(), "Hello, WORLD! f.u.c.k  k i l l", "a\x00b\tc\r\nd\x7fe", "MiXeD 123 @$! *** ..."} {
		assertSameFold(t, s)
	}
}

func assertSameFold(t *testing.T, s string) {
	t.Helper()
	fast, slow := Fold(s), foldSlow(s)
	if fast.Text != slow.Text {
		t.Fatalf("Fold(%q).Text = %q, general path %q", s, fast.Text, slow.Text)
	}
	for i := 0; i <= len(fast.Text); i++ {
		for j := i; j <= len(fast.Text); j++ {
			a1, b1 := fast.Orig(i, j)
			a2, b2 := slow.Orig(i, j)
			if a1 != a2 || b1 != b2 {
				t.Fatalf("Fold(%q).Orig(%d,%d) = %d,%d, general path %d,%d", s, i, j, a1, b1, a2, b2)
			}
		}
	}
	wf, ws := WordsOf(&fast), WordsOf(&slow)
	if wf.Text != ws.Text {
		t.Fatalf("WordsOf differs for %q: %q vs %q", s, wf.Text, ws.Text)
	}
}

func FuzzASCIIFastPath(f *testing.F) {
	f.Add("Hello, WORLD! f.u.c.k")
	f.Fuzz(func(t *testing.T, s string) {
		if isASCII(s) && len(s) < 200 {
			assertSameFold(t, s)
		}
	})
}
