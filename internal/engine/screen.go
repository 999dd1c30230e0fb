package engine

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/ahocorasick"
	"github.com/aup-dev/aup/internal/links"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/normalize"
	"github.com/aup-dev/aup/internal/pii"
	"github.com/aup-dev/aup/internal/rules"
)

// maxMatches bounds the matches a verdict lists, and maxPerRule those of one
// rule; the scores count every rule that matched. The strongest are kept, so
// a flood of weak matches cannot hide the one that decided.
const (
	maxMatches = 100
	maxPerRule = 5
	// maxOccurrences bounds the occurrences of one rule's parts kept while
	// matching a text, which bounds the work on a text made of one word.
	maxOccurrences = 256
)

// Every language's rules apply when detection is unsure: below
// gateConfidence, or on texts of fewer than gateWords words, where detection
// is often confidently wrong ("i will kiiill you" reads as French, "how do I
// disarm a police officer" as Italian at 0.79). Missing a threat is worse
// than the rare word that is rude in another language. Widening the gate
// from 6 words and 0.5 to these values changed no held-out figure and added
// recall on short texts (rules alone: davidson-en 0.496 -> 0.506).
const (
	gateConfidence = 0.8
	gateWords      = 10
	cueConfidence  = 0.5
)

// sibling pairs languages whose lists apply together because the detector
// confuses them even when sure of itself. Ukrainian and Russian share a
// script, much vocabulary and their obscene words, and mixed speech (surzhyk)
// is common: about 2% of Ukrainian comments are taken for Russian.
// Portuguese is taken for Spanish at 0.87 on short sentences.
var sibling = map[string]string{"uk": "ru", "ru": "uk", "es": "pt", "pt": "es"}

// hit is a match in Folded offsets, before it is mapped to the original.
type hit struct {
	rule       int
	start, end int // in the word view (Words) or folded text (others)
}

// screen computes the verdict for folded text under c. Matches are in Folded
// offsets; all non-zero category scores are kept so that dynamic signals can
// be added before the policy decides (see decide).
func (c *compiled) screen(f *normalize.Folded, lang moderation.Language) moderation.Verdict {
	w := normalize.WordsOf(f)
	return c.screenWords(f, &w, lang)
}

func (c *compiled) screenWords(f *normalize.Folded, w *normalize.Words, lang moderation.Language) moderation.Verdict {
	open := lang.Code == moderation.Undetermined || lang.Confidence < gateConfidence ||
		strings.Count(w.Text, " ") <= gateWords // the view has a space before each word and one after the last
	ofLang := func(r *rules.Rule) bool {
		return r.Lang == "any" || r.Lang == lang.Code || r.Lang == sibling[lang.Code]
	}
	applies := func(r *rules.Rule) bool { return open || ofLang(r) }
	// Context cues are short common words ("a", "was", "you"): another
	// language's would lower or aim matches at random, so a short text's
	// cues are those of its detected language unless detection failed.
	cueApplies := func(r *rules.Rule) bool {
		return lang.Code == moderation.Undetermined || lang.Confidence < cueConfidence || ofLang(r)
	}
	s := scorer{c: c}
	if c.cues != nil {
		s.context = &contextScan{ix: c.cues, f: f, w: w, applies: cueApplies}
	}

	for _, h := range c.matchWords(w, applies) {
		start, end := w.Folded(h.start, h.end)
		s.add(h.rule, start, end)
	}
	c.matchPatterns(f.Text, applies, &s, nil)
	// Patterns also see the words view when it undid a disguise (leetspeak,
	// spaced letters, long repeats), so "i will k1ll you" and "i will kiiill
	// you" meet the pattern "i will kill you" does. Otherwise the view holds
	// nothing the folded text does not, and a second pass would only cost.
	if w.Disguised {
		c.matchPatterns(w.Text, applies, &s, w.Folded)
	}
	c.matchLinks(f.Text, &s)
	c.matchPII(f.Text, &s)
	c.repetition(w, &s)
	s.finish()

	lang.Confidence = round(lang.Confidence)
	v := moderation.Verdict{
		Language:      lang,
		Matches:       s.list(),
		Signals:       s.signals,
		PolicyVersion: c.version,
	}
	for cat, score := range s.scores {
		v.Categories = append(v.Categories, moderation.CategoryScore{Category: cat, Score: round(score)})
	}
	return v
}

// scorer gathers matches and combines scores: each rule counts once per text,
// at the score of its strongest match in context, and the rules of one
// category combine as independent evidence.
type scorer struct {
	c       *compiled
	context *contextScan // nil: the rules have no context cues
	scores  map[moderation.Category]float64
	best    map[int]float64   // rule -> its score in this text
	why     map[int]*lowering // rule -> why best is below the rule's score
	counted map[int]int       // rule -> matches listed
	matches []moderation.Match
	signals []moderation.Signal
}

func (s *scorer) count(cat moderation.Category, score float64) {
	if s.scores == nil {
		s.scores = map[moderation.Category]float64{}
	}
	s.scores[cat] = 1 - (1-s.scores[cat])*(1-score)
}

func (s *scorer) add(rule, start, end int) {
	r := &s.c.rules[rule]
	n, seen := s.counted[rule]
	if !seen {
		if s.counted == nil {
			s.counted, s.best, s.why = map[int]int{}, map[int]float64{}, map[int]*lowering{}
		}
		s.counted[rule] = 0
	}
	best, lowered := s.best[rule], s.why[rule] != nil
	if n == maxPerRule && seen && !lowered {
		return // the rule counts in full already, and enough of its matches are listed
	}
	score, why := r.Score, (*lowering)(nil)
	if s.context != nil && s.c.cues.lowers[r.Category] {
		score, why = s.context.lower(s.c, rule, start, end)
	}
	if !seen || score > best {
		s.best[rule], s.why[rule] = score, why
	}
	if n == maxPerRule {
		return
	}
	m := moderation.Match{Rule: r.ID, Category: r.Category, Start: start, End: end, Score: round(score)}
	for _, o := range s.matches {
		if o.Rule == m.Rule && o.Start == m.Start && o.End == m.End {
			return // the same match seen in both views of the text
		}
	}
	s.counted[rule] = n + 1
	s.matches = append(s.matches, m)
}

// finish counts each rule at its best score, in rule order so that the
// sums are the same on every run, and adds a "context" signal for each rule
// that counts for less than its score.
func (s *scorer) finish() {
	rs := make([]int, 0, len(s.best))
	for rule := range s.best {
		rs = append(rs, rule)
	}
	slices.Sort(rs)
	for _, rule := range rs {
		r := &s.c.rules[rule]
		s.count(r.Category, s.best[rule])
		if why := s.why[rule]; why != nil {
			s.signals = append(s.signals, moderation.Signal{
				Name: "context", Category: r.Category, Score: round(why.score),
				Detail: fmt.Sprintf("%s lowered by %s context (cue %s) from %s",
					r.ID, why.kind, why.cue, strconv.FormatFloat(r.Score, 'f', -1, 64)),
			})
		}
	}
}

// list returns the strongest matches, at most maxMatches, in text order.
func (s *scorer) list() []moderation.Match {
	ms := s.matches
	if len(ms) > maxMatches {
		slices.SortStableFunc(ms, func(a, b moderation.Match) int {
			if a.Score != b.Score {
				if a.Score > b.Score {
					return -1
				}
				return 1
			}
			return 0
		})
		ms = ms[:maxMatches]
	}
	slices.SortFunc(ms, func(a, b moderation.Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		if a.End != b.End {
			return a.End - b.End
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	return ms
}

func (s *scorer) signal(rule int, name, detail string) {
	r := &s.c.rules[rule]
	s.count(r.Category, r.Score)
	s.signals = append(s.signals, moderation.Signal{Name: name, Category: r.Category, Score: r.Score, Detail: detail})
}

// occurrence is one part of a Words or Exception rule found in the word view.
type occurrence struct {
	part       int
	start, end int
}

// matchWords runs the automaton over the word view and returns the terms and
// phrases found, in word-view offsets, with exceptions applied.
func (c *compiled) matchWords(w *normalize.Words, applies func(*rules.Rule) bool) []hit {
	found := findWords(w, c.ac, c.acParts, c.rules, applies)
	if strings.IndexByte(w.Text, '*') >= 0 {
		c.matchWild(w, found, applies)
	}
	hits := resolveWords(found, c.rules, w.Text)
	// found is a map: put the hits in one order so that every run lists
	// and keeps the same ones.
	slices.SortFunc(hits, func(a, b hit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		if a.end != b.end {
			return a.end - b.end
		}
		return a.rule - b.rule
	})
	return c.bestPerSpan(hits)
}

// findWords runs ac, the automaton of the parts of rs, over the word view and
// returns the occurrences of each rule's parts, whole words only, in
// word-view offsets.
func findWords(w *normalize.Words, ac *ahocorasick.Matcher, parts []acPart, rs []rules.Rule, applies func(*rules.Rule) bool) map[int][]occurrence {
	text := w.Text
	found := map[int][]occurrence{} // rule -> occurrences of its parts
	var bounds *wordBounds
	ac.Find(text, func(id, start, end int) bool {
		p := &parts[id]
		r := &rs[p.rule]
		if !p.spaceless && (!p.openStart && text[start-1] != ' ' || !p.openEnd && text[end] != ' ') {
			return true
		}
		for i, n := range p.run {
			if w.Run[start+i] < n {
				return true
			}
		}
		// Exceptions are narrow and protect whatever the detected language:
		// the terms they guard may come from any/ or another language.
		if r.Kind != rules.Exception && !applies(r) || len(found[p.rule]) == maxOccurrences {
			return true
		}
		// An open end matches inside a word; the match covers the whole word.
		if (p.openStart || p.openEnd) && !p.spaceless {
			if bounds == nil {
				bounds = newWordBounds(text)
			}
			if p.openStart {
				start = bounds.start(start)
			}
			if p.openEnd {
				end = bounds.end(end)
			}
		}
		found[p.rule] = append(found[p.rule], occurrence{p.part, start, end})
		return true
	})
	return found
}

// resolveWords turns the occurrences found in text into hits: the parts of
// phrases chained within their gaps, and every hit inside an exception's
// span dropped.
func resolveWords(found map[int][]occurrence, rs []rules.Rule, text string) []hit {
	var hits, exceptions []hit
	var spaces []int32
	for rule, occs := range found {
		r := &rs[rule]
		if len(r.Parts) > 1 {
			if spaces == nil {
				spaces = countSpaces(text)
			}
			hits = append(hits, phrase(r, rule, occs, spaces)...)
			continue
		}
		for _, o := range occs {
			h := hit{rule, o.start, o.end}
			if r.Kind == rules.Exception {
				exceptions = append(exceptions, h)
			} else {
				hits = append(hits, h)
			}
		}
	}
	if len(exceptions) > 0 {
		hits = slices.DeleteFunc(hits, func(h hit) bool {
			for _, e := range exceptions {
				if e.start <= h.start && h.end <= e.end {
					return true
				}
			}
			return false
		})
	}
	return hits
}

// bestPerSpan keeps, of the rules of one category matching the same span,
// the highest scoring: "scheiß*", "*scheiß*" and "scheiße" on one word are
// one piece of evidence, not three.
func (c *compiled) bestPerSpan(hits []hit) []hit {
	if len(hits) < 2 {
		return hits
	}
	type key struct {
		start, end int
		cat        moderation.Category
	}
	best := make(map[key]int, len(hits))
	for i, h := range hits {
		k := key{h.start, h.end, c.rules[h.rule].Category}
		if j, ok := best[k]; !ok || c.rules[h.rule].Score > c.rules[hits[j].rule].Score {
			best[k] = i
		}
	}
	out := hits[:0:0]
	for i, h := range hits {
		if best[key{h.start, h.end, c.rules[h.rule].Category}] == i {
			out = append(out, h)
		}
	}
	return out
}

// wordBounds finds the word around an offset of the words view in constant
// time, so that a text of one long word costs no more than any other.
type wordBounds struct {
	starts, ends []int32
}

func newWordBounds(text string) *wordBounds {
	b := &wordBounds{starts: make([]int32, len(text)+1), ends: make([]int32, len(text)+1)}
	for i := 1; i <= len(text); i++ {
		b.starts[i] = b.starts[i-1]
		if text[i-1] == ' ' {
			b.starts[i] = int32(i)
		}
	}
	b.ends[len(text)] = int32(len(text))
	for i := len(text) - 1; i >= 0; i-- {
		b.ends[i] = b.ends[i+1]
		if text[i] == ' ' {
			b.ends[i] = int32(i)
		}
	}
	return b
}

func (b *wordBounds) start(i int) int { return int(b.starts[i]) }
func (b *wordBounds) end(i int) int   { return int(b.ends[i]) }

// phrase finds the chains of a phrase's parts, in order, each starting within
// its gap of the previous one. spaces[i] counts the spaces in text[:i], so
// the words between two offsets cost a subtraction.
func phrase(r *rules.Rule, rule int, occs []occurrence, spaces []int32) []hit {
	byPart := make([][]occurrence, len(r.Parts))
	for _, o := range occs {
		byPart[o.part] = append(byPart[o.part], o)
	}
	for _, list := range byPart {
		slices.SortFunc(list, func(a, b occurrence) int { return a.start - b.start })
	}
	var hits []hit
	for _, first := range byPart[0] {
		end := first.end
		for k := 1; k < len(r.Parts) && end >= 0; k++ {
			list := byPart[k]
			i, _ := slices.BinarySearchFunc(list, end, func(o occurrence, end int) int { return o.start - end })
			if i == len(list) || int(spaces[list[i].start]-spaces[end])-1 > r.Parts[k-1].Gap {
				end = -1
			} else {
				end = list[i].end
			}
		}
		if end >= 0 {
			hits = append(hits, hit{rule, first.start, end})
			if len(hits) == maxMatches {
				break
			}
		}
	}
	return hits
}

// countSpaces returns, for each offset of text, the spaces before it.
func countSpaces(text string) []int32 {
	spaces := make([]int32, len(text)+1)
	for i := 0; i < len(text); i++ {
		spaces[i+1] = spaces[i]
		if text[i] == ' ' {
			spaces[i+1]++
		}
	}
	return spaces
}

// matchWild matches censored words ("f*ck", "n***a", "fu*king") against
// one-word terms: each '*' stands for one letter, at least two letters must
// be real and at most one more hidden, and a term that may continue
// ("fuck*") matches the start of the word.
func (c *compiled) matchWild(w *normalize.Words, found map[int][]occurrence, applies func(*rules.Rule) bool) {
	text := w.Text
	censored := 0
	for start := 1; start < len(text) && censored < maxOccurrences; {
		end := start + strings.IndexByte(text[start:], ' ')
		if end < start {
			break
		}
		if strings.IndexByte(text[start:end], '*') >= 0 {
			censored++
			letters := expand(text[start:end], w.Run[start:end])
			stars := 0
			for _, r := range letters {
				if r == '*' {
					stars++
				}
			}
			if real := len(letters) - stars; real >= 2 && stars <= real+1 {
				match := func(t wildTerm) {
					if sameWild(letters, t) && applies(&c.rules[t.rule]) {
						found[t.rule] = append(found[t.rule], occurrence{0, start, end})
					}
				}
				for _, t := range c.wild[len(letters)] {
					match(t)
				}
				for _, n := range c.prefixLens {
					for _, t := range c.wild[n] {
						if n < len(letters) && t.prefix {
							match(t)
						}
					}
				}
			}
		}
		start = end + 1
	}
}

// sameWild reports whether a censored word spells term t.
func sameWild(word []rune, t wildTerm) bool {
	if len(word) != len(t.letters) && (!t.prefix || len(word) < len(t.letters)) {
		return false
	}
	for i, r := range t.letters {
		if word[i] != '*' && word[i] != r {
			return false
		}
	}
	return true
}

// matchPatterns runs the patterns whose required literal sets all occur in
// text, and those without any. toFolded maps a match in text to the folded
// text (nil: text is the folded text). In a long text, a pattern whose
// matches have a length bound runs only around its literals (see
// windowedText).
func (c *compiled) matchPatterns(text string, applies func(*rules.Rule) bool, s *scorer, toFolded func(start, end int) (int, int)) {
	var long *windowedText
	if c.windowMin > 0 && len(text) >= c.windowMin && len(text) <= math.MaxInt32 {
		long = &windowedText{c: c, text: text}
	}
	seen := c.seenSets(c.findLiterals(text, long))
	for i := range c.patterns {
		p := &c.patterns[i]
		if p.sets != 0 && (seen == nil || seen[i] != p.sets) || !applies(&c.rules[p.rule]) {
			continue
		}
		var locs [][]int
		if long != nil {
			locs = long.find(p)
		} else {
			locs = p.re.FindAllStringIndex(text, maxPerRule)
		}
		for _, loc := range locs {
			start, end := loc[0], loc[1]
			if toFolded != nil {
				if start == end {
					continue
				}
				start, end = toFolded(start, end)
			}
			s.add(p.rule, start, end)
		}
	}
}

// findLiterals returns the distinct required literals found in text, as a
// bit set (nil: none), and records in long, unless nil, the occurrences of
// those that place windows.
func (c *compiled) findLiterals(text string, long *windowedText) []uint64 {
	var hit []uint64
	c.prefilter.Find(text, func(id, start, _ int) bool {
		if hit == nil {
			hit = make([]uint64, (len(c.literalUses)+63)/64)
		}
		hit[id/64] |= 1 << (id % 64)
		if long != nil && c.windowed[id] {
			long.occs = append(long.occs, litOcc{int32(id), int32(start)})
		}
		return true
	})
	return hit
}

// seenSets returns, per pattern, the bit mask of its literal sets with a
// literal in hit (nil: none).
func (c *compiled) seenSets(hit []uint64) []uint8 {
	var seen []uint8
	for w, word := range hit {
		for ; word != 0; word &= word - 1 {
			if seen == nil {
				seen = make([]uint8, len(c.patterns))
			}
			for _, u := range c.literalUses[w*64+bits.TrailingZeros64(word)] {
				seen[u.pattern] |= 1 << u.set
			}
		}
	}
	return seen
}

func (c *compiled) matchLinks(text string, s *scorer) {
	found := links.Find(text)
	for _, l := range found {
		for _, h := range links.Suffixes(l.Host) {
			for _, rule := range c.hosts[h] {
				s.add(rule, l.Start, l.End)
			}
		}
	}
	if rule, ok := c.detector["links"]; ok {
		n := 0
		for _, l := range found {
			if l.Kind != "email" {
				n++
			}
		}
		if n >= c.rules[rule].IntOption("min", 1) {
			s.signal(rule, "links", strconv.Itoa(n)+" links")
		}
	}
}

func (c *compiled) matchPII(text string, s *scorer) {
	findings := pii.Find(text)
	if len(findings) == 0 {
		return
	}
	byKind := map[pii.Kind][]pii.Finding{}
	for _, f := range findings {
		byKind[f.Kind] = append(byKind[f.Kind], f)
	}
	for kind, fs := range byKind {
		rule, ok := c.detector[string(kind)]
		if !ok || len(fs) < c.rules[rule].IntOption("min", 1) {
			continue
		}
		for _, f := range fs {
			s.add(rule, f.Start, f.End)
		}
	}
}

// repetition fires when one word makes up half or more of a text of at least
// min words: the shape of flooding and keyword stuffing.
func (c *compiled) repetition(w *normalize.Words, s *scorer) {
	rule, ok := c.detector["repetition"]
	if !ok {
		return
	}
	min := c.rules[rule].IntOption("min", 10)
	words := strings.Fields(w.Text)
	if len(words) < min {
		return
	}
	counts := map[string]int{}
	top := 0
	for _, word := range words {
		if utf8.RuneCountInString(word) < 2 {
			continue
		}
		counts[word]++
		top = max(top, counts[word])
	}
	if top >= min && top*2 >= len(words) {
		s.signal(rule, "repetition", "one word repeated "+strconv.Itoa(top)+" times")
	}
}

// decide applies the policy to v: it keeps the categories at or above their
// reporting threshold, highest first, and sets the action.
func decide(v *moderation.Verdict, th map[moderation.Category]rules.Threshold) {
	v.Action = moderation.Allow
	kept := v.Categories[:0]
	for _, cs := range v.Categories {
		t, ok := th[cs.Category]
		if !ok || cs.Score < t.Report {
			continue
		}
		cs.Action = moderation.Allow
		switch {
		case cs.Score >= t.Block:
			cs.Action, v.Action = moderation.Block, moderation.Block
		case cs.Score >= t.Review:
			cs.Action = moderation.Review
			if v.Action == moderation.Allow {
				v.Action = moderation.Review
			}
		}
		kept = append(kept, cs)
	}
	slices.SortFunc(kept, func(a, b moderation.CategoryScore) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(string(a.Category), string(b.Category))
	})
	v.Categories = kept
	v.Sources = sources(v)
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }
