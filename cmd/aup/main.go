// Command aup is the acceptable-use enforcement service and its tools:
//
//	aup serve               run the HTTP service
//	aup check [TEXT...]     screen text from arguments, stdin or a JSONL file
//	aup eval FILE...        measure the engine on labelled JSONL files
//	aup rules lint [DIR]    check a rules folder
//	aup train               train the built-in linear model
//
// Configuration comes from AUP_* environment variables (see config.go and
// the README).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ue usageError
		if !errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "aup:", err)
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(exitCode(err))
	}
}

const usage = `usage:
  aup serve                       run the HTTP service (configured by AUP_* variables)
  aup check [--jsonl FILE] [TEXT...]
                                  screen TEXT (or stdin, or each {"text":...} line of FILE; - is stdin)
                                  and print one JSON verdict a line
  aup eval [--notes] [--json] [--holdout | --train] [--mistakes] [--baseline FILE] [--write-baseline FILE] FILE...
                                  measure the engine on labelled JSONL files
  aup rules lint [DIR]            check a rules folder (default: AUP_RULES_DIR or the bundled rules)
  aup train [--out DIR] [--data DIR] [--fpr F]
                                  train the built-in linear model on the labelled files of --data (default
                                  ../shared/data/eval) except the held-out rows, print its held-out figures
                                  and write linear.bin and linear.json to --out (default models)`

// usageError is a mistake in the command line; it exits with status 2.
type usageError string

func (e usageError) Error() string { return string(e) + "\n" + usage }

// failedError reports that a command ran and found problems (lint errors,
// printed already); it exits with status 1 after a one-line summary.
type failedError struct{ msg string }

func (e failedError) Error() string { return e.msg }

func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("aup: no command")
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, args[1:], stderr)
	case "check":
		return check(ctx, cfg, args[1:], stdin, stdout)
	case "eval":
		return eval(ctx, cfg, args[1:], stdout)
	case "train":
		return train(ctx, args[1:], stdout)
	case "rules":
		if len(args) < 2 || args[1] != "lint" {
			return usageError("aup rules: want 'aup rules lint [DIR]'")
		}
		return lint(cfg, args[2:], stdout)
	}
	return usageError(fmt.Sprintf("aup: unknown command %q", args[0]))
}
