package engine

import (
	"math/bits"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// windowMin is the shortest text whose patterns run in windows around their
// literals rather than over the whole text. Notes are shorter and keep the
// plain path; long texts (uploads' 64 KiB windows) contain nearly every
// literal somewhere, so nearly every pattern would scan all of them.
const windowMin = 4 << 10

// windowMargin is added to each side of a window, beyond the longest match:
// it keeps every match of the whole text strictly inside a window, with the
// character before and after it, which \b, ^ and $ look at.
const windowMargin = 8

// maxRunClasses is the most run classes the patterns' bounds may use: a
// text's runs of all of them are measured in one pass, with one bit each.
const maxRunClasses = 64

// lengthBound bounds the byte length of a pattern's matches: base plus, for
// each run class, coef times the longest run of that class's characters in
// the text ("\W+" matches at most the longest run of non-word characters).
// unbounded: no bound (a repeat of more than one character, like
// "(?:\w+\W+)*").
type lengthBound struct {
	unbounded bool
	base      int
	runs      []runTerm
}

type runTerm struct {
	class int // index into runSet.classes
	coef  int
}

// runClasses dedups the sets of characters that the patterns' unbounded
// repeats match one at a time, as sorted inclusive rune ranges (the form of
// syntax.Regexp.Rune).
type runClasses struct {
	list [][]rune
	ids  map[string]int
}

func (rc *runClasses) id(ranges []rune) int {
	var b strings.Builder
	for _, r := range ranges {
		b.WriteString(strconv.Itoa(int(r)))
		b.WriteByte(',')
	}
	key := b.String()
	if id, ok := rc.ids[key]; ok {
		return id
	}
	if rc.ids == nil {
		rc.ids = map[string]int{}
	}
	rc.ids[key] = len(rc.list)
	rc.list = append(rc.list, slices.Clone(ranges))
	return len(rc.list) - 1
}

// runSet measures the longest run of each class in a text in one pass: a
// character's classes are a bit mask.
type runSet struct {
	classes [][]rune
	ascii   [utf8.RuneSelf]uint64
}

func newRunSet(classes [][]rune) *runSet {
	rs := &runSet{classes: classes}
	for r := range rune(utf8.RuneSelf) {
		rs.ascii[r] = rs.mask(r)
	}
	return rs
}

// mask is the set of classes holding r.
func (rs *runSet) mask(r rune) uint64 {
	var m uint64
	for k, ranges := range rs.classes {
		// A bound itself, or after a range's low bound.
		if i, found := slices.BinarySearch(ranges, r); found || i%2 == 1 {
			m |= 1 << k
		}
	}
	return m
}

// longest returns the byte length of the longest run of each class's
// characters in text, decoding it as the regexp package does (an invalid
// byte is a U+FFFD one byte long).
func (rs *runSet) longest(text string) []int {
	best := make([]int, len(rs.classes))
	began := make([]int, len(rs.classes)) // where the current run of a class began
	var cache [256]struct {
		r    rune
		mask uint64
	}
	var cur uint64 // the classes whose run goes on
	for i := 0; i < len(text); {
		var m uint64
		size := 1
		if b := text[i]; b < utf8.RuneSelf {
			m = rs.ascii[b]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:])
			if e := &cache[r&0xff]; e.r == r {
				m = e.mask
			} else {
				m = rs.mask(r)
				e.r, e.mask = r, m
			}
		}
		if m != cur {
			for ended := cur &^ m; ended != 0; ended &= ended - 1 {
				k := bits.TrailingZeros64(ended)
				best[k] = max(best[k], i-began[k])
			}
			for starts := m &^ cur; starts != 0; starts &= starts - 1 {
				began[bits.TrailingZeros64(starts)] = i
			}
			cur = m
		}
		i += size
	}
	for ended := cur; ended != 0; ended &= ended - 1 {
		k := bits.TrailingZeros64(ended)
		best[k] = max(best[k], len(text)-began[k])
	}
	return best
}

// maxMatchLen returns a bound on the byte length of expr's matches.
func maxMatchLen(expr string, rc *runClasses) lengthBound {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return lengthBound{unbounded: true}
	}
	return boundOf(re, rc)
}

func boundOf(re *syntax.Regexp, rc *runClasses) lengthBound {
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return lengthBound{}
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				n += foldLen(r)
			} else {
				n += runeLen(r)
			}
		}
		return lengthBound{base: n}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return lengthBound{}
		}
		return lengthBound{base: runeLen(re.Rune[len(re.Rune)-1])}
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return lengthBound{base: utf8.UTFMax}
	case syntax.OpCapture, syntax.OpQuest:
		return boundOf(re.Sub[0], rc)
	case syntax.OpStar, syntax.OpPlus:
		return starOf(re.Sub[0], rc)
	case syntax.OpRepeat:
		if re.Max < 0 {
			return starOf(re.Sub[0], rc)
		}
		return scale(boundOf(re.Sub[0], rc), re.Max)
	case syntax.OpConcat:
		var b lengthBound
		for _, s := range re.Sub {
			b = add(b, boundOf(s, rc))
		}
		return b
	case syntax.OpAlternate:
		var b lengthBound
		for _, s := range re.Sub {
			b = atLeast(b, boundOf(s, rc))
		}
		return b
	}
	return lengthBound{unbounded: true}
}

// starOf bounds sub*: a run of one class's characters when sub matches one
// character, nothing when sub matches only the empty string, and no bound
// otherwise.
func starOf(sub *syntax.Regexp, rc *runClasses) lengthBound {
	if b := boundOf(sub, rc); !b.unbounded && b.base == 0 && len(b.runs) == 0 {
		return lengthBound{}
	}
	var ranges []rune
	switch sub.Op {
	case syntax.OpCharClass:
		ranges = sub.Rune
	case syntax.OpAnyChar:
		ranges = []rune{0, unicode.MaxRune}
	case syntax.OpAnyCharNotNL:
		ranges = []rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune}
	case syntax.OpLiteral:
		if len(sub.Rune) != 1 {
			return lengthBound{unbounded: true}
		}
		ranges = []rune{sub.Rune[0], sub.Rune[0]}
		if sub.Flags&syntax.FoldCase != 0 {
			ranges = ranges[:0]
			for r := sub.Rune[0]; ; {
				ranges = append(ranges, r, r)
				if r = unicode.SimpleFold(r); r == sub.Rune[0] {
					break
				}
			}
			slices.Sort(ranges)
		}
	default:
		return lengthBound{unbounded: true}
	}
	id := rc.id(ranges)
	if id >= maxRunClasses {
		return lengthBound{unbounded: true}
	}
	return lengthBound{runs: []runTerm{{class: id, coef: 1}}}
}

func add(a, b lengthBound) lengthBound {
	if a.unbounded || b.unbounded {
		return lengthBound{unbounded: true}
	}
	out := lengthBound{base: a.base + b.base, runs: slices.Clone(a.runs)}
	for _, t := range b.runs {
		out.runs = addRun(out.runs, t)
	}
	return out
}

func addRun(runs []runTerm, t runTerm) []runTerm {
	for i := range runs {
		if runs[i].class == t.class {
			runs[i].coef += t.coef
			return runs
		}
	}
	return append(runs, t)
}

// atLeast is a bound on both a and b: the larger base and, for each class,
// the larger coefficient.
func atLeast(a, b lengthBound) lengthBound {
	if a.unbounded || b.unbounded {
		return lengthBound{unbounded: true}
	}
	out := lengthBound{base: max(a.base, b.base), runs: slices.Clone(a.runs)}
	for _, t := range b.runs {
		i := slices.IndexFunc(out.runs, func(o runTerm) bool { return o.class == t.class })
		if i < 0 {
			out.runs = append(out.runs, t)
		} else {
			out.runs[i].coef = max(out.runs[i].coef, t.coef)
		}
	}
	return out
}

func scale(b lengthBound, n int) lengthBound {
	if b.unbounded {
		return b
	}
	out := lengthBound{base: b.base * n, runs: slices.Clone(b.runs)}
	for i := range out.runs {
		out.runs[i].coef *= n
	}
	return out
}

// runeLen is the UTF-8 length of r as the regexp package reads it; U+FFFD
// also stands for an invalid byte, which is shorter.
func runeLen(r rune) int {
	if n := utf8.RuneLen(r); n > 0 {
		return n
	}
	return utf8.UTFMax
}

// foldLen is the longest UTF-8 length of the characters r matches under
// case folding ("k" also matches the Kelvin sign, 3 bytes).
func foldLen(r rune) int {
	n := runeLen(r)
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		n = max(n, runeLen(f))
	}
	return n
}

// litOcc is an occurrence of a windowed literal: its id and start.
type litOcc struct {
	id, start int32
}

// windowedText runs bounded patterns in windows of one long text. A match
// of such a pattern is at most bound bytes long and contains an occurrence
// of a literal of its first set, so it lies within bound bytes of one: the
// windows are those stretches, widened by windowMargin, merged, and cut at
// character boundaries. Every match of the whole text then starts after its
// window's first byte and more than bound bytes before its window's end: the
// window shows the regexp the characters before and after every candidate
// match at that start (which \b, ^ and $ look at), so it chooses the same
// one, and the matches found in the windows are those of the whole text, in
// the same order.
type windowedText struct {
	c    *compiled
	text string
	occs []litOcc // in the order found
	// The starts of literal id's occurrences are starts[first[id]:first[id+1]],
	// in text order; runs[k] is the longest run of run class k. Both are
	// built on first use.
	first  []int32
	starts []int32
	runs   []int
	buf    []span
}

// find returns p's first maxPerRule matches in the text, as
// FindAllStringIndex over the whole text would.
func (t *windowedText) find(p *pattern) [][]int {
	if p.first == nil {
		return p.re.FindAllStringIndex(t.text, maxPerRule)
	}
	if t.runs == nil {
		t.group()
		t.runs = t.c.runs.longest(t.text)
	}
	bound := p.bound.base
	for _, r := range p.bound.runs {
		bound += r.coef * t.runs[r.class]
	}
	ws := t.windows(p, bound)
	if ws == nil {
		return p.re.FindAllStringIndex(t.text, maxPerRule)
	}
	var out [][]int
	for _, w := range ws {
		for _, loc := range p.re.FindAllStringIndex(t.text[w.start:w.end], maxPerRule-len(out)) {
			start, end := w.start+loc[0], w.start+loc[1]
			if start == w.start && w.start > 0 || start+bound >= w.end && w.end < len(t.text) {
				// A match at a cut edge is not one of the whole text's;
				// it cannot happen while every match contains a literal
				// of the first set and is at most bound bytes long.
				return p.re.FindAllStringIndex(t.text, maxPerRule)
			}
			out = append(out, []int{start, end})
		}
		if len(out) == maxPerRule {
			break
		}
	}
	return out
}

// group sorts the occurrences by literal.
func (t *windowedText) group() {
	t.first = make([]int32, len(t.c.literalLens)+1)
	for _, o := range t.occs {
		t.first[o.id+1]++
	}
	for id := 1; id < len(t.first); id++ {
		t.first[id] += t.first[id-1]
	}
	next := slices.Clone(t.first[:len(t.first)-1])
	t.starts = make([]int32, len(t.occs))
	// Occurrences are found in order of their end; those of one literal
	// are then in order of their start too.
	for _, o := range t.occs {
		t.starts[next[o.id]] = o.start
		next[o.id]++
	}
}

// windows returns the windows of the text where p's matches lie, or nil
// when they would cover most of it and the whole text costs less.
func (t *windowedText) windows(p *pattern, bound int) []span {
	n := len(t.text)
	pad := bound + windowMargin
	if pad >= n/2 {
		return nil
	}
	count := 0
	for _, id := range p.first {
		count += int(t.first[id+1] - t.first[id])
	}
	if count*2*pad >= n*3/4 {
		return nil // a guess, which spares building windows that would cover most of the text
	}
	ws := t.buf[:0]
	lists := 0
	for _, id := range p.first {
		starts := t.starts[t.first[id]:t.first[id+1]]
		if len(starts) == 0 {
			continue
		}
		lists++
		from := len(ws)
		for _, s := range starts {
			lo, hi := max(0, int(s)-pad), min(n, int(s)+int(t.c.literalLens[id])+pad)
			for lo > 0 && !utf8.RuneStart(t.text[lo]) {
				lo--
			}
			for hi < n && !utf8.RuneStart(t.text[hi]) {
				hi++
			}
			if len(ws) > from && lo <= ws[len(ws)-1].end {
				ws[len(ws)-1].end = hi
			} else {
				ws = append(ws, span{lo, hi})
			}
		}
	}
	if lists > 1 {
		slices.SortFunc(ws, func(a, b span) int { return a.start - b.start })
		merged := ws[:1]
		for _, w := range ws[1:] {
			if last := &merged[len(merged)-1]; w.start <= last.end {
				last.end = max(last.end, w.end)
			} else {
				merged = append(merged, w)
			}
		}
		ws = merged
	}
	t.buf = ws
	covered := 0
	for _, w := range ws {
		covered += w.end - w.start
	}
	if covered >= n*3/4 {
		return nil
	}
	return ws
}
