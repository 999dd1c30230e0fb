package engine

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/ahocorasick"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/normalize"
	"github.com/aup-dev/aup/internal/rules"
)

// Context lowers the scores of matches that a text mentions rather than uses:
// negated ("I don't think they are vermin"), reported or condemned
// ("he called me a [slur]", `saying "..." is hateful`), asked about ("what
// does [slur] mean"), in fiction or games, or in medical use. The cues are
// data (rules/<lang>/context.rules), the kinds and their factors too (the
// @kind lines of rules/any/context.rules); where a cue reaches is here.
//
// A context never hides a violation:
//   - a lowered match is still listed, with its lowered score, and a
//     "context" signal names the rule, the kind and the cue;
//   - a match aimed at the reader ("you", in the match or next to it)
//     keeps at least the category's review threshold, unless the match is
//     quoted speech that a cue outside the quotes reports;
//   - a match whose words were disguised (leetspeak, spaced or starred
//     letters, stretched letters) is never lowered: an innocent sentence has
//     no reason to hide its words;
//   - contexts do not compound: the lowest factor among those that apply
//     is used once.

// cueIndex is the compiled cue lists of one generation of rules.
type cueIndex struct {
	cues  []rules.Rule // the cues as Words and Exception rules, for findWords
	meta  []cueMeta    // by cue
	ac    *ahocorasick.Matcher
	parts []acPart
	kinds []contextKind
	// lowers holds the categories that some kind lowers: a text without a
	// match in one of them is never scanned for cues.
	lowers map[moderation.Category]bool
}

// Indexes of the built-in kinds in cueMeta.kind.
const (
	kindAddressee = -1
	kindBreak     = -2
)

type cueMeta struct {
	kind  int // index into kinds, or kindAddressee, kindBreak
	scope rules.Scope
	words []string // the cue's skeleton words, to tell a cue from a rule's own words
}

type contextKind struct {
	rules.Context
	lowers map[moderation.Category]bool
}

// compileCues builds the cue matcher of set; nil when set has no cues.
func compileCues(set *rules.Set) (*cueIndex, []string) {
	if len(set.Cues) == 0 {
		return nil, nil
	}
	ix := &cueIndex{lowers: map[moderation.Category]bool{}}
	kindOf := map[string]int{rules.Addressee: kindAddressee, rules.Break: kindBreak}
	for i, k := range set.Contexts {
		ck := contextKind{Context: k, lowers: map[moderation.Category]bool{}}
		for _, cat := range k.Categories {
			ck.lowers[cat] = true
			ix.lowers[cat] = true
		}
		ix.kinds = append(ix.kinds, ck)
		kindOf[k.Kind] = i
	}
	var skeletons, problems []string
	for _, cue := range set.Cues {
		i := len(ix.cues)
		r := rules.Rule{ID: cue.ID, Lang: cue.Lang, Kind: rules.Words, Parts: cue.Parts}
		if cue.Exception {
			r.Kind = rules.Exception
		}
		m := cueMeta{scope: cue.Scope}
		kind, ok := kindOf[cue.Kind]
		if !ok && !cue.Exception {
			problems = append(problems, fmt.Sprintf("%s: context kind %q is not defined", cue.Source, cue.Kind))
			continue
		}
		m.kind = kind
		for j, p := range cue.Parts {
			text, run := normalize.Skeleton(p.Text)
			if text == "" {
				problems = append(problems, fmt.Sprintf("%s: %q has no letters or digits to match", cue.Source, p.Text))
				continue
			}
			skeletons = append(skeletons, text)
			m.words = append(m.words, strings.Fields(text)...)
			ix.parts = append(ix.parts, acPart{
				rule: i, part: j, run: run,
				openStart: p.OpenStart, openEnd: p.OpenEnd,
				spaceless: spaceless(text),
			})
		}
		ix.cues = append(ix.cues, r)
		ix.meta = append(ix.meta, m)
	}
	ix.ac = ahocorasick.New(skeletons)
	return ix, problems
}

// cueHit is a cue found in a text, in Folded offsets.
type cueHit struct {
	cue        int
	start, end int
}

// span is a half-open range of the Folded text.
type span struct{ start, end int }

// contextScan is the context of one text, found the first time a match
// might be lowered.
type contextScan struct {
	ix      *cueIndex
	f       *normalize.Folded
	w       *normalize.Words
	applies func(*rules.Rule) bool
	scanned bool

	cues      []cueHit // cues of lowering kinds, by start
	addressee []cueHit
	breaks    []cueHit
	quotes    []span // quoted text, inside the quotation marks, by start
	sentences []int  // ends of sentences outside quotes: the offset of their last character
}

// scan finds the cues, quotations and sentences of the text, once.
func (x *contextScan) scan() {
	if x.scanned {
		return
	}
	x.scanned = true
	found := findWords(x.w, x.ix.ac, x.ix.parts, x.ix.cues, x.applies)
	if len(found) == 0 {
		return
	}
	t := x.f.Text
	for _, h := range resolveWords(found, x.ix.cues, x.w.Text) {
		start, end := x.w.Folded(h.start, h.end)
		if end+1 < len(t) && t[end] == '-' && isWordByte(t[end+1]) {
			continue // the first half of a compound: "no-judíos", "non-white"
		}
		ch := cueHit{h.rule, start, end}
		switch x.ix.meta[h.rule].kind {
		case kindAddressee:
			x.addressee = append(x.addressee, ch)
		case kindBreak:
			x.breaks = append(x.breaks, ch)
		default:
			x.cues = append(x.cues, ch)
		}
	}
	if len(x.cues) == 0 {
		return
	}
	byStart := func(a, b cueHit) int { return a.start - b.start }
	slices.SortFunc(x.cues, byStart)
	slices.SortFunc(x.addressee, byStart)
	slices.SortFunc(x.breaks, byStart)
	x.quotes = quotations(x.f.Text)
	x.sentences = sentenceEnds(x.f.Text, x.quotes)
}

// lowering is why a match was lowered: the kind of context and the cue.
type lowering struct {
	kind  string
	cue   string // the cue's id
	score float64
}

// lower returns the score of a match of rule c.rules[rule] at [start, end) of
// the Folded text in its context, and why it is lower than the rule's
// score (nil when it is not).
func (x *contextScan) lower(c *compiled, rule, start, end int) (float64, *lowering) {
	r := &c.rules[rule]
	raw := r.Score
	x.scan()
	if len(x.cues) == 0 || obfuscated(x.f.Text[start:end]) {
		return raw, nil
	}
	// A term of one or two words names rather than states ("[slur]",
	// "spear chucker"): kinds that lower statements only leave it.
	name := r.Kind == rules.Words && len(r.Parts) == 1 && len(strings.Fields(r.Parts[0].Text)) < 3
	question, aimed := -1, -1 // not yet known
	var why *lowering
	best := raw
	// Every scope lies within the match's sentence: only its cues count.
	from, to := x.sentenceSpan(start)
	first, _ := slices.BinarySearchFunc(x.cues, from, func(h cueHit, from int) int { return h.start - from })
	for _, h := range x.cues[first:] {
		if h.start >= to {
			break
		}
		m := &x.ix.meta[h.cue]
		k := &x.ix.kinds[m.kind]
		if !k.lowers[r.Category] || k.Phrases && name || k.Factor*raw >= best {
			continue
		}
		if !x.reaches(h, m, r, start, end) {
			continue
		}
		if k.Statements {
			if question < 0 {
				question = b2i(x.question(start, end))
			}
			if question == 1 {
				continue
			}
		}
		score := raw * k.Factor
		// Quoted speech that a cue outside the quotes reports is someone
		// else's words: its "you" is not the reader.
		if m.scope.Where != rules.Quote {
			if aimed < 0 {
				aimed = b2i(x.aimed(start, end))
			}
			if aimed == 1 {
				score = max(score, min(raw, c.thresholds[r.Category].Review))
			}
		}
		if score < best {
			best = score
			why = &lowering{kind: k.Kind, cue: x.ix.cues[h.cue].ID}
		}
	}
	if why != nil {
		why.score = best
	}
	return best, why
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// reaches reports whether cue h, with meta m, puts the match of r at
// [start, end) in its context.
func (x *contextScan) reaches(h cueHit, m *cueMeta, r *rules.Rule, start, end int) bool {
	switch m.scope.Where {
	case rules.Before, rules.After:
		if h.start >= start && h.end <= end {
			return x.inGap(m, r)
		}
		if m.scope.Where == rules.Before {
			return h.end <= start && x.near(h.end, start, m.scope.Reach, true)
		}
		return h.start >= end && x.near(end, h.start, m.scope.Reach, true)
	case rules.Around:
		return h.start <= start && end <= h.end && (h.start < start || end < h.end)
	case rules.Sentence:
		return x.sentence(h.start) == x.sentence(start)
	case rules.Quote:
		q := x.quoteOf(start, end)
		return q >= 0 && (h.end <= x.quotes[q].start || h.start >= x.quotes[q].end) &&
			x.sentence(h.start) == x.sentence(start)
	}
	return false
}

// inGap reports whether a cue found inside a match stands in a gap the rule
// leaves open ("are not vermin" for "are ~3 vermin", "мигранты не паразиты"
// for a pattern with a filler) rather than among the words the rule was
// written with ("do not deserve to live", a pattern spelling "not\W+human"):
// only the first puts the match in context.
func (x *contextScan) inGap(m *cueMeta, r *rules.Rule) bool {
	var words []string
	switch r.Kind {
	case rules.Words:
		for _, p := range r.Parts {
			text, _ := normalize.Skeleton(p.Text)
			words = append(words, strings.Fields(text)...)
		}
	case rules.Pattern:
		words = strings.FieldsFunc(strings.ToLower(r.Pattern), func(r rune) bool { return !isWordRune(r) })
	default:
		return false
	}
	for _, cw := range m.words {
		if slices.Contains(words, cw) {
			return false
		}
	}
	return true
}

// maxWordBytes bounds the bytes a word between a cue and its match may
// take on average: a longer gap is out of reach without counting its words.
const maxWordBytes = 32

// near reports whether at most reach words lie in [a, b) and no clause
// ends there (a sentence, when clause is false).
func (x *contextScan) near(a, b, reach int, clause bool) bool {
	if b-a > (reach+1)*maxWordBytes || countWords(x.f.Text[a:b]) > reach || breaksIn(x.f.Text[a:b], clause) {
		return false
	}
	for _, br := range x.breaks {
		if br.start >= b {
			break
		}
		if br.start >= a && br.end <= b {
			return false
		}
	}
	return true
}

// aimed reports whether the match at [start, end) is aimed at the reader:
// an addressee cue is inside it, or before or after it within the cue's
// reach, in the same sentence and the same quotation.
func (x *contextScan) aimed(start, end int) bool {
	q := x.quoteOf(start, end)
	from, to := x.sentenceSpan(start)
	first, _ := slices.BinarySearchFunc(x.addressee, from, func(h cueHit, from int) int { return h.start - from })
	for _, h := range x.addressee[first:] {
		if h.start >= to {
			break
		}
		m := &x.ix.meta[h.cue]
		switch {
		case h.start >= start && h.end <= end:
			return true
		case x.quoteOf(h.start, h.end) != q:
		case m.scope.Where == rules.Before && h.end <= start && x.near(h.end, start, m.scope.Reach, false),
			m.scope.Where == rules.After && h.start >= end && x.near(end, h.start, m.scope.Reach, false):
			return true
		}
	}
	return false
}

// question reports whether the sentence of the match at [start, end) is a
// question: it ends with '?', or an inverted '¿' opens it.
func (x *contextScan) question(start, end int) bool {
	t := x.f.Text
	s := x.sentence(start)
	if s < len(x.sentences) && x.sentences[s] < len(t) && t[x.sentences[s]] == '?' {
		return true
	}
	from := 0
	if s > 0 {
		from = x.sentences[s-1]
	}
	return strings.Contains(t[from:start], "¿")
}

// sentenceSpan returns the bounds [from, to) of the sentence that offset i
// is in.
func (x *contextScan) sentenceSpan(i int) (from, to int) {
	n := x.sentence(i)
	to = len(x.f.Text)
	if n < len(x.sentences) {
		to = x.sentences[n] + 1
	}
	if n > 0 {
		from = x.sentences[n-1] + 1
	}
	return from, to
}

// sentence returns the index of the sentence that offset i is in.
func (x *contextScan) sentence(i int) int {
	n, _ := slices.BinarySearch(x.sentences, i)
	return n
}

// quoteOf returns the quotation holding [start, end), or -1.
func (x *contextScan) quoteOf(start, end int) int {
	// Quotations of different families may nest: the innermost holding
	// [start, end) is the last one starting at or before start that does.
	n, _ := slices.BinarySearchFunc(x.quotes, start+1, func(q span, i int) int { return q.start - i })
	for i := n - 1; i >= 0; i-- {
		if q := x.quotes[i]; q.start <= start && end <= q.end {
			return i
		}
	}
	return -1
}

// countWords counts the words in s: runs of letters and digits, with
// apostrophes inside them ("don't" is one word).
func countWords(s string) int {
	n, in := 0, false
	for i, r := range s {
		switch {
		case isWordRune(r):
			if !in {
				n++
			}
			in = true
		case (r == '\'' || r == '’') && in && i+utf8.RuneLen(r) < len(s):
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			in = isWordRune(next)
		default:
			in = false
		}
	}
	return n
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// breaksIn reports whether s holds the end of a clause (clause true) or of
// a sentence: a full stop, '!', '?', ';', '…' or a line break; for a clause
// also a comma, a colon or a bracket. '.', ',', ':', '!' and '?' end
// something only when no letter or digit follows them ("3.5", "sh!t").
func breaksIn(s string, clause bool) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ';', '\n':
			return true
		case '.', '!', '?':
			if i+1 == len(s) || !isWordByte(s[i+1]) {
				return true
			}
		case ',', ':':
			if clause && (i+1 == len(s) || !isWordByte(s[i+1])) {
				return true
			}
		case '(', ')', '[', ']':
			if clause {
				return true
			}
		}
	}
	return strings.Contains(s, "…") || clause && strings.ContainsAny(s, "¿¡")
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= utf8.RuneSelf
}

// sentenceEnds returns the offsets of the characters that end sentences in
// t ('.', '!', '?', ';', '…', a line break), leaving out those inside
// quotations: a quoted sentence belongs to the sentence that quotes it.
func sentenceEnds(t string, quotes []span) []int {
	var ends []int
	q := 0
	for i := 0; i < len(t); i++ {
		for q < len(quotes) && quotes[q].end <= i {
			q++
		}
		if q < len(quotes) && quotes[q].start <= i {
			continue
		}
		switch t[i] {
		case ';', '\n':
			ends = append(ends, i)
		case '.', '!', '?':
			if i+1 == len(t) || !isWordByte(t[i+1]) {
				ends = append(ends, i)
			}
		case 0xe2: // "…" is e2 80 a6
			if strings.HasPrefix(t[i:], "…") {
				ends = append(ends, i)
			}
		}
	}
	return ends
}

// quotations returns the spans of t inside quotation marks, paired within
// each family of marks: straight and curly double quotes („ “ ” " ‟),
// guillemets in either direction (« » ‹ ›), corner brackets (「 」 『 』),
// and single quotes (' ‘ ’) that open before a word and close after one
// (an apostrophe inside a word, "don't", is neither). A mark without its
// pair quotes nothing.
func quotations(t string) []span {
	var out []span
	open := [4]int{-1, -1, -1, -1} // by family: where the quotation's text starts
	for i := 0; i < len(t); {
		r, size := utf8.DecodeRuneInString(t[i:])
		fam, opens, closes := -1, false, false
		switch r {
		case '"', '“', '”', '„', '‟':
			fam, opens, closes = 0, true, true
		case '«', '»', '‹', '›':
			fam, opens, closes = 1, true, true
		case '「', '『':
			fam, opens = 2, true
		case '」', '』':
			fam, closes = 2, true
		case '\'', '‘', '’':
			fam = 3
			prev, _ := utf8.DecodeLastRuneInString(t[:i])
			next, _ := utf8.DecodeRuneInString(t[i+size:])
			opens = (i == 0 || !isWordRune(prev)) && isWordRune(next)
			closes = i > 0 && isWordRune(prev) && (i+size == len(t) || !isWordRune(next))
		}
		i += size
		if fam < 0 {
			continue
		}
		switch o := &open[fam]; {
		case *o >= 0 && closes:
			out = append(out, span{*o, i - size})
			*o = -1
		case *o < 0 && opens:
			*o = i
		}
	}
	slices.SortFunc(out, func(a, b span) int { return a.start - b.start })
	return out
}

// obfuscated reports whether a matched span of the Folded text was written
// to get past a word filter: a word mixing letters with digits or symbols
// ("v3rm1n", "f*ck", "sh!t", "@ss"), three or more single letters in a row
// spaced out by one and the same separator ("k i l l", "s.c.u.m"), or a
// letter written three or more times in a row ("kiiill").
func obfuscated(s string) bool {
	type word struct {
		runes int
		sep   string // the separators before the word
	}
	var words []word
	letters, others, run := false, false, 0
	var last rune
	start, sepStart := -1, 0
	flush := func(i int) bool {
		if start >= 0 {
			words = append(words, word{utf8.RuneCountInString(s[start:i]), s[sepStart:start]})
			sepStart = i
		}
		mixed := letters && others
		start, letters, others, run, last = -1, false, false, 0, 0
		return mixed
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
			letters = true
			if r == last {
				if run++; run >= 3 {
					return true
				}
			} else {
				run = 1
			}
		case '0' <= r && r <= '9', r == '@', r == '$', r == '*', r == '|',
			r == '!' && i+1 < len(s) && isWordByte(s[i+1]):
			others, run = true, 0
		default:
			if flush(i) {
				return true
			}
			continue
		}
		if start < 0 {
			start = i
		}
		last = r
	}
	if flush(len(s)) {
		return true
	}
	spaced, chainSep := 0, ""
	for _, w := range words {
		switch {
		case w.runes != 1:
			spaced = 0
		case spaced == 0 || utf8.RuneCountInString(w.sep) != 1:
			spaced = 1
		case spaced == 1 || w.sep != chainSep:
			spaced, chainSep = 2, w.sep
		default:
			spaced++
		}
		if spaced >= 3 {
			return true
		}
	}
	return false
}
