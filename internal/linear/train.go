package linear

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/normalize"
)

// Example is one labelled text to train on.
type Example struct {
	// ID assigns the example to a cross-fitting fold (by a hash, so the
	// folds do not depend on the order of the examples).
	ID   string
	Text string
	// Labels are the categories the text is a positive example of; it is a
	// negative example for every other head.
	Labels []moderation.Category
	// Weight scales the example's loss, on top of the class balancing; 0
	// counts as 1. Unreviewed text used as negatives is down-weighted.
	Weight float64
}

// Options are the training settings. [DefaultOptions] gives the ones aup's
// model is trained with.
type Options struct {
	Bits       int // 2^Bits hashed buckets
	CharMin    int // character n-gram lengths, word boundaries included
	CharMax    int
	WordNgrams int // 1: word unigrams; 2: unigrams and bigrams
	Window     int // bytes of word view scored at once

	Epochs       int     // passes over the examples
	LearningRate float64 // AdaGrad step size
	L2           float64 // L2 penalty, applied to the weights an example touches
	Seed         uint64  // seeds the order of the examples in each epoch

	// MinPositives is the number of positive examples a category needs to
	// get a head.
	MinPositives int
	// Exclude lists categories that never get a head.
	Exclude []moderation.Category
	// TargetFPR sets each head's threshold: the lowest probability at which
	// at most this share of the head's negatives score, as measured by
	// cross-fitting (each example scored by a model trained without its
	// fold).
	TargetFPR float64
	// Folds is the number of cross-fitting folds (at least 2).
	Folds int
	// Mix is the number of examples made from each positive example by
	// putting its text before or after the text of one or two random
	// examples that are negatives for every head (and as many made of two
	// such negatives), so that a violation inside ordinary text is still a
	// violation: without them, the heads learn that ordinary prose cancels
	// anything else in the text. They are trained on in the fold of their
	// positive, and never used to choose thresholds or in the report.
	Mix int
	// Workers bounds the models trained at once; 0 means GOMAXPROCS. It
	// does not change the result.
	Workers int
}

// DefaultOptions returns the settings of aup's bundled model.
func DefaultOptions() Options {
	return Options{
		Bits: 18, CharMin: 3, CharMax: 5, WordNgrams: 2, Window: 2048,
		Epochs: 5, LearningRate: 0.3, L2: 1e-6, Seed: 1,
		MinPositives: 50, Exclude: []moderation.Category{moderation.Profanity},
		TargetFPR: 0.01, Folds: 4, Mix: 1,
	}
}

func (o Options) params() params {
	return params{bits: uint8(o.Bits), charMin: uint8(o.CharMin), charMax: uint8(o.CharMax),
		wordNgrams: uint8(o.WordNgrams), window: uint32(o.Window)}
}

func (o Options) validate() error {
	switch {
	case o.Bits < minBits || o.Bits > maxBits:
		return fmt.Errorf("bits %d: want %d to %d", o.Bits, minBits, maxBits)
	case o.CharMin < 2 || o.CharMax < o.CharMin || o.CharMax > maxCharN:
		return fmt.Errorf("character n-grams %d-%d: want 2 <= min <= max <= %d", o.CharMin, o.CharMax, maxCharN)
	case o.WordNgrams < 1 || o.WordNgrams > 2:
		return fmt.Errorf("word n-grams %d: want 1 or 2", o.WordNgrams)
	case o.Window < minWindow || o.Window > maxWindow:
		return fmt.Errorf("window %d: want %d to %d", o.Window, minWindow, maxWindow)
	case o.Epochs < 1:
		return errors.New("epochs: want at least 1")
	case !(o.LearningRate > 0) || !(o.L2 >= 0):
		return errors.New("learning rate must be positive and L2 not negative")
	case !(o.TargetFPR >= 0 && o.TargetFPR < 1):
		return fmt.Errorf("target FPR %v: want 0 <= fpr < 1", o.TargetFPR)
	case o.Folds < 2:
		return fmt.Errorf("folds %d: want at least 2", o.Folds)
	case o.Mix < 0:
		return fmt.Errorf("mix %d: want 0 or more", o.Mix)
	}
	return nil
}

// Report describes a trained model's heads.
type Report struct {
	Examples int
	Heads    []HeadReport
	// Skipped lists the categories with positive examples but too few for
	// a head, with their counts.
	Skipped map[moderation.Category]int
}

// HeadReport describes one head. Recall and FPR are cross-fitted estimates
// on the training examples at Threshold: each example is scored by a model
// trained without its fold.
type HeadReport struct {
	Category             moderation.Category
	Positives, Negatives int
	Threshold            float64
	Recall, FPR          float64
}

// dataset is the examples as feature vectors.
type dataset struct {
	ents   [][]entry
	inv    []float32
	pos    []uint64 // bit h: a positive example for head h
	weight []float32
	fold   []int
}

// Train fits one head per category with at least opt.MinPositives positive
// examples, chooses each head's threshold by cross-fitting, and returns the
// model (as Load would read it back) with a report. The result depends only
// on the examples, their order and opt.
func Train(examples []Example, opt Options) (*Model, *Report, error) {
	if err := opt.validate(); err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	p := opt.params()
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}

	rep := &Report{Examples: len(examples), Skipped: map[moderation.Category]int{}}
	counts := map[moderation.Category]int{}
	for _, ex := range examples {
		for _, c := range slices.Compact(slices.Sorted(slices.Values(ex.Labels))) {
			counts[c]++
		}
	}
	var cats []moderation.Category
	for _, c := range moderation.Categories {
		switch {
		case slices.Contains(opt.Exclude, c) || counts[c] == 0:
		case counts[c] < opt.MinPositives:
			rep.Skipped[c] = counts[c]
		default:
			cats = append(cats, c)
		}
	}
	if len(cats) == 0 {
		return nil, nil, fmt.Errorf("train: no category has %d positive examples", opt.MinPositives)
	}
	if len(cats) > maxHeads {
		return nil, nil, fmt.Errorf("train: more than %d heads", maxHeads)
	}
	nh := len(cats)

	all := append(slices.Clip(examples), mixed(examples, cats, opt)...)
	d := featurize(all, cats, p, opt.Folds, workers)

	// Class balance: a head's positives and negatives weigh the same in
	// total.
	classW := make([][2]float32, nh) // [negative, positive]
	for h := range cats {
		var sum [2]float64
		for i := range all {
			sum[d.pos[i]>>h&1] += float64(d.weight[i])
		}
		for k, part := range sum {
			if part > 0 {
				classW[h][k] = float32((sum[0] + sum[1]) / (2 * part))
			}
		}
	}

	// Job k < Folds trains without fold k; job Folds trains on everything.
	jobs := make([]*Model, opt.Folds+1)
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for k := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rows := make([]int32, 0, len(all))
			for i := range all {
				if k == opt.Folds || d.fold[i] != k {
					rows = append(rows, int32(i))
				}
			}
			w, bias := sgd(d, rows, nh, classW, opt)
			if finiteAll(w) && finiteAll(bias) {
				jobs[k] = quantize(p, cats, w, bias)
			}
		}()
	}
	wg.Wait()
	if slices.Contains(jobs, nil) {
		return nil, nil, errors.New("train: the weights diverged (lower the learning rate)")
	}

	// Cross-fitted probabilities, from the quantised fold models.
	probs := make([]float64, len(examples)*nh)
	z := make([]float32, nh)
	for i := range examples {
		jobs[d.fold[i]].logits(d.ents[i], d.inv[i], z)
		for h := range z {
			probs[i*nh+h] = sigmoid(z[h])
		}
	}
	final := jobs[opt.Folds]
	for h, c := range cats {
		var neg, pos []float64
		for i := range examples {
			if d.pos[i]>>h&1 == 1 {
				pos = append(pos, probs[i*nh+h])
			} else {
				neg = append(neg, probs[i*nh+h])
			}
		}
		t := threshold(neg, opt.TargetFPR)
		final.heads[h].threshold = t
		rep.Heads = append(rep.Heads, HeadReport{
			Category: c, Positives: len(pos), Negatives: len(neg), Threshold: t,
			Recall: shareAtLeast(pos, t), FPR: shareAtLeast(neg, t),
		})
	}
	data, err := final.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	m, err := parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("train: the model does not read back: %w", err)
	}
	return m, rep, nil
}

// mixed makes the examples of Options.Mix, deterministically.
func mixed(examples []Example, cats []moderation.Category, opt Options) []Example {
	var pos, neg []int
	for i, ex := range examples {
		if slices.ContainsFunc(ex.Labels, func(c moderation.Category) bool { return slices.Contains(cats, c) }) {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	if opt.Mix == 0 || len(neg) == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6d6978)) //nolint:gosec // a fixed, reproducible choice, not security
	around := func(core string) string {
		other := examples[neg[rng.IntN(len(neg))]].Text
		switch rng.IntN(3) {
		case 0:
			return other + "\n" + core
		case 1:
			return core + "\n" + other
		}
		return other + "\n" + core + "\n" + examples[neg[rng.IntN(len(neg))]].Text
	}
	var out []Example
	for range opt.Mix {
		for _, i := range pos {
			ex := examples[i]
			ex.Text = around(ex.Text)
			out = append(out, ex)
		}
		for range pos {
			ex := examples[neg[rng.IntN(len(neg))]]
			ex.Text = around(ex.Text)
			out = append(out, ex)
		}
	}
	return out
}

// featurize extracts the features of every example. Training uses a text's
// first window only (Classify takes the maximum over windows; training texts
// are shorter than a window).
func featurize(examples []Example, cats []moderation.Category, p params, folds, workers int) *dataset {
	n := len(examples)
	d := &dataset{ents: make([][]entry, n), inv: make([]float32, n), pos: make([]uint64, n),
		weight: make([]float32, n), fold: make([]int, n)}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var x extractor
			for i := w; i < n; i += workers {
				ex := &examples[i]
				f := normalize.Fold(ex.Text)
				s := normalize.WordsOf(&f).Text
				ents, inv := x.features(s[:nextWindow(s, int(p.window))], p)
				d.ents[i], d.inv[i] = slices.Clone(ents), inv
				for h, c := range cats {
					if slices.Contains(ex.Labels, c) {
						d.pos[i] |= 1 << h
					}
				}
				d.weight[i] = float32(ex.Weight)
				if ex.Weight == 0 {
					d.weight[i] = 1
				}
				d.fold[i] = fold(ex.ID, folds)
			}
		}()
	}
	wg.Wait()
	return d
}

// adagradEps keeps a step finite when a gradient's square underflows.
const adagradEps = 1e-7

// sgd fits the heads' logistic regressions on rows with AdaGrad: weights
// bucket-major, like the model's codes.
func sgd(d *dataset, rows []int32, nh int, classW [][2]float32, opt Options) ([]float32, []float32) {
	nb := 1 << opt.Bits
	w := make([]float32, nb*nh)
	g2 := make([]float32, nb*nh)
	bias := make([]float32, nh)
	gb := make([]float32, nh)
	z := make([]float32, nh)
	g := make([]float32, nh)
	var xs []float32
	lr, l2 := float32(opt.LearningRate), float32(opt.L2)
	order := slices.Clone(rows)
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6c696e656172)) //nolint:gosec // a fixed, reproducible order, not security
	for range opt.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, r := range order {
			ents, inv := d.ents[r], d.inv[r]
			xs = xs[:0]
			copy(z, bias)
			for _, e := range ents {
				x := e.val * inv
				xs = append(xs, x)
				ws := w[int(e.bucket)*nh : int(e.bucket)*nh+nh]
				for h := range ws {
					z[h] += ws[h] * x
				}
			}
			for h := range g {
				y := float32(d.pos[r] >> h & 1)
				p := float32(1 / (1 + math.Exp(-float64(z[h]))))
				g[h] = (p - y) * classW[h][int(y)] * d.weight[r]
				gb[h] += g[h] * g[h]
				bias[h] -= lr * g[h] / (float32(math.Sqrt(float64(gb[h]))) + adagradEps)
			}
			for k, e := range ents {
				x := xs[k]
				o := int(e.bucket) * nh
				ws, gs := w[o:o+nh], g2[o:o+nh]
				for h := range ws {
					gr := g[h]*x + l2*ws[h]
					if gr == 0 {
						continue
					}
					gs[h] += gr * gr
					ws[h] -= lr * gr / (float32(math.Sqrt(float64(gs[h]))) + adagradEps)
				}
			}
		}
	}
	return w, bias
}

// quantize turns float weights into a model with int8 codes. Each head's
// codebook is square-law: code c stands for sign(c)·max·(|c|/127)², where
// max is the head's largest weight, so that the many small weights keep
// their resolution.
func quantize(p params, cats []moderation.Category, w, bias []float32) *Model {
	nh := len(cats)
	m := &Model{p: p, heads: make([]head, nh), codes: make([]int8, len(w)), table: make([]float32, nh*256)}
	for h, c := range cats {
		m.heads[h] = head{cat: c, bias: bias[h]}
		var top float32
		for i := h; i < len(w); i += nh {
			top = max(top, float32(math.Abs(float64(w[i]))))
		}
		tab := m.table[h<<8 : h<<8+256]
		for c := -128; c < 128; c++ {
			a := float32(min(max(c, -127), 127))
			tab[uint8(int8(c))] = top * a * float32(math.Abs(float64(a))) / (127 * 127)
		}
		if top == 0 {
			continue
		}
		for i := h; i < len(w); i += nh {
			a := float32(math.Abs(float64(w[i])))
			q := int(math.Round(127 * math.Sqrt(float64(a/top))))
			// The nearest code in value, not in square root.
			best, bestErr := 0, float32(math.Inf(1))
			for c := max(q-1, 0); c <= min(q+1, 127); c++ {
				if e := float32(math.Abs(float64(tab[c] - a))); e < bestErr {
					best, bestErr = c, e
				}
			}
			if w[i] < 0 {
				best = -best
			}
			m.codes[i] = int8(best)
		}
	}
	return m
}

func finiteAll(s []float32) bool {
	for _, v := range s {
		if !finite(float64(v)) {
			return false
		}
	}
	return true
}

// threshold returns the lowest probability, rounded up to 1e-4, at and
// above which at most target of the negatives' probabilities lie.
func threshold(neg []float64, target float64) float64 {
	if len(neg) == 0 {
		return 0.5
	}
	s := slices.Clone(neg)
	slices.Sort(s)
	slices.Reverse(s)
	k := int(math.Floor(target*float64(len(s)) + 1e-9)) // negatives allowed above
	if k >= len(s) {
		return 0
	}
	t := math.Ceil(s[k]*1e4) / 1e4
	if t <= s[k] {
		t = (math.Ceil(s[k]*1e4) + 1) / 1e4
	}
	return min(t, 1)
}

// shareAtLeast is the share of ps at or above t, or 0 for none.
func shareAtLeast(ps []float64, t float64) float64 {
	if len(ps) == 0 {
		return 0
	}
	n := 0
	for _, p := range ps {
		if p >= t {
			n++
		}
	}
	return float64(n) / float64(len(ps))
}
