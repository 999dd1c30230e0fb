package normalize

import (
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

//go:generate go run ./internal/gen -in ../../../shared/data/lists/unicode-confusables/confusables.txt -out confusables_table.go

// span is a half-open byte range [start, end) of the text a view was built
// from. int32 keeps the maps small; texts are capped far below 2 GiB.
type span struct{ start, end int32 }

// Folded is text after character-level folding.
type Folded struct {
	Text string // the folded text
	src  []span // for each byte of Text, the original bytes it came from
	// identity: Text has the original's offsets (an ASCII text, where
	// folding only lower-cases); src is nil.
	identity bool
}

// Orig maps a half-open byte range [start,end) of f.Text to the half-open
// range of the original text it came from. Out-of-range bounds are clamped; an
// empty range maps to an empty range at the corresponding position.
func (f *Folded) Orig(start, end int) (int, int) {
	if f.identity {
		start = min(max(start, 0), len(f.Text))
		return start, min(max(end, start), len(f.Text))
	}
	return mapRange(f.src, start, end)
}

// mapRange maps [start,end) through a per-byte span table.
func mapRange(src []span, start, end int) (int, int) {
	start = min(max(start, 0), len(src))
	end = min(max(end, start), len(src))
	if start == end {
		var p int32
		switch {
		case start < len(src):
			p = src[start].start
		case start > 0:
			p = src[start-1].end
		}
		return int(p), int(p)
	}
	return int(src[start].start), int(src[end-1].end)
}

// Fold returns s after Unicode NFKC, lower-casing, removal of invisible
// format characters, removal of Latin, Greek and Cyrillic diacritics, and
// folding of look-alike letters from other scripts (see the package
// documentation). Invalid UTF-8 bytes become U+FFFD.
func Fold(s string) Folded {
	if isASCII(s) {
		// NFKC, look-alikes, diacritics and format characters are all
		// outside ASCII: folding is lower-casing, byte for byte.
		return Folded{Text: strings.ToLower(s), identity: true}
	}
	return foldSlow(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldSlow is Fold for any text.
func foldSlow(s string) Folded {
	fo := folderPool.Get().(*folder)
	defer putFolder(fo)
	fo.run(s)
	o := &fo.out
	return Folded{Text: string(o.buf[:o.n]), src: slices.Clone(o.src[:o.n])}
}

var folderPool = sync.Pool{New: func() any { return new(folder) }}

func putFolder(fo *folder) {
	fo.it.InitString(norm.NFKC, "") // do not keep the user's text alive
	if len(fo.out.buf) <= maxPooled {
		folderPool.Put(fo)
	}
}

// folder holds the state and the reusable buffers of one Fold.
type folder struct {
	it  norm.Iter
	out out // the folded text so far, with its map to the original

	tok   token
	cands []cand // look-alikes of the current token
	// pend holds the look-alikes of tokens written entirely in confusable
	// non-Latin letters; they are folded at the end if the text is mostly
	// Latin.
	pend []cand

	letters   [scriptOther + 1]int // letters per script, to tell a mostly Latin text
	keepMarks bool                 // combining marks after the last base character are kept
	tmp       []byte               // scratch for rewriting a token
	tmpSrc    []span
}

// token tracks the current run of letters, digits and marks in the folded
// text: the unit at which look-alikes are folded.
type token struct {
	start         int  // its offset in the folded text; -1 outside a token
	latin         int  // Latin letters
	nonASCIILatin bool // some Latin letter is not ASCII
	candLetters   int  // non-Latin letters with a Latin prototype
	// bare is the script of the non-Latin letters that have no Latin
	// prototype: scriptNone if there are none, scriptOther if mixed.
	bare script
}

// cand is a character at offset off of the folded text that can fold to the
// ASCII proto.
type cand struct {
	off   int32
	proto byte
}

func (fo *folder) run(s string) {
	fo.out.reset(len(s) + 8)
	fo.cands, fo.pend = fo.cands[:0], fo.pend[:0]
	fo.letters = [scriptOther + 1]int{}
	fo.keepMarks = false
	fo.tok = token{start: -1}

	fo.it.InitString(norm.NFKC, s)
	// Most text is already NFKC: a stable character followed by a stable
	// character is folded as it is, mapping to its own bytes. The iterator
	// normalises the other segments.
	r, n, ci := decode(s, 0)
	for i := 0; i < len(s); {
		if r < utf8.RuneSelf {
			if k := fo.asciiRun(s, i); k > i {
				i = k
				r, n, ci = decode(s, i)
				continue
			}
		}
		j := i + n
		r2, n2, ci2 := decode(s, j)
		if ci.stable() && ci2.stable() {
			if r < utf8.RuneSelf {
				fo.ascii(byte(r), span{int32(i), int32(j)})
			} else {
				fo.rune(r, ci, span{int32(i), int32(j)})
			}
			i, r, n, ci = j, r2, n2, ci2
			continue
		}
		_, _ = fo.it.Seek(int64(i), io.SeekStart) // fails only outside s
		for {
			seg := fo.it.Next()
			p := fo.it.Pos()
			if p > i {
				fo.segment(seg, span{int32(i), int32(p)})
				i = p
				break
			}
			// A long decomposition comes in several pieces; all but
			// the last leave the position at i. Map them to the
			// character at i.
			fo.segment(seg, span{int32(i), int32(j)})
		}
		r, n, ci = decode(s, i)
	}
	fo.endToken()
	l := fo.letters
	if len(fo.pend) > 0 && l[scriptLatin] > l[scriptCyrillic] && l[scriptLatin] > l[scriptGreek] && l[scriptLatin] > l[scriptOther] {
		fo.fold(fo.pend)
	}
}

// asciiRun folds the ASCII characters from s[i:] that are followed by ASCII
// (or end the text), and returns the offset after them. It is fo.ascii in a
// loop, for speed.
func (fo *folder) asciiRun(s string, i int) int {
	o, t := &fo.out, &fo.tok
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || i+1 < len(s) && s[i+1] >= utf8.RuneSelf {
			break
		}
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
			fallthrough
		case 'a' <= c && c <= 'z':
			if t.start < 0 {
				*t = token{start: o.n}
			}
			t.latin++
		case '0' <= c && c <= '9':
			if t.start < 0 {
				*t = token{start: o.n}
			}
		case t.start >= 0:
			fo.endToken()
		}
		o.byte(c, span{int32(i), int32(i + 1)})
	}
	fo.keepMarks = false
	return i
}

// decode returns the character at s[i:], its size and its description. At
// the end of s it returns a stable nothing.
func decode(s string, i int) (rune, int, runeInfo) {
	if i >= len(s) {
		return 0, 0, charInfo{class: stable}.pack()
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1, charInfo{class: stable}.pack() // ASCII is folded by ascii
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return r, n, infoOf(r)
}

// segment folds one NFKC segment; every byte it writes maps to sp.
func (fo *folder) segment(seg []byte, sp span) {
	for i := 0; i < len(seg); {
		r, n := utf8.DecodeRune(seg[i:])
		if r < utf8.RuneSelf {
			fo.ascii(byte(r), sp)
		} else {
			fo.rune(r, infoOf(r), sp)
		}
		i += n
	}
}

func (fo *folder) ascii(c byte, sp span) {
	switch {
	case 'A' <= c && c <= 'Z':
		c += 'a' - 'A'
		fallthrough
	case 'a' <= c && c <= 'z':
		fo.letter(scriptLatin, 0)
	case '0' <= c && c <= '9':
		fo.beginToken()
	default:
		fo.endToken()
	}
	fo.keepMarks = false
	fo.out.byte(c, sp)
}

// rune folds one non-ASCII character of NFKC text, described by ci. An
// invalid byte arrives as utf8.RuneError and is written as U+FFFD.
func (fo *folder) rune(r rune, ci runeInfo, sp span) {
	switch ci.class() {
	case classIgnore:
		return
	case classMark:
		// Marks on Latin, Greek and Cyrillic letters are diacritics; on
		// other scripts (Devanagari, Arabic, Thai...) they are vowels and
		// must stay.
		if fo.keepMarks {
			fo.beginToken()
			fo.tok.bare = mergeScript(fo.tok.bare, scriptOther)
			fo.out.rune(r, sp)
		}
		return
	case classLetter:
		fo.keepMarks = ci.script() == scriptOther
		if ci.script() == scriptLatin && ci.folded() >= utf8.RuneSelf {
			fo.beginToken()
			fo.tok.nonASCIILatin = true
		}
		fo.letter(ci.script(), ci.proto())
		fo.out.rune(ci.folded(), sp)
		if ci.extra() != 0 {
			fo.letter(ci.script(), 0)
			fo.out.rune(rune(ci.extra()), sp)
		}
		return
	case classDigit:
		fo.beginToken()
		if ci.proto() != 0 {
			fo.cands = append(fo.cands, cand{int32(fo.out.n), ci.proto()})
		}
	default:
		fo.endToken()
	}
	fo.keepMarks = false
	fo.out.rune(ci.folded(), sp)
}

// letter records a letter of script sc, with the ASCII look-alike proto or
// 0, about to be written at the end of the folded text.
func (fo *folder) letter(sc script, proto byte) {
	fo.beginToken()
	t := &fo.tok
	switch {
	case sc == scriptLatin:
		t.latin++ // counted in letters at the end of the token
	case proto == 0:
		fo.letters[sc]++
		t.bare = mergeScript(t.bare, sc)
	default:
		fo.letters[sc]++
		t.candLetters++
	}
	if proto != 0 {
		fo.cands = append(fo.cands, cand{int32(fo.out.n), proto})
	}
}

func mergeScript(a, b script) script {
	if a == scriptNone || a == b {
		return b
	}
	return scriptOther
}

func (fo *folder) beginToken() {
	if fo.tok.start < 0 {
		fo.tok = token{start: fo.out.n}
	}
}

// endToken folds the look-alikes of the token that just ended:
//   - a token with Latin letters is meant to be Latin ("рaypal"), unless its
//     other letters cannot be Latin and its Latin ones all look like letters
//     of that script, as in a Russian word typed with a Latin "x" or "p";
//   - a token of confusable non-Latin letters only ("сор") waits for the end
//     of the text: it is folded only if the text is mostly Latin.
func (fo *folder) endToken() {
	t := &fo.tok
	if t.start < 0 {
		return
	}
	fo.letters[scriptLatin] += t.latin
	switch {
	case t.latin > 0 && t.bare == scriptCyrillic && fo.canWrite(t, toCyrillic):
		fo.toScript(t.start, toCyrillic)
	case t.latin > 0 && t.bare == scriptGreek && fo.canWrite(t, toGreek):
		fo.toScript(t.start, toGreek)
	case t.latin > 0 && len(fo.cands) > 0:
		fo.fold(fo.cands)
	case t.bare == scriptNone && t.candLetters > 0:
		fo.pend = append(fo.pend, fo.cands...)
	}
	t.start = -1
	fo.cands = fo.cands[:0]
}

// canWrite reports whether every Latin letter of token t has a look-alike in
// table.
func (fo *folder) canWrite(t *token, table *[26]rune) bool {
	if t.nonASCIILatin {
		return false
	}
	for _, c := range fo.out.buf[t.start:fo.out.n] {
		if 'a' <= c && c <= 'z' && table[c-'a'] == 0 {
			return false
		}
	}
	return true
}

// fold replaces each candidate, in offset order, by its prototype. The
// text only shrinks, so it is rewritten in place.
func (fo *folder) fold(cands []cand) {
	buf, src := fo.out.buf, fo.out.src
	w := int(cands[0].off)
	r := w
	for _, c := range cands {
		n := copy(buf[w:], buf[r:c.off])
		copy(src[w:], src[r:c.off])
		w, r = w+n, int(c.off)
		_, size := utf8.DecodeRune(buf[r:fo.out.n])
		buf[w], src[w] = c.proto, src[r]
		w, r = w+1, r+size
	}
	n := copy(buf[w:], buf[r:fo.out.n])
	copy(src[w:], src[r:fo.out.n])
	fo.out.n = w + n
}

// toScript rewrites the ASCII letters of the text from start into their
// look-alikes in another script.
func (fo *folder) toScript(start int, table *[26]rune) {
	o := &fo.out
	fo.tmp = append(fo.tmp[:0], o.buf[start:o.n]...)
	fo.tmpSrc = append(fo.tmpSrc[:0], o.src[start:o.n]...)
	o.n = start
	for i, c := range fo.tmp {
		if 'a' <= c && c <= 'z' && table[c-'a'] != 0 {
			o.rune(table[c-'a'], fo.tmpSrc[i])
			continue
		}
		o.byte(c, fo.tmpSrc[i])
	}
}

// out is the folded text being written, buf[:n], with its map src[:n].
// Writing by index rather than appending keeps pointer stores, and the
// garbage collector's write barriers, out of the per-character path.
type out struct {
	buf []byte
	src []span
	n   int
}

func (o *out) reset(size int) {
	if len(o.buf) < size {
		o.buf, o.src = make([]byte, size), make([]span, size)
	}
	o.n = 0
}

// room makes room for k more bytes.
func (o *out) room(k int) {
	if o.n+k > len(o.buf) {
		size := 2*len(o.buf) + k
		o.buf = append(o.buf[:o.n], make([]byte, size-o.n)...)
		o.src = append(o.src[:o.n], make([]span, size-o.n)...)
	}
}

func (o *out) byte(c byte, sp span) {
	o.room(1)
	o.buf[o.n], o.src[o.n] = c, sp
	o.n++
}

func (o *out) rune(r rune, sp span) {
	o.room(utf8.UTFMax)
	for range utf8.EncodeRune(o.buf[o.n:], r) {
		o.src[o.n] = sp
		o.n++
	}
}
