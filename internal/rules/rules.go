// Package rules reads aup's rule lists and policy from a folder (see
// rules/README.md for the format) into typed rules. It only parses and
// validates; the engine package compiles the rules into matchers.
//
// Every problem names the file and line, so that an operator who breaks a
// file on reload is told exactly what to fix while the old rules stay in
// force.
package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/aup-dev/aup/internal/moderation"
)

// Kind is what an entry of a rule list matches.
type Kind uint8

// Kinds of entry.
const (
	Words     Kind = iota // a term or a phrase: whole words, possibly with gaps
	Pattern               // an RE2 regular expression over the folded text
	Exception             // words whose span protects matches inside it
	Detector              // a built-in detector with settings
	Hosts                 // a host list (one rule per .hosts file)
)

// Part is one run of words of a term or phrase.
type Part struct {
	Text      string // the words as written, without stars
	OpenStart bool   // "*ficker": the first word may start inside a word
	OpenEnd   bool   // "hurensohn*": the last word may end inside a word
	Gap       int    // words allowed between this part and the next
}

// Rule is one entry of a rule list.
type Rule struct {
	ID       string
	Category moderation.Category
	Lang     string // ISO 639-1 code, or "any"
	Kind     Kind
	Score    float64
	Parts    []Part            // Words and Exception
	Pattern  string            // Pattern
	Detector string            // Detector: its name
	Options  map[string]string // Detector settings
	Hosts    []string          // Hosts
	Source   string            // "en/hate.rules:12"
}

// Threshold turns a category score into reporting and actions. A threshold
// that can never be reached is +Inf.
type Threshold struct {
	Report, Review, Block float64
}

// Set is a loaded folder: every rule, the policy and its version.
type Set struct {
	Rules      []Rule
	Thresholds map[moderation.Category]Threshold
	// Contexts are the kinds of context (@kind lines) and Cues the entries
	// of the context.rules lists: words that lower the scores of matches in
	// a context such as negation or counter-speech. Both empty: no context.
	Contexts []Context
	Cues     []Cue
	// Version is a hash of every file that was loaded: a verdict is only
	// valid under the version it was computed with.
	Version string
}

// Problem is an error or warning found in a rule file.
type Problem struct {
	Pos     string // "en/hate.rules:12", or a file name
	Msg     string
	Warning bool
}

func (p Problem) String() string {
	if p.Warning {
		return p.Pos + ": warning: " + p.Msg
	}
	return p.Pos + ": " + p.Msg
}

// Detectors lists the built-in detectors and the options each accepts.
var Detectors = map[string][]string{
	"card":        nil,
	"iban":        nil,
	"national_id": nil,
	"email":       {"min"},
	"phone":       {"min"},
	"credentials": {"min"},
	"links":       {"min"},
	"repetition":  {"min"},
	"wave":        {"users", "window"},
	// Findings in uploads (see engine.ScreenFile).
	"executable":     nil,
	"script":         nil,
	"macro":          nil,
	"eicar":          nil,
	"active_content": nil,
	"type_mismatch":  nil,
	"exif_location":  nil,
	"exif_personal":  nil,
}

// Load reads and validates every rule file and the policy in fsys. It fails,
// with an EINVALID error that lists the first problems, when any file has an
// error; warnings do not fail it.
func Load(fsys fs.FS) (*Set, error) {
	set, problems := Parse(fsys)
	var errs []string
	for _, p := range problems {
		if !p.Warning {
			errs = append(errs, p.String())
		}
	}
	if len(errs) == 0 {
		return set, nil
	}
	const show = 5
	msg := strings.Join(errs[:min(show, len(errs))], "; ")
	if len(errs) > show {
		msg += fmt.Sprintf("; and %d more (run aup rules lint)", len(errs)-show)
	}
	return nil, moderation.Errorf(moderation.EINVALID, "rules refused: %s", msg)
}

// Parse reads every rule file and the policy in fsys and returns what it could
// read with every problem found. The set is usable only if no problem is an
// error.
func Parse(fsys fs.FS) (*Set, []Problem) {
	p := &parser{set: &Set{}, ids: map[string]string{}, terms: map[termKey]string{}, contexts: map[string]string{}, cueSeen: map[string]string{}}
	h := sha256.New()
	var files []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (name == "policy.conf" || strings.HasSuffix(name, ".rules") || strings.HasSuffix(name, ".hosts")) {
			files = append(files, name)
		}
		return nil
	})
	if err != nil {
		return nil, []Problem{{Pos: ".", Msg: err.Error()}}
	}
	sort.Strings(files) // WalkDir is lexical already; be explicit, the version depends on it
	sawPolicy := false
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			p.errorf(name, "%v", err)
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
		switch {
		case name == "policy.conf":
			sawPolicy = true
			p.policy(name, string(data))
		case strings.HasSuffix(name, ".hosts"):
			p.hosts(name, string(data))
		case path.Base(name) == "context.rules":
			p.cues(name, string(data))
		default:
			p.rules(name, string(data))
		}
	}
	if !sawPolicy {
		p.errorf("policy.conf", "missing: the policy's thresholds are required")
	}
	p.checkKinds()
	p.set.Version = hex.EncodeToString(h.Sum(nil))[:16]
	return p.set, p.problems
}

type parser struct {
	set      *Set
	problems []Problem
	ids      map[string]string  // id -> where it was defined
	terms    map[termKey]string // term -> where it was first listed
	contexts map[string]string  // context kind -> where its @kind line is
	cueSeen  map[string]string  // language, kind and cue -> where it was first listed
}

// termKey identifies a term for the duplicate warning: the same words
// listed twice for one language and category count twice as evidence.
type termKey struct {
	lang     string
	category moderation.Category
	words    string
}

func (p *parser) errorf(pos, format string, args ...any) {
	p.problems = append(p.problems, Problem{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) warnf(pos, format string, args ...any) {
	p.problems = append(p.problems, Problem{Pos: pos, Msg: fmt.Sprintf(format, args...), Warning: true})
}

// lines calls fn with each meaningful line of data and its position.
func lines(name, data string, fn func(pos, line string)) {
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(stripComment(line))
		if line != "" {
			fn(fmt.Sprintf("%s:%d", name, i+1), line)
		}
	}
}

// stripComment removes a comment: '#' at the start of a line or after
// white space ("#" inside a word or a pattern stays).
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

func (p *parser) claimID(pos, id string) {
	if prev, ok := p.ids[id]; ok {
		p.errorf(pos, "id %q is already used at %s; give this entry its own id= option", id, prev)
		return
	}
	p.ids[id] = pos
}

func (p *parser) policy(name, data string) {
	p.set.Thresholds = map[moderation.Category]Threshold{}
	lines(name, data, func(pos, line string) {
		f := strings.Fields(line)
		if len(f) != 4 {
			p.errorf(pos, "want 4 columns: category report review block (got %d)", len(f))
			return
		}
		c := moderation.Category(f[0])
		if !c.Valid() {
			p.errorf(pos, "unknown category %q", f[0])
			return
		}
		if _, dup := p.set.Thresholds[c]; dup {
			p.errorf(pos, "category %q is listed twice", c)
			return
		}
		var v [3]float64
		for i, s := range f[1:] {
			if s == "-" {
				v[i] = math.Inf(1)
				continue
			}
			x, err := parseScore(s)
			if err != nil {
				p.errorf(pos, "%s threshold: %v", [3]string{"report", "review", "block"}[i], err)
				return
			}
			v[i] = x
		}
		if v[1] < v[0] || v[2] < v[1] {
			p.errorf(pos, "thresholds must not decrease: report <= review <= block")
			return
		}
		p.set.Thresholds[c] = Threshold{Report: v[0], Review: v[1], Block: v[2]}
	})
	for _, c := range moderation.Categories {
		if _, ok := p.set.Thresholds[c]; !ok {
			p.errorf(name, "category %q has no thresholds; add a line for it (use - for never)", c)
		}
	}
}

// parseScore reads a score: the whole of s must be a number with
// 0 < score <= 1.
func parseScore(s string) (float64, error) {
	x, err := strconv.ParseFloat(s, 64)
	if (err != nil && !errors.Is(err, strconv.ErrRange)) || math.IsNaN(x) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if err != nil || x <= 0 || x > 1 { // ErrRange: too large or too small to be a score
		return 0, fmt.Errorf("%s is out of range: want 0 < score <= 1", s)
	}
	return x, nil
}

// header holds the directives in force in a file.
type header struct {
	score    float64
	idPrefix string
	category moderation.Category
}

// directive applies an "@name value" line to h.
func (p *parser) directive(pos, line string, h *header, allowCategory bool) {
	name, value, _ := strings.Cut(line[1:], " ")
	value = strings.TrimSpace(value)
	switch name {
	case "score":
		x, err := parseScore(value)
		if err != nil {
			p.errorf(pos, "@score: %v", err)
			return
		}
		h.score = x
	case "id":
		if !validID(value) {
			p.errorf(pos, "@id %q: use letters, digits, '.', '_' and '-'", value)
			return
		}
		h.idPrefix = value
	case "category":
		if !allowCategory {
			p.errorf(pos, "@category is only for .hosts files; a .rules file takes its category from its name")
			return
		}
		if c := moderation.Category(value); !c.Valid() {
			p.errorf(pos, "unknown category %q", value)
		} else {
			h.category = c
		}
	default:
		p.errorf(pos, "unknown directive @%s (want @score, @id%s)", name, map[bool]string{true: ", @category"}[allowCategory])
	}
}

func validID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || strings.ContainsRune("|=\"'\\", r) {
			return false
		}
	}
	return true
}

func (p *parser) hosts(name, data string) {
	stem := strings.TrimSuffix(path.Base(name), ".hosts")
	h := header{score: 0.5}
	r := Rule{Kind: Hosts, Lang: "any", Source: name}
	seen := map[string]bool{}
	lines(name, data, func(pos, line string) {
		if line[0] == '@' {
			if len(r.Hosts) > 0 {
				p.errorf(pos, "directives must come before the first host")
				return
			}
			p.directive(pos, line, &h, true)
			return
		}
		host := strings.TrimSuffix(strings.ToLower(line), ".")
		if !validHost(host) {
			p.errorf(pos, "%q is not a host name (labels of letters, digits and '-')", line)
			return
		}
		if !seen[host] {
			seen[host] = true
			r.Hosts = append(r.Hosts, host)
		}
	})
	if h.category == "" {
		p.errorf(name, "host lists need a @category line")
		return
	}
	r.Category, r.Score = h.category, h.score
	r.ID = h.idPrefix
	if r.ID == "" {
		r.ID = string(h.category) + "." + stem
	}
	p.claimID(name, r.ID)
	p.set.Rules = append(p.set.Rules, r)
}

// validHost reports whether h can be the host of a link: labels of letters,
// digits and '-' (Unicode letters for IDN). '_' is legal in DNS records
// such as "_sip._tcp.example.com" but never in a host that a link names, so
// such an entry could never match.
func validHost(h string) bool {
	if len(h) == 0 || len(h) > 253 || !strings.Contains(h, ".") {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if r != '-' && (r < '0' || r > '9') && (r < 'a' || r > 'z') && r <= 127 {
				return false
			}
		}
	}
	return true
}

func (p *parser) rules(name, data string) {
	dir, file := path.Split(name)
	lang := strings.TrimSuffix(dir, "/")
	cat := moderation.Category(strings.TrimSuffix(file, ".rules"))
	if strings.Contains(lang, "/") || !validLang(lang) {
		p.errorf(name, "rule files live in <lang>/<category>.rules, where <lang> is an ISO 639-1 code or \"any\"")
		return
	}
	if !cat.Valid() {
		p.errorf(name, "%q is not a category; name the file after one of: %s (or context.rules for context cues)", cat, categoryList())
		return
	}
	h := header{score: 0.5, idPrefix: string(cat) + "." + lang}
	exceptions := map[string]string{} // exception -> where it was first listed
	lines(name, data, func(pos, line string) {
		if line[0] == '@' {
			p.directive(pos, line, &h, false)
			return
		}
		entry, opts, err := splitOptions(line)
		if err != nil {
			p.errorf(pos, "%v", err)
			return
		}
		if entry[0] == '!' {
			p.exception(pos, entry, opts, Rule{Kind: Exception, Category: cat, Lang: lang, Score: h.score, Source: pos}, exceptions)
			return
		}
		r := Rule{Category: cat, Lang: lang, Score: h.score, Source: pos}
		if s, ok := opts["score"]; ok {
			if r.Score, err = parseScore(s); err != nil {
				p.errorf(pos, "score: %v", err)
				return
			}
		}
		if c, ok := opts["category"]; ok {
			if r.Category = moderation.Category(c); !r.Category.Valid() {
				p.errorf(pos, "unknown category %q", c)
				return
			}
		}
		id := opts["id"]
		delete(opts, "score")
		delete(opts, "category")
		delete(opts, "id")

		switch entry[0] {
		case '/':
			if len(entry) < 3 || entry[len(entry)-1] != '/' {
				p.errorf(pos, "a pattern is written /regexp/")
				return
			}
			r.Kind, r.Pattern = Pattern, entry[1:len(entry)-1]
			if err := checkPattern(r.Pattern); err != nil {
				p.errorf(pos, "pattern: %v", err)
				return
			}
			if id == "" {
				p.errorf(pos, "a pattern needs an id= option")
				return
			}
		case '$':
			r.Kind, r.Detector = Detector, entry[1:]
			allowed, ok := Detectors[r.Detector]
			if !ok {
				p.errorf(pos, "unknown detector $%s", r.Detector)
				return
			}
			for k, v := range opts {
				if !contains(allowed, k) {
					p.errorf(pos, "$%s has no option %q", r.Detector, k)
					return
				}
				if err := checkDetectorOption(k, v); err != nil {
					p.errorf(pos, "%s: %v", k, err)
					return
				}
			}
			r.Options, opts = opts, nil
		default:
			r.Kind = Words
			if r.Parts, err = parseParts(entry); err != nil {
				p.errorf(pos, "%v", err)
				return
			}
			for _, part := range r.Parts {
				if part.OpenStart && part.OpenEnd && len([]rune(part.Text)) < 5 {
					p.warnf(pos, "*%s* matches inside any word; stems this short catch innocent words", part.Text)
				}
			}
			key := termKey{lang, r.Category, slug(entry)}
			if prev, dup := p.terms[key]; dup {
				p.warnf(pos, "%q is already listed at %s", entry, prev)
			} else {
				p.terms[key] = pos
			}
		}
		if len(opts) > 0 {
			for k := range opts {
				p.errorf(pos, "unknown option %q (want score, id, category)", k)
				return
			}
		}
		if id == "" {
			id = h.idPrefix + "." + slug(entry)
		} else if !validID(id) {
			p.errorf(pos, "id %q: use letters, digits, '.', '_' and '-'", id)
			return
		}
		r.ID = id
		p.claimID(pos, id)
		p.set.Rules = append(p.set.Rules, r)
	})
}

// exception adds the exception entry ("!words") of a rule file. Exceptions
// take no options: they have no score, id or category that matters, so an
// option would be a mistake the file's author should hear about.
func (p *parser) exception(pos, entry string, opts map[string]string, r Rule, seen map[string]string) {
	if len(opts) > 0 {
		given := make([]string, 0, len(opts))
		for k, v := range opts {
			given = append(given, k+"="+v)
		}
		sort.Strings(given)
		p.errorf(pos, "an exception takes no options (got %s)", strings.Join(given, " "))
		return
	}
	var err error
	if r.Parts, err = parseParts(entry[1:]); err != nil {
		p.errorf(pos, "%v", err)
		return
	}
	if len(r.Parts) > 1 {
		p.errorf(pos, "an exception cannot have gaps")
		return
	}
	key := slug(entry)
	if prev, dup := seen[key]; dup {
		p.warnf(pos, "exception %q is already listed at %s", entry, prev)
		return
	}
	seen[key] = pos
	p.set.Rules = append(p.set.Rules, r) // exceptions have no id: they never appear in verdicts
}

func validLang(s string) bool {
	if s == "any" {
		return true
	}
	if len(s) != 2 {
		return false
	}
	return s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z'
}

func categoryList() string {
	names := make([]string, len(moderation.Categories))
	for i, c := range moderation.Categories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// splitOptions splits "entry | k=v k=v".
func splitOptions(line string) (string, map[string]string, error) {
	entry, rest, found := strings.Cut(line+" ", " | ")
	entry = strings.TrimSpace(entry)
	opts := map[string]string{}
	if entry == "" {
		return "", nil, fmt.Errorf("empty entry")
	}
	if !found {
		return entry, opts, nil
	}
	for _, kv := range strings.Fields(rest) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || v == "" {
			return "", nil, fmt.Errorf("option %q: want key=value", kv)
		}
		if _, dup := opts[k]; dup {
			return "", nil, fmt.Errorf("option %q given twice", k)
		}
		opts[k] = v
	}
	return entry, opts, nil
}

// parseParts splits "go back to ~3 country" into parts separated by gaps.
func parseParts(entry string) ([]Part, error) {
	var parts []Part
	var words []string
	flush := func(gap int) error {
		if len(words) == 0 {
			return fmt.Errorf("a gap ~N must stand between words")
		}
		text := strings.Join(words, " ")
		part := Part{Gap: gap}
		part.OpenStart = strings.HasPrefix(text, "*")
		part.OpenEnd = strings.HasSuffix(text, "*")
		part.Text = strings.Trim(text, "*")
		if strings.Contains(part.Text, "*") {
			return fmt.Errorf("%q: '*' may only stand at the start or end of a term", text)
		}
		if strings.TrimSpace(part.Text) == "" {
			return fmt.Errorf("%q has no words", text)
		}
		parts = append(parts, part)
		words = words[:0]
		return nil
	}
	for _, w := range strings.Fields(entry) {
		if w[0] != '~' {
			words = append(words, w)
			continue
		}
		var n int
		if _, err := fmt.Sscanf(w, "~%d", &n); err != nil || fmt.Sprintf("~%d", n) != w || n < 1 || n > 10 {
			return nil, fmt.Errorf("gap %q: want ~1 to ~10", w)
		}
		if err := flush(n); err != nil {
			return nil, err
		}
	}
	if err := flush(0); err != nil {
		return nil, err
	}
	return parts, nil
}

// slug turns an entry into the readable tail of a default id.
func slug(entry string) string {
	return strings.ToLower(strings.Join(strings.Fields(entry), "_"))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
