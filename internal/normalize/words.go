package normalize

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Words is the word view used for term matching, built from a Folded text.
type Words struct {
	// Text holds the words separated by one ASCII space, with one leading
	// and one trailing space: " w1 w2 w3 ". A text without words gives " ".
	Text string
	// Run has one entry per byte of Text: the length, capped at 255, of the
	// run of identical characters that the character the byte belongs to
	// stands for ("fuuuck" gives "fuck" with 3 on the "u"); 0 for spaces.
	Run []uint8
	// Disguised reports whether the view undid a disguise: leetspeak or
	// symbols standing for letters, a "*" kept inside a word, spaced-out
	// letters joined, or a letter written three or more times. When it is
	// false the view holds nothing the folded text does not: its words with
	// doubled letters written once.
	Disguised bool
	src       []span // for each byte of Text, the Folded bytes it stands for
}

// Folded maps a half-open byte range of w.Text to the half-open range of the
// Folded text it was built from.
func (w *Words) Folded(start, end int) (int, int) {
	return mapRange(w.src, start, end)
}

// Orig maps a half-open byte range of w.Text straight to the original text,
// through f, the Folded text w was built from.
func (w *Words) Orig(f *Folded, start, end int) (int, int) {
	fs, fe := w.Folded(start, end)
	return f.Orig(fs, fe)
}

// Skeleton normalises a rule term exactly as text is (Fold, then WordsOf)
// and returns its word view without the leading and trailing space, with the
// matching run lengths. A term matches text where Skeleton(term) occurs in
// WordsOf(Fold(text)).Text with runs at least the term's.
func Skeleton(term string) (text string, run []uint8) {
	f := Fold(term)
	w := WordsOf(&f)
	if len(w.Text) < 2 {
		return "", nil
	}
	return w.Text[1 : len(w.Text)-1], w.Run[1 : len(w.Run)-1]
}

// kind classifies one character of the folded text for the word view.
type kind uint8

const (
	kSep    kind = iota // separates words
	kLetter             // letter of a script written with spaces
	kCJK                // letter of a script written without spaces
	kDigit              // ASCII digit: a leet letter inside a word
	kNum                // other decimal digit
	kMark               // combining mark
	kAt                 // '@' or '$': a letter when next to a letter
	kBang               // '!' or '|': a letter between two word characters
	kStar               // '*': kept between two letters (censored words)
	kLeet               // '@', '$', '!' or '|' standing for a letter
	kWild               // '*' kept inside a word
	kGone               // a separator dropped by joining spaced-out letters
)

// unit is one character of the folded text.
type unit struct {
	fs, fe int32 // its bytes in the folded text
	r      rune  // the character it stands for in the word view
	kind   kind
}

// word reports whether k belongs to a word in the final view.
func (k kind) word() bool {
	switch k {
	case kLetter, kCJK, kDigit, kNum, kMark, kLeet, kWild:
		return true
	}
	return false
}

// letterish reports whether k counts as a letter for the symbol rules.
func (k kind) letterish() bool { return k == kLetter || k == kMark || k == kLeet }

// leet maps ASCII digits to the letters they stand for inside words.
var leet = [10]rune{'o', 'i', 0, 'e', 'a', 's', 0, 't', 'b', 'g'}

type wordsScratch struct {
	units   []unit
	syms    []int // indexes of the units of kinds kAt, kBang, kStar
	singles int   // one-character tokens
	toks    []tok
	text    []byte
	run     []uint8
	src     []span
}

// tok is a run of units [a, b).
type tok struct{ a, b int }

var scratchPool = sync.Pool{New: func() any { return new(wordsScratch) }}

// maxPooled is the largest text whose buffers go back to a pool: one huge
// text must not pin its buffers for good. It is above the 64 KiB of the
// longest note and of an upload's text window, whose buffers are a few
// bytes longer than the text.
const maxPooled = 128 << 10

func putScratch(sc *wordsScratch) {
	if cap(sc.text) <= maxPooled {
		scratchPool.Put(sc)
	}
}

// WordsOf builds the word view of f:
//   - words are runs of letters, marks and digits; any other run of
//     characters, apostrophes included, becomes one space;
//   - in a word with a letter, the digits 0 1 3 4 5 7 8 9 stand for
//     o i e a s t b g ("h3ll0"); numbers stay numbers ("2024");
//   - "@" and "$" next to a letter stand for "a" and "s" ("@ss", "a$$");
//     "!" and "|" between two word characters, one a letter, stand for "i"
//     and "l" ("sh!t"); "*" between two letters is kept ("f*ck");
//   - three or more one-character tokens separated by the same single
//     separator (" .-_*/," or two spaces), one of them a letter, are joined
//     ("k i l l", "p.o.r.n"); a sentence break (". ") never joins;
//   - a run of one character is written once, its length in Run ("fuuuck");
//     digits are not collapsed;
//   - letters of scripts written without spaces ([IsCJK]) are kept as they
//     are and never joined.
func WordsOf(f *Folded) Words {
	sc := scratchPool.Get().(*wordsScratch)
	defer putScratch(sc)
	sc.classify(f.Text)
	joined := sc.singles >= 3 && sc.joinSpaced()
	if joined {
		sc.dropGone()
	}
	if len(sc.syms) > 0 {
		resolveSymbols(sc.units, sc.syms)
	}
	disguised := sc.build(len(f.Text))
	return Words{Text: string(sc.text), Run: slices.Clone(sc.run), Disguised: joined || disguised,
		src: slices.Clone(sc.src)}
}

// classify sets sc.units to the units of t, sc.syms to the indexes of the
// units that are symbols whose role depends on their neighbours, and
// sc.singles to the number of one-character tokens that spaced-out letters
// could be made of.
func (sc *wordsScratch) classify(t string) {
	units, syms := sc.units[:0], sc.syms[:0]
	// A token here is a run of neither separators nor stars; joinSpaced
	// trims "!" and "|" off its ends, so they do not count in core.
	singles, core, inTok := 0, 0, false
	for i := 0; i < len(t); {
		r, size := rune(t[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(t[i:])
		}
		u := unit{fs: int32(i), fe: int32(i + size), r: r}
		i += size
		switch {
		case 'a' <= r && r <= 'z':
			u.kind = kLetter
		case '0' <= r && r <= '9':
			u.kind = kDigit
		case r == '@' || r == '$':
			u.kind = kAt
		case r == '!' || r == '|':
			u.kind = kBang
		case r == '*':
			u.kind = kStar
		case r < utf8.RuneSelf, r == utf8.RuneError:
			// An invalid byte (only in a Folded made by hand) separates
			// and is never written: the view stays within n+2 bytes.
			u.kind = kSep
		default:
			u.kind = wordKind(r)
		}
		switch u.kind {
		case kAt, kBang, kStar:
			syms = append(syms, len(units))
		}
		switch u.kind {
		case kSep, kStar:
			if inTok && core <= 1 {
				singles++ // an over-estimate: it only lets joinSpaced be skipped
			}
			core, inTok = 0, false
		case kBang:
			inTok = true
		default:
			core, inTok = core+1, true
		}
		units = append(units, u)
	}
	if inTok && core <= 1 {
		singles++
	}
	sc.units, sc.syms, sc.singles = units, syms, singles
}

// isSingle reports whether a one-character token of kind k can be one of
// spaced-out letters.
func isSingle(k kind) bool {
	return k == kLetter || k == kDigit || k == kAt || k == kBang
}

// wordKind classifies a non-ASCII character of folded text.
func wordKind(r rune) kind {
	ci := infoOf(r)
	switch ci.class() {
	case classLetter:
		if ci.cjk() {
			return kCJK
		}
		return kLetter
	case classMark:
		return kMark
	case classDigit:
		return kNum
	}
	return kSep
}

// joinSpaced joins spaced-out letters ("k i l l", "p.o.r.n"): a chain of at
// least three one-character tokens (a letter, a digit or a leet symbol), at
// least one of them a letter, each separated from the next by the same single
// separator (one of " .-_*/,", or two spaces). Its separators become kGone.
// A sentence break (". " followed by a word) is two separators, so it never
// joins. It reports whether any units became kGone.
func (sc *wordsScratch) joinSpaced() (joined bool) {
	units, toks := sc.units, sc.toks[:0]
	for i := 0; i < len(units); {
		if units[i].kind == kSep || units[i].kind == kStar {
			i++
			continue
		}
		j := i + 1
		for j < len(units) && units[j].kind != kSep && units[j].kind != kStar {
			j++
		}
		// "!" and "|" at either end of a token cannot be letters: they
		// separate ("v.e.r.m.i.n!").
		a, b := i, j
		for b-a > 1 && units[b-1].kind == kBang {
			b--
		}
		for b-a > 1 && units[a].kind == kBang {
			a++
		}
		toks = append(toks, tok{a, b})
		i = j
	}
	single := func(t tok) bool { return t.b-t.a == 1 && isSingle(units[t.a].kind) }
	for i := 0; i < len(toks); {
		if !single(toks[i]) {
			i++
			continue
		}
		j, sep := i, rune(0)
		for j+1 < len(toks) && single(toks[j+1]) {
			g := gapSep(units[toks[j].b:toks[j+1].a])
			if g == 0 || sep != 0 && g != sep {
				// Spaces bind less than other separators: in
				// "k i l l p.o.r.n" the "p" goes with "orn".
				if sep == ' ' && g != 0 && j > i {
					j--
				}
				break
			}
			sep = g
			j++
		}
		letters := 0
		for t := i; t <= j; t++ {
			if units[toks[t].a].kind == kLetter {
				letters++
			}
		}
		switch {
		case j-i >= 2 && letters > 0:
			joined = true
			for t := i; t < j; t++ {
				for k := toks[t].b; k < toks[t+1].a; k++ {
					units[k].kind = kGone
				}
			}
			i = j + 1
		case j > i:
			i = j // the next chain may start at j with another separator
		default:
			i++
		}
	}
	sc.toks = toks
	return joined
}

// gapSep returns the separator character of a gap between two spaced-out
// letters, or 0 if the gap does not join them.
func gapSep(gap []unit) rune {
	switch {
	case len(gap) == 1 && strings.ContainsRune(" .-_*/,", gap[0].r):
		return gap[0].r
	case len(gap) == 2 && gap[0].r == ' ' && gap[1].r == ' ':
		return ' '
	}
	return 0
}

// dropGone removes the kGone units and finds the symbols again.
func (sc *wordsScratch) dropGone() {
	units, syms := sc.units[:0], sc.syms[:0]
	for _, u := range sc.units {
		switch u.kind {
		case kGone:
			continue
		case kAt, kBang, kStar:
			syms = append(syms, len(units))
		}
		units = append(units, u)
	}
	sc.units, sc.syms = units, syms
}

// resolveSymbols decides, from their neighbours, which symbols stand for
// letters: "@" and "$" next to a letter ("@ss", "a$$"), "!" and "|" between two
// word characters one of which is a letter ("sh!t"), and "*" between two
// letters, kept as a wildcard ("f*ck", "n***a"). The others separate words.
//
// syms holds, in order, the indexes of the units of kinds kAt, kBang and
// kStar.
func resolveSymbols(units []unit, syms []int) {
	n := len(units)
	for _, a := range syms {
		if units[a].kind != kAt { // or already resolved with its run
			continue
		}
		b := a + 1
		for b < n && units[b].kind == kAt {
			b++
		}
		k := kSep
		if a > 0 && units[a-1].kind.letterish() || b < n && units[b].kind.letterish() {
			k = kLeet
		}
		for i := a; i < b; i++ {
			units[i].kind = k
			switch {
			case k != kLeet:
			case units[i].r == '@':
				units[i].r = 'a'
			default:
				units[i].r = 's'
			}
		}
	}
	for _, i := range syms {
		if units[i].kind != kBang {
			continue
		}
		units[i].kind = kSep
		if i > 0 && i+1 < n {
			l, r := units[i-1].kind, units[i+1].kind
			if l.word() && r.word() && (l == kLetter || r == kLetter) {
				units[i].kind = kLeet
				if units[i].r == '!' {
					units[i].r = 'i'
				} else {
					units[i].r = 'l'
				}
			}
		}
	}
	for _, a := range syms {
		if units[a].kind != kStar {
			continue
		}
		b := a + 1
		for b < n && units[b].kind == kStar {
			b++
		}
		k := kSep
		if a > 0 && b < n && units[a-1].kind.letterish() && units[b].kind.letterish() {
			k = kWild
		}
		for i := a; i < b; i++ {
			units[i].kind = k
		}
	}
}

// wordHasLetter returns 1 if the word starting at units[0] has a letter of
// a script written with spaces, else 0.
func wordHasLetter(units []unit) int {
	for _, u := range units {
		switch {
		case u.kind == kLetter:
			return 1
		case !u.kind.word():
			return 0
		}
	}
	return 0
}

// build writes the word view of sc.units, the classified units of a folded
// text of length n, into sc.text, sc.run and sc.src. It reports whether it
// wrote a symbol or digit as a letter, kept a "*" or collapsed a run of three
// or more.
func (sc *wordsScratch) build(n int) (disguised bool) {
	units := sc.units
	// The three have one entry per byte of the view, which is never longer
	// than n+2 bytes: w indexes all three.
	text := slices.Grow(sc.text[:0], n+2)[:n+2]
	run := slices.Grow(sc.run[:0], n+2)[:n+2]
	src := slices.Grow(sc.src[:0], n+2)[:n+2]
	text[0], run[0], src[0] = ' ', 0, span{0, int32(n)} // end fixed at the first word
	w := 1
	prevEnd := int32(-1) // end of the last word; -1 before the first
	inWord := false
	tokStart := 0    // the first unit of the current word
	hasLetter := 0   // whether the current word has a letter: 1 yes, 0 no, -1 not known yet
	last := rune(-1) // the last character written, if it may collapse
	lastAt := 0      // its offset in the view
	for k := range units {
		u := &units[k]
		if !u.kind.word() {
			inWord = false
			continue
		}
		if !inWord {
			inWord, tokStart, hasLetter, last = true, k, -1, -1
			if prevEnd < 0 {
				src[0].end = u.fs
			} else {
				text[w], run[w], src[w] = ' ', 0, span{prevEnd, u.fs}
				w++
			}
		}
		prevEnd = u.fe
		r := u.r
		switch u.kind {
		case kDigit:
			if hasLetter < 0 {
				hasLetter = wordHasLetter(units[tokStart:])
			}
			if hasLetter == 1 && leet[r-'0'] != 0 {
				r, disguised = leet[r-'0'], true
			}
		case kLeet, kWild:
			disguised = true
		}
		if r == last {
			for i := lastAt; i < w; i++ {
				run[i] = uint8(min(int(run[i])+1, 255))
				src[i].end = u.fe
			}
			disguised = disguised || run[lastAt] >= 3
			continue
		}
		last, lastAt = r, w
		if '0' <= r && r <= '9' || u.kind == kNum {
			last = -1 // numbers keep their repeated digits
		}
		if r < utf8.RuneSelf {
			text[w], run[w], src[w] = byte(r), 1, span{u.fs, u.fe}
			w++
			continue
		}
		for range utf8.EncodeRune(text[w:], r) {
			run[w], src[w] = 1, span{u.fs, u.fe}
			w++
		}
	}
	if prevEnd >= 0 {
		text[w], run[w], src[w] = ' ', 0, span{prevEnd, int32(n)}
		w++
	}
	sc.text, sc.run, sc.src = text[:w], run[:w], src[:w]
	return disguised
}
