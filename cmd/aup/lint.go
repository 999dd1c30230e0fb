package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/rules"
)

// lint checks a rules folder: every problem the parser finds, then whether
// the engine can compile what parsed.
func lint(cfg *config, args []string, stdout io.Writer) error {
	var fsys fs.FS
	switch len(args) {
	case 0:
		fsys = cfg.rulesFS()
	case 1:
		if st, err := os.Stat(args[0]); err != nil || !st.IsDir() {
			return fmt.Errorf("%s is not a folder", args[0])
		}
		fsys = os.DirFS(args[0])
	default:
		return usageError("aup rules lint: at most one folder")
	}
	set, problems := rules.Parse(fsys)
	errors := 0
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
		if !p.Warning {
			errors++
		}
	}
	if errors == 0 {
		if err := engine.Check(set); err != nil {
			fmt.Fprintln(stdout, err)
			errors++
		}
	}
	if errors > 0 {
		return failedError{fmt.Sprintf("%d errors", errors)}
	}
	var n int
	for _, r := range set.Rules {
		if r.Kind == rules.Hosts {
			n += len(r.Hosts)
		} else {
			n++
		}
	}
	fmt.Fprintf(stdout, "ok: %d rules and hosts, %d warnings, version %s\n", n, len(problems), set.Version)
	return nil
}
