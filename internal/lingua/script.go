package lingua

import (
	"unicode"
	"unicode/utf8"
)

// script is a writing system as far as language detection cares.
type script uint8

const (
	scriptNone script = iota // no letter of a known script
	scriptLatin
	scriptCyrillic
	scriptArabic
	scriptDevanagari
	scriptHan
	scriptKana // Hiragana and Katakana
	scriptHangul
	scriptGreek
	scriptHebrew
	scriptThai
	scriptArmenian
	scriptGeorgian
	scriptBengali
	scriptGujarati
	scriptGurmukhi
	scriptTamil
	scriptTelugu
	numScripts
)

// tables are the Unicode script tables behind the scripts with no fast path
// in scriptOf, in the order of the script constants.
var tables = [numScripts]*unicode.RangeTable{
	scriptLatin:      unicode.Latin,
	scriptCyrillic:   unicode.Cyrillic,
	scriptArabic:     unicode.Arabic,
	scriptDevanagari: unicode.Devanagari,
	scriptHan:        unicode.Han,
	scriptHangul:     unicode.Hangul,
	scriptGreek:      unicode.Greek,
	scriptHebrew:     unicode.Hebrew,
	scriptThai:       unicode.Thai,
	scriptArmenian:   unicode.Armenian,
	scriptGeorgian:   unicode.Georgian,
	scriptBengali:    unicode.Bengali,
	scriptGujarati:   unicode.Gujarati,
	scriptGurmukhi:   unicode.Gurmukhi,
	scriptTamil:      unicode.Tamil,
	scriptTelugu:     unicode.Telugu,
}

// scriptOf returns the script of a letter or combining mark r (Devanagari and
// Arabic vowel signs are marks), or scriptNone for anything else. The blocks
// of the languages aup serves are tested first, without table look-ups.
func scriptOf(r rune) script {
	switch {
	case r < utf8.RuneSelf:
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return scriptLatin
		}
		return scriptNone
	case 0x00C0 <= r && r <= 0x024F:
		if r == 0x00D7 || r == 0x00F7 { // × ÷
			return scriptNone
		}
		return scriptLatin
	case 0x0400 <= r && r <= 0x04FF:
		return scriptCyrillic
	case 0x4E00 <= r && r <= 0x9FFF:
		return scriptHan
	case 0x3041 <= r && r <= 0x3096 || 0x30A1 <= r && r <= 0x30FA || r == 0x30FC: // ー
		return scriptKana
	case 0xAC00 <= r && r <= 0xD7A3:
		return scriptHangul
	}
	if !unicode.IsLetter(r) && !unicode.IsMark(r) {
		return scriptNone
	}
	switch {
	case 0x0600 <= r && r <= 0x06FF:
		return scriptArabic
	case 0x0900 <= r && r <= 0x097F:
		return scriptDevanagari
	case unicode.In(r, unicode.Hiragana, unicode.Katakana):
		return scriptKana
	}
	for s, t := range tables {
		if t != nil && unicode.Is(t, r) {
			return script(s)
		}
	}
	return scriptNone
}

// weight is how many Latin letters one letter of script s is worth when
// scripts are compared: a Han character carries about a word, a kana or
// Hangul block about a syllable.
func (s script) weight() int {
	switch s {
	case scriptHan:
		return 3
	case scriptKana, scriptHangul:
		return 2
	}
	return 1
}

// scan holds what one pass over a sample finds.
type scan struct {
	letters [numScripts]int // letters (and marks) per script
	words   int             // runs of letters
	ukMarks int             // і ї є ґ: Ukrainian, not Russian
	ruMarks int             // ы э ъ ё: Russian, not Ukrainian
	arMarks int             // ي ك ة: Arabic spelling
	faMarks int             // ی ک پ چ ژ گ ے ٹ ڈ ڑ ں: Persian or Urdu, not Arabic
}

func scanText(s string) scan {
	var sc scan
	inWord := false
	for _, r := range s {
		sp := scriptOf(r)
		if sp == scriptNone {
			// An apostrophe inside a word (l'eau, don't) does not end it.
			if inWord && (r == '\'' || r == '’') {
				continue
			}
			inWord = false
			continue
		}
		sc.letters[sp]++
		if !inWord {
			sc.words++
			inWord = true
		}
		switch sp {
		case scriptCyrillic:
			switch r {
			case 'і', 'ї', 'є', 'ґ', 'І', 'Ї', 'Є', 'Ґ':
				sc.ukMarks++
			case 'ы', 'э', 'ъ', 'ё', 'Ы', 'Э', 'Ъ', 'Ё':
				sc.ruMarks++
			}
		case scriptArabic:
			switch r {
			case 'ي', 'ك', 'ة':
				sc.arMarks++
			case 'ی', 'ک', 'پ', 'چ', 'ژ', 'گ', 'ے', 'ٹ', 'ڈ', 'ڑ', 'ں':
				sc.faMarks++
			}
		}
	}
	return sc
}

// dominant returns the script with the most weighted letters and that
// script's share of all weighted letters. Kana count towards Han, because
// Japanese mixes the two. It returns scriptNone and 0 when there are no
// letters.
func (sc *scan) dominant() (script, float64) {
	var total, best int
	top := scriptNone
	for s := scriptLatin; s < numScripts; s++ {
		w := sc.letters[s] * s.weight()
		total += w
		switch s {
		case scriptKana:
			continue
		case scriptHan:
			w += sc.letters[scriptKana] * scriptKana.weight()
		}
		if w > best {
			best, top = w, s
		}
	}
	if total == 0 {
		return scriptNone, 0
	}
	return top, float64(best) / float64(total)
}
