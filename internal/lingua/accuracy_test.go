package lingua

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	lg "github.com/pemistahl/lingua-go"
)

var compare = flag.Bool("lingua.compare", false, "measure the accuracy of several configurations (slow)")

// evalFile is the labelled sentence file, relative to the module root.
const evalFile = "../shared/data/eval/lingua-sentences.jsonl"

// accuracyFloor is a regression gate a little under the measured overall
// accuracy of the default configuration on the sentences of the supported
// languages (0.988), not a target.
const accuracyFloor = 0.98

type row struct {
	Text string `json:"text"`
	Lang string `json:"lang"`
}

// loadEval returns the rows of the eval file with a known language, or
// skips when the file is absent.
func loadEval(tb testing.TB) []row {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("module root not found")
		}
		dir = parent
	}
	f, err := os.Open(filepath.Join(dir, evalFile))
	if os.IsNotExist(err) && os.Getenv("CI") != "" {
		tb.Fatalf("%s not present: CI must run with shared/ beside the repository", evalFile)
	} else if os.IsNotExist(err) {
		tb.Skipf("%s not present", evalFile)
	} else if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []row
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		var r row
		if err := json.Unmarshal(s.Bytes(), &r); err != nil {
			tb.Fatal(err)
		}
		if r.Lang != "" {
			rows = append(rows, r)
		}
	}
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

// noteLength joins consecutive rows of one language into texts of at least
// minBytes, the length of a typical note.
func noteLength(rows []row, minBytes int) []row {
	var out []row
	open := map[string]*strings.Builder{}
	for _, r := range rows {
		b := open[r.Lang]
		if b == nil {
			b = &strings.Builder{}
			open[r.Lang] = b
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(r.Text)
		if b.Len() >= minBytes {
			out = append(out, row{Text: b.String(), Lang: r.Lang})
			b.Reset()
		}
	}
	return out
}

// result is one answer of a detector.
type result struct {
	gold, got string
	conf      float64
	path      path
}

func run(d *Detector, rows []row) ([]result, time.Duration) {
	res := make([]result, len(rows))
	start := time.Now()
	for i, r := range rows {
		l, p := d.detect(strings.ToLower(r.Text))
		res[i] = result{gold: r.Lang, got: l.Code, conf: l.Confidence, path: p}
	}
	return res, time.Since(start)
}

// tally counts the answers for one gold language.
type tally struct {
	n, right, und int
	wrong         map[string]int
}

func (t *tally) add(got, gold string) {
	t.n++
	switch got {
	case gold:
		t.right++
	case "und":
		t.und++
	default:
		if t.wrong == nil {
			t.wrong = map[string]int{}
		}
		t.wrong[got]++
	}
}

// report summarises results, treating answers under minConf as und.
type report struct {
	langs []string
	in    map[string]*tally // gold language in the set
	all   tally             // all rows of the set
	out   tally             // gold language outside the set
	paths map[path]int      // rows of the set per deciding step
}

func summarise(res []result, langs []string, minConf float64) report {
	r := report{langs: langs, in: map[string]*tally{}, paths: map[path]int{}}
	for _, x := range res {
		got := x.got
		if x.conf < minConf {
			got = "und"
		}
		if !slices.Contains(langs, x.gold) {
			r.out.add(got, x.gold)
			continue
		}
		if r.in[x.gold] == nil {
			r.in[x.gold] = &tally{}
		}
		r.in[x.gold].add(got, x.gold)
		r.all.add(got, x.gold)
		r.paths[x.path]++
	}
	return r
}

func (r report) accuracy() float64 { return float64(r.all.right) / float64(r.all.n) }

func (r report) undShare() float64 { return float64(r.all.und) / float64(r.all.n) }

// precision is the share of correct answers among those that are not und.
func (r report) precision() float64 {
	return float64(r.all.right) / float64(r.all.n-r.all.und)
}

func (r report) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s %5s %7s %6s  %s\n", "lang", "rows", "correct", "und", "wrong answers")
	for _, l := range r.langs {
		if t := r.in[l]; t != nil {
			fmt.Fprintf(&b, "%-4s %5d %7.3f %6.3f  %s\n", l, t.n, float64(t.right)/float64(t.n),
				float64(t.und)/float64(t.n), top(t.wrong, 3))
		}
	}
	fmt.Fprintf(&b, "%-4s %5d %7.3f %6.3f  precision %.3f\n", "all", r.all.n, r.accuracy(), r.undShare(), r.precision())
	fmt.Fprintf(&b, "decided by: %s\n", r.pathShares())
	if r.out.n > 0 {
		fmt.Fprintf(&b, "languages outside the set: %d rows, und %.3f, answered %s ...\n", r.out.n,
			float64(r.out.und)/float64(r.out.n), top(r.out.wrong, 4))
	}
	return b.String()
}

func (r report) pathShares() string {
	names := []string{"nothing (und)", "script", "ru/uk letters", "function words", "lingua"}
	var parts []string
	for p, name := range names {
		parts = append(parts, fmt.Sprintf("%s %.3f", name, float64(r.paths[path(p)])/float64(r.all.n)))
	}
	return strings.Join(parts, ", ")
}

func top(m map[string]int, k int) string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b string) int { return m[b] - m[a] })
	var parts []string
	for _, key := range keys[:min(k, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s:%d", key, m[key]))
	}
	return strings.Join(parts, " ")
}

// TestAccuracy measures the default configuration on the eval sentences of
// the supported languages, and on note-length texts made of them.
func TestAccuracy(t *testing.T) {
	rows := loadEval(t)
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, took := run(d, rows)
	r := summarise(res, DefaultLanguages, 0)
	t.Logf("sentences, default configuration (%v):\n%s", took, r.table())
	if acc := r.accuracy(); acc < accuracyFloor {
		t.Errorf("overall accuracy %.3f, want >= %.3f", acc, accuracyFloor)
	}
	res, took = run(d, noteLength(rows, 250))
	t.Logf("note-length texts (>= 250 bytes), default configuration (%v):\n%s", took,
		summarise(res, DefaultLanguages, 0).table())
}

// TestAccuracyConfigurations compares the configurations that were tried.
// Run it with -lingua.compare -v.
func TestAccuracyConfigurations(t *testing.T) {
	if !*compare {
		t.Skip("run with -lingua.compare")
	}
	rows := loadEval(t)
	notes := noteLength(rows, 250)
	var evalLangs []string
	for _, r := range rows {
		if !slices.Contains(evalLangs, r.Lang) {
			evalLangs = append(evalLangs, r.Lang)
		}
	}
	latin := []string{"en", "es", "fr", "de", "pt", "it", "nl", "pl", "tr"}
	for _, c := range []struct {
		name  string
		opts  Options
		langs []string
	}{
		{"words + lingua, low accuracy (default)", Options{}, DefaultLanguages},
		{"lingua only, low accuracy", Options{noWords: true}, DefaultLanguages},
		{"lingua only, high accuracy", Options{noWords: true, HighAccuracy: true}, DefaultLanguages},
		{"words + lingua, high accuracy", Options{HighAccuracy: true}, DefaultLanguages},
		{"sample 128 bytes", Options{SampleBytes: 128}, DefaultLanguages},
		{"sample 512 bytes", Options{SampleBytes: 512}, DefaultLanguages},
		{"MinLetters 5", Options{MinLetters: 5}, DefaultLanguages},
		{"MinLetters 20", Options{MinLetters: 20}, DefaultLanguages},
		{"Others: the other Latin-script languages of lingua", Options{Others: otherLatin()}, DefaultLanguages},
		{"Latin-script languages only", Options{Languages: latin}, latin},
		{"all 27 eval languages (no word shortcut)", Options{Languages: evalLangs}, evalLangs},
	} {
		d, err := New(c.opts)
		if err != nil {
			t.Fatal(err)
		}
		res, took := run(d, rows)
		nres, ntook := run(d, notes)
		nr := summarise(nres, c.langs, 0)
		t.Logf("%s\nsentences (%v):\n%snote-length texts (%v): accuracy %.3f, und %.3f; decided by: %s",
			c.name, took, summarise(res, c.langs, 0).table(), ntook, nr.accuracy(), nr.undShare(), nr.pathShares())
	}
	var sweep []string
	for _, mc := range []float64{1e-9, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95} {
		d, err := New(Options{MinConfidence: mc})
		if err != nil {
			t.Fatal(err)
		}
		res, _ := run(d, rows)
		r := summarise(res, DefaultLanguages, 0)
		sweep = append(sweep, fmt.Sprintf("MinConfidence %.2f: accuracy %.3f, und %.3f, precision %.3f, outside the set und %.3f",
			mc, r.accuracy(), r.undShare(), r.precision(), float64(r.out.und)/float64(r.out.n)))
	}
	t.Logf("default configuration, sentences:\n%s", strings.Join(sweep, "\n"))
}

// otherLatin returns the Latin-script languages lingua knows beyond the
// default set.
func otherLatin() []string {
	var out []string
	for _, l := range lg.AllLanguagesWithLatinScript() {
		c := strings.ToLower(l.IsoCode639_1().String())
		if !slices.Contains(DefaultLanguages, c) && l != lg.Latin {
			out = append(out, c)
		}
	}
	return out
}
