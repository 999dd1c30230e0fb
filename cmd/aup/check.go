package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/moderation"
)

// check screens texts on the command line and prints one verdict a line.
func check(ctx context.Context, cfg *config, args []string, stdin io.Reader, stdout io.Writer) (err error) {
	var jsonl string
	var texts []string
	for len(args) > 0 {
		a := args[0]
		args = args[1:]
		switch {
		case a == "--jsonl":
			if len(args) == 0 {
				return usageError("aup check: --jsonl needs a file name (or - for stdin)")
			}
			jsonl, args = args[0], args[1:]
		case strings.HasPrefix(a, "-") && a != "-":
			return usageError(fmt.Sprintf("aup check: unknown flag %s", a))
		default:
			texts = append(texts, a)
		}
	}
	if jsonl != "" && len(texts) > 0 {
		return usageError("aup check: give texts or --jsonl, not both")
	}
	cl, err := cfg.classifier(slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return err
	}
	eng, err := newEngine(cfg, slog.New(slog.DiscardHandler), nil, nil, nil, cl, nil)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	defer func() {
		if ferr := out.Flush(); err == nil {
			err = ferr
		}
	}()
	enc := json.NewEncoder(out)
	screen := func(where, text string) error {
		if err := validText(text, cfg.MaxTextBytes); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		v, err := eng.Screen(ctx, moderation.Content{Text: text})
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		return enc.Encode(v)
	}

	switch {
	case jsonl != "":
		r := stdin
		if jsonl != "-" {
			f, err := os.Open(jsonl)
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 6*cfg.MaxTextBytes+4096) // JSON escapes take up to 6 bytes a byte
		for n := 1; sc.Scan(); n++ {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var item struct {
				Text string `json:"text"`
			}
			if err := json.Unmarshal(sc.Bytes(), &item); err != nil {
				return fmt.Errorf("%s:%d: %w", jsonl, n, err)
			}
			if err := screen(fmt.Sprintf("%s:%d", jsonl, n), item.Text); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("%s: %w", jsonl, err)
		}
		return nil
	case len(texts) > 0:
		return screen("arguments", strings.Join(texts, " "))
	}
	data, err := io.ReadAll(io.LimitReader(stdin, int64(cfg.MaxTextBytes)+1))
	if err != nil {
		return err
	}
	return screen("stdin", string(data))
}

func validText(text string, limit int) error {
	switch {
	case strings.TrimSpace(text) == "":
		return fmt.Errorf("text is empty")
	case len(text) > limit:
		return fmt.Errorf("text is more than %d bytes (AUP_MAX_TEXT_BYTES)", limit)
	case !utf8.ValidString(text):
		return fmt.Errorf("text is not valid UTF-8")
	}
	return nil
}
