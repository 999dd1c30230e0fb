package linear

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/models"
)

// bundledModel loads the committed model.
func bundledModel(tb testing.TB) *Model {
	tb.Helper()
	m, err := Load(bytes.NewReader(models.Linear))
	if err != nil {
		tb.Fatalf("the bundled model: %v", err)
	}
	return m
}

// benchTexts are ~300-byte notes in several languages, each varied per call.
var benchTexts = []string{
	"Meeting notes %d: the project deadline moved to Friday, so please review the draft before lunch. Remember to buy milk, call the dentist and water the tomatoes twice a week. Ideas for the garden: basil, mint, and a small bench near the fence where we can sit.",
	"Notas %d: la reunión se movió al viernes, así que revisad el borrador antes del almuerzo. Recordad comprar leche, llamar al dentista y regar los tomates dos veces por semana. Ideas para el jardín: albahaca, menta y un banco pequeño junto a la valla.",
	"Заметки %d: встречу перенесли на пятницу, поэтому просмотрите черновик до обеда. Не забудьте купить молоко, позвонить стоматологу и поливать помидоры дважды в неделю.",
	"Note %d: you are a worthless idiot and everyone at the office knows it. Free spins at our online casino, claim your sign-up bonus now at bit.ly/x and call +44 20 7946 0958. Honestly this place is full of vermin, go back to where you came from.",
}

func notes(n int) []string {
	out := make([]string, n)
	for i := range out {
		s := fmt.Sprintf(benchTexts[i%len(benchTexts)], i)
		out[i] = s[:min(len(s), 300)]
	}
	return out
}

// BenchmarkClassify measures Classify on the bundled model: a 300-byte note
// (the check path's case; it reports the median per call) and a 64 KiB text
// (the longest the service accepts by default).
func BenchmarkClassify(b *testing.B) {
	m := bundledModel(b)
	b.Run("note300", func(b *testing.B) {
		ns := notes(1024)
		var times []time.Duration
		b.SetBytes(300)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			t0 := time.Now()
			m.Classify(ns[i%len(ns)])
			times = append(times, time.Since(t0))
			i++
		}
		slices.Sort(times)
		b.ReportMetric(float64(times[len(times)/2].Nanoseconds()), "ns-median")
		b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds()), "ns-p99")
	})
	b.Run("text64k", func(b *testing.B) {
		var sb strings.Builder
		for i := 0; sb.Len() < 64<<10; i++ {
			fmt.Fprintf(&sb, benchTexts[i%len(benchTexts)]+"\n", i)
		}
		text := sb.String()[:64<<10]
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for b.Loop() {
			m.Classify(text)
		}
	})
}

// BenchmarkFeatures is the n-gram step alone, on the word view of a note.
func BenchmarkFeatures(b *testing.B) {
	m := bundledModel(b)
	var x extractor
	s := " meeting notes the project deadline moved to friday so please review the draft before lunch remember to buy milk call the dentist and water the tomatoes twice a week ideas for the garden basil mint and a small bench near the fence where we can sit "
	for b.Loop() {
		x.features(s, m.p)
	}
}

func TestBundledModel(t *testing.T) {
	m := bundledModel(t)
	if len(m.Heads()) == 0 || len(m.Version()) != 16 {
		t.Fatalf("%d heads, version %q", len(m.Heads()), m.Version())
	}
	for _, h := range m.Heads() {
		if !(h.Threshold > 0 && h.Threshold < 1) {
			t.Errorf("%s: threshold %v", h.Category, h.Threshold)
		}
	}
	// Smoke tests with a wide margin; linear.json has the real figures.
	for _, note := range notes(3) {
		for _, s := range m.Classify(note) {
			if s.P >= s.Threshold {
				t.Errorf("an ordinary note is %s (P %.3f, threshold %.3f): %.40q", s.Category, s.P, s.Threshold, note)
			}
		}
	}
	fired := false
	for _, s := range m.Classify("you are a worthless idiot") {
		fired = fired || s.P >= s.Threshold
	}
	if !fired {
		t.Error("an insult is not flagged")
	}
}

// BenchmarkLogits is the scoring step alone, on the features of a note.
func BenchmarkLogits(b *testing.B) {
	m := bundledModel(b)
	var x extractor
	ents, inv := x.features(" meeting notes the project deadline moved to friday so please review the draft before lunch remember to buy milk call the dentist and water the tomatoes twice a week ideas for the garden basil mint and a small bench near the fence where we can sit ", m.p)
	z := make([]float32, len(m.heads))
	for b.Loop() {
		m.logits(ents, inv, z)
	}
}

// TestOrdinaryNotes runs the bundled model over ordinary notes written for
// the tests. The toxicity heads must stay quiet on them; the other heads are
// only reported: they were learned from SMS spam and jailbreak prompts, and
// short imperative to-do notes ("call the plumber") look like those (see
// models/README.md).
func TestOrdinaryNotes(t *testing.T) {
	m := bundledModel(t)
	data, err := os.ReadFile("testdata/ordinary-notes.txt")
	if err != nil {
		t.Fatal(err)
	}
	quiet := []moderation.Category{moderation.Harassment, moderation.Hate, moderation.Violence, moderation.Sexual}
	fired := map[moderation.Category]int{}
	n := 0
	for _, note := range strings.Split(string(data), "\n") {
		if note == "" || strings.HasPrefix(note, "#") {
			continue
		}
		n++
		for _, s := range m.Classify(note) {
			if s.P < s.Threshold {
				continue
			}
			fired[s.Category]++
			if slices.Contains(quiet, s.Category) {
				t.Errorf("%q is %s (P %.3f, threshold %.3f)", note, s.Category, s.P, s.Threshold)
			}
		}
	}
	t.Logf("heads that fired on %d ordinary notes: %v", n, fired)
}
