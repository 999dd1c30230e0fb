package extract

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// pdfFont turns the bytes of a shown string into text: through the font's
// ToUnicode map when it has one, else through its simple encoding.
type pdfFont struct {
	cmap   *toUnicode
	simple *[256]string
	utf16  bool // a composite font with a UCS-2 CMap
	none   bool // a composite font with no way to Unicode
}

// appendText appends the text of shown bytes b to dst. It is safe on a
// nil font (text shown before any Tf).
func (f *pdfFont) appendText(dst []byte, b string) []byte {
	switch {
	case f == nil:
		return appendTable(dst, winAnsi, b)
	case f.cmap != nil:
		return f.cmap.appendText(dst, b, f.simple)
	case f.utf16:
		return append(dst, utf16BE(b)...)
	case f.none:
		return dst
	case f.simple != nil:
		return appendTable(dst, f.simple, b)
	}
	return appendTable(dst, winAnsi, b)
}

func appendTable(dst []byte, t *[256]string, b string) []byte {
	for i := 0; i < len(b); i++ {
		dst = append(dst, t[b[i]]...)
	}
	return dst
}

var winAnsi, macRoman = encodingTable(charmap.Windows1252), encodingTable(charmap.Macintosh)

func encodingTable(cm *charmap.Charmap) *[256]string {
	var t [256]string // control characters but \n and \t, and undefined bytes, stay ""
	for i := range t {
		c := byte(i)
		if c < 0x20 && c != '\n' && c != '\t' {
			continue
		}
		if r := cm.DecodeByte(c); r != utf8.RuneError {
			t[i] = string(r) //nolint:gosec // G602 false positive: i ranges over t's own indices
		}
	}
	return &t
}

func (d *pdfDoc) font(res pdfDict, name pdfName) *pdfFont {
	fonts, _ := d.resolve(res["Font"]).(pdfDict)
	key := fonts[name]
	if _, ok := key.(pdfRef); !ok {
		key = nil
	}
	if key != nil {
		if f, ok := d.fonts[key]; ok {
			return f
		}
	}
	fd, _ := d.resolve(fonts[name]).(pdfDict)
	f := &pdfFont{}
	if fd == nil {
		return f
	}
	f.simple = d.simpleEncoding(fd)
	if tu, ok := d.resolve(fd["ToUnicode"]).(*pdfStream); ok {
		if data, err := d.readStream(tu, d.n.path, maxCMapBytes); err == nil && data != nil {
			f.cmap = parseCMap(data)
		}
	}
	if f.cmap == nil && fd["Subtype"] == pdfName("Type0") {
		enc, _ := d.resolve(fd["Encoding"]).(pdfName)
		if strings.Contains(string(enc), "UCS2") || strings.Contains(string(enc), "UTF16") {
			f.utf16 = true
		} else {
			f.none = true
			d.w.signal(Unscanned, d.n.path, "a font without a Unicode map: some text not extracted")
		}
	}
	if key != nil && len(d.fonts) < 10_000 {
		d.fonts[key] = f
	}
	return f
}

func (d *pdfDoc) simpleEncoding(fd pdfDict) *[256]string {
	base := winAnsi
	var diffs pdfArray
	switch e := d.resolve(fd["Encoding"]).(type) {
	case pdfName:
		if e == "MacRomanEncoding" {
			base = macRoman
		}
	case pdfDict:
		if d.resolve(e["BaseEncoding"]) == pdfName("MacRomanEncoding") {
			base = macRoman
		}
		diffs, _ = d.resolve(e["Differences"]).(pdfArray)
	}
	if diffs == nil {
		return base
	}
	t := *base
	code := 0
	for _, x := range diffs {
		switch v := x.(type) {
		case int64:
			code = int(v)
		case pdfName:
			if code >= 0 && code < 256 {
				if g, ok := glyphText(string(v)); ok {
					t[code] = g
				}
			}
			code++
		}
	}
	return &t
}

// toUnicode is a parsed ToUnicode CMap.
type toUnicode struct {
	spaces []codeSpace
	single map[uint64]string // (length<<32 | code) → text
	ranges []bfRange
}

type codeSpace struct {
	n      int
	lo, hi uint32
}

type bfRange struct {
	n      int
	lo, hi uint32
	dst    []rune   // the text of lo; later codes add to its last rune
	arr    []string // or one text per code
}

const maxCMapEntries = 100_000

func codeOf(b string) (uint32, int) {
	if len(b) == 0 || len(b) > 4 {
		return 0, 0
	}
	var v uint32
	for i := 0; i < len(b); i++ {
		v = v<<8 | uint32(b[i])
	}
	return v, len(b)
}

func utf16BE(b string) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	return string(utf16.Decode(u))
}

func parseCMap(data []byte) *toUnicode {
	cm := &toUnicode{single: map[uint64]string{}}
	l := &pdfLexer{br: bufio.NewReader(bytes.NewReader(data))}
	var prev []any
	entries := 0
	for entries < maxCMapEntries {
		t, err := l.token()
		if err != nil {
			break
		}
		kw, ok := t.(pdfKeyword)
		if !ok {
			if len(prev) > 8 {
				prev = prev[1:]
			}
			prev = append(prev, t)
			continue
		}
		switch kw {
		case "begincodespacerange":
			for entries < maxCMapEntries {
				a, _ := l.token()
				if a == pdfKeyword("endcodespacerange") || a == nil {
					break
				}
				b, _ := l.token()
				as, ok1 := a.(pdfString)
				bs, ok2 := b.(pdfString)
				if !ok1 || !ok2 || len(as) != len(bs) {
					continue
				}
				lo, n := codeOf(string(as))
				hi, _ := codeOf(string(bs))
				if n > 0 {
					cm.spaces = append(cm.spaces, codeSpace{n, lo, hi})
				}
				entries++
			}
		case "beginbfchar":
			for entries < maxCMapEntries {
				a, _ := l.token()
				if a == pdfKeyword("endbfchar") || a == nil {
					break
				}
				b, _ := l.token()
				as, ok1 := a.(pdfString)
				bs, ok2 := b.(pdfString)
				if !ok1 || !ok2 {
					continue
				}
				c, n := codeOf(string(as))
				if n > 0 {
					cm.single[uint64(n)<<32|uint64(c)] = utf16BE(string(bs))
				}
				entries++
			}
		case "beginbfrange":
			for entries < maxCMapEntries {
				a, _ := l.token()
				if a == pdfKeyword("endbfrange") || a == nil {
					break
				}
				b, _ := l.token()
				dst, err := l.object()
				if err != nil {
					break
				}
				as, ok1 := a.(pdfString)
				bs, ok2 := b.(pdfString)
				if !ok1 || !ok2 || len(as) != len(bs) {
					continue
				}
				lo, n := codeOf(string(as))
				hi, _ := codeOf(string(bs))
				if n == 0 || hi < lo {
					continue
				}
				r := bfRange{n: n, lo: lo, hi: hi}
				switch v := dst.(type) {
				case pdfString:
					r.dst = []rune(utf16BE(string(v)))
				case pdfArray:
					for _, x := range v {
						if s, ok := x.(pdfString); ok {
							r.arr = append(r.arr, utf16BE(string(s)))
						}
					}
				}
				cm.ranges = append(cm.ranges, r)
				entries++
			}
		}
		prev = prev[:0]
	}
	return cm
}

func (cm *toUnicode) appendText(dst []byte, b string, simple *[256]string) []byte {
	for i := 0; i < len(b); {
		n := cm.codeLen(b[i:])
		c, _ := codeOf(b[i:min(len(b), i+n)])
		t, ok := cm.lookup(c, n)
		if !ok && n == 1 && simple != nil {
			t = simple[b[i]]
		}
		dst = append(dst, t...)
		i += n
	}
	return dst
}

func (cm *toUnicode) codeLen(b string) int {
	if len(cm.spaces) == 0 {
		if len(cm.single) > 0 {
			for k := range cm.single {
				return max(1, min(int(k>>32), len(b)))
			}
		}
		return 1
	}
	shortest := 4
	for n := 1; n <= 4 && n <= len(b); n++ {
		c, _ := codeOf(b[:n])
		for _, s := range cm.spaces {
			if s.n == n && c >= s.lo && c <= s.hi {
				return n
			}
			shortest = min(shortest, s.n)
		}
	}
	return max(1, min(shortest, len(b)))
}

func (cm *toUnicode) lookup(c uint32, n int) (string, bool) {
	if t, ok := cm.single[uint64(n)<<32|uint64(c)]; ok {
		return t, true
	}
	for _, r := range cm.ranges {
		if r.n != n || c < r.lo || c > r.hi {
			continue
		}
		k := int(c - r.lo)
		if r.arr != nil {
			if k < len(r.arr) {
				return r.arr[k], true
			}
			return "", true
		}
		if len(r.dst) == 0 {
			return "", true
		}
		out := append([]rune(nil), r.dst...)
		out[len(out)-1] += rune(k)
		return string(out), true
	}
	return "", false
}

// glyphText maps an Adobe glyph name to its text, for the common names: the
// letters and digits, punctuation, accented Latin letters (composed from
// the base letter and the accent's name), ligatures and uniXXXX forms.
func glyphText(name string) (string, bool) {
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i] // "a.sc", "one.oldstyle"
	}
	if len(name) == 1 {
		return name, true
	}
	if t, ok := glyphNames[name]; ok {
		return t, true
	}
	if strings.Contains(name, "_") {
		var sb strings.Builder
		for part := range strings.SplitSeq(name, "_") {
			t, ok := glyphText(part)
			if !ok {
				return "", false
			}
			sb.WriteString(t)
		}
		return sb.String(), true
	}
	if h, ok := strings.CutPrefix(name, "uni"); ok && len(h) >= 4 && len(h)%4 == 0 {
		var u []uint16
		for i := 0; i < len(h); i += 4 {
			v, err := strconv.ParseUint(h[i:i+4], 16, 16)
			if err != nil {
				return "", false
			}
			u = append(u, uint16(v))
		}
		return string(utf16.Decode(u)), true
	}
	if h, ok := strings.CutPrefix(name, "u"); ok && len(h) >= 4 && len(h) <= 6 {
		if v, err := strconv.ParseUint(h, 16, 32); err == nil && utf8.ValidRune(rune(v)) {
			return string(rune(v)), true
		}
	}
	for accent, mark := range glyphAccents {
		if base, ok := strings.CutSuffix(name, accent); ok && len(base) == 1 {
			return norm.NFC.String(base + mark), true
		}
	}
	return "", false
}

var glyphAccents = map[string]string{"acute": "\u0301", "grave": "\u0300", "circumflex": "\u0302", "dieresis": "\u0308",
	"tilde": "\u0303", "ring": "\u030a", "cedilla": "\u0327", "caron": "\u030c", "macron": "\u0304", "breve": "\u0306",
	"ogonek": "\u0328", "dotaccent": "\u0307", "hungarumlaut": "\u030b"}

var glyphNames = map[string]string{
	"space": " ", "exclam": "!", "quotedbl": `"`, "numbersign": "#", "dollar": "$", "percent": "%", "ampersand": "&",
	"quotesingle": "'", "quoteright": "\u2019", "quoteleft": "\u2018", "parenleft": "(", "parenright": ")", "asterisk": "*",
	"plus": "+", "comma": ",", "hyphen": "-", "minus": "\u2212", "period": ".", "slash": "/", "colon": ":", "semicolon": ";",
	"less": "<", "equal": "=", "greater": ">", "question": "?", "at": "@", "bracketleft": "[", "backslash": `\`,
	"bracketright": "]", "asciicircum": "^", "underscore": "_", "grave": "`", "braceleft": "{", "bar": "|",
	"braceright": "}", "asciitilde": "~", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
	"six": "6", "seven": "7", "eight": "8", "nine": "9", "bullet": "\u2022", "endash": "\u2013", "emdash": "\u2014",
	"quotedblleft": "\u201c", "quotedblright": "\u201d", "quotesinglbase": "\u201a", "quotedblbase": "\u201e",
	"ellipsis": "\u2026", "fi": "fi", "fl": "fl", "ff": "ff", "ffi": "ffi", "ffl": "ffl", "germandbls": "ß", "ae": "æ",
	"AE": "Æ", "oe": "œ", "OE": "Œ", "oslash": "ø", "Oslash": "Ø", "eth": "ð", "Eth": "Ð", "thorn": "þ", "Thorn": "Þ",
	"dotlessi": "ı", "lslash": "ł", "Lslash": "Ł", "nbspace": " ", "sfthyphen": "-", "copyright": "©",
	"registered": "®", "trademark": "™", "degree": "°", "section": "§", "paragraph": "¶", "euro": "€", "sterling": "£",
	"yen": "¥", "cent": "¢", "guillemotleft": "«", "guillemotright": "»", "guilsinglleft": "‹", "guilsinglright": "›",
	"exclamdown": "¡", "questiondown": "¿", "multiply": "×", "divide": "÷", "periodcentered": "·", "dagger": "†",
	"daggerdbl": "‡", "perthousand": "‰", "florin": "ƒ", "ordfeminine": "ª", "ordmasculine": "º", "onehalf": "½",
	"onequarter": "¼", "threequarters": "¾", "mu": "µ", "plusminus": "±", "logicalnot": "¬", "brokenbar": "¦",
	"dieresis": "¨", "acute": "´", "cedilla": "¸", "macron": "¯", "circumflex": "ˆ", "tilde": "˜", "ring": "˚",
	"caron": "ˇ", "breve": "˘", "dotaccent": "˙", "ogonek": "˛", "hungarumlaut": "˝", "fraction": "⁄",
	"onesuperior": "¹", "twosuperior": "²", "threesuperior": "³", "currency": "¤",
}
