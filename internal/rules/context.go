package rules

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/aup-dev/aup/internal/moderation"
)

// Context kinds that every folder has: they lower nothing themselves.
const (
	// Addressee cues name the person a text speaks to ("you", "du", "tú"):
	// a match aimed at the reader keeps enough score to be reviewed, in any
	// context.
	Addressee = "addressee"
	// Break cues end a clause ("but", "because"): no cue reaches a match
	// across one.
	Break = "break"
)

// Context is a kind of context, a @kind line of a cue list (written once,
// in any/context.rules): the factor that multiplies the score of a match in
// such a context, which matches it lowers and in which categories.
type Context struct {
	Kind   string
	Factor float64 // 0 < Factor < 1
	// Phrases: only matches that state something are lowered: patterns,
	// phrases with gaps and terms of three or more words. Terms of one or
	// two words are names, insults and compounds whose contempt survives
	// the context ("you ain't no [slur]").
	Phrases bool
	// Statements: not in questions ("isn't it obvious that ...?" asserts).
	Statements bool
	Categories []moderation.Category
	Source     string
}

// Where says where a cue stands relative to the match it puts in context.
type Where uint8

// Places of a cue.
const (
	Before   Where = iota // ends at most Reach words before the match, in its clause
	After                 // starts at most Reach words after the match, in its clause
	Around                // its span holds the match ("what does ~3 mean")
	Sentence              // anywhere in the match's sentence
	Quote                 // in the sentence, outside the quotation marks the match is in
)

// Scope is where a cue must stand to put a match in its context.
type Scope struct {
	Where Where
	Reach int // Before and After: the words allowed between cue and match
}

func (s Scope) String() string {
	switch s.Where {
	case Before:
		return "before:" + strconv.Itoa(s.Reach)
	case After:
		return "after:" + strconv.Itoa(s.Reach)
	case Around:
		return "around"
	case Sentence:
		return "sentence"
	}
	return "quote"
}

// maxReach bounds Scope.Reach: a cue that reaches further than a clause is a
// sentence cue.
const maxReach = 10

// defaultScope is the scope of cues before any @scope line of their kind.
var defaultScope = Scope{Where: Before, Reach: 3}

func parseScope(s string) (Scope, error) {
	switch s {
	case "around":
		return Scope{Where: Around}, nil
	case "sentence":
		return Scope{Where: Sentence}, nil
	case "quote":
		return Scope{Where: Quote}, nil
	}
	where, n, ok := strings.Cut(s, ":")
	reach, err := strconv.Atoi(n)
	if !ok || err != nil || reach < 0 || reach > maxReach || strconv.Itoa(reach) != n || where != "before" && where != "after" {
		return Scope{}, fmt.Errorf("scope %q: want before:N or after:N (N from 0 to %d), around, sentence or quote", s, maxReach)
	}
	if where == "before" {
		return Scope{Where: Before, Reach: reach}, nil
	}
	return Scope{Where: After, Reach: reach}, nil
}

// Cue is an entry of a context cue list (<lang>/context.rules): words that
// put a match in a context, name the addressee, or end a clause.
type Cue struct {
	ID    string
	Lang  string // ISO 639-1 code, or "any"
	Kind  string // a @kind, Addressee or Break
	Scope Scope
	Parts []Part
	// Exception: "!words", a cue inside this span is not a cue ("not only",
	// "no doubt"), whatever its kind or language.
	Exception bool
	Source    string
}

// kind reads a "@kind name factor only categories..." line.
func (p *parser) kind(pos, value string) {
	f := strings.Fields(value)
	if len(f) < 4 {
		p.errorf(pos, "@kind: want name, factor, only (- or phrases,statements) and one or more categories (got %d words)", len(f))
		return
	}
	c := Context{Kind: f[0], Source: pos}
	switch {
	case c.Kind == Addressee || c.Kind == Break:
		p.errorf(pos, "@kind: %q is a built-in kind of cue, not a context that lowers scores", c.Kind)
		return
	case !validKind(c.Kind):
		p.errorf(pos, "@kind %q: use lower-case letters, digits and '_'", c.Kind)
		return
	}
	if prev, dup := p.contexts[c.Kind]; dup {
		p.errorf(pos, "@kind %q is already defined at %s", c.Kind, prev)
		return
	}
	x, err := parseScore(f[1])
	if err == nil && x == 1 {
		err = fmt.Errorf("1 lowers nothing: want 0 < factor < 1")
	}
	if err != nil {
		p.errorf(pos, "@kind %s: factor: %v", c.Kind, err)
		return
	}
	c.Factor = x
	if f[2] != "-" {
		for _, o := range strings.Split(f[2], ",") {
			switch o {
			case "phrases":
				c.Phrases = true
			case "statements":
				c.Statements = true
			default:
				p.errorf(pos, "@kind %s: %q is not phrases or statements (- for neither)", c.Kind, o)
				return
			}
		}
	}
	for _, s := range f[3:] {
		cat := moderation.Category(s)
		switch {
		case !cat.Valid():
			p.errorf(pos, "@kind %s: unknown category %q", c.Kind, s)
			return
		case cat == moderation.ChildSafety:
			p.errorf(pos, "@kind %s: child_safety is never lowered by context: no wording makes sexual content involving minors acceptable", c.Kind)
			return
		case slices.Contains(c.Categories, cat):
			p.errorf(pos, "@kind %s: category %q is listed twice", c.Kind, s)
			return
		}
		c.Categories = append(c.Categories, cat)
	}
	p.contexts[c.Kind] = pos
	p.set.Contexts = append(p.set.Contexts, c)
}

func validKind(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// cues reads a cue list, <lang>/context.rules.
func (p *parser) cues(name, data string) {
	lang := strings.TrimSuffix(path.Dir(name), "/")
	if strings.Contains(lang, "/") || !validLang(lang) {
		p.errorf(name, "cue lists live in <lang>/context.rules, where <lang> is an ISO 639-1 code or \"any\"")
		return
	}
	kind := ""
	scope := defaultScope
	idPrefix := ""
	lines(name, data, func(pos, line string) {
		if line[0] == '@' {
			directive, value, _ := strings.Cut(line[1:], " ")
			value = strings.TrimSpace(value)
			switch directive {
			case "context":
				if value != Addressee && value != Break && !validKind(value) {
					p.errorf(pos, "@context %q: use lower-case letters, digits and '_'", value)
					return
				}
				kind, scope = value, defaultScope
			case "scope":
				s, err := parseScope(value)
				if err != nil {
					p.errorf(pos, "@scope: %v", err)
					return
				}
				scope = s
			case "kind":
				p.kind(pos, value)
			case "id":
				if !validID(value) {
					p.errorf(pos, "@id %q: use letters, digits, '.', '_' and '-'", value)
					return
				}
				idPrefix = value
			default:
				p.errorf(pos, "unknown directive @%s (want @kind, @context, @scope, @id)", directive)
			}
			return
		}
		entry, opts, err := splitOptions(line)
		if err != nil {
			p.errorf(pos, "%v", err)
			return
		}
		if entry[0] == '!' {
			c := Cue{Lang: lang, Kind: kind, Exception: true, Source: pos}
			if len(opts) > 0 {
				p.errorf(pos, "an exception takes no options")
				return
			}
			if c.Parts, err = parseParts(entry[1:]); err != nil {
				p.errorf(pos, "%v", err)
				return
			}
			if len(c.Parts) > 1 {
				p.errorf(pos, "an exception cannot have gaps")
				return
			}
			p.set.Cues = append(p.set.Cues, c) // exceptions have no id: they never appear in verdicts
			return
		}
		if kind == "" {
			p.errorf(pos, "a cue needs a @context line before it naming its kind")
			return
		}
		c := Cue{Lang: lang, Kind: kind, Scope: scope, Source: pos}
		if s, ok := opts["scope"]; ok {
			if c.Scope, err = parseScope(s); err != nil {
				p.errorf(pos, "%v", err)
				return
			}
		}
		id := opts["id"]
		delete(opts, "scope")
		delete(opts, "id")
		for k := range opts {
			p.errorf(pos, "unknown option %q (want id, scope)", k)
			return
		}
		if kind == Addressee && c.Scope.Where != Before && c.Scope.Where != After {
			p.errorf(pos, "an addressee cue stands before:N or after:N the match (a cue inside the match counts too)")
			return
		}
		if c.Parts, err = parseParts(entry); err != nil {
			p.errorf(pos, "%v", err)
			return
		}
		key := lang + "\x00" + kind + "\x00" + c.Scope.String() + "\x00" + slug(entry)
		if prev, dup := p.cueSeen[key]; dup {
			p.warnf(pos, "%q is already listed for %s %s at %s", entry, kind, c.Scope, prev)
		} else {
			p.cueSeen[key] = pos
		}
		if id == "" {
			prefix := idPrefix
			if prefix == "" {
				prefix = "context." + lang + "." + kind
			}
			id = prefix + "." + slug(entry)
		} else if !validID(id) {
			p.errorf(pos, "id %q: use letters, digits, '.', '_' and '-'", id)
			return
		}
		c.ID = id
		p.claimID(pos, id)
		p.set.Cues = append(p.set.Cues, c)
	})
}

// checkKinds runs once every file is read: each cue's kind must be defined
// by a @kind line, and a kind without cues is worth a warning.
func (p *parser) checkKinds() {
	used := map[string]bool{}
	for _, c := range p.set.Cues {
		if c.Exception || c.Kind == Addressee || c.Kind == Break || used[c.Kind] {
			continue
		}
		used[c.Kind] = true // one error per kind, at its first cue
		if _, ok := p.contexts[c.Kind]; !ok {
			p.errorf(c.Source, "context kind %q is not defined: add a @kind line for it (in any/context.rules)", c.Kind)
		}
	}
	for _, c := range p.set.Contexts {
		if !used[c.Kind] {
			p.warnf(c.Source, "kind %q has no cues in any context.rules", c.Kind)
		}
	}
}
