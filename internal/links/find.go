package links

import (
	"strings"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/pii"
)

// findEmails appends the e-mail addresses in s to out. pii finds the local
// parts; the domain is read as any other host is, with obfuscated dots and
// internationalised names, and must end in a known top-level domain.
func findEmails(s string, out []Link) []Link {
	pii.Emails(s, func(start, a int) int {
		h := scanHost(s, a+1)
		if h.labels < 2 || gluedAfter(at(s, h.end)) {
			return -1
		}
		host := h.host(s, a+1)
		if !knownTLD(host) {
			return -1
		}
		out = append(out, Link{Host: host, Start: start, End: h.end, Kind: KindEmail})
		return h.end
	})
	return out
}

// gluedBefore reports whether the text before s[i] makes a name starting
// there part of something else: a file path ("docs/readme.md"), an
// identifier ("my_site.com") or a longer name.
func gluedBefore(s string, i int) bool {
	switch at(s, i-1) {
	case '_', '@', '/', '\\':
		return true
	case '.':
		return isAlnum(at(s, i-2))
	}
	return false
}

// gluedAfter is gluedBefore for the character after a name.
func gluedAfter(c byte) bool { return c == '_' || c == '@' || c == '\\' }

// findHosts appends the URLs and domains in s to out, skipping the e-mail
// addresses out[:emails] already holds.
func findHosts(s string, out []Link, emails int) []Link {
	e := 0 // the first address that does not end before i
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !isAlnum(c) {
				i++
				continue
			}
			// Fast path: an ASCII word that is not followed by a dot, a
			// scheme's "://", an obfuscated dot or more letters of a name
			// in another script is no link. That is most words.
			j := i + 1
			for j < len(s) && (isAlnum(s[j]) || s[j] == '-') {
				j++
			}
			if !mayContinue(s, j) {
				i = j
				continue
			}
		} else if !labelStart(s, i) {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		for e < emails && out[e].End <= i {
			e++
		}
		if e < emails && out[e].Start <= i {
			i = out[e].End
			continue
		}
		l, next, ok := linkAt(s, i)
		if ok {
			out = append(out, l)
		}
		i = max(next, i+1)
	}
	return out
}

// mayContinue reports whether the character at s[j], after an ASCII word,
// can continue a scheme or a host name.
func mayContinue(s string, j int) bool {
	switch at(s, j) {
	case '.', ':', '+', '*', '[', '(', '{':
		return true
	case ' ':
		c := at(s, j+1)
		return c == '[' || c == '(' || c == '{'
	case 0:
		return false
	}
	return s[j] >= utf8.RuneSelf
}

// linkAt reads a URL or domain starting at the word s[i]. Whether or not it
// finds one, it returns where the scan can go on: past everything it read,
// which keeps the scan linear.
func linkAt(s string, i int) (Link, int, bool) {
	if auth, ok := schemeEnd(s, i); ok {
		return parseURL(s, i, auth)
	}
	h := scanHost(s, i)
	if h.labels == 0 {
		return Link{}, labelEnd(s, i), false
	}
	if h.labels < 2 || gluedBefore(s, i) || gluedAfter(at(s, h.end)) {
		return Link{}, h.end, false
	}
	host := h.host(s, i)
	if !knownTLD(host) {
		return Link{}, h.end, false
	}
	l := Link{Host: host, Start: i, End: h.end, Kind: KindDomain}
	if strings.HasPrefix(host, "www.") {
		l.Kind = KindURL
	}
	if end := portEnd(s, l.End); end > l.End {
		l.End, l.Kind = end, KindURL
	}
	if pathStart(s, l.End) {
		l.End, l.Kind = pathEnd(s, l.End), KindURL
	}
	if l.Kind == KindDomain && !h.obfuscated && isFileTLD(host) {
		return Link{}, h.end, false
	}
	return l, l.End, true
}

func isFileTLD(host string) bool {
	tld := host[strings.LastIndexByte(host, '.')+1:]
	for _, t := range fileTLDs {
		if tld == t {
			return true
		}
	}
	return false
}

// schemeEnd reports whether a scheme and "://" start at s[i], plain or
// obfuscated ("hxxp://", "h**ps://", "http[:]//"), and where the authority
// after them starts.
func schemeEnd(s string, i int) (int, bool) {
	if !isLetter(s[i]) {
		return 0, false
	}
	k := i + 1
	for k < len(s) && k-i < 32 {
		c := s[k]
		if !isAlnum(c) && c != '+' && c != '-' && c != '.' && c != '*' {
			break
		}
		k++
	}
	switch {
	case k-i < 2:
		return 0, false
	case strings.HasPrefix(s[k:], "://"):
		return k + 3, true
	case strings.HasPrefix(s[k:], "[:]//"):
		return k + 5, true
	}
	return 0, false
}

// parseURL reads the URL that starts at s[start] and whose authority
// (user info, host, port) starts at s[p].
func parseURL(s string, start, p int) (Link, int, bool) {
	// The host follows the last '@' of the authority, if any: in
	// "http://bank.com@evil.example" the host is evil.example.
	hostStart := p
	for k := p; k < len(s) && k-p < 256; k++ {
		c := s[k]
		if c == '/' || c == '?' || c == '#' || isSpace(c) || c == '<' || c == '>' || c == '"' {
			break
		}
		if c == '@' {
			hostStart = k + 1
		}
	}
	l := Link{Start: start, Kind: KindURL}
	if at(s, hostStart) == '[' {
		host, end := ipv6At(s, hostStart)
		if end < 0 {
			return Link{}, p, false
		}
		l.Host, l.End = host, end
	} else {
		h := scanHost(s, hostStart)
		if h.labels == 0 {
			return Link{}, p, false
		}
		l.Host, l.End = h.host(s, hostStart), h.end
		// A root dot before a port or path ("http://example.com./a").
		if at(s, l.End) == '.' && (portEnd(s, l.End+1) > l.End+1 || pathStart(s, l.End+1)) {
			l.End++
		}
	}
	l.End = portEnd(s, l.End)
	if pathStart(s, l.End) {
		l.End = pathEnd(s, l.End)
	}
	return l, l.End, true
}

// ipv6At reads a bracketed IPv6 literal at s[p] and returns it, lower-case
// and without brackets, and where it ends, or -1.
func ipv6At(s string, p int) (string, int) {
	k := p + 1
	for k < len(s) && k-p < 64 && (isDigit(s[k]) || 'a' <= s[k] && s[k] <= 'f' ||
		'A' <= s[k] && s[k] <= 'F' || s[k] == ':' || s[k] == '.') {
		k++
	}
	if at(s, k) != ']' || strings.IndexByte(s[p+1:k], ':') < 0 {
		return "", -1
	}
	return strings.ToLower(s[p+1 : k]), k + 1
}

// portEnd returns where a ":port" at s[p] ends, or p if there is none.
func portEnd(s string, p int) int {
	if at(s, p) != ':' {
		return p
	}
	k := p + 1
	for k < len(s) && k-p <= 5 && isDigit(s[k]) {
		k++
	}
	if k == p+1 || k < len(s) && isAlnum(s[k]) {
		return p
	}
	return k
}

func pathStart(s string, p int) bool {
	c := at(s, p)
	return c == '/' || c == '?' || c == '#'
}

// isURLByte reports whether the ASCII c can appear in the path, query or
// fragment of a URL as people write them.
func isURLByte(c byte) bool {
	return c > ' ' && c < 0x7f && strings.IndexByte("<>\"`{}|\\^", c) < 0
}

// pathEnd returns where the path, query and fragment starting at s[p] end,
// without trailing punctuation that belongs to the sentence: "see
// https://x.com/a)." ends before ")." while "https://x.com/a_(b)" keeps its
// parenthesis. Letters of spaced scripts may appear unencoded
// ("/wiki/Straße"); other non-ASCII characters end the URL, since in text
// written without spaces they are the next word.
func pathEnd(s string, p int) int {
	e, parens, brackets := p, 0, 0
	for e < len(s) {
		if s[e] >= utf8.RuneSelf {
			class, size := runeClass(s, e)
			if class != classSpaced {
				break
			}
			e += size
			continue
		}
		if !isURLByte(s[e]) {
			break
		}
		switch s[e] {
		case '(':
			parens++
		case ')':
			parens--
		case '[':
			brackets++
		case ']':
			brackets--
		}
		e++
	}
	for e > p {
		switch s[e-1] {
		case '.', ',', ':', ';', '!', '?', '\'', '"', '*':
		case ')':
			if parens >= 0 {
				return e
			}
			parens++
		case ']':
			if brackets >= 0 {
				return e
			}
			brackets++
		default:
			return e
		}
		e--
	}
	return e
}
