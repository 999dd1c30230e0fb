package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
)

const kinds = `
@kind negation 0.35 phrases,statements hate violence
@kind counter 0.4 - hate harassment
`

func TestParseCues(t *testing.T) {
	set, problems := Parse(folder(map[string]string{
		"any/context.rules": kinds,
		"en/context.rules": `# negation
@context negation
not
don't think | scope=before:5
@scope after:1
at all
!not only

@context counter
@scope quote
bigoted
@scope around
what does ~3 mean | id=mention.what_does
@context addressee
you
@context break
but
`,
	}))
	for _, p := range problems {
		t.Errorf("unexpected problem: %s", p)
	}
	if len(set.Contexts) != 2 {
		t.Fatalf("contexts = %+v", set.Contexts)
	}
	neg := set.Contexts[0]
	if neg.Kind != "negation" || neg.Factor != 0.35 || !neg.Phrases || !neg.Statements ||
		!slices.Equal(neg.Categories, []moderation.Category{moderation.Hate, moderation.Violence}) || neg.Source != "any/context.rules:2" {
		t.Errorf("negation = %+v", neg)
	}
	if c := set.Contexts[1]; c.Kind != "counter" || c.Factor != 0.4 || c.Phrases || c.Statements {
		t.Errorf("counter = %+v", c)
	}
	byID := map[string]Cue{}
	var exceptions []Cue
	for _, c := range set.Cues {
		if c.Exception {
			exceptions = append(exceptions, c)
			continue
		}
		byID[c.ID] = c
	}
	tests := []struct {
		id    string
		kind  string
		scope Scope
		parts int
	}{
		{"context.en.negation.not", "negation", Scope{Before, 3}, 1},
		{"context.en.negation.don't_think", "negation", Scope{Before, 5}, 1},
		{"context.en.negation.at_all", "negation", Scope{After, 1}, 1},
		{"context.en.counter.bigoted", "counter", Scope{Where: Quote}, 1},
		{"mention.what_does", "counter", Scope{Where: Around}, 2},
		{"context.en.addressee.you", Addressee, Scope{Before, 3}, 1},
		{"context.en.break.but", Break, Scope{Before, 3}, 1},
	}
	for _, tc := range tests {
		c, ok := byID[tc.id]
		if !ok {
			t.Errorf("no cue %q", tc.id)
			continue
		}
		if c.Kind != tc.kind || c.Scope != tc.scope || len(c.Parts) != tc.parts || c.Lang != "en" {
			t.Errorf("%s = %+v", tc.id, c)
		}
	}
	if len(exceptions) != 1 || exceptions[0].Parts[0].Text != "not only" {
		t.Errorf("exceptions = %+v", exceptions)
	}
	if byID["context.en.negation.not"].Source != "en/context.rules:3" {
		t.Errorf("source = %q", byID["context.en.negation.not"].Source)
	}
}

func TestCueErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"cue without a kind", map[string]string{"en/context.rules": "not"}, "en/context.rules:1: a cue needs a @context line"},
		{"undefined kind", map[string]string{"en/context.rules": "@context negation\nnot"}, `en/context.rules:2: context kind "negation" is not defined: add a @kind line`},
		{"bad scope", map[string]string{"any/context.rules": kinds, "en/context.rules": "@context negation\n@scope before"}, `en/context.rules:2: @scope: scope "before": want before:N`},
		{"reach too far", map[string]string{"any/context.rules": kinds, "en/context.rules": "@context negation\nnot | scope=before:11"}, `scope "before:11"`},
		{"addressee around", map[string]string{"en/context.rules": "@context addressee\n@scope around\nyou"}, "an addressee cue stands before:N or after:N"},
		{"unknown option", map[string]string{"any/context.rules": kinds, "en/context.rules": "@context negation\nnot | score=0.3"}, `unknown option "score" (want id, scope)`},
		{"unknown directive", map[string]string{"en/context.rules": "@score 0.3"}, "unknown directive @score (want @kind, @context, @scope, @id)"},
		{"exception with options", map[string]string{"en/context.rules": "!not only | id=x"}, "an exception takes no options"},
		{"exception with gaps", map[string]string{"en/context.rules": "!not ~2 only"}, "an exception cannot have gaps"},
		{"bad context name", map[string]string{"en/context.rules": "@context Negation!"}, `@context "Negation!"`},
		{"kind too short", map[string]string{"any/context.rules": "@kind negation 0.3 -"}, "@kind: want name, factor, only"},
		{"kind factor 1", map[string]string{"any/context.rules": "@kind negation 1 - hate"}, "factor: 1 lowers nothing"},
		{"kind factor bad", map[string]string{"any/context.rules": "@kind negation x - hate"}, `factor: "x" is not a number`},
		{"kind only bad", map[string]string{"any/context.rules": "@kind negation 0.3 words hate"}, `"words" is not phrases or statements`},
		{"kind child safety", map[string]string{"any/context.rules": "@kind fiction 0.5 - violence child_safety"}, "child_safety is never lowered by context"},
		{"kind bad category", map[string]string{"any/context.rules": "@kind fiction 0.5 - violense"}, `unknown category "violense"`},
		{"kind category twice", map[string]string{"any/context.rules": "@kind fiction 0.5 - violence violence"}, `category "violence" is listed twice`},
		{"kind twice", map[string]string{"any/context.rules": kinds, "en/context.rules": "@kind negation 0.3 - hate"}, `@kind "negation" is already defined at any/context.rules:2`},
		{"built-in kind", map[string]string{"any/context.rules": "@kind break 0.3 - hate"}, `"break" is a built-in kind of cue`},
		{"duplicate id", map[string]string{"any/context.rules": kinds, "en/context.rules": "@context negation\nnot\nnever | id=context.en.negation.not"}, `id "context.en.negation.not" is already used at en/context.rules:2`},
		{"bad lang dir", map[string]string{"english/context.rules": "x"}, `<lang>/context.rules`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(folder(tc.files))
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestCueWarnings(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"duplicate cue", map[string]string{"any/context.rules": kinds + "@context counter\nbigot\n", "en/context.rules": "@context negation\nnot\nNot | id=other"},
			[]string{`en/context.rules:3: warning: "Not" is already listed for negation before:3 at en/context.rules:2`}},
		{"same words in two scopes", map[string]string{"any/context.rules": kinds + "@context counter\nbigot\n", "en/context.rules": "@context negation\nnot\nnot | scope=after:0 id=other"}, nil},
		{"kind without cues", map[string]string{"any/context.rules": kinds, "en/context.rules": "@context negation\nnot"},
			[]string{`any/context.rules:3: warning: kind "counter" has no cues in any context.rules`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := Parse(folder(tc.files))
			if len(problems) != len(tc.want) {
				t.Fatalf("problems = %v, want %q", problems, tc.want)
			}
			for i, p := range problems {
				if !p.Warning || !strings.HasPrefix(p.String(), tc.want[i]) {
					t.Errorf("problem %d = %q, want a warning starting with %q", i, p, tc.want[i])
				}
			}
		})
	}
}

func TestCuesChangeTheVersion(t *testing.T) {
	a, _ := Parse(folder(map[string]string{"any/context.rules": kinds}))
	b, _ := Parse(folder(map[string]string{"any/context.rules": kinds + "@context negation\nnot\n"}))
	if a.Version == b.Version {
		t.Error("a new cue left the version unchanged")
	}
}

func TestParseScope(t *testing.T) {
	for _, s := range []string{"before:0", "before:10", "after:3", "around", "sentence", "quote"} {
		sc, err := parseScope(s)
		if err != nil || sc.String() != s {
			t.Errorf("parseScope(%q) = %v, %v", s, sc, err)
		}
	}
	for _, s := range []string{"", "before", "before:-1", "before:01", "before:x", "aside:2", "around:2", "Before:2"} {
		if _, err := parseScope(s); err == nil {
			t.Errorf("parseScope(%q) succeeded", s)
		}
	}
}
