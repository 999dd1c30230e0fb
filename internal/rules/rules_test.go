package rules

import (
	"math"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/aup-dev/aup/internal/moderation"
)

// policy is a valid policy.conf for every category.
func policy() string {
	var b strings.Builder
	b.WriteString("# category report review block\n")
	for _, c := range moderation.Categories {
		if c == moderation.Profanity {
			b.WriteString("profanity 0.3 - -\n")
			continue
		}
		b.WriteString(string(c) + " 0.3 0.5 0.85\n")
	}
	return b.String()
}

func folder(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{"policy.conf": {Data: []byte(policy())}}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

func TestParseEntries(t *testing.T) {
	set, problems := Parse(folder(map[string]string{
		"en/hate.rules": `# comment
@score 0.8
@id hate.en.dehuman
vermin
go back to ~3 country   # trailing comment
hurensohn*
*ficker | score=0.4
/\bkill all \w+s\b/ | id=violence.en.kill_all category=violence
!cocktail
`,
		"any/privacy.rules": "$card | \n$email | min=5\n",
		"hosts/phish.hosts": "@category fraud\n@score 0.9\nEvil.Example.\nevil.example\n",
	}))
	for _, p := range problems {
		t.Errorf("unexpected problem: %s", p)
	}
	byID := map[string]Rule{}
	for _, r := range set.Rules {
		byID[r.ID] = r
	}
	tests := []struct {
		id    string
		check func(Rule) bool
	}{
		{"hate.en.dehuman.vermin", func(r Rule) bool {
			return r.Kind == Words && r.Score == 0.8 && r.Lang == "en" && r.Category == moderation.Hate && r.Source == "en/hate.rules:4"
		}},
		{"hate.en.dehuman.go_back_to_~3_country", func(r Rule) bool {
			return len(r.Parts) == 2 && r.Parts[0] == Part{Text: "go back to", Gap: 3} && r.Parts[1].Text == "country"
		}},
		{"hate.en.dehuman.hurensohn*", func(r Rule) bool { return r.Parts[0].OpenEnd && !r.Parts[0].OpenStart }},
		{"hate.en.dehuman.*ficker", func(r Rule) bool { return r.Parts[0].OpenStart && r.Score == 0.4 }},
		{"violence.en.kill_all", func(r Rule) bool { return r.Kind == Pattern && r.Category == moderation.Violence }},
		{"privacy.any.$card", func(r Rule) bool { return r.Kind == Detector && r.Detector == "card" }},
		{"privacy.any.$email", func(r Rule) bool { return r.IntOption("min", 1) == 5 }},
		{"fraud.phish", func(r Rule) bool {
			return r.Kind == Hosts && r.Score == 0.9 && len(r.Hosts) == 1 && r.Hosts[0] == "evil.example"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			r, ok := byID[tc.id]
			if !ok {
				t.Fatalf("no rule %q; have %v", tc.id, keys(byID))
			}
			if !tc.check(r) {
				t.Errorf("rule %q: %+v", tc.id, r)
			}
		})
	}
	var exceptions int
	for _, r := range set.Rules {
		if r.Kind == Exception {
			exceptions++
		}
	}
	if exceptions != 1 {
		t.Errorf("got %d exceptions, want 1", exceptions)
	}
	if th := set.Thresholds[moderation.Profanity]; !math.IsInf(th.Block, 1) || th.Report != 0.3 {
		t.Errorf("profanity thresholds = %+v", th)
	}
}

func keys(m map[string]Rule) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // substring of the first error, with its position
	}{
		{"unknown option", map[string]string{"en/hate.rules": "x | scor=1"}, `en/hate.rules:1: unknown option "scor"`},
		{"bad score", map[string]string{"en/hate.rules": "\n@score 2"}, "en/hate.rules:2: @score: 2 is out of range"},
		{"bad option score", map[string]string{"en/hate.rules": "x | score=abc"}, `en/hate.rules:1: score: "abc" is not a number`},
		{"bad pattern", map[string]string{"en/hate.rules": "/a(b/ | id=x.y"}, "en/hate.rules:1: pattern: error parsing regexp"},
		{"pattern without id", map[string]string{"en/hate.rules": "/ab/"}, "en/hate.rules:1: a pattern needs an id= option"},
		{"huge pattern", map[string]string{"en/hate.rules": "/(" + manyWords(600) + ")/ | id=a.b"}, "too large"},
		{"duplicate id", map[string]string{"en/hate.rules": "a\nb | id=hate.en.a"}, `en/hate.rules:2: id "hate.en.a" is already used at en/hate.rules:1`},
		{"bad gap", map[string]string{"en/hate.rules": "a ~x b"}, `gap "~x": want ~1 to ~10`},
		{"gap too big", map[string]string{"en/hate.rules": "a ~11 b"}, `gap "~11"`},
		{"leading gap", map[string]string{"en/hate.rules": "~2 b"}, "a gap ~N must stand between words"},
		{"inner star", map[string]string{"en/hate.rules": "a*b"}, "'*' may only stand at the start or end"},
		{"unknown detector", map[string]string{"any/privacy.rules": "$passport"}, "unknown detector $passport"},
		{"bad detector option", map[string]string{"any/spam.rules": "$links | max=3"}, `$links has no option "max"`},
		{"bad detector value", map[string]string{"any/spam.rules": "$wave | window=forever"}, `window: "forever"`},
		{"bad category file", map[string]string{"en/nasty.rules": "x"}, `"nasty" is not a category`},
		{"bad lang dir", map[string]string{"english/hate.rules": "x"}, "<lang>/<category>.rules"},
		{"category directive in rules", map[string]string{"en/hate.rules": "@category spam"}, "@category is only for .hosts files"},
		{"hosts without category", map[string]string{"hosts/x.hosts": "a.example"}, "host lists need a @category line"},
		{"bad host", map[string]string{"hosts/x.hosts": "@category spam\nnot a host"}, `hosts/x.hosts:2: "not a host" is not a host name`},
		{"bad policy columns", map[string]string{"policy.conf": "hate 0.3 0.5"}, "policy.conf:1: want 4 columns"},
		{"decreasing policy", map[string]string{"policy.conf": "hate 0.5 0.3 0.9"}, "must not decrease"},
		{"policy missing category", map[string]string{"policy.conf": "hate 0.3 0.5 0.9"}, `category "harassment" has no thresholds`},
		{"empty option", map[string]string{"en/hate.rules": "x | score"}, `option "score": want key=value`},
		{"score with trailing text", map[string]string{"en/hate.rules": "x | score=0.9oops"}, `en/hate.rules:1: score: "0.9oops" is not a number`},
		{"directive score with trailing text", map[string]string{"en/hate.rules": "@score 0.5abc"}, `en/hate.rules:1: @score: "0.5abc" is not a number`},
		{"policy threshold with trailing text", map[string]string{"policy.conf": "hate 0.3x 0.5 0.9"}, `policy.conf:1: report threshold: "0.3x" is not a number`},
		{"exception with unknown option", map[string]string{"en/hate.rules": "!x | idd=3"}, "en/hate.rules:1: an exception takes no options (got idd=3)"},
		{"exception with score", map[string]string{"en/hate.rules": "!x | score=0.3"}, "en/hate.rules:1: an exception takes no options (got score=0.3)"},
		{"exception with bad score", map[string]string{"en/hate.rules": "!x | score=abc"}, "an exception takes no options (got score=abc)"},
		{"exception with options", map[string]string{"en/hate.rules": "\n!x | id=a.b category=spam"}, "en/hate.rules:2: an exception takes no options (got category=spam id=a.b)"},
		{"host with underscore", map[string]string{"hosts/x.hosts": "@category spam\n_slp._tcp.example.com"}, `hosts/x.hosts:2: "_slp._tcp.example.com" is not a host name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(folder(tc.files))
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tc.want)
			}
			if moderation.ErrorCode(err) != moderation.EINVALID {
				t.Errorf("code = %s, want invalid", moderation.ErrorCode(err))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestMissingPolicy(t *testing.T) {
	_, err := Load(fstest.MapFS{"en/hate.rules": {Data: []byte("x")}})
	if err == nil || !strings.Contains(err.Error(), "policy.conf: missing") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseScore(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  string // substring of the error; "" for none
	}{
		{"0.5", 0.5, ""},
		{"1", 1, ""},
		{".25", 0.25, ""},
		{"1e-3", 0.001, ""},
		{"0.9oops", 0, `"0.9oops" is not a number`},
		{"0.5abc", 0, `"0.5abc" is not a number`},
		{"0.5 ", 0, `"0.5 " is not a number`},
		{"", 0, `"" is not a number`},
		{"abc", 0, `"abc" is not a number`},
		{"NaN", 0, `"NaN" is not a number`},
		{"nan", 0, `"nan" is not a number`},
		{"Inf", 0, "Inf is out of range: want 0 < score <= 1"},
		{"+infinity", 0, "+infinity is out of range"},
		{"-Inf", 0, "-Inf is out of range"},
		{"1e400", 0, "1e400 is out of range"},
		{"0", 0, "0 is out of range: want 0 < score <= 1"},
		{"-0.1", 0, "-0.1 is out of range"},
		{"1.01", 0, "1.01 is out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseScore(tc.in)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("parseScore(%q) = %v", tc.in, err)
			case tc.err != "" && err == nil:
				t.Fatalf("parseScore(%q) = %v, want error containing %q", tc.in, got, tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Fatalf("parseScore(%q) error %q does not contain %q", tc.in, err, tc.err)
			case got != tc.want:
				t.Errorf("parseScore(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestValidHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"example.com", true},
		{"a-b.example.co.uk", true},
		{"bücher.de", true},
		{"xn--bcher-kva.de", true},
		{"пример.рф", true},
		{"_slp._tcp.example.com", false},
		{"_.example.com", false},
		{"konto_identity.example.tk", false},
		{"www_example_com.example.com", false},
		{"example", false},
		{"a..example", false},
		{"a b.example", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			if got := validHost(tc.host); got != tc.want {
				t.Errorf("validHost(%q) = %v, want %v", tc.host, got, tc.want)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // each warning, in order
	}{
		{"short open stem and duplicate term", map[string]string{"de/profanity.rules": "*fick*\nx\nx | id=other"},
			[]string{`de/profanity.rules:1: warning: *fick* matches`, `de/profanity.rules:3: warning: "x" is already listed at de/profanity.rules:2`}},
		{"duplicate term in another case and spacing", map[string]string{"en/hate.rules": "go  back\nGo back | id=other"},
			[]string{`en/hate.rules:2: warning: "Go back" is already listed at en/hate.rules:1`}},
		{"duplicate exception", map[string]string{"en/harassment.rules": "!you idiot proof\nidiot\n!you idiot proof"},
			[]string{`en/harassment.rules:3: warning: exception "!you idiot proof" is already listed at en/harassment.rules:1`}},
		{"duplicate exception in another case", map[string]string{"en/harassment.rules": "!idiot box\n!Idiot  Box"},
			[]string{`en/harassment.rules:2: warning: exception "!Idiot  Box" is already listed at en/harassment.rules:1`}},
		{"exception with empty options", map[string]string{"en/harassment.rules": "!idiot box | "}, nil},
		{"same exception in two files", map[string]string{"en/harassment.rules": "!idiot box", "en/hate.rules": "!idiot box"}, nil},
		{"term and exception with the same words", map[string]string{"en/harassment.rules": "idiot\n!idiot"}, nil},
		{"same term in two files of one language and category", map[string]string{
			"en/harassment.rules": "scum",
			"en/hate.rules":       "scum | category=harassment",
		}, []string{`en/hate.rules:1: warning: "scum" is already listed at en/harassment.rules:1`}},
		{"same term in two categories", map[string]string{"en/harassment.rules": "scum", "en/hate.rules": "scum"}, nil},
		{"same term in one file for two categories", map[string]string{"en/hate.rules": "scum\nscum | category=harassment id=harassment.en.scum"}, nil},
		{"same term in two languages", map[string]string{"en/hate.rules": "scum", "de/hate.rules": "scum"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, problems := Parse(folder(tc.files))
			if set == nil {
				t.Fatal("no set")
			}
			if len(problems) != len(tc.want) {
				t.Fatalf("problems = %v, want %d warnings %q", problems, len(tc.want), tc.want)
			}
			for i, p := range problems {
				if !p.Warning {
					t.Errorf("%s is an error, want a warning", p)
				}
				if !strings.HasPrefix(p.String(), tc.want[i]) {
					t.Errorf("problem %d = %q, want it to start with %q", i, p, tc.want[i])
				}
			}
		})
	}
}

func TestDuplicateExceptionListedOnce(t *testing.T) {
	set, _ := Parse(folder(map[string]string{"en/harassment.rules": "!idiot box\n!idiot box"}))
	var n int
	for _, r := range set.Rules {
		if r.Kind == Exception {
			n++
		}
	}
	if n != 1 {
		t.Errorf("got %d exceptions, want 1", n)
	}
}

func TestVersionChangesWithContent(t *testing.T) {
	a, _ := Parse(folder(map[string]string{"en/hate.rules": "x"}))
	b, _ := Parse(folder(map[string]string{"en/hate.rules": "x"}))
	c, _ := Parse(folder(map[string]string{"en/hate.rules": "y"}))
	d, _ := Parse(folder(map[string]string{"en/spam.rules": "x"}))
	if a.Version != b.Version {
		t.Error("same content, different versions")
	}
	if a.Version == c.Version || a.Version == d.Version {
		t.Error("different content or path, same version")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("vermin\ngo back ~2 home | score=0.3\n/a+b/ | id=x.y\n!abc\n$email | min=3\n@score 0.7")
	f.Add("@id x.y\n*a*\n~3\n | \n| score=")
	f.Add("@kind negation 0.3 phrases hate\n@context negation\n@scope before:2\nnot\n!not only\n@context addressee\nyou | scope=after:1")
	f.Fuzz(func(t *testing.T, data string) {
		set, problems := Parse(folder(map[string]string{"en/hate.rules": data, "hosts/h.hosts": data, "en/context.rules": data}))
		for _, p := range problems {
			if p.Pos == "" || p.Msg == "" {
				t.Fatalf("problem without position or message: %+v", p)
			}
		}
		if set != nil {
			for _, r := range set.Rules {
				if r.Kind != Exception && r.ID == "" {
					t.Fatalf("rule without id: %+v", r)
				}
				if r.Score <= 0 || r.Score > 1 {
					t.Fatalf("score out of range: %+v", r)
				}
			}
			for _, c := range set.Cues {
				if !c.Exception && (c.ID == "" || c.Kind == "") || len(c.Parts) == 0 {
					t.Fatalf("cue without id, kind or words: %+v", c)
				}
			}
			for _, c := range set.Contexts {
				if c.Factor <= 0 || c.Factor >= 1 || len(c.Categories) == 0 {
					t.Fatalf("context out of range: %+v", c)
				}
			}
		}
	})
}

func manyWords(n int) string {
	words := make([]string, n)
	for i := range words {
		words[i] = "w" + strings.Repeat(string(rune('a'+i%26)), 1+i/26) + "z"
	}
	return strings.Join(words, "|")
}
