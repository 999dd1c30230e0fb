package linear

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
)

var (
	benignWords = strings.Fields("milk bread garden meeting tomorrow project lunch friday coffee notes " +
		"book train weather music family holiday report draft office tomatoes dentist parcel courier")
	insultWords = strings.Fields("idiot moron stupid worthless loser pathetic")
	spamWords   = strings.Fields("free prize winner claim cash txt urgent bonus")
)

// synth makes n labelled notes: benign ones, insulting ones (harassment)
// and spam, in turn.
func synth(seed uint64, n int) []Example {
	rng := rand.New(rand.NewPCG(seed, 7))
	pick := func(ws []string) string { return ws[rng.IntN(len(ws))] }
	exs := make([]Example, n)
	for i := range exs {
		var ws []string
		for range 6 + rng.IntN(6) {
			ws = append(ws, pick(benignWords))
		}
		ex := Example{ID: fmt.Sprintf("synth%d:%d", seed, i)}
		switch i % 3 {
		case 1:
			ws = append(ws, "you", pick(insultWords), pick(insultWords))
			ex.Labels = []moderation.Category{moderation.Harassment, moderation.Profanity}
		case 2:
			ws = append(ws, pick(spamWords), pick(spamWords), "now")
			ex.Labels = []moderation.Category{moderation.Spam}
		}
		rng.Shuffle(len(ws), func(a, b int) { ws[a], ws[b] = ws[b], ws[a] })
		ex.Text = strings.Join(ws, " ")
		exs[i] = ex
	}
	return exs
}

func smallOptions() Options {
	o := DefaultOptions()
	o.Bits, o.MinPositives, o.Folds, o.Epochs = 12, 20, 3, 4
	return o
}

var (
	smallOnce  sync.Once
	smallM     *Model
	smallRep   *Report
	smallError error
)

// smallModel is a model trained on synthetic notes, shared by the tests.
func smallModel(t testing.TB) (*Model, *Report) {
	t.Helper()
	smallOnce.Do(func() { smallM, smallRep, smallError = Train(synth(1, 900), smallOptions()) })
	if smallError != nil {
		t.Fatal(smallError)
	}
	return smallM, smallRep
}

func TestTrainSeparates(t *testing.T) {
	m, rep := smallModel(t)
	var cats []moderation.Category
	for _, h := range m.Heads() {
		cats = append(cats, h.Category)
	}
	// Profanity is excluded; heads come in the policy's category order.
	if want := []moderation.Category{moderation.Harassment, moderation.Spam}; !slices.Equal(cats, want) {
		t.Fatalf("heads %v, want %v", cats, want)
	}
	for _, h := range rep.Heads {
		if h.Recall < 0.95 || h.FPR > smallOptions().TargetFPR {
			t.Errorf("cross-fitted %s: recall %.3f, FPR %.3f", h.Category, h.Recall, h.FPR)
		}
	}
	wrong := 0
	test := synth(2, 300)
	for _, ex := range test {
		for _, s := range m.Classify(ex.Text) {
			if got, want := s.P >= s.Threshold, slices.Contains(ex.Labels, s.Category); got != want {
				wrong++
			}
		}
	}
	if wrong > len(test)*2/100 {
		t.Errorf("%d of %d head decisions on unseen notes are wrong", wrong, 2*len(test))
	}
}

func TestTrainDeterministic(t *testing.T) {
	exs := synth(3, 300)
	var files [][]byte
	for _, workers := range []int{1, 2, 1} {
		o := smallOptions()
		o.Workers = workers
		m, _, err := Train(exs, o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	for i := 1; i < len(files); i++ {
		if !bytes.Equal(files[0], files[i]) {
			t.Fatalf("run %d gave a different model file", i)
		}
	}
}

func TestTrainErrors(t *testing.T) {
	exs := synth(4, 60)
	for _, tc := range []struct {
		name string
		opt  func(*Options)
		want string
	}{
		{"too few positives", func(o *Options) { o.MinPositives = 1000 }, "no category has 1000 positive"},
		{"bits", func(o *Options) { o.Bits = 40 }, "bits"},
		{"n-grams", func(o *Options) { o.CharMin, o.CharMax = 4, 3 }, "character n-grams"},
		{"folds", func(o *Options) { o.Folds = 1 }, "folds"},
		{"fpr", func(o *Options) { o.TargetFPR = 1 }, "target FPR"},
		{"diverges", func(o *Options) { o.LearningRate = 1e30 }, "diverged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := smallOptions()
			o.MinPositives = 5
			tc.opt(&o)
			_, _, err := Train(exs, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one that mentions %q", err, tc.want)
			}
		})
	}
}

func TestThreshold(t *testing.T) {
	neg := make([]float64, 100)
	for i := range neg {
		neg[i] = float64(i) / 100 // 0.00 ... 0.99
	}
	for _, tc := range []struct {
		neg    []float64
		target float64
		want   float64
	}{
		{neg, 0.02, 0.9701}, // 0.98 and 0.99 may score above
		{neg, 0, 0.9901},
		{neg, 0.5, 0.4901},
		{nil, 0.02, 0.5},
		{[]float64{0.3}, 0.99, 0.3001},
	} {
		got := threshold(tc.neg, tc.target)
		if got != tc.want {
			t.Errorf("threshold(%d negatives, %v) = %v, want %v", len(tc.neg), tc.target, got, tc.want)
		}
		if n := len(tc.neg); n > 0 && shareAtLeast(tc.neg, got) > tc.target {
			t.Errorf("threshold %v lets %.3f of negatives through, more than %v", got, shareAtLeast(tc.neg, got), tc.target)
		}
	}
}

func TestMixed(t *testing.T) {
	exs := synth(5, 90) // 30 benign, 30 harassment, 30 spam
	cats := []moderation.Category{moderation.Harassment, moderation.Spam}
	o := smallOptions()
	o.Mix = 0
	if got := mixed(exs, cats, o); len(got) != 0 {
		t.Fatalf("Mix 0 made %d examples", len(got))
	}
	o.Mix = 1
	got := mixed(exs, cats, o)
	if len(got) != 120 || !slices.EqualFunc(got, mixed(exs, cats, o), func(a, b Example) bool { return a.Text == b.Text }) {
		t.Fatalf("%d mixed examples, or not deterministic", len(got))
	}
	for i, ex := range got[:60] {
		src := exs[3*(i/2)+1+i%2] // the positives, in order
		if ex.ID != src.ID || !strings.Contains(ex.Text, src.Text) || len(ex.Text) <= len(src.Text) {
			t.Fatalf("mixed positive %d (%q) is not %q in context", i, ex.Text, src.Text)
		}
	}
	for _, ex := range got[60:] {
		if len(ex.Labels) != 0 {
			t.Fatalf("a mixed negative has labels %v", ex.Labels)
		}
	}
}
