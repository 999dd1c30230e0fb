package engine

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/normalize"
	"github.com/aup-dev/aup/internal/rules"
	bundled "github.com/aup-dev/aup/rules"
)

// contextRules is a small folder with context cues: each case below tests
// one of the rules of where a cue reaches, not a sentence of the bundled
// lists.
func contextRules() fstest.MapFS {
	fsys := testRules()
	fsys["en/hate.rules"] = &fstest.MapFile{Data: []byte(`
@score 0.9
vermin
are ~3 scum | score=0.6
do not deserve to live | score=0.6
spear chucker | score=0.8
/\bimmigrants are (?:not )?(?:parasites|human)\b/ | id=hate.en.group score=0.6
`)}
	fsys["en/violence.rules"] = &fstest.MapFile{Data: []byte(`
@score 0.85
i will kill you
kill them all | score=0.7
`)}
	fsys["en/child_safety.rules"] = &fstest.MapFile{Data: []byte("groom the kid | score=0.8\n")}
	fsys["any/context.rules"] = &fstest.MapFile{Data: []byte(`
@kind negation 0.35 phrases,statements hate violence
@kind counter 0.4 - hate violence
@kind mention 0.3 - hate
@kind fiction 0.5 - violence
`)}
	fsys["en/context.rules"] = &fstest.MapFile{Data: []byte(`
@context negation
@scope before:2
not
never
don't
!not only
@scope before:5
don't think
@context counter
@scope before:3
called me
@scope quote
hateful
@context mention
@scope before:1
the word
@scope around
what does ~3 mean
@context fiction
@scope sentence
in the game
@context addressee
@scope before:3
you are
@scope before:0
you
@context break
but
`)}
	fsys["de/context.rules"] = &fstest.MapFile{Data: []byte("@context negation\nkein\n")}
	return fsys
}

func contextEngine(t testing.TB, lang moderation.Language) *Engine {
	t.Helper()
	set, err := rules.Load(contextRules())
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(set, Options{Detector: &fixedLang{lang: lang}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestContext(t *testing.T) {
	tests := []struct {
		name string
		text string
		rule string  // the match to look at
		want float64 // its score
		kind string  // the kind of context that lowered it, "" for none
	}{
		{"negated phrase", "I don't think they are scum", "hate.en.are_~3_scum", 0.21, "negation"},
		{"negation in the gap of a phrase", "they are not scum", "hate.en.are_~3_scum", 0.21, "negation"},
		{"negation in a pattern's own words", "immigrants are not human", "hate.en.group", 0.6, ""},
		{"negation before a pattern", "never said immigrants are parasites", "hate.en.group", 0.21, "negation"},
		{"negation among the rule's words", "women like that do not deserve to live", "hate.en.do_not_deserve_to_live", 0.6, ""},
		{"negation too far", "not that I mind at all, they are scum", "hate.en.are_~3_scum", 0.6, ""},
		{"negation across a break word", "I don't mind them but they are scum", "hate.en.are_~3_scum", 0.6, ""},
		{"negation across a comma", "not me, they are scum", "hate.en.are_~3_scum", 0.6, ""},
		{"not negation", "they are not only scum", "hate.en.are_~3_scum", 0.6, ""},
		{"negation in a question asserts", "are they not scum?", "hate.en.are_~3_scum", 0.6, ""},
		{"negation leaves one-word terms", "they are not vermin", "hate.en.vermin", 0.9, ""},
		{"negation leaves two-word compounds", "not a spear chucker", "hate.en.spear_chucker", 0.8, ""},
		{"a hyphenated prefix is not a negation", "the non-immigrants are scum", "hate.en.are_~3_scum", 0.6, ""},
		{"reported slur", "my neighbour called me vermin", "hate.en.vermin", 0.36, "counter"},
		{"quoted with a stance", `saying "they are vermin" is hateful`, "hate.en.vermin", 0.36, "counter"},
		{"quoted without a stance", `he said "they are vermin"`, "hate.en.vermin", 0.9, ""},
		{"stance outside the quote's sentence", `"they are vermin". That is hateful.`, "hate.en.vermin", 0.9, ""},
		{"a quoted sentence stays in its sentence", `"They are vermin." is a hateful thing to say`, "hate.en.vermin", 0.36, "counter"},
		{"mention", "the word vermin is old", "hate.en.vermin", 0.27, "mention"},
		{"mention around", "what does vermin mean", "hate.en.vermin", 0.27, "mention"},
		{"the lowest factor, once", `what does "vermin" mean, hateful`, "hate.en.vermin", 0.27, "mention"},
		{"fiction", "in the game we kill them all", "violence.en.kill_them_all", 0.35, "fiction"},
		{"fiction in another sentence", "in the game. We kill them all.", "violence.en.kill_them_all", 0.7, ""},
		{"fiction does not lower hate", "in the game they are vermin", "hate.en.vermin", 0.9, ""},
		{"aimed at you keeps review", "in the game i will kill you", "violence.en.i_will_kill_you", 0.5, "fiction"},
		{"slur aimed at you keeps review", "what does you vermin mean", "hate.en.vermin", 0.5, "mention"},
		{"quoted you is not the reader", `"you are vermin" is hateful`, "hate.en.vermin", 0.36, "counter"},
		{"disguised words keep their score", "my neighbour called me v3rm1n", "hate.en.vermin", 0.9, ""},
		{"spaced letters keep their score", "I don't think they are s c u m", "hate.en.are_~3_scum", 0.6, ""},
		{"stretched letters keep their score", "they are not scuuum", "hate.en.are_~3_scum", 0.6, ""},
		{"child safety is never lowered", "in the game we groom the kid", "child_safety.en.groom_the_kid", 0.8, ""},
		{"cues of another language are off", "honestly they are kein scum at all, friends", "hate.en.are_~3_scum", 0.6, ""},
	}
	e := contextEngine(t, english)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := e.Screen(context.Background(), moderation.Content{Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			var m *moderation.Match
			for i := range v.Matches {
				if v.Matches[i].Rule == tc.rule {
					m = &v.Matches[i]
				}
			}
			if m == nil {
				t.Fatalf("no match of %s: %+v", tc.rule, v.Matches)
			}
			if m.Score != tc.want {
				t.Errorf("score %v, want %v (verdict %+v)", m.Score, tc.want, v)
			}
			var sig *moderation.Signal
			for i, s := range v.Signals {
				if s.Name == "context" && strings.HasPrefix(s.Detail, tc.rule+" ") {
					sig = &v.Signals[i]
				}
			}
			switch {
			case tc.kind == "" && sig != nil:
				t.Errorf("signal %+v, want none", sig)
			case tc.kind != "" && sig == nil:
				t.Errorf("no context signal for %s: %+v", tc.rule, v.Signals)
			case tc.kind != "" && (!strings.Contains(sig.Detail, "by "+tc.kind+" context") || sig.Score != tc.want || sig.Category != m.Category):
				t.Errorf("signal %+v, want kind %s and score %v", sig, tc.kind, tc.want)
			}
		})
	}
}

// TestContextCounts checks that a rule counts once at its strongest match in
// context, and that the category score follows the lowered scores.
func TestContextCounts(t *testing.T) {
	e := contextEngine(t, english)
	ctx := context.Background()
	v, _ := e.Screen(ctx, moderation.Content{Text: "my neighbour called me vermin. They are vermin!"})
	if got := v.Score(moderation.Hate); got != 0.9 || v.Action != moderation.Block {
		t.Errorf("hate %v, action %s: the unreported match must count in full", got, v.Action)
	}
	if len(v.Matches) != 2 || v.Matches[0].Score != 0.36 || v.Matches[1].Score != 0.9 {
		t.Errorf("matches %+v, want both listed, the first lowered", v.Matches)
	}
	for _, s := range v.Signals {
		if s.Name == "context" {
			t.Errorf("signal %+v: the rule counts in full", s)
		}
	}
	v, _ = e.Screen(ctx, moderation.Content{Text: "I don't think they are scum"})
	if got := v.Score(moderation.Hate); got != 0 || v.Action != moderation.Allow {
		t.Errorf("hate %v, action %s, want 0.21 (below reporting) and allow", got, v.Action)
	}
}

// TestContextLanguage: cue lists follow the language gate of the rules.
func TestContextLanguage(t *testing.T) {
	de := moderation.Language{Code: "de", Confidence: 0.9}
	v, _ := contextEngine(t, de).Screen(context.Background(), moderation.Content{Text: "sie sind ja wohl kein scum, sagen sie immer wieder"})
	for _, m := range v.Matches {
		if m.Rule == "hate.en.are_~3_scum" {
			t.Errorf("an English rule applied to long German text: %+v", m)
		}
	}
	// A short text opens the gate to every language's rules, but its cues
	// are its language's: short common words of other languages ("a", "was")
	// would lower or aim matches at random.
	v, _ = contextEngine(t, english).Screen(context.Background(), moderation.Content{Text: "they are kein scum"})
	if len(v.Matches) != 1 || v.Matches[0].Score != 0.6 {
		t.Errorf("matches %+v, want the English rule at full score: a German cue in English text", v.Matches)
	}
	// When detection fails, every language's cues apply.
	unsure := moderation.Language{Code: "en", Confidence: 0.3}
	v, _ = contextEngine(t, unsure).Screen(context.Background(), moderation.Content{Text: "they are kein scum"})
	if len(v.Matches) != 1 || v.Matches[0].Score != 0.21 {
		t.Errorf("matches %+v, want the German cue to lower the text of unknown language", v.Matches)
	}
}

// TestNoCues: a folder without cue lists screens as before.
func TestNoCues(t *testing.T) {
	e := newTestEngine(t, &fixedLang{lang: english}, Options{})
	if e.current.Load().cues != nil {
		t.Fatal("cue index without cue lists")
	}
	v, _ := e.Screen(context.Background(), moderation.Content{Text: "they are not vermin"})
	if v.Action != moderation.Block {
		t.Errorf("action %s", v.Action)
	}
}

func TestQuotations(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{`he said "they are vermin" again`, []string{"they are vermin"}},
		{`“curly” and „low“ and «guillemets» and »reversed«`, []string{"curly", "low", "guillemets", "reversed"}},
		{`「corner」 text`, []string{"corner"}},
		{`the word 'vermin' and don't`, []string{"vermin"}},
		{`the dogs' bowls and 'cause`, nil},
		{`an "unclosed quote`, nil},
		{`"a 'nested' one"`, []string{"a 'nested' one", "nested"}},
	}
	for _, tc := range tests {
		var got []string
		for _, q := range quotations(tc.text) {
			got = append(got, tc.text[q.start:q.end])
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("quotations(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestObfuscated(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"vermin", false},
		{"are not scum", false},
		{"don't", false},
		{"v3rm1n", true},
		{"f*ck", true},
		{"sh!t", true},
		{"@ss", true},
		{"k i l l", true},
		{"s.c.u.m", true},
		{"kiiill", true},
		{"i am a", false},
		{"a b", false},
		{"vermin!", false},
		{"2024", false},
		{"müll", false},
		{"мигранты паразиты", false},
		{"п и д о р", true},
	}
	for _, tc := range tests {
		if got := obfuscated(tc.s); got != tc.want {
			t.Errorf("obfuscated(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestCountWordsAndBreaks(t *testing.T) {
	for s, want := range map[string]int{"": 0, " ": 0, "don't": 1, "it's not, you know": 4, "l'insulte": 1, "a - b": 2, "3.5 kg": 3, "не думаю": 2} {
		if got := countWords(s); got != want {
			t.Errorf("countWords(%q) = %d, want %d", s, got, want)
		}
	}
	for _, tc := range []struct {
		s                string
		clause, sentence bool
	}{
		{" they ", false, false},
		{", ", true, false},
		{"; ", true, true},
		{". ", true, true},
		{"3.5", false, false},
		{" sh!t ", false, false},
		{" (aside) ", true, false},
		{"…", true, true},
		{"\n", true, true},
	} {
		if got := breaksIn(tc.s, true); got != tc.clause {
			t.Errorf("breaksIn(%q, clause) = %v", tc.s, got)
		}
		if got := breaksIn(tc.s, false); got != tc.sentence {
			t.Errorf("breaksIn(%q, sentence) = %v", tc.s, got)
		}
	}
}

// TestBundledContext screens with the bundled lists and the real language
// detector: each case is a phenomenon in one of the languages with full cue
// lists. lowered: some match is lowered by context; flagged: the action is
// review or block.
func TestBundledContext(t *testing.T) {
	e, _ := bundledEngine(t)
	tests := []struct {
		name             string
		text             string
		lowered, flagged bool
	}{
		{"en negation", "I don't think immigrants are vermin", true, false},
		{"en denial", "I never said that women are scum", true, false},
		{"en victim report", "my neighbour called me a faggot", true, false},
		{"en quotation condemned", `Saying "gays are vermin" is disgusting`, true, false},
		{"en definition", "why was nigger used as a slur", true, false},
		{"en game", "in the game I killed them all", false, false},
		{"en game threat at you is reviewed", "in the game I will kill you all", true, true},
		{"en negation in a question asserts", "Is it not obvious that I hate women?", false, true},
		{"en not only", "immigrants are not only vermin, they are parasites", false, true},
		{"en disguised", "I don't think immigrants are v3rmin", false, true},
		{"en slur at you", "I'm not saying you are a faggot", false, true},
		{"en quoted without stance", `he yelled "death to all muslims"`, false, true},
		{"en request to write", "Write 'I hate jews' but in a way that would not get taken down", false, true},
		{"en factive", "people don't realise that immigrants are vermin", false, true},
		{"es negation", "No es verdad que los gitanos son ratas, son personas", true, false},
		{"es victim report", "Mi vecino me llamó maricón de mierda", true, false},
		{"es nothing but", "Los gitanos no son más que ratas", false, false},
		{"fr negation", "Ce n'est pas vrai que les immigrés sont des parasites", true, false},
		{"fr definition", "Que veut dire le mot bougnoule ?", true, false},
		{"fr factive", "Ils ne se rendent pas compte que les immigrés sont des parasites", false, true},
		{"de negation", "Ausländer sind kein Ungeziefer, das ist Unsinn", true, false},
		{"de victim report", "Mein Nachbar hat mich eine Schwuchtel genannt", true, false},
		{"de not only", "Ausländer sind nicht nur Ungeziefer, sie sind Parasiten", false, true},
		{"pt negation", "Não é verdade que os ciganos são ratos", true, false},
		{"pt victim report", "Meu vizinho me chamou de viado", true, false},
		{"it negation", "Gli immigrati non sono parassiti", true, false},
		{"it nothing but", "Gli immigrati non sono altro che parassiti", false, true},
		{"it victim report", "Il mio vicino mi ha dato del frocio", true, false},
		{"ru negation", "Я не думаю, что мигранты паразиты", true, false},
		{"ru victim report", "Сосед назвал меня пидором", true, false},
		{"ru slur at you", "Ты не пидор", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := e.Screen(context.Background(), moderation.Content{Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			lowered := false
			for _, s := range v.Signals {
				lowered = lowered || s.Name == "context"
			}
			if lowered != tc.lowered || (v.Action != moderation.Allow) != tc.flagged {
				t.Errorf("lowered %v, action %s; want lowered %v, flagged %v (verdict %+v)", lowered, v.Action, tc.lowered, tc.flagged, v)
			}
			if lowered && len(v.Matches) == 0 {
				t.Error("a lowered match must still be listed")
			}
		})
	}
}

// FuzzContext screens arbitrary text with cue lists: no panics, and every
// match and score stays in range.
func FuzzContext(f *testing.F) {
	f.Add(`I don't think "they are vermin", called me v3rm1n; in the game i will kill you`)
	f.Add("«they are not scum» — the word vermin… what does scum mean?")
	f.Add("'\"“„«「")
	f.Add("не  думаю, что они scum -kein-")
	e := contextEngine(f, moderation.Language{Code: moderation.Undetermined})
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		quotations(text)
		sentenceEnds(text, quotations(text))
		countWords(text)
		obfuscated(text)
		fo := normalize.Fold(text)
		v, err := e.Screen(context.Background(), moderation.Content{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range v.Matches {
			if m.Start < 0 || m.End > len(text) || m.Start > m.End || m.Score <= 0 || m.Score > 1 {
				t.Fatalf("match %+v out of range in %q (folded %q)", m, text, fo.Text)
			}
		}
		for _, c := range v.Categories {
			if c.Score <= 0 || c.Score > 1 {
				t.Fatalf("category %+v out of range", c)
			}
		}
	})
}

// BenchmarkContext measures what context costs a note that has matches to
// lower (in BenchmarkScreen only one note in five has): the bundled rules
// with their cue lists, then without them.
func BenchmarkContext(b *testing.B) {
	set, err := rules.Load(bundled.FS)
	if err != nil {
		b.Fatal(err)
	}
	note := benchNotes(5)[4]
	for _, tc := range []struct {
		name string
		cues []rules.Cue
	}{{"with-cues", set.Cues}, {"without-cues", nil}} {
		b.Run(tc.name, func(b *testing.B) {
			s := *set
			s.Cues = tc.cues
			c, err := compile(&s, "bench")
			if err != nil {
				b.Fatal(err)
			}
			f := normalize.Fold(note)
			w := normalize.WordsOf(&f)
			for b.Loop() {
				c.screenWords(&f, &w, english)
			}
		})
	}
}
