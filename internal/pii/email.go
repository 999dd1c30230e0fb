package pii

import "strings"

// isLocal reports whether c may appear in the local part of an address. The
// set is the common one, not all that RFC 5322 allows: quotes, slashes and
// braces in addresses are rare and make ordinary punctuation look like mail.
func isLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// Emails finds the e-mail addresses in s, in order and without overlaps,
// and leaves their domains to the caller: internal/links reads obfuscated
// and internationalised domains that this package does not. For each '@'
// after a local part, it calls domain with the offsets of the local part's
// start and of the '@'; domain reads the domain after the '@', records the
// address if it wants it, and returns where the address ends, or -1 when
// there is no domain there.
func Emails(s string, domain func(start, at int) (end int)) {
	floor := 0 // the end of the last address: the next one starts after it
	for from := 0; ; {
		k := strings.IndexByte(s[from:], '@')
		if k < 0 {
			return
		}
		a := from + k
		from = a + 1
		start, ok := localStart(s, a)
		if !ok || start < floor {
			continue
		}
		if end := domain(start, a); end >= 0 {
			from, floor = end, end
		}
	}
}

// findEmails appends the e-mail addresses in s to out.
func findEmails(s string, out []Finding) []Finding {
	Emails(s, func(start, at int) int {
		end := domainEnd(s, at+1)
		if end >= 0 {
			out = append(out, Finding{Kind: Email, Start: start, End: end})
		}
		return end
	})
	return out
}

// emailAt reads the address around the '@' at s[a]: a local part of at most
// 64 characters and a domain of two or more labels ending in a top-level
// domain of two or more letters (or an xn-- label).
func emailAt(s string, a int) (start, end int, ok bool) {
	start, ok = localStart(s, a)
	if !ok {
		return 0, 0, false
	}
	end = domainEnd(s, a+1)
	if end < 0 {
		return 0, 0, false
	}
	return start, end, true
}

// localStart returns where the local part before the '@' at s[a] starts.
func localStart(s string, a int) (int, bool) {
	start := a
	for start > 0 && a-start < 64 && isLocal(s[start-1]) {
		start--
	}
	if start > 0 && isLocal(s[start-1]) {
		return 0, false // longer than any local part
	}
	for start < a && s[start] == '.' {
		start++
	}
	if start == a || s[a-1] == '.' || strings.Contains(s[start:a], "..") {
		return 0, false
	}
	return start, true
}

// domainEnd reads a domain name starting at s[p] and returns where it ends,
// or -1 when there is none. A dot that ends a sentence is not part of it.
func domainEnd(s string, p int) int {
	labels, end := 0, -1
	tld := p
	for q := p; ; {
		r := q
		for r < len(s) && r-q < 63 && (isAlnum(s[r]) || s[r] == '-') {
			r++
		}
		if r == q || s[q] == '-' || s[r-1] == '-' || r < len(s) && (isAlnum(s[r]) || s[r] == '-') {
			break
		}
		labels++
		tld, end = q, r
		if r+1 < len(s) && s[r] == '.' && isAlnum(s[r+1]) && r+1-p < 253 {
			q = r + 1
			continue
		}
		break
	}
	if labels < 2 || !isTLD(s[tld:end]) || end < len(s) && (s[end] == '_' || s[end] == '@') {
		return -1
	}
	return end
}

// fileExtensions end names like "icon@2x.png" that have an address's shape.
var fileExtensions = []string{"css", "gif", "htm", "html", "jpeg", "jpg", "js", "json", "pdf", "png", "svg", "txt", "webp"}

// isTLD reports whether label can be a top-level domain: two or more
// letters, or an internationalised name in its xn-- form.
func isTLD(label string) bool {
	if len(label) < 2 {
		return false
	}
	for _, ext := range fileExtensions {
		if label == ext {
			return false
		}
	}
	if strings.HasPrefix(label, "xn--") {
		return len(label) > 4
	}
	for i := 0; i < len(label); i++ {
		if !isLetter(label[i]) {
			return false
		}
	}
	return true
}
