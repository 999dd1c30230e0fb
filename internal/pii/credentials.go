package pii

import "strings"

// credentialSchemes are words that, followed by ':', start a URI rather than
// a credential pair ("tel:+4420...", "urn:isbn:...").
var credentialSchemes = []string{
	"http", "https", "ftp", "sftp", "file", "mailto", "tel", "sms", "urn", "data",
	"javascript", "magnet", "callto", "skype", "geo", "xmpp", "news", "irc",
}

// findCredentials appends the "user:password" and "e-mail:password" pairs in
// s to out. A pair is one token without spaces, split at its first ':', ';'
// or '|'.
func findCredentials(s string, out []Finding) []Finding {
	// The next ':', ';' and '|' at or after from, or -1 when none is left.
	// Each is searched for again only once passed, so the scan stays linear
	// and uses IndexByte, which is much faster than IndexAny.
	colon, semi, bar := strings.IndexByte(s, ':'), strings.IndexByte(s, ';'), strings.IndexByte(s, '|')
	for from := 0; ; {
		colon = nextByte(s, from, colon, ':')
		semi = nextByte(s, from, semi, ';')
		bar = nextByte(s, from, bar, '|')
		sep := earliest(earliest(colon, semi), bar)
		if sep < 0 {
			return out
		}
		start, end := sep, sep+1
		for start > 0 && !isSpace(s[start-1]) {
			start--
		}
		for end < len(s) && !isSpace(s[end]) {
			end++
		}
		if f, ok := credentialPair(s, start, sep, end); ok {
			out = append(out, f)
		}
		from = end
	}
}

// nextByte returns the first c in s at or after from, given pos, the first
// one at or after an earlier from.
func nextByte(s string, from, pos int, c byte) int {
	if pos < 0 || pos >= from {
		return pos
	}
	if k := strings.IndexByte(s[from:], c); k >= 0 {
		return from + k
	}
	return -1
}

// earliest returns the smaller of two positions, -1 meaning none.
func earliest(a, b int) int {
	if a < 0 || b >= 0 && b < a {
		return b
	}
	return a
}

// credentialPair checks the token s[start:end], split at the separator at
// s[sep]. Times ("10:30"), verses ("3:16"), ratios, URLs and key: value lines
// have the pair's shape, so the user part must be an e-mail address or a
// user name that is not a number, and the password must look like one.
func credentialPair(s string, start, sep, end int) (Finding, bool) {
	user, pass := s[start:sep], s[sep+1:end]
	if len(user) == 0 || len(user) > 64 || len(pass) < 4 || len(pass) > 128 ||
		strings.IndexByte(pass, s[sep]) >= 0 || pass[0] == '/' || pass[0] == '\\' {
		return Finding{}, false
	}
	f := Finding{Kind: Credentials, Start: start, End: end}
	if strings.IndexByte(user, '@') >= 0 {
		// An address followed by another is a list, not a login.
		if a, b, ok := emailAt(s, start+strings.IndexByte(user, '@')); !ok || a != start || b != sep ||
			strings.IndexByte(pass, '@') >= 0 && isAddress(pass) {
			return Finding{}, false
		}
		f.Detail = "email"
		return f, true
	}
	// A bare user name counts only in a dump: the pair alone on its line, a
	// user name that is not a number, and a password that is not a plain
	// word ("status:done", "todo:buy-milk") or a number with separators
	// ("date:2024-05-01"). All digits is a password ("admin:123456") from
	// six digits on.
	digits := 0
	for i := 0; i < len(user); i++ {
		c := user[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return Finding{}, false
		}
		if isDigit(c) {
			digits++
		}
	}
	if digits == len(user) || user[0] == '.' || !aloneOnLine(s, start, end) {
		return Finding{}, false
	}
	letters, strong := 0, 0 // strong: digits and symbols that are not separators
	for i := 0; i < len(pass); i++ {
		switch c := pass[i]; {
		case isLetter(c):
			letters++
		case isDigit(c) || strings.IndexByte("-_./,", c) < 0:
			strong++
		}
	}
	switch {
	case letters == 0 && (!allDigits(pass) || len(pass) < 6),
		letters > 0 && strong == 0:
		return Finding{}, false
	}
	for _, scheme := range credentialSchemes {
		if user == scheme {
			return Finding{}, false
		}
	}
	f.Detail = "username"
	return f, true
}

// isAddress reports whether s is exactly one e-mail address.
func isAddress(s string) bool {
	a := strings.IndexByte(s, '@')
	start, end, ok := emailAt(s, a)
	return ok && start == 0 && end == len(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// aloneOnLine reports whether s[start:end] has only blanks around it on its
// line.
func aloneOnLine(s string, start, end int) bool {
	for i := start - 1; i >= 0 && s[i] != '\n'; i-- {
		if !isSpace(s[i]) {
			return false
		}
	}
	for i := end; i < len(s) && s[i] != '\n'; i++ {
		if !isSpace(s[i]) {
			return false
		}
	}
	return true
}
