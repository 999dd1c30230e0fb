package engine

import (
	"regexp/syntax"
	"slices"
	"strings"
)

// minLiteral is the shortest literal worth prefiltering on: single
// characters occur in nearly every text, while even two ("k2", "0x") rule
// out most texts, and every further required set only narrows the filter.
const minLiteral = 2

// maxExact bounds the exact sets built while walking a pattern; maxSets
// bounds how many sets a pattern's prefilter requires.
const (
	maxExact = 256
	maxSets  = 8
)

// requiredLiterals returns sets of strings such that every match of expr
// contains one string of each set, or nil when there are none of at least
// minLiteral bytes. The engine runs the pattern only on texts that contain a
// string of every set (the idea of RE2's prefilter and of code search
// indexes), so a pattern does not cost a scan of every text.
func requiredLiterals(expr string) [][]string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	in := analyze(re.Simplify())
	sets := in.all
	if set := in.best(); set != nil {
		sets = append(sets, set)
	}
	// The most selective first; any of them alone would still be correct.
	slices.SortStableFunc(sets, func(a, b []string) int {
		if better(a, b) {
			return -1
		} else if better(b, a) {
			return 1
		}
		return 0
	})
	var out [][]string
	for _, set := range sets {
		set = slices.Compact(slices.Sorted(slices.Values(set)))
		if len(out) < maxSets && !slices.ContainsFunc(out, func(o []string) bool { return slices.Equal(o, set) }) {
			out = append(out, set)
		}
	}
	return out
}

// info is what a pattern node guarantees about the strings it matches.
type info struct {
	exact  []string   // non-nil: it matches exactly one of these strings
	prefix []string   // non-nil: every match starts with one of these
	suffix []string   // non-nil: every match ends with one of these
	all    [][]string // every match contains one string of each set
}

// best is the most selective single set of strings every match contains, or
// nil.
func (in info) best() []string {
	var best []string
	for _, set := range append([][]string{in.exact, in.prefix, in.suffix}, in.all...) {
		if better(set, best) {
			best = set
		}
	}
	return best
}

// better reports whether set is usable and more selective than best: a
// longer shortest literal, then fewer literals.
func better(set, best []string) bool {
	if set == nil || shortest(set) < minLiteral {
		return false
	}
	if best == nil {
		return true
	}
	a, b := shortest(set), shortest(best)
	return a > b || a == b && len(set) < len(best)
}

func shortest(set []string) int {
	n := len(set[0])
	for _, s := range set[1:] {
		n = min(n, len(s))
	}
	return n
}

func analyze(re *syntax.Regexp) info {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 {
			s = strings.ToLower(s) // the folded text is lower case
		}
		return info{exact: []string{s}}
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return info{exact: []string{""}}
	case syntax.OpCharClass:
		var set []string
		for i := 0; i < len(re.Rune); i += 2 {
			if len(set)+int(re.Rune[i+1]-re.Rune[i]) >= 4 {
				return info{}
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				set = append(set, strings.ToLower(string(r)))
			}
		}
		return info{exact: set}
	case syntax.OpCapture:
		return analyze(re.Sub[0])
	case syntax.OpQuest:
		if sub := analyze(re.Sub[0]); sub.exact != nil {
			return info{exact: append(slices.Clone(sub.exact), "")}
		}
	case syntax.OpPlus:
		return atLeastOnce(analyze(re.Sub[0]))
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return atLeastOnce(analyze(re.Sub[0]))
		}
	case syntax.OpAlternate:
		return alternate(re.Sub)
	case syntax.OpConcat:
		return concat(re.Sub)
	}
	return info{}
}

// starts and ends are the sets every match of a node starts or ends with.
func (in info) starts() []string {
	if in.exact != nil {
		return in.exact
	}
	return in.prefix
}

func (in info) ends() []string {
	if in.exact != nil {
		return in.exact
	}
	return in.suffix
}

// atLeastOnce is what x+ guarantees given what x does.
func atLeastOnce(sub info) info {
	in := info{prefix: sub.starts(), suffix: sub.ends(), all: sub.all}
	if better(sub.exact, nil) {
		in.all = append(in.all, sub.exact)
	}
	return in
}

func alternate(subs []*syntax.Regexp) info {
	var exact, prefix, suffix, req []string
	allExact, allStart, allEnd, allReq := true, true, true, true
	for _, s := range subs {
		in := analyze(s)
		exact, allExact = append(exact, in.exact...), allExact && in.exact != nil
		prefix, allStart = append(prefix, in.starts()...), allStart && in.starts() != nil
		suffix, allEnd = append(suffix, in.ends()...), allEnd && in.ends() != nil
		set := in.best()
		if set == nil {
			set = in.exact // too short alone; the whole set is judged below
		}
		req, allReq = append(req, set...), allReq && set != nil
	}
	var out info
	if allExact && len(exact) <= maxExact {
		out.exact = exact
	}
	if allStart {
		out.prefix = prefix
	}
	if allEnd {
		out.suffix = suffix
	}
	if allReq && shortest(req) >= minLiteral {
		out.all = [][]string{req}
	}
	return out
}

// concat joins the exact runs of a sequence with what its neighbours start
// and end with ("ki" then "l+" gives "kil", "s" then "tab|ho+t" gives
// "stab" or "sho"), and keeps the most selective set any part guarantees.
func concat(subs []*syntax.Regexp) info {
	var all [][]string
	var prefix []string
	consider := func(set []string) {
		if better(set, nil) {
			all = append(all, set)
		}
	}
	cur := []string{""} // the exact strings the current run can be
	allExact := true
	for _, s := range subs {
		in := analyze(s)
		if in.exact != nil {
			if next := cross(cur, in.exact); next != nil {
				cur = next
				continue
			}
		}
		all = append(all, in.all...)
		consider(in.exact)
		head := cur
		if next := cross(cur, in.prefix); next != nil {
			head = next
		}
		consider(head)
		if allExact {
			prefix, allExact = head, false
		}
		cur = []string{""}
		if in.suffix != nil {
			cur = in.suffix
		}
	}
	if allExact {
		return info{exact: cur}
	}
	consider(cur)
	return info{all: all, prefix: prefix, suffix: cur}
}

// cross is every a+b, or nil when bs is nil or that would be too many
// strings.
func cross(as, bs []string) []string {
	if bs == nil || len(as)*len(bs) > maxExact {
		return nil
	}
	out := make([]string, 0, len(as)*len(bs))
	for _, a := range as {
		for _, b := range bs {
			out = append(out, a+b)
		}
	}
	return out
}
