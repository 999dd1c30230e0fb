package lingua

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkDetect times Detect on each note of testdata/notes.jsonl,
// lower-cased as the normaliser hands it over.
func BenchmarkDetect(b *testing.B) {
	d, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	seen := map[string]int{}
	for _, n := range loadNotes(b) {
		seen[n.Lang]++
		text := strings.ToLower(n.Text)
		b.Run(fmt.Sprintf("%s-%d", n.Lang, seen[n.Lang]), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				d.Detect(text)
			}
		})
	}
}

// BenchmarkDetectMix calls Detect on the notes in turn and reports the
// median, 90th and 99th percentile of the single calls.
func BenchmarkDetectMix(b *testing.B) {
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"default", Options{}},
		{"lingua-only", Options{noWords: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			d, err := New(c.opts)
			if err != nil {
				b.Fatal(err)
			}
			var texts []string
			for _, n := range loadNotes(b) {
				texts = append(texts, strings.ToLower(n.Text))
			}
			durs := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				start := time.Now()
				d.Detect(texts[i%len(texts)])
				durs = append(durs, time.Since(start))
				i++
			}
			reportPercentiles(b, durs)
		})
	}
}

func reportPercentiles(b *testing.B, durs []time.Duration) {
	slices.Sort(durs)
	at := func(q float64) float64 { return float64(durs[int(q*float64(len(durs)-1))].Nanoseconds()) }
	b.ReportMetric(at(0.5), "p50-ns")
	b.ReportMetric(at(0.9), "p90-ns")
	b.ReportMetric(at(0.99), "p99-ns")
}

// BenchmarkDetectEval calls Detect on the eval sentences and on note-length
// texts made of them, in a fixed shuffled order, and reports the percentiles
// of the single calls. It skips when the eval file is absent.
// Unless the name says "all-languages", only rows of the default languages
// are used.
func BenchmarkDetectEval(b *testing.B) {
	all := loadEval(b)
	var rows []row
	for _, r := range all {
		if slices.Contains(DefaultLanguages, r.Lang) {
			rows = append(rows, r)
		}
	}
	notes := noteLength(rows, 250)
	for _, c := range []struct {
		name string
		rows []row
		opts Options
	}{
		{"sentences", rows, Options{}},
		{"notes", notes, Options{}},
		{"notes/sample-128", notes, Options{SampleBytes: 128}},
		{"notes/sample-512", notes, Options{SampleBytes: 512}},
		{"notes/lingua-only", notes, Options{noWords: true}},
		{"notes/all-languages", noteLength(all, 250), Options{}},
		{"notes/all-languages/others", noteLength(all, 250), Options{Others: otherLatin()}},
	} {
		b.Run(c.name, func(b *testing.B) {
			d, err := New(c.opts)
			if err != nil {
				b.Fatal(err)
			}
			texts := make([]string, len(c.rows))
			for i, r := range c.rows {
				texts[i] = strings.ToLower(r.Text)
			}
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(texts), func(i, j int) { texts[i], texts[j] = texts[j], texts[i] })
			durs := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				start := time.Now()
				d.Detect(texts[i%len(texts)])
				durs = append(durs, time.Since(start))
				i++
			}
			reportPercentiles(b, durs)
		})
	}
}
