package engine

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/linear"
	"github.com/aup-dev/aup/internal/lingua"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/normalize"
	"github.com/aup-dev/aup/internal/rules"
	"github.com/aup-dev/aup/models"
	bundled "github.com/aup-dev/aup/rules"
)

// notes are ~300-byte notes in several languages, varied per iteration so
// that nothing is cached: the benchmark measures the engine, not the cache.
var noteTemplates = []string{
	"Meeting notes %d: the project deadline moved to Friday, so please review the draft before lunch. Remember to buy milk, call the dentist and water the tomatoes twice a week. Ideas for the garden: basil, mint, and a small bench near the fence where we can sit.",
	"Notas %d: la reunión se movió al viernes, así que revisad el borrador antes del almuerzo. Recordad comprar leche, llamar al dentista y regar los tomates dos veces por semana. Ideas para el jardín: albahaca, menta y un banco pequeño junto a la valla.",
	"Notizen %d: Das Treffen wurde auf Freitag verschoben, bitte lest den Entwurf vor dem Mittagessen. Denkt daran, Milch zu kaufen, den Zahnarzt anzurufen und die Tomaten zweimal pro Woche zu gießen. Ideen für den Garten: Basilikum, Minze und eine kleine Bank.",
	"Note %d : la réunion est déplacée à vendredi, merci de relire le brouillon avant le déjeuner. Pensez à acheter du lait, appeler le dentiste et arroser les tomates deux fois par semaine. Idées pour le jardin : basilic, menthe et un petit banc près de la clôture.",
	"Note %d: you are a worthless idiot and everyone at the office knows it. Free spins at our online casino, claim your sign-up bonus now at bit.ly/x and call +44 20 7946 0958. Honestly this place is full of vermin, go back to where you came from.",
}

func benchNotes(n int) []string {
	notes := make([]string, n)
	for i := range notes {
		s := fmt.Sprintf(noteTemplates[i%len(noteTemplates)], i)
		notes[i] = s[:min(len(s), 300)]
	}
	return notes
}

func bundledEngine(tb testing.TB) (*Engine, *lingua.Detector) {
	tb.Helper()
	set, err := rules.Load(bundled.FS)
	if err != nil {
		tb.Fatal(err)
	}
	det, err := lingua.New(lingua.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	e, err := New(set, Options{Detector: det})
	if err != nil {
		tb.Fatal(err)
	}
	return e, det
}

// BenchmarkScreen is the budget of the first issue: the in-process engine as
// aup serve runs it (bundled rules and model) on a 300-byte note, no cache.
// It reports the median and p99 per call and the median of each stage.
func BenchmarkScreen(b *testing.B) {
	_, det := bundledEngine(b)
	model, err := linear.Load(bytes.NewReader(models.Linear))
	if err != nil {
		b.Fatal(err)
	}
	set, err := rules.Load(bundled.FS)
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(set, Options{Detector: det, Linear: model, LinearID: "linear:" + model.Version()})
	if err != nil {
		b.Fatal(err)
	}
	cur := e.current.Load()
	notes := benchNotes(1000)
	ctx := context.Background()
	var total, norm, detect, match, policy, classify []time.Duration
	r := rand.New(rand.NewSource(1))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		text := notes[i%len(notes)] + fmt.Sprint(r.Int()) // unique: no cache involved anyway
		t0 := time.Now()
		f := normalize.Fold(text)
		w := normalize.WordsOf(&f)
		t1 := time.Now()
		lang := det.Detect(f.Text)
		t2 := time.Now()
		v := cur.screenWords(&f, &w, lang)
		t3 := time.Now()
		decide(&v, cur.thresholds)
		t4 := time.Now()
		model.Classify(text)
		t5 := time.Now()
		norm, detect, match, policy = append(norm, t1.Sub(t0)), append(detect, t2.Sub(t1)), append(match, t3.Sub(t2)), append(policy, t4.Sub(t3))
		classify = append(classify, t5.Sub(t4))
		t5 = time.Now()
		if _, err := e.Screen(ctx, moderation.Content{Text: text}); err != nil {
			b.Fatal(err)
		}
		total = append(total, time.Since(t5))
	}
	b.StopTimer()
	b.ReportMetric(pct(total, 0.5), "p50-ns")
	b.ReportMetric(pct(total, 0.99), "p99-ns")
	b.ReportMetric(pct(norm, 0.5), "normalise-p50-ns")
	b.ReportMetric(pct(detect, 0.5), "detect-p50-ns")
	b.ReportMetric(pct(match, 0.5), "match-p50-ns")
	b.ReportMetric(pct(policy, 0.5), "policy-p50-ns")
	b.ReportMetric(pct(classify, 0.5), "model-p50-ns")
}

func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(p*float64(len(s))))].Nanoseconds())
}

// BenchmarkScreenLong screens the largest text the API accepts by default.
func BenchmarkScreenLong(b *testing.B) {
	e, _ := bundledEngine(b)
	text := strings.Repeat(benchNotes(5)[4]+" ", 64<<10/301)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := e.Screen(context.Background(), moderation.Content{Text: text}); err != nil {
			b.Fatal(err)
		}
	}
}
