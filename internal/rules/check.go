package rules

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"time"
)

// maxPatternProgram bounds the size of a compiled pattern: patterns run on
// every text, and a pattern that is an alternation of hundreds of words
// belongs in a term list, where the automaton matches it for free.
const maxPatternProgram = 2000

func checkPattern(expr string) error {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return err
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return err
	}
	if len(prog.Inst) > maxPatternProgram {
		return fmt.Errorf("too large (%d instructions, limit %d): list the words as terms instead", len(prog.Inst), maxPatternProgram)
	}
	_, err = regexp.Compile(expr)
	return err
}

func checkDetectorOption(k, v string) error {
	switch k {
	case "window":
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 24*time.Hour {
			return fmt.Errorf("%q: want a duration such as 10m, at most 24h", v)
		}
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return fmt.Errorf("%q: want a whole number from 1 to 10000", v)
		}
	}
	return nil
}

// IntOption returns the detector option k as a number, or def.
func (r Rule) IntOption(k string, def int) int {
	if n, err := strconv.Atoi(r.Options[k]); err == nil {
		return n
	}
	return def
}

// DurationOption returns the detector option k as a duration, or def.
func (r Rule) DurationOption(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(r.Options[k]); err == nil {
		return d
	}
	return def
}
