package engine

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/links"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/normalize"
	"github.com/aup-dev/aup/internal/pii"
	"github.com/aup-dev/aup/internal/rules"
)

// maxMatches bounds the matches a verdict lists; the scores count them all.
const maxMatches = 100

// gateConfidence is the language confidence below which every language's
// rules apply: when detection is unsure, missing a slur is worse than the
// rare word that is rude in another language.
const gateConfidence = 0.5

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
	applies := func(r *rules.Rule) bool {
		return r.Lang == "any" || r.Lang == lang.Code || lang.Code == moderation.Undetermined || lang.Confidence < gateConfidence
	}
	s := scorer{c: c}

	words := c.matchWords(w, applies)
	for _, h := range words {
		start, end := w.Folded(h.start, h.end)
		s.add(h.rule, start, end)
	}
	c.matchPatterns(f.Text, applies, &s)
	c.matchLinks(f.Text, &s)
	c.matchPII(f.Text, &s)
	c.repetition(w, &s)

	lang.Confidence = round(lang.Confidence)
	v := moderation.Verdict{
		Language:      lang,
		Matches:       s.matches,
		Signals:       s.signals,
		PolicyVersion: c.version,
	}
	for cat, score := range s.scores {
		v.Categories = append(v.Categories, moderation.CategoryScore{Category: cat, Score: round(score)})
	}
	slices.SortFunc(v.Matches, func(a, b moderation.Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.End - b.End
	})
	return v
}

// scorer gathers matches and combines scores: each rule counts once per text,
// and the rules of one category combine as independent evidence.
type scorer struct {
	c       *compiled
	scores  map[moderation.Category]float64
	counted map[int]bool
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
	if !s.counted[rule] {
		if s.counted == nil {
			s.counted = map[int]bool{}
		}
		s.counted[rule] = true
		s.count(r.Category, r.Score)
	}
	if len(s.matches) < maxMatches {
		s.matches = append(s.matches, moderation.Match{Rule: r.ID, Category: r.Category, Start: start, End: end, Score: r.Score})
	}
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
	text := w.Text
	found := map[int][]occurrence{} // rule -> occurrences of its parts
	c.ac.Find(text, func(id, start, end int) bool {
		p := &c.acParts[id]
		r := &c.rules[p.rule]
		if !p.spaceless && (!p.openStart && text[start-1] != ' ' || !p.openEnd && text[end] != ' ') {
			return true
		}
		for i, n := range p.run {
			if w.Run[start+i] < n {
				return true
			}
		}
		if !applies(r) {
			return true
		}
		// An open end matches inside a word; the match covers the whole word.
		if p.openStart && !p.spaceless {
			start = strings.LastIndexByte(text[:start], ' ') + 1
		}
		if p.openEnd && !p.spaceless {
			end += strings.IndexByte(text[end:], ' ')
		}
		found[p.rule] = append(found[p.rule], occurrence{p.part, start, end})
		return true
	})
	if strings.IndexByte(text, '*') >= 0 {
		c.matchWild(text, found, applies)
	}

	var hits, exceptions []hit
	var spaces []int32
	for rule, occs := range found {
		r := &c.rules[rule]
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

// matchWild matches censored words ("f*ck", "n***a") against one-word terms
// of the same length: each '*' stands for one letter, and at least two
// letters and half of the word must be real.
func (c *compiled) matchWild(text string, found map[int][]occurrence, applies func(*rules.Rule) bool) {
	for start := 1; start < len(text); {
		end := start + strings.IndexByte(text[start:], ' ')
		if end < start {
			break
		}
		word := text[start:end]
		if strings.IndexByte(word, '*') >= 0 {
			letters := []rune(word)
			stars := strings.Count(word, "*")
			if real := len(letters) - stars; real >= 2 && real*2 >= len(letters) {
				for _, t := range c.wild[len(letters)] {
					if sameWild(letters, t.letters) && applies(&c.rules[t.rule]) {
						found[t.rule] = append(found[t.rule], occurrence{0, start, end})
					}
				}
			}
		}
		start = end + 1
	}
}

func sameWild(word, term []rune) bool {
	for i, r := range word {
		if r != '*' && r != term[i] {
			return false
		}
	}
	return true
}

// matchPatterns runs the patterns whose required literal sets all occur in
// text, and those without any.
func (c *compiled) matchPatterns(text string, applies func(*rules.Rule) bool, s *scorer) {
	var seen []uint8 // per pattern, the sets with a hit
	c.prefilter.Find(text, func(id, _, _ int) bool {
		if seen == nil {
			seen = make([]uint8, len(c.patterns))
		}
		seen[c.literalOf[id]] |= 1 << c.literalSet[id]
		return true
	})
	for i, p := range c.patterns {
		if p.sets != 0 && (seen == nil || seen[i] != p.sets) || !applies(&c.rules[p.rule]) {
			continue
		}
		for _, loc := range p.re.FindAllStringIndex(text, maxMatches) {
			s.add(p.rule, loc[0], loc[1])
		}
	}
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
		kept = append(kept, cs)
		switch {
		case cs.Score >= t.Block:
			v.Action = moderation.Block
		case cs.Score >= t.Review && v.Action == moderation.Allow:
			v.Action = moderation.Review
		}
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
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }
