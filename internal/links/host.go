package links

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// at returns s[i], or 0 past either end of s.
func at(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}

// Script classes of the characters in a label. Names mix ASCII with the
// letters of other scripts ("bücher.de"), but a label that mixed ASCII with
// a script written without spaces would swallow the words around a link
// ("访问example.com了解").
const (
	classNone = iota
	classSpaced
	classUnspaced
)

// runeClass returns the script class of the rune starting at s[i] and its
// size, or classNone if it cannot be part of a host name.
func runeClass(s string, i int) (class, size int) {
	c := s[i]
	if c < utf8.RuneSelf {
		if isAlnum(c) || c == '-' {
			return classSpaced, 1
		}
		return classNone, 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	switch {
	case !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.M, r):
		return classNone, size
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai,
		unicode.Lao, unicode.Khmer, unicode.Myanmar):
		return classUnspaced, size
	}
	return classSpaced, size
}

// labelStart reports whether a label can start at s[i]: a letter or digit.
func labelStart(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	if c := s[i]; c < utf8.RuneSelf {
		return isAlnum(c)
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// labelEnd returns where the DNS label starting at s[i] ends: a run of
// characters of one script class.
func labelEnd(s string, i int) int {
	j, class := i, classNone
	for j < len(s) {
		if c := s[j]; c < utf8.RuneSelf && class != classUnspaced {
			if !isAlnum(c) && c != '-' {
				break
			}
			class = classSpaced
			j++
			continue
		}
		k, size := runeClass(s, j)
		if k == classNone || class != classNone && k != class {
			break
		}
		class = k
		j += size
	}
	return j
}

// dotAt reads a dot between two labels at s[j]: "." or an obfuscated dot,
// "[.]", "(.)", "{.}", "[dot]", "(dot)", "{dot}", with optional spaces
// inside and around the brackets. It returns where the next label starts.
func dotAt(s string, j int) (next int, obfuscated, ok bool) {
	if at(s, j) == '.' {
		return j + 1, false, labelStart(s, j+1)
	}
	k := j
	if at(s, k) == ' ' {
		k++
	}
	var closing byte
	switch at(s, k) {
	case '[':
		closing = ']'
	case '(':
		closing = ')'
	case '{':
		closing = '}'
	default:
		return 0, false, false
	}
	k++
	if at(s, k) == ' ' {
		k++
	}
	switch {
	case at(s, k) == '.':
		k++
	case k+3 <= len(s) && strings.EqualFold(s[k:k+3], "dot"):
		k += 3
	default:
		return 0, false, false
	}
	if at(s, k) == ' ' {
		k++
	}
	if at(s, k) != closing {
		return 0, false, false
	}
	k++
	if at(s, k) == ' ' {
		k++
	}
	return k, true, labelStart(s, k)
}

// hostScan describes a host name read from a text.
type hostScan struct {
	end        int  // where the last label ends
	labels     int  // how many labels
	tld        int  // where the last label starts
	obfuscated bool // some dot was obfuscated
}

// scanHost reads the labels of a host name starting at s[i].
func scanHost(s string, i int) hostScan {
	var h hostScan
	p, obf := i, false
	for {
		e := labelEnd(s, p)
		if e == p || e-p > 63 || s[p] == '-' || s[e-1] == '-' {
			return h
		}
		h.labels++
		h.tld, h.end = p, e
		h.obfuscated = h.obfuscated || obf
		next, o, ok := dotAt(s, e)
		if !ok || h.labels == 127 {
			return h
		}
		p, obf = next, o
	}
}

// host returns the host name scanned from s[i]: lower-case, with its dots
// restored.
func (h hostScan) host(s string, i int) string {
	if !h.obfuscated {
		return strings.ToLower(s[i:h.end])
	}
	var b strings.Builder
	b.Grow(h.end - i)
	for p := i; ; {
		e := labelEnd(s, p)
		b.WriteString(s[p:e])
		if e >= h.end {
			break
		}
		b.WriteByte('.')
		p, _, _ = dotAt(s, e)
	}
	return strings.ToLower(b.String())
}

// notTLDs are common file extensions that are not top-level domains. They
// are rejected before the Public Suffix List is consulted, which costs an
// allocation per lookup, so that "report.pdf" in a note stays free.
var notTLDs = []string{
	"bak", "bat", "bin", "cfg", "conf", "cpp", "css", "csv", "dll", "dmg",
	"doc", "docx", "exe", "gif", "gz", "htm", "html", "ini", "jar",
	"jpeg", "jpg", "js", "json", "jsx", "log", "mkv", "mp3", "mp4", "pdf",
	"php", "png", "ppt", "pptx", "rar", "rb", "sql", "svg", "tar", "tmp",
	"ts", "tsx", "txt", "wav", "xls", "xlsx", "xml", "yaml", "yml",
}

// fileTLDs are top-level domains that are also common file extensions. A
// bare name ending in one ("setup.py", "notes.md", "photos.zip") counts as a
// link only with a path, "www." or an obfuscated dot.
var fileTLDs = []string{"md", "mk", "mov", "pm", "py", "rs", "sh", "so", "tf", "zip"}

// knownTLD reports whether the lower-case host ends in a public suffix: an
// ICANN one or a well-known private one.
func knownTLD(host string) bool {
	tld := host[strings.LastIndexByte(host, '.')+1:]
	if len(tld) < 2 {
		return false
	}
	if !isASCII(tld) {
		a, err := idna.ToASCII(tld)
		if err != nil {
			return false
		}
		_, icann := publicsuffix.PublicSuffix(a)
		return icann
	}
	if !strings.HasPrefix(tld, "xn--") {
		for i := 0; i < len(tld); i++ {
			if !isLetter(tld[i]) {
				return false
			}
		}
	}
	for _, ext := range notTLDs {
		if tld == ext {
			return false
		}
	}
	ps, icann := publicsuffix.PublicSuffix(host)
	return icann || strings.IndexByte(ps, '.') >= 0
}
