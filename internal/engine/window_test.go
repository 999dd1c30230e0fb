package engine

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/normalize"
	"github.com/aup-dev/aup/internal/rules"
	bundled "github.com/aup-dev/aup/rules"
)

func TestMaxMatchLen(t *testing.T) {
	tests := []struct {
		expr string
		base int
		runs []int // coefficients, by class in order of first use
		inf  bool
	}{
		{expr: `kill`, base: 4},
		{expr: `(?i)kill`, base: 6}, // "k" also matches the Kelvin sign, 3 bytes
		{expr: `\bki(?:ll|lled)\b`, base: 6},
		{expr: `[a-cé]x?`, base: 3},
		{expr: `.`, base: 4},
		{expr: `(?:ab){2,3}`, base: 6},
		{expr: `\w+ \W+\w*`, base: 1, runs: []int{2, 1}},
		{expr: `(?:\w+\W+){0,3}`, runs: []int{3, 3}},
		{expr: `a(?:\w+|x\w{1,2})`, base: 4, runs: []int{1}},
		{expr: `l+o*`, runs: []int{1, 1}},
		{expr: `(?:\b)*x`, base: 1},
		{expr: `(?:ab)+`, inf: true},
		{expr: `(?:a\W+)*b`, inf: true},
		{expr: `a{2,}`, runs: []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			var rc runClasses
			b := maxMatchLen(tc.expr, &rc)
			if b.unbounded != tc.inf {
				t.Fatalf("unbounded = %v, want %v", b.unbounded, tc.inf)
			}
			if tc.inf {
				return
			}
			var runs []int
			for _, r := range b.runs {
				runs = append(runs, r.coef)
			}
			if b.base != tc.base || !slices.Equal(runs, tc.runs) {
				t.Errorf("bound = %d + %v, want %d + %v", b.base, runs, tc.base, tc.runs)
			}
		})
	}
}

func TestLongestRuns(t *testing.T) {
	var rc runClasses
	w := rc.id([]rune{'0', '9', 'A', 'Z', '_', '_', 'a', 'z'})
	nw := rc.id([]rune{0, '/', ':', '@', '[', '^', '`', '`', '{', 0x10ffff})
	cyr := rc.id([]rune{0x400, 0x4ff})
	got := newRunSet(rc.list).longest("ab  привет, --- abcdef\xffé")
	want := make([]int, 3)
	want[w], want[nw], want[cyr] = 6, 20, 12 // Cyrillic letters are \W
	if !slices.Equal(got, want) {
		t.Errorf("longest = %v, want %v", got, want)
	}
}

// TestWindowedPatternsRandom compares, on random texts over a few
// characters, every match of patterns with assertions (\b, ^, $, (?m)) run
// in windows with the matches over the whole text.
func TestWindowedPatternsRandom(t *testing.T) {
	exprs := []string{
		`\bab\b`, `\Bab`, `ab\B`, `^ab`, `ab$`, `(?m)^ab\W+b`, `(?m)b\s*$`, `\bba+\b`,
		`(?:ab|ba)\W+(?:\w+\W+){0,2}?ab\b`, `é+ab\w{0,3}`, `[^a]ab[^b]`, `\bab(?:\W+b){1,3}\b`,
		`(?i)ab\s+ab`, `(?:^|\W)aa(?:$|\W)`, `.ab.`, `\b(?:aab|bba|ab\W+ab)\b`,
	}
	var list strings.Builder
	for i, expr := range exprs {
		fmt.Fprintf(&list, "/%s/ | id=hate.p%d score=0.5\n", expr, i)
	}
	files := fstest.MapFS{"policy.conf": {Data: []byte(testPolicy)}, "any/hate.rules": {Data: []byte(list.String())}}
	set, err := rules.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	c, err := compile(set, "test")
	if err != nil {
		t.Fatal(err)
	}
	pieces := []string{"a", "b", "ab", "ab", " ", "  ", "\n", "é", ",", "x", "ba"}
	r := rand.New(rand.NewSource(1))
	windowed := 0
	for range 300 {
		var b strings.Builder
		for n := 50 + r.Intn(3000); b.Len() < n; {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		if r.Intn(4) == 0 { // sparse: the literals far apart
			b.Reset()
			for n := 50 + r.Intn(3000); b.Len() < n; {
				if r.Intn(40) == 0 {
					b.WriteString(pieces[r.Intn(len(pieces))])
				} else {
					b.WriteString([]string{"x", "y", " ", "\n"}[r.Intn(4)])
				}
			}
		}
		windowed += compareWindowed(t, c, b.String())
	}
	t.Logf("%d pattern runs in windows", windowed)
	if windowed == 0 {
		t.Error("no pattern ran in windows")
	}
}

// compareWindowed checks that every bounded pattern of c that passes the
// prefilter on text finds, run in windows, the matches it finds over the
// whole text, and returns how many ran in windows.
func compareWindowed(t *testing.T, c *compiled, text string) int {
	t.Helper()
	long := &windowedText{c: c, text: text}
	seen := c.seenSets(c.findLiterals(text, long))
	windowed := 0
	for i := range c.patterns {
		p := &c.patterns[i]
		if p.first == nil || seen == nil || seen[i] != p.sets {
			continue
		}
		got, want := long.find(p), p.re.FindAllStringIndex(text, maxPerRule)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s on %q: windows found %v, the whole text %v", p.re, text, got, want)
		}
		bound := p.bound.base
		for _, r := range p.bound.runs {
			bound += r.coef * long.runs[r.class]
		}
		if long.windows(p, bound) != nil {
			windowed++
		}
	}
	return windowed
}

// evalBlobs returns long texts made of rows of the labelled files
// (shared/data/eval beside the repository): for each file, blobs of 10 to
// 64 KiB of rows drawn with a fixed seed, joined by spaces, newlines or
// sentence ends. It skips when the files are absent, except in CI.
func evalBlobs(tb testing.TB, perFile int) []string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			tb.Skip("module root not found")
		}
		dir = filepath.Dir(dir)
	}
	files, err := filepath.Glob(filepath.Join(dir, "../shared/data/eval/*.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		if os.Getenv("CI") != "" {
			tb.Fatal("../shared/data/eval not present: CI must run with shared/ beside the repository")
		}
		tb.Skip("../shared/data/eval not present")
	}
	var blobs []string
	for fi, name := range files {
		var texts []string
		f, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var row struct {
				Text string `json:"text"`
			}
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			texts = append(texts, row.Text)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
		r := rand.New(rand.NewSource(int64(fi)))
		for range perFile {
			size := 10<<10 + r.Intn(54<<10)
			if raceEnabled { // the whole-text path is ten times slower
				size = 5<<10 + r.Intn(5<<10)
			}
			var b strings.Builder
			for b.Len() < size {
				b.WriteString(texts[r.Intn(len(texts))])
				b.WriteString([]string{" ", "\n", ". ", "\n\n"}[r.Intn(4)])
			}
			blobs = append(blobs, b.String())
		}
	}
	return blobs
}

// blobsPerFile is how many long texts TestWindowedVerdictsEqual makes of
// each labelled file: the whole-text path it compares with takes seconds on
// some of them.
var blobsPerFile = flag.Int("engine.blobs", 1, "long texts per labelled file in TestWindowedVerdictsEqual")

// cueName is the context cue a "context" signal's detail names. When cues
// of several languages match the same words (es and pt "diagnóstico", es
// "policía" and pt "polícia", en "patient" and nl "patiënt"), which one it
// names varies from run to run on either path: the context scan reads its
// cues out of a map.
var cueName = regexp.MustCompile(`\(cue [^)]*\)`)

// TestWindowedVerdictsEqual screens long texts made of labelled rows with
// the bundled rules twice, patterns in windows and over the whole text, and
// wants the same verdicts: action, every category's score before and after
// the policy, matches and their offsets, signals. On every other text it
// also compares each pattern's matches, in both views of the text.
func TestWindowedVerdictsEqual(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole-text path takes seconds on some texts")
	}
	blobs := evalBlobs(t, *blobsPerFile)
	if raceEnabled { // a third of the texts, all still over the 4 KiB threshold
		for i := range (len(blobs) + 2) / 3 {
			blobs[i] = blobs[3*i]
		}
		blobs = blobs[:(len(blobs)+2)/3]
	}
	set, err := rules.Load(bundled.FS)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := compile(set, "test")
	if err != nil {
		t.Fatal(err)
	}
	whole.windowMin = 0
	windowed, err := compile(set, "test")
	if err != nil {
		t.Fatal(err)
	}
	windowed.windowMin = 1
	lang := moderation.Language{Code: moderation.Undetermined} // every language's rules apply
	byCategory := func(a, b moderation.CategoryScore) int {
		return strings.Compare(string(a.Category), string(b.Category))
	}
	flagged, disguised, ran := 0, 0, 0
	for i, text := range blobs {
		f := normalize.Fold(text)
		w := normalize.WordsOf(&f)
		want, got := whole.screenWords(&f, &w, lang), windowed.screenWords(&f, &w, lang)
		for _, v := range []*moderation.Verdict{&want, &got} {
			slices.SortFunc(v.Categories, byCategory)
			for i := range v.Signals {
				v.Signals[i].Detail = cueName.ReplaceAllString(v.Signals[i].Detail, "(cue)")
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("blob %d (%d bytes): windowed\n%+v\nwhole text\n%+v", i, len(text), got, want)
		}
		decide(&want, whole.thresholds)
		decide(&got, windowed.thresholds)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("blob %d (%d bytes): windowed verdict\n%+v\nwhole-text verdict\n%+v", i, len(text), got, want)
		}
		if want.Action != moderation.Allow {
			flagged++
		}
		if i%2 == 0 {
			if w.Disguised {
				disguised++
				ran += compareWindowed(t, windowed, w.Text)
			}
			ran += compareWindowed(t, windowed, f.Text)
		}
	}
	t.Logf("%d blobs, %d flagged; %d disguised words views compared; %d pattern runs in windows", len(blobs), flagged, disguised, ran)
	if flagged == 0 || ran == 0 {
		t.Error("the blobs exercise nothing: none flagged or no pattern ran in windows")
	}
}
