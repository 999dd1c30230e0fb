package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aup-dev/aup/internal/ahocorasick"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/normalize"
	"github.com/aup-dev/aup/internal/rules"
)

// compiled is one immutable generation of the rules, ready to match. Reload
// builds a new one and swaps the pointer, so a check sees one generation only.
type compiled struct {
	version    string
	thresholds map[moderation.Category]rules.Threshold
	rules      []rules.Rule

	ac       *ahocorasick.Matcher
	acParts  []acPart // by automaton pattern id
	phrases  []int    // rules with more than one part
	patterns []pattern
	// prefilter finds the required literals of patterns in the folded text;
	// distinct literal i is in the sets literalUses[i]. A pattern runs when
	// every one of its sets has a hit; patterns without sets run on every
	// text. One literal ("to", "how") is required by many patterns, so each
	// is stored once and its uses are applied once per text, not once per
	// occurrence.
	prefilter   *ahocorasick.Matcher
	literalUses [][]literalUse
	// In texts of windowMin bytes or more, a pattern with a length bound
	// runs only in windows around the occurrences of its first literal set
	// (see window.go). windowed marks the literals of those sets, whose
	// occurrences the prefilter records; literalLens are the literals'
	// lengths; runs measures the runs the bounds count.
	windowMin   int // 0: never
	windowed    []bool
	literalLens []int32
	runs        *runSet
	hosts       map[string][]int   // host -> rules
	wild        map[int][]wildTerm // one-word terms by length, for censored words
	prefixLens  []int              // the lengths of the prefix terms among them
	detector    map[string]int     // detector name -> rule
	cues        *cueIndex          // context cues; nil: no context (see context.go)
}

// acPart is one automaton pattern: a part of a Words or Exception rule.
type acPart struct {
	rule      int
	part      int
	run       []uint8 // the term's run lengths: the text's runs must be at least these
	openStart bool
	openEnd   bool
	spaceless bool // written in a script without spaces: no word boundaries
}

// literalUse is one required literal set of one pattern.
type literalUse struct {
	pattern int32
	set     uint8
}

type pattern struct {
	re   *regexp.Regexp
	rule int
	sets uint8 // the bit mask of the required literal sets; 0: runs on every text
	// bound bounds the length of the pattern's matches, and first are the
	// literals of its first set, one of which every match contains: the
	// pattern may run in windows around them. nil first: it runs on the
	// whole text.
	bound lengthBound
	first []int32
}

// wildTerm is a one-word term, spelled out with its runs, for matching
// censored words such as "f*ck".
type wildTerm struct {
	letters []rune
	prefix  bool // "fuck*": the word may continue
	rule    int
}

// compile builds matchers for set. Its errors name the rule's file and line.
func compile(set *rules.Set, version string) (*compiled, error) {
	c := &compiled{
		version:    version,
		thresholds: set.Thresholds,
		rules:      set.Rules,
		hosts:      map[string][]int{},
		detector:   map[string]int{},
		wild:       map[int][]wildTerm{},
	}
	var skeletons, literals []string
	literalID := map[string]int{}
	var classes runClasses
	var problems []string
	for i, r := range set.Rules {
		switch r.Kind {
		case rules.Words, rules.Exception:
			if len(r.Parts) > 1 {
				c.phrases = append(c.phrases, i)
			}
			for j, p := range r.Parts {
				text, run := normalize.Skeleton(p.Text)
				if text == "" {
					problems = append(problems, fmt.Sprintf("%s: %q has no letters or digits to match", r.Source, p.Text))
					continue
				}
				skeletons = append(skeletons, text)
				c.acParts = append(c.acParts, acPart{
					rule: i, part: j, run: run,
					openStart: p.OpenStart, openEnd: p.OpenEnd,
					spaceless: spaceless(text),
				})
				if r.Kind == rules.Words && len(r.Parts) == 1 && !p.OpenStart && !strings.Contains(text, " ") {
					t := wildTerm{letters: expand(text, run), prefix: p.OpenEnd, rule: i}
					c.wild[len(t.letters)] = append(c.wild[len(t.letters)], t)
					if t.prefix && !slices.Contains(c.prefixLens, len(t.letters)) {
						c.prefixLens = append(c.prefixLens, len(t.letters))
					}
				}
			}
		case rules.Pattern:
			re, err := regexp.Compile(r.Pattern)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", r.Source, err))
				continue
			}
			p := pattern{re: re, rule: i, bound: maxMatchLen(r.Pattern, &classes)}
			for k, set := range requiredLiterals(r.Pattern) {
				p.sets |= 1 << k
				for _, l := range set {
					id, ok := literalID[l]
					if !ok {
						id = len(literals)
						literalID[l] = id
						literals = append(literals, l)
						c.literalUses = append(c.literalUses, nil)
						c.windowed = append(c.windowed, false)
						c.literalLens = append(c.literalLens, int32(len(l)))
					}
					c.literalUses[id] = append(c.literalUses[id], literalUse{int32(len(c.patterns)), uint8(k)})
					if k == 0 && !p.bound.unbounded {
						p.first = append(p.first, int32(id))
						c.windowed[id] = true
					}
				}
			}
			c.patterns = append(c.patterns, p)
		case rules.Hosts:
			for _, h := range r.Hosts {
				c.hosts[h] = append(c.hosts[h], i)
			}
		case rules.Detector:
			if prev, dup := c.detector[r.Detector]; dup {
				problems = append(problems, fmt.Sprintf("%s: $%s is already turned on at %s", r.Source, r.Detector, set.Rules[prev].Source))
				continue
			}
			c.detector[r.Detector] = i
		}
	}
	var cueProblems []string
	c.cues, cueProblems = compileCues(set)
	problems = append(problems, cueProblems...)
	if len(problems) > 0 {
		return nil, moderation.Errorf(moderation.EINVALID, "rules refused: %s", strings.Join(problems[:min(5, len(problems))], "; "))
	}
	c.runs = newRunSet(classes.list)
	c.windowMin = windowMin
	c.ac = ahocorasick.New(skeletons)
	c.prefilter = ahocorasick.New(literals)
	return c, nil
}

// spaceless reports whether a term is written in a script without spaces
// between words, where a term must match inside runs of letters.
func spaceless(text string) bool {
	for _, r := range text {
		if normalize.IsCJK(r) {
			return true
		}
	}
	return false
}

// expand spells a skeleton out with its runs: "kil" with runs 1,1,2 is "kill".
func expand(text string, run []uint8) []rune {
	var out []rune
	for i, r := range text {
		n := max(1, int(run[i]))
		for range n {
			out = append(out, r)
		}
	}
	return out
}
