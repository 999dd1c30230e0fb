package normalize

import (
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// class is what Fold does with a character.
type class uint8

const (
	classOther  class = iota // kept: punctuation, symbols, spaces
	classIgnore              // dropped: invisible
	classMark                // a combining mark: kept after letters of some scripts
	classLetter              // folded to a lower-case base letter
	classDigit               // a decimal digit
)

// Flags or'ed into a class.
const (
	// stable: NFKC leaves the character alone and it cannot combine with
	// what precedes it. A stable character followed by a stable character
	// needs no normalisation.
	stable class = 0x80
	// cjk: a letter of a script written without spaces (IsCJK).
	cjk   class = 0x40
	flags       = stable | cjk
)

// charInfo is everything Fold needs to know about one character.
type charInfo struct {
	folded rune   // lower case, without diacritics (Latin, Greek, Cyrillic)
	proto  byte   // ASCII look-alike prototype, or 0
	extra  byte   // a second ASCII letter the character stands for (ß → ss), or 0
	class  class  // with its flags
	script script // of a letter
}

// runeInfo is a charInfo packed into one word: it moves through registers
// (a struct of bytes is rebuilt through memory on every call, which costs
// more than the rest of the hot loop) and keeps the table small.
type runeInfo uint64

func (c charInfo) pack() runeInfo {
	return runeInfo(uint32(c.folded)) | runeInfo(c.proto)<<32 | runeInfo(c.extra)<<40 |
		runeInfo(c.class)<<48 | runeInfo(c.script)<<56
}

func (ci runeInfo) folded() rune   { return rune(uint32(ci)) }
func (ci runeInfo) proto() byte    { return byte(ci >> 32) }
func (ci runeInfo) extra() byte    { return byte(ci >> 40) }
func (ci runeInfo) class() class   { return class(ci>>48) &^ flags }
func (ci runeInfo) script() script { return script(ci >> 56) }
func (ci runeInfo) stable() bool   { return class(ci>>48)&stable != 0 }
func (ci runeInfo) cjk() bool      { return class(ci>>48)&cjk != 0 }

// tableSize covers the scripts of most text (Latin to Hangul jamo, general
// punctuation); other characters are looked up each time.
const tableSize = 0x3000

// infoTable is built on first use, in a few milliseconds; then the
// description of a common character is one load.
var (
	infoTable     atomic.Pointer[[tableSize]runeInfo]
	infoTableOnce sync.Once
)

func infoOf(r rune) runeInfo {
	if r >= tableSize {
		return computeInfo(r).pack()
	}
	if t := infoTable.Load(); t != nil {
		return t[r]
	}
	infoTableOnce.Do(func() {
		t := new([tableSize]runeInfo)
		for c := range t {
			t[c] = computeInfo(rune(c)).pack()
		}
		infoTable.Store(t)
	})
	return infoTable.Load()[r]
}

func computeInfo(r rune) charInfo {
	switch {
	case 0x4E00 <= r && r <= 0x9FFF || 0xAC00 <= r && r <= 0xD7A3:
		// CJK ideographs and Hangul syllables: the bulk of CJK text.
		return charInfo{folded: r, class: classLetter | cjk | stable, script: scriptOther}
	case r == utf8.RuneError:
		return charInfo{folded: r, class: classOther | stable} // also every invalid byte
	}
	ci := computeClass(r)
	var b [utf8.UTFMax]byte
	enc := b[:utf8.EncodeRune(b[:], r)]
	if norm.NFKC.Properties(enc).BoundaryBefore() && norm.NFKC.IsNormal(enc) {
		ci.class |= stable
	}
	return ci
}

func computeClass(r rune) charInfo {
	switch {
	case ignorable(r):
		return charInfo{class: classIgnore}
	case unicode.IsMark(r):
		return charInfo{folded: r, class: classMark}
	case unicode.IsDigit(r):
		return charInfo{folded: r, class: classDigit, proto: protoOf(r)}
	case !unicode.IsLetter(r):
		return charInfo{folded: unicode.ToLower(r), class: classOther}
	}
	ci := charInfo{class: classLetter, script: scriptOf(r)}
	if IsCJK(r) {
		ci.class |= cjk
	}
	base := r
	if ci.script == scriptLatin || ci.script == scriptGreek || ci.script == scriptCyrillic {
		var b [utf8.UTFMax]byte
		if d := norm.NFD.Properties(b[:utf8.EncodeRune(b[:], r)]).Decomposition(); d != nil {
			base, _ = utf8.DecodeRune(d) // the base letter, without its marks
		}
	}
	var extra rune
	ci.folded, extra = lower(base)
	ci.extra = byte(extra)
	ci.proto = protoOf(ci.folded)
	if ci.proto == 0 && base != ci.folded {
		ci.proto = protoOf(base) // Cyrillic "В" looks like "B", "в" looks like nothing
	}
	return ci
}

// ignorable reports whether r is invisible and carries no letter: format
// characters (zero-width spaces and joiners, bidi controls, soft hyphen,
// tags), variation selectors, the combining grapheme joiner and the Hangul
// fillers, all used to split words without showing it.
func ignorable(r rune) bool {
	switch {
	case r < 0xAD:
		return false
	case r == 0x34F, r == 0x115F, r == 0x1160, r == 0x3164, r == 0xFFA0,
		0x180B <= r && r <= 0x180F,
		0xFE00 <= r && r <= 0xFE0F,
		0xE0100 <= r && r <= 0xE01EF:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// lower lower-cases r and folds the letters that decomposition leaves
// alone; r2 is non-zero when r stands for two letters (ß → ss).
func lower(r rune) (r1, r2 rune) {
	switch r {
	case 'ß', 'ẞ':
		return 's', 's'
	case 'æ', 'Æ':
		return 'a', 'e'
	case 'œ', 'Œ':
		return 'o', 'e'
	case 'ı':
		return 'i', 0
	case 'ø', 'Ø':
		return 'o', 0
	case 'ł', 'Ł':
		return 'l', 0
	case 'đ', 'Đ':
		return 'd', 0
	case 'ħ', 'Ħ':
		return 'h', 0
	case 'ς':
		return 'σ', 0
	}
	return unicode.ToLower(r), 0
}
