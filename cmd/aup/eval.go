package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aup-dev/aup/internal/evaluation"
	"github.com/aup-dev/aup/internal/linear"
)

// eval measures the engine on labelled files and prints the figures.
func eval(ctx context.Context, cfg *config, args []string, stdout io.Writer) error {
	var files []string
	var baseline, writeBaseline string
	notes, asJSON, holdout, train, mistakes := false, false, false, false, false
	for len(args) > 0 {
		a := args[0]
		args = args[1:]
		switch {
		case a == "--notes":
			notes = true
		case a == "--json":
			asJSON = true
		case a == "--holdout":
			holdout = true
		case a == "--train":
			train = true
		case a == "--mistakes":
			mistakes = true
		case a == "--baseline" || a == "--write-baseline":
			if len(args) == 0 {
				return usageError(fmt.Sprintf("aup eval: %s needs a file name", a))
			}
			if a == "--baseline" {
				baseline = args[0]
			} else {
				writeBaseline = args[0]
			}
			args = args[1:]
		case strings.HasPrefix(a, "-"):
			return usageError(fmt.Sprintf("aup eval: unknown flag %s", a))
		default:
			files = append(files, a)
		}
	}
	if len(files) == 0 {
		return usageError("aup eval: name one or more labelled JSONL files")
	}
	if holdout && train {
		return usageError("aup eval: --holdout and --train name disjoint splits; use one")
	}
	cl, err := cfg.classifier(slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return err
	}
	eng, err := newEngine(cfg, slog.New(slog.DiscardHandler), nil, nil, nil, cl, nil)
	if err != nil {
		return err
	}
	var reports []*evaluation.Report
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		rows, err := evaluation.ReadRows(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if holdout {
			// Only the rows the linear model never trained on.
			rows = slices.DeleteFunc(rows, func(r evaluation.Row) bool { return !linear.Holdout(r.ID) })
		}
		if train {
			// The rows the model trained on: study mistakes here and keep
			// the held-out rows for measuring.
			rows = slices.DeleteFunc(rows, func(r evaluation.Row) bool { return linear.Holdout(r.ID) })
		}
		r, err := evaluation.Run(ctx, strings.TrimSuffix(filepath.Base(name), ".jsonl"), rows, eng)
		if err != nil {
			return err
		}
		if !mistakes {
			r.Mistakes = nil
		}
		if !asJSON {
			r.WriteText(stdout, notes)
			if mistakes {
				r.WriteMistakes(stdout)
			}
		}
		reports = append(reports, r)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	}
	if writeBaseline != "" {
		b, err := json.MarshalIndent(evaluation.NewBaseline(reports), "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(writeBaseline, append(b, '\n'), 0o600); err != nil {
			return err
		}
	}
	if baseline != "" {
		return checkBaseline(baseline, reports, stdout)
	}
	return nil
}

// baselineTolerance is how far a figure may move against the baseline
// before the gate fails: noise from a rule edit elsewhere, not a trend.
const baselineTolerance = 0.005

// checkBaseline fails when a figure of reports is worse than the baseline
// in file.
func checkBaseline(file string, reports []*evaluation.Report, stdout io.Writer) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var base evaluation.Baseline
	if err := json.Unmarshal(data, &base); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	regressions := evaluation.Regressions(base, reports, baselineTolerance)
	if len(regressions) == 0 {
		fmt.Fprintf(stdout, "no figure is worse than %s (tolerance %.3f)\n", file, baselineTolerance)
		return nil
	}
	return failedError{fmt.Sprintf("%d figures are worse than %s:\n  %s", len(regressions), file, strings.Join(regressions, "\n  "))}
}
