package lingua

import (
	"math"
	"strings"
	"unicode/utf8"

	lingua "github.com/pemistahl/lingua-go"

	"github.com/aup-dev/aup/internal/moderation"
)

// DefaultLanguages are the languages a Detector answers when Options.Languages
// is empty: the languages aup has rules for.
var DefaultLanguages = []string{
	"en", "es", "fr", "de", "pt", "it", "nl", "pl", "tr", "ru", "uk", "ar", "hi", "zh", "ja",
}

// Defaults for the zero values of Options.
const (
	DefaultMinConfidence = 0.5
	DefaultSampleBytes   = 256
	DefaultMinLetters    = 10
)

const (
	// minScriptLetters is the fewest letters on which a script alone decides
	// (a Han-only text of three characters is Chinese; of two, und).
	minScriptLetters = 3
	// minWords is the fewest words on which Latin or Cyrillic text is told.
	minWords = 2
	// mixedShare is the share of (weighted) letters the main script must have;
	// below it the text is mixed and und.
	mixedShare = 2.0 / 3
	// wordHits, wordOdds and wordConfidence gate the function-word shortcut
	// (see byWords): at least wordHits words that belong to one language
	// alone, and a confidence of at least wordConfidence.
	wordHits       = 3
	wordOdds       = 10
	wordConfidence = 0.95
)

// Options configures a Detector. The zero value is the default configuration.
type Options struct {
	// Languages are the ISO 639-1 codes the detector may answer; anything
	// else is und. Empty means DefaultLanguages.
	Languages []string
	// MinConfidence is the confidence below which the answer is und.
	// Zero means DefaultMinConfidence.
	MinConfidence float64
	// SampleBytes bounds the prefix of the text that is looked at (cut back
	// to a rune and, where there is one nearby, a word boundary). Zero means
	// DefaultSampleBytes.
	SampleBytes int
	// MinLetters is the fewest letters on which Latin or Cyrillic text is
	// told; shorter text is und unless its script or a Russian/Ukrainian
	// letter decides. Zero means DefaultMinLetters.
	MinLetters int
	// HighAccuracy uses lingua's full n-gram models (1- to 5-grams) instead
	// of trigrams on text under 120 characters. For the default languages it
	// costs 1–3 s of start-up and about 470 MB resident, is slower per call,
	// and was no more accurate on the eval sentences (see the package doc).
	HighAccuracy bool

	// Others are languages told apart from those of the set only to answer
	// und for them: with the other Latin-script languages lingua knows here,
	// Swedish or Czech text is und instead of the nearest language of the set.
	// It costs accuracy on the set and time on the texts that reach lingua
	// (see the package documentation). Empty means none.
	Others []string

	// noWords turns the function-word shortcut off (for measuring lingua alone).
	noWords bool
}

// group is what a Detector knows about the languages of its set that are
// written in one script.
type group struct {
	codes  []string                // ISO 639-1 codes, in Options order
	lingua lingua.LanguageDetector // restricted to codes; nil unless two or more
	words  wordIndex               // function words of codes; nil if some code has none
}

// Detector tells the language of a text among a fixed set of languages.
// It is safe for concurrent use.
type Detector struct {
	minConfidence float64
	sampleBytes   int
	minLetters    int
	groups        [numScripts]group
	code          map[lingua.Language]string
	ru, uk        bool // whether Russian and Ukrainian are in the set
}

// New builds a Detector and loads the language models it needs, so that the
// first call is as fast as the others. It returns an EINVALID error naming
// the first unknown language code.
func New(opts Options) (*Detector, error) {
	d := &Detector{
		minConfidence: opts.MinConfidence,
		sampleBytes:   opts.SampleBytes,
		minLetters:    opts.MinLetters,
		code:          map[lingua.Language]string{},
	}
	if d.minConfidence == 0 {
		d.minConfidence = DefaultMinConfidence
	}
	if d.sampleBytes == 0 {
		d.sampleBytes = DefaultSampleBytes
	}
	if d.minLetters == 0 {
		d.minLetters = DefaultMinLetters
	}
	if d.minConfidence < 0 || d.minConfidence > 1 || d.sampleBytes < 0 || d.minLetters < 0 {
		return nil, moderation.Errorf(moderation.EINVALID,
			"lingua: MinConfidence must be in [0, 1] and SampleBytes, MinLetters not negative")
	}
	codes := opts.Languages
	if len(codes) == 0 {
		codes = DefaultLanguages
	}
	var langs [numScripts][]lingua.Language
	for _, c := range codes {
		l, c, err := parseCode(c)
		if err != nil {
			return nil, err
		}
		if _, dup := d.code[l]; dup {
			continue
		}
		d.code[l] = c
		s := scriptOfLanguage(l)
		langs[s] = append(langs[s], l)
		d.groups[s].codes = append(d.groups[s].codes, c)
		d.ru = d.ru || l == lingua.Russian
		d.uk = d.uk || l == lingua.Ukrainian
	}
	for _, c := range opts.Others {
		l, _, err := parseCode(c)
		if err != nil {
			return nil, err
		}
		if _, dup := d.code[l]; dup {
			continue
		}
		d.code[l] = moderation.Undetermined
		s := scriptOfLanguage(l)
		if len(d.groups[s].codes) > 0 {
			langs[s] = append(langs[s], l)
		}
	}
	for s := range d.groups {
		g := &d.groups[s]
		if len(langs[s]) >= 2 {
			b := lingua.NewLanguageDetectorBuilder().FromLanguages(langs[s]...).WithPreloadedLanguageModels()
			if !opts.HighAccuracy {
				b = b.WithLowAccuracyMode()
			}
			g.lingua = b.Build()
		}
		if script(s) == scriptLatin && len(g.codes) >= 2 && !opts.noWords {
			g.words = newWordIndex(g.codes)
		}
	}
	return d, nil
}

// Detect returns the language of text with a confidence in [0, 1], or
// Undetermined with confidence 0 when text is too short, mixed, in a
// language outside the set, or not told apart with MinConfidence.
func (d *Detector) Detect(text string) moderation.Language {
	l, _ := d.detect(text)
	return l
}

// path is the step of Detect that gave the answer.
type path uint8

const (
	byNothing path = iota // und: no letters, mixed, too short or outside the set
	byScript              // the script has one language in the set
	byMarks               // letters only one language of the script has
	byWords               // function words
	byLingua              // lingua's n-gram models
)

func (d *Detector) detect(text string) (moderation.Language, path) {
	s := dropLinks(sample(text, d.sampleBytes))
	sc := scanText(s)
	top, share := sc.dominant()
	if top == scriptNone || share < mixedShare {
		return und(), byNothing
	}
	letters := sc.letters[top]
	if top == scriptHan && sc.letters[scriptKana] > 0 {
		letters += sc.letters[scriptKana]
		top = scriptKana
	}
	g := &d.groups[top]
	if len(g.codes) == 0 || letters < minScriptLetters {
		return und(), byNothing
	}
	switch top {
	case scriptCyrillic:
		if code, ok := d.cyrillicMarks(&sc); ok {
			if code == "" {
				return und(), byMarks
			}
			return moderation.Language{Code: code, Confidence: 1}, byMarks
		}
		fallthrough
	case scriptLatin:
		if letters < d.minLetters || sc.words < minWords {
			return und(), byNothing
		}
	}
	if top == scriptArabic && g.lingua == nil && notArabicSpelling(g.codes[0], &sc) {
		return und(), byMarks
	}
	if g.lingua == nil {
		return moderation.Language{Code: g.codes[0], Confidence: 1}, byScript
	}
	if g.words != nil {
		if l, ok := g.byWords(s, d.minConfidence); ok {
			return l, byWords
		}
	}
	cv := g.lingua.ComputeLanguageConfidenceValues(s)
	if len(cv) == 0 {
		return und(), byLingua
	}
	best, conf := cv[0].Language(), cv[0].Value()
	if top == scriptCyrillic && sc.ukMarks == 0 && sc.ruMarks == 0 {
		best, conf = withoutMarks(cv, letters)
	}
	if conf == 0 || conf < d.minConfidence || d.code[best] == moderation.Undetermined {
		return und(), byLingua
	}
	return moderation.Language{Code: d.code[best], Confidence: conf}, byLingua
}

// Shares of the letters only Ukrainian (і ї є ґ) and only Russian (ы э ъ ё)
// has, from published letter frequencies.
const (
	ukMarkShare = 0.064
	ruMarkShare = 0.023
)

// withoutMarks weighs lingua's confidences for Cyrillic text of n letters
// by the likelihood that a Russian or Ukrainian text of that length has none
// of its marker letters, and returns the most likely language. Lingua's
// trigram models miss this evidence on short text: a Ukrainian text without
// і, ї, є or ґ is rarer than a Russian one without ы, э, ъ or ё.
func withoutMarks(cv []lingua.ConfidenceValue, n int) (lingua.Language, float64) {
	var sum, best float64
	var lang lingua.Language
	for _, c := range cv {
		sum += c.Value() * markLikelihood(c.Language(), n)
	}
	if sum == 0 {
		return cv[0].Language(), 0
	}
	for _, c := range cv {
		if p := c.Value() * markLikelihood(c.Language(), n) / sum; p > best {
			best, lang = p, c.Language()
		}
	}
	return lang, best
}

func markLikelihood(l lingua.Language, n int) float64 {
	switch l {
	case lingua.Russian:
		return math.Pow(1-ruMarkShare, float64(n))
	case lingua.Ukrainian:
		return math.Pow(1-ukMarkShare, float64(n))
	}
	return 1
}

// cyrillicMarks decides Russian against Ukrainian by the letters only one of
// them has. ok is false when the letters do not decide; code is "" when they
// point to a language outside the set.
func (d *Detector) cyrillicMarks(sc *scan) (code string, ok bool) {
	if !d.ru && !d.uk {
		return "", false
	}
	switch {
	case sc.ukMarks > 0 && sc.ruMarks == 0:
		if d.uk {
			return "uk", true
		}
		return "", true
	case sc.ruMarks > 0 && sc.ukMarks == 0:
		if d.ru {
			return "ru", true
		}
		return "", true
	}
	return "", false
}

// notArabicSpelling reports whether text in the Arabic script is spelled
// the other way from code: Persian and Urdu write ی ک where Arabic writes
// ي ك, and have letters Arabic lacks (پ چ ژ گ ...).
func notArabicSpelling(code string, sc *scan) bool {
	switch code {
	case "ar":
		return sc.faMarks > sc.arMarks
	case "fa", "ur":
		return sc.arMarks > sc.faMarks
	}
	return false
}

// byWords decides among the group's languages by the function words that
// belong to one of them alone. Each such word makes its language wordOdds
// times likelier, so the confidence is a softmax over the hit counts; on the
// eval sentences, answers at wordConfidence or above were right 99.9% of the
// time. ok is false when the words do not decide.
func (g *group) byWords(s string, minConfidence float64) (l moderation.Language, ok bool) {
	var buf [16]int
	hits := buf[:len(g.codes)]
	g.words.count(s, hits)
	best := 0
	for i, h := range hits {
		if h > hits[best] {
			best = i
		}
	}
	if hits[best] < wordHits {
		return l, false
	}
	sum := 0.0
	for _, h := range hits {
		sum += math.Pow(wordOdds, float64(h-hits[best]))
	}
	conf := 1 / sum
	if conf < wordConfidence || conf < minConfidence {
		return l, false
	}
	return moderation.Language{Code: g.codes[best], Confidence: conf}, true
}

func und() moderation.Language { return moderation.Language{Code: moderation.Undetermined} }

// sample returns text cut to at most n bytes, at a rune boundary and, if one
// is in the last 32 bytes, at a space.
func sample(text string, n int) string {
	if len(text) <= n {
		return text
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	if i := strings.LastIndexAny(text[max(0, cut-32):cut], " \t\n"); i >= 0 {
		cut = max(0, cut-32) + i
	}
	return text[:cut]
}

// parseCode returns the language of an ISO 639-1 code and the code in
// lower case, or an EINVALID error naming the code.
func parseCode(c string) (lingua.Language, string, error) {
	c = strings.ToLower(strings.TrimSpace(c))
	l := lingua.GetLanguageFromIsoCode639_1(lingua.GetIsoCode639_1FromValue(c))
	if l == lingua.Unknown {
		return l, c, moderation.Errorf(moderation.EINVALID, "lingua: unknown language code %q", c)
	}
	return l, c, nil
}

// dropLinks returns s with links, e-mail addresses and handles blanked out:
// their letters belong to no language. They are found as runs of ASCII
// characters other than spaces that contain "://", "www." or "@".
func dropLinks(s string) string {
	if strings.IndexByte(s, '@') < 0 && !strings.Contains(s, "://") && !strings.Contains(s, "www.") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] > ' ' && s[j] < utf8.RuneSelf {
			j++
		}
		if j == i {
			b = append(b, s[i])
			i++
			continue
		}
		run := s[i:j]
		if strings.Contains(run, "://") || strings.Contains(run, "www.") || strings.IndexByte(run, '@') >= 0 {
			b = append(b, ' ')
		} else {
			b = append(b, run...)
		}
		i = j
	}
	return string(b)
}

// scriptOfLanguage returns the script a language is written in.
func scriptOfLanguage(l lingua.Language) script {
	switch l {
	case lingua.Chinese:
		return scriptHan
	case lingua.Japanese:
		return scriptKana
	case lingua.Korean:
		return scriptHangul
	case lingua.Greek:
		return scriptGreek
	case lingua.Hebrew:
		return scriptHebrew
	case lingua.Thai:
		return scriptThai
	case lingua.Armenian:
		return scriptArmenian
	case lingua.Georgian:
		return scriptGeorgian
	case lingua.Bengali:
		return scriptBengali
	case lingua.Gujarati:
		return scriptGujarati
	case lingua.Punjabi:
		return scriptGurmukhi
	case lingua.Tamil:
		return scriptTamil
	case lingua.Telugu:
		return scriptTelugu
	}
	for s, all := range map[script][]lingua.Language{
		scriptCyrillic:   lingua.AllLanguagesWithCyrillicScript(),
		scriptArabic:     lingua.AllLanguagesWithArabicScript(),
		scriptDevanagari: lingua.AllLanguagesWithDevanagariScript(),
	} {
		for _, x := range all {
			if x == l {
				return s
			}
		}
	}
	return scriptLatin
}
