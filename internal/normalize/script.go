package normalize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// script is the coarse writing-system class Fold needs: the three scripts
// whose letters confuse with each other and lose their diacritics, and the
// rest.
type script uint8

const (
	scriptNone script = iota // not a letter
	scriptLatin
	scriptGreek
	scriptCyrillic
	scriptOther
)

// scriptOf returns the script class of a letter, scriptNone for anything else.
// The common blocks are tested by range before the Unicode tables.
func scriptOf(r rune) script {
	switch {
	case r < 0x80:
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return scriptLatin
		}
		return scriptNone
	case !unicode.IsLetter(r):
		return scriptNone
	case r < 0x2B0 || 0x1E00 <= r && r < 0x1F00:
		return scriptLatin
	case 0x370 <= r && r < 0x3E2 || 0x3F0 <= r && r < 0x400 || 0x1F00 <= r && r < 0x2000:
		return scriptGreek
	case 0x400 <= r && r < 0x530:
		return scriptCyrillic
	case 0x530 <= r && r < 0x1C80:
		return scriptOther
	case unicode.Is(unicode.Latin, r):
		return scriptLatin
	case unicode.Is(unicode.Cyrillic, r):
		return scriptCyrillic
	case unicode.Is(unicode.Greek, r):
		return scriptGreek
	}
	return scriptOther
}

// cjkScripts lists the scripts written without spaces between words.
var cjkScripts = []*unicode.RangeTable{
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
	unicode.Bopomofo, unicode.Thai, unicode.Lao, unicode.Khmer,
	unicode.Myanmar, unicode.Tibetan, unicode.Yi, unicode.Tai_Tham,
	unicode.Javanese, unicode.Balinese,
}

// IsCJK reports whether r belongs to a script written without spaces between
// words: Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer, Myanmar and a few
// others. Term matching cannot rely on word boundaries in such text.
func IsCJK(r rune) bool {
	switch {
	case r < 0x0E00:
		return false
	case 0x3041 <= r && r <= 0x3096, 0x309D <= r && r <= 0x309F, // hiragana
		0x30A1 <= r && r <= 0x30FA, 0x30FC <= r && r <= 0x30FF, // katakana, with the prolonged sound mark
		0x4E00 <= r && r <= 0x9FFF, 0xAC00 <= r && r <= 0xD7A3: // ideographs, Hangul syllables
		return true
	}
	return unicode.In(r, cjkScripts...)
}

// protoOf returns the ASCII prototype of a confusable letter or digit, or 0.
func protoOf(r rune) byte {
	if r < 0x80 {
		return 0
	}
	lo, hi := 0, len(confusables)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		k := rune(confusables[m] >> 8)
		switch {
		case k < r:
			lo = m + 1
		case k > r:
			hi = m
		default:
			return byte(confusables[m])
		}
	}
	return 0
}

// toCyrillic and toGreek give, for a lower-case ASCII letter, the letter of
// that script it is usually written for when a word mixes the two (a Latin
// "x" or "p" typed inside a Russian word), or 0. They are deliberately short:
// only letters whose lower-case forms look alike.
var (
	toCyrillic = lookalikes("aа bв cс eе hн iі kк mм oо pр tт xх yу")
	toGreek    = lookalikes("aα eε iι kκ nη oο pρ tτ uυ vν xχ yγ")
)

// lookalikes builds a table from space-separated pairs of an ASCII letter
// and its look-alike.
func lookalikes(pairs string) *[26]rune {
	var t [26]rune
	for _, p := range strings.Fields(pairs) {
		r, _ := utf8.DecodeRuneInString(p[1:])
		t[p[0]-'a'] = r
	}
	return &t
}
