package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aup-dev/aup/internal/evaluation"
	"github.com/aup-dev/aup/internal/linear"
	"github.com/aup-dev/aup/internal/moderation"
)

// linguaSource marks the unreviewed web sentences of lingua-go's test data:
// expect "any", yet used as down-weighted negatives for every head, since
// they are ordinary text in 26 languages and keep false positives down in
// languages without labelled data.
const (
	linguaSource = "lingua-testdata"
	linguaWeight = 0.3
)

// train fits the built-in linear model on the rows of the labelled files
// that are not held out, prints its figures on the held-out rows and writes
// linear.bin and linear.json to the output folder.
func train(ctx context.Context, args []string, stdout io.Writer) error {
	out, dataDir := "models", filepath.Join("..", "shared", "data", "eval")
	opt := linear.DefaultOptions()
	for ; len(args) > 0; args = args[2:] {
		if len(args) == 1 {
			return usageError(fmt.Sprintf("aup train: unknown argument or missing value: %s", args[0]))
		}
		switch flag, val := args[0], args[1]; flag {
		case "--out":
			out = val
		case "--data":
			dataDir = val
		case "--fpr":
			f, err := strconv.ParseFloat(val, 64)
			if err != nil || !(f >= 0 && f < 1) {
				return usageError(fmt.Sprintf("aup train: --fpr %q: want a share from 0 to 1, like 0.01", val))
			}
			opt.TargetFPR = f
		default:
			return usageError(fmt.Sprintf("aup train: unknown flag %s", flag))
		}
	}
	files, err := filepath.Glob(filepath.Join(dataDir, "*.jsonl"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no labelled *.jsonl files in %s (set --data)", dataDir)
	}
	slices.Sort(files)

	meta := trainMeta{Model: "linear.bin", Split: splitRule, Labels: labelsRule}
	var examples []linear.Example
	held := map[string][]evaluation.Row{}
	for _, name := range files {
		rows, err := readRowsFile(name)
		if err != nil {
			return err
		}
		base := filepath.Base(name)
		fm := fileMeta{File: base, Rows: len(rows)}
		for _, r := range rows {
			if linear.Holdout(r.ID) {
				fm.Holdout++
				held[base] = append(held[base], r)
				continue
			}
			ex := linear.Example{ID: r.ID, Text: r.Text, Weight: 1}
			switch {
			case r.Expect == "flag":
				ex.Labels = r.Labels
			case r.Expect == "allow":
			case r.Source == linguaSource:
				ex.Weight = linguaWeight
			default:
				continue
			}
			fm.Trained++
			examples = append(examples, ex)
		}
		meta.Files = append(meta.Files, fm)
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "training on %d rows of %d files (%d held out)\n", len(examples), len(files), countHeld(held))
	start := time.Now()
	m, rep, err := linear.Train(examples, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained in %s\n\n", time.Since(start).Round(100*time.Millisecond))
	data, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	meta.Version, meta.Bytes = m.Version(), len(data)
	meta.Features = featuresMeta{
		Normalisation: "normalize.Fold then normalize.WordsOf (case, accents, leetspeak, homoglyphs, spaced-out and repeated letters undone)",
		CharNgrams:    fmt.Sprintf("%d-%d characters of each word padded with a space at each end, ASCII digits as 0", opt.CharMin, opt.CharMax),
		WordNgrams:    "unigrams and bigrams",
		Hashing:       fmt.Sprintf("FNV-1a 64 + SplitMix64 finaliser, 2^%d buckets, signed", opt.Bits),
		Weighting:     "1+ln(tf), L2-normalised per window",
		Window:        opt.Window,
		Weights:       "int8 codes, square-law codebook per head",
	}
	meta.Training = trainingMeta{
		Examples: rep.Examples, Epochs: opt.Epochs, LearningRate: opt.LearningRate, L2: opt.L2, Seed: opt.Seed,
		Optimiser:    "AdaGrad, logistic loss, class-balanced weights, examples shuffled per epoch with a fixed seed",
		LinguaWeight: linguaWeight, MinPositives: opt.MinPositives, TargetFPR: opt.TargetFPR, Folds: opt.Folds,
		Mix: fmt.Sprintf("%d: each positive also trained on inside one or two random negative rows, with as many pairs of negative rows", opt.Mix),
		ThresholdRule: fmt.Sprintf("lowest probability (rounded up to 1e-4) at which at most %.1f%% of the head's "+
			"training negatives score, each scored by a model trained without its fold (%d-fold cross-fitting)",
			100*opt.TargetFPR, opt.Folds),
		Skipped: rep.Skipped,
	}

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "head\tpositives\tnegatives\tthreshold\tcv recall\tcv FPR\t")
	for _, h := range rep.Heads {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.4f\t%.3f\t%.3f\t\n", h.Category, h.Positives, h.Negatives, h.Threshold, h.Recall, h.FPR)
		meta.Heads = append(meta.Heads, headMeta{Category: h.Category, Threshold: h.Threshold,
			Positives: h.Positives, Negatives: h.Negatives, CVRecall: trainRound4(h.Recall), CVFPR: trainRound4(h.FPR)})
	}
	tw.Flush()
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(stdout, "no head (fewer than %d positives): %v\n", opt.MinPositives, rep.Skipped)
	}

	fmt.Fprintln(stdout, "\nheld-out rows (never trained on): any head at its threshold")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tflag\trecall\tallow\tFPR\tany\tflagged\theads that fired on flag rows\t")
	for _, name := range files {
		base := filepath.Base(name)
		hm := holdoutFigures(m, base, held[base])
		meta.Holdout = append(meta.Holdout, hm)
		var fired []string
		for _, h := range hm.Heads {
			if h.FiredOnFlag > 0 {
				fired = append(fired, fmt.Sprintf("%s %d", h.Category, h.FiredOnFlag))
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%d\t%s\t%s\t\n", strings.TrimSuffix(base, ".jsonl"),
			hm.Flag, trainPct(hm.Recall), hm.Allow, trainPct(hm.FPR), hm.Any, trainPct(hm.FlagRate), strings.Join(fired, ", "))
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nheld-out rows per head: recall on the head's positives, FPR on expect-allow rows")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "file\t")
	for _, h := range m.Heads() {
		fmt.Fprintf(tw, "%s\t", h.Category)
	}
	fmt.Fprintln(tw)
	for _, hm := range meta.Holdout {
		fmt.Fprintf(tw, "%s\t", strings.TrimSuffix(hm.File, ".jsonl"))
		for _, h := range hm.Heads {
			fmt.Fprintf(tw, "%s / %s\t", trainPct(h.Recall), trainPct(h.FPR))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	if err := os.MkdirAll(out, 0o750); err != nil {
		return err
	}
	js, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "linear.bin"), data, 0o644); err != nil { //nolint:gosec // a model file, meant to be read
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "linear.json"), append(js, '\n'), 0o644); err != nil { //nolint:gosec // metadata, meant to be read
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s (%d bytes, version %s) and linear.json\n", filepath.Join(out, "linear.bin"), len(data), m.Version())
	return nil
}

const (
	splitRule = "a row is held out when linear.Holdout(id): SplitMix64(FNV-1a 64(\"aup-holdout\\x00\" + id)) % 100 < 20; " +
		"held-out rows are never trained on"
	labelsRule = "a row is a positive for category c when expect is flag and c is among its labels; a negative for c when " +
		"expect is allow, or expect is flag without c; expect-any rows are skipped, except the lingua-go web sentences, " +
		"which are negatives for every head with weight 0.3; profanity gets no head (not a violation)"
)

func readRowsFile(name string) ([]evaluation.Row, error) {
	f, err := os.Open(name) //nolint:gosec // the operator names the data folder
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := evaluation.ReadRows(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rows, nil
}

func countHeld(held map[string][]evaluation.Row) int {
	n := 0
	for _, rs := range held {
		n += len(rs)
	}
	return n
}

// holdoutFigures scores the held-out rows of one file. The file's figures
// count a row as flagged when any head is at or above its threshold.
func holdoutFigures(m *linear.Model, file string, rows []evaluation.Row) holdoutMeta {
	heads := m.Heads()
	hm := holdoutMeta{File: file, Rows: len(rows)}
	type tally struct{ pos, caught, allowFlagged, fired int }
	ts := make([]tally, len(heads))
	var caught, falseFlags, anyFlagged int
	for _, r := range rows {
		scores := m.Classify(r.Text)
		flagged := false
		for h, s := range scores {
			fires := s.P >= s.Threshold
			flagged = flagged || fires
			switch r.Expect {
			case "flag":
				if slices.Contains(r.Labels, s.Category) {
					ts[h].pos++
					if fires {
						ts[h].caught++
					}
				}
				if fires {
					ts[h].fired++
				}
			case "allow":
				if fires {
					ts[h].allowFlagged++
				}
			}
		}
		switch r.Expect {
		case "flag":
			hm.Flag++
			if flagged {
				caught++
			}
		case "allow":
			hm.Allow++
			if flagged {
				falseFlags++
			}
		default:
			hm.Any++
			if flagged {
				anyFlagged++
			}
		}
	}
	hm.Recall, hm.FPR, hm.FlagRate = trainRatio(caught, hm.Flag), trainRatio(falseFlags, hm.Allow), trainRatio(anyFlagged, hm.Any)
	for h, t := range ts {
		hm.Heads = append(hm.Heads, holdoutHead{Category: heads[h].Category, Positives: t.pos,
			Recall: trainRatio(t.caught, t.pos), FPR: trainRatio(t.allowFlagged, hm.Allow), FiredOnFlag: t.fired})
	}
	return hm
}

// ratio is n/d rounded to 4 decimals, or -1 when d is 0.
func trainRatio(n, d int) float64 {
	if d == 0 {
		return -1
	}
	return trainRound4(float64(n) / float64(d))
}

func trainRound4(f float64) float64 { return float64(int64(f*1e4+0.5)) / 1e4 }

func trainPct(f float64) string {
	if f < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}

// trainMeta is linear.json: how the model was made and how it does on the
// held-out rows.
type trainMeta struct {
	Model    string        `json:"model"`
	Version  string        `json:"version"`
	Bytes    int           `json:"bytes"`
	Files    []fileMeta    `json:"files"`
	Split    string        `json:"split"`
	Labels   string        `json:"labels"`
	Features featuresMeta  `json:"features"`
	Training trainingMeta  `json:"training"`
	Heads    []headMeta    `json:"heads"`
	Holdout  []holdoutMeta `json:"holdout"`
}

type fileMeta struct {
	File    string `json:"file"`
	Rows    int    `json:"rows"`
	Trained int    `json:"trained"` // rows trained on
	Holdout int    `json:"holdout"`
}

type featuresMeta struct {
	Normalisation string `json:"normalisation"`
	CharNgrams    string `json:"char_ngrams"`
	WordNgrams    string `json:"word_ngrams"`
	Hashing       string `json:"hashing"`
	Weighting     string `json:"weighting"`
	Window        int    `json:"window_bytes"`
	Weights       string `json:"weights"`
}

type trainingMeta struct {
	Examples      int                         `json:"examples"`
	Optimiser     string                      `json:"optimiser"`
	Epochs        int                         `json:"epochs"`
	LearningRate  float64                     `json:"learning_rate"`
	L2            float64                     `json:"l2"`
	Seed          uint64                      `json:"seed"`
	LinguaWeight  float64                     `json:"lingua_weight"`
	MinPositives  int                         `json:"min_positives"`
	TargetFPR     float64                     `json:"target_fpr"`
	Folds         int                         `json:"folds"`
	Mix           string                      `json:"mix"`
	ThresholdRule string                      `json:"threshold_rule"`
	Skipped       map[moderation.Category]int `json:"skipped_heads,omitempty"`
}

type headMeta struct {
	Category  moderation.Category `json:"category"`
	Threshold float64             `json:"threshold"`
	Positives int                 `json:"positives"`
	Negatives int                 `json:"negatives"`
	CVRecall  float64             `json:"cv_recall"`
	CVFPR     float64             `json:"cv_fpr"`
}

// holdoutMeta holds one file's held-out figures; -1 means no such rows.
type holdoutMeta struct {
	File     string        `json:"file"`
	Rows     int           `json:"rows"`
	Flag     int           `json:"flag"`
	Allow    int           `json:"allow"`
	Any      int           `json:"any"`
	Recall   float64       `json:"recall"`
	FPR      float64       `json:"fpr"`
	FlagRate float64       `json:"any_flag_rate"`
	Heads    []holdoutHead `json:"heads"`
}

type holdoutHead struct {
	Category    moderation.Category `json:"category"`
	Positives   int                 `json:"positives"`
	Recall      float64             `json:"recall"`
	FPR         float64             `json:"fpr"`
	FiredOnFlag int                 `json:"fired_on_flag"`
}
