package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/aup-dev/aup/internal/evaluation"
)

// eval measures the engine on labelled files and prints the figures.
func eval(ctx context.Context, cfg *config, args []string, stdout io.Writer) error {
	var files []string
	notes, asJSON := false, false
	for _, a := range args {
		switch {
		case a == "--notes":
			notes = true
		case a == "--json":
			asJSON = true
		case strings.HasPrefix(a, "-"):
			return usageError(fmt.Sprintf("aup eval: unknown flag %s", a))
		default:
			files = append(files, a)
		}
	}
	if len(files) == 0 {
		return usageError("aup eval: name one or more labelled JSONL files")
	}
	eng, err := newEngine(cfg, slog.New(slog.DiscardHandler), nil, nil, nil)
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
		r, err := evaluation.Run(ctx, strings.TrimSuffix(filepath.Base(name), ".jsonl"), rows, eng)
		if err != nil {
			return err
		}
		if !asJSON {
			r.WriteText(stdout, notes)
		}
		reports = append(reports, r)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(reports)
	}
	return nil
}
