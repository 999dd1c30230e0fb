package pii

// Separator flags between two digit groups of a phone number.
const (
	sepSpace uint8 = 1 << iota
	sepDash
	sepDot
	sepOpen
	sepClose
	sepPlain = sepSpace | sepDash | sepDot
	sepParen = sepOpen | sepClose
)

// phoneKeywords make a run of digits written without separators a phone
// number. Without one, "4155552671" is as likely an order or account number.
var phoneKeywords = []string{
	"tel", "phone", "call", "mobile", "cell", "whatsapp", "sms", "fax",
	"fono", "handy", "movil", "móvil", "portable", "text me",
}

// phone finds a phone number whose first digit group starts at s[i]:
//   - international: "+" and 8 to 15 digits, in groups joined by a space, a
//     dash or a dot, with parentheses allowed ("+44 (0)20 7946 0958");
//   - North American: 3-3-4 or 1-3-3-4 groups ("(415) 555-0123",
//     "1-800-555-0199");
//   - with a trunk prefix: 10 to 12 digits starting with a single 0, in 2 to
//     5 groups ("020 7946 0958", "01 23 45 67 89", "030 12345678");
//   - one run of 10 or 11 digits, only after a keyword such as "call".
//
// Numbers that continue into more digits, dates, thousands ("1.000.000.000")
// and runs of one digit are not phone numbers.
func phone(s string, i, _ int) (Finding, bool) {
	start, intl, paren := i, at(s, i-1) == '+', at(s, i-1) == '('
	if intl || paren {
		start--
	}
	if !startOK(s, start) || at(s, start-1) == ' ' && isDigit(at(s, start-2)) {
		return Finding{}, false
	}
	var (
		sizes  [15]int
		seps   [15]uint8 // seps[g] joins group g-1 to group g
		digits [15]byte
		g, n   int
		p      = i
	)
	for {
		q := p
		for q < len(s) && isDigit(s[q]) {
			q++
		}
		if g == len(sizes) || n+q-p > len(digits) {
			return Finding{}, false // too many digits: an id, not a phone
		}
		n += copy(digits[n:], s[p:q])
		sizes[g] = q - p
		g++
		sep, next := phoneSep(s, q)
		if sep == 0 {
			p = q
			break
		}
		if g < len(seps) {
			seps[g] = sep
		}
		p = next
	}
	if !endOK(s, p) || longRun(digits[:n]) {
		return Finding{}, false
	}
	f := Finding{Kind: Phone, Start: start, End: p}
	if intl {
		if n < 8 || digits[0] == '0' || dotThousands(sizes[:g], seps[:g]) {
			return Finding{}, false
		}
		f.Detail = "international"
		return f, true
	}
	if national(s, start, sizes[:g], seps[:g], digits[:n], paren) {
		f.Detail = "national"
		return f, true
	}
	return Finding{}, false
}

func isPhoneSep(c byte) bool {
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'
}

// phoneSep reads the separator after the digit group ending at s[q]: one or
// two characters, at most one plain separator (space, dash, dot) and one
// parenthesis, then a digit. It returns the separator's flags and where the
// next group starts, or 0 when the number ends at q.
func phoneSep(s string, q int) (uint8, int) {
	var f uint8
	for k := q; k < q+3 && k < len(s); k++ {
		var b uint8
		switch s[k] {
		case ' ':
			b = sepSpace
		case '-':
			b = sepDash
		case '.':
			b = sepDot
		case '(':
			b = sepOpen
		case ')':
			b = sepClose
		default:
			if k > q && isDigit(s[k]) {
				return f, k
			}
			return 0, q
		}
		if b&sepPlain != 0 && f&sepPlain != 0 || b&sepParen != 0 && f&sepParen != 0 {
			return 0, q
		}
		f |= b
	}
	return 0, q
}

// national reports whether digit groups of these sizes, joined by seps, are
// a national phone number. paren says whether the first group follows "(".
func national(s string, start int, sizes []int, seps []uint8, d []byte, paren bool) bool {
	g, n := len(sizes), len(d)
	if g == 1 {
		return !paren && (n == 10 || n == 11) && (trunk(d) || nanp(d)) &&
			keywordBefore(s, start, 24, phoneKeywords)
	}
	// At most one group, the area code, sits in parentheses. The plain
	// separators away from it must all be the same.
	area := -1
	if paren {
		area = 0
	}
	var plain uint8
	for k := 1; k < g; k++ {
		sep := seps[k]
		switch {
		case sep&sepOpen != 0:
			if area >= 0 || sep&sepClose != 0 {
				return false
			}
			area = k
		case sep&sepClose != 0:
			if area != k-1 {
				return false
			}
		case plain == 0:
			plain = sep
		case sep != plain:
			return false
		}
		if sep&sepClose == 0 && area == k-1 {
			return false // "(415 555" never closed
		}
	}
	switch {
	case g == 3 && sizes[0] == 3 && sizes[1] == 3 && sizes[2] == 4:
		return (area == -1 || area == 0) && nanp(d)
	case g == 4 && sizes[0] == 1 && sizes[1] == 3 && sizes[2] == 3 && sizes[3] == 4:
		return (area == -1 || area == 1) && nanp(d) // nanp checks the leading 1
	}
	if !trunk(d) || n < 10 || n > 12 || g > 5 || area > 0 || sizes[0] > 5 {
		return false
	}
	thousands := true
	for k, size := range sizes {
		if size < 2 || size > 8 {
			return false
		}
		if k > 0 && size != 3 {
			thousands = false
		}
	}
	date := sizes[0] == 2 && sizes[1] == 2 && sizes[2] == 4 && atoi(d[:2]) <= 31 && atoi(d[2:4]) <= 12
	return !thousands && !date
}

// nanp reports whether ten digits are a North American number: area code and
// exchange both start with 2-9. An eleventh leading 1 is allowed.
func nanp(d []byte) bool {
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	return len(d) == 10 && d[0] >= '2' && d[3] >= '2'
}

// trunk reports whether d starts with a single trunk 0 (00 opens an
// international number).
func trunk(d []byte) bool { return d[0] == '0' && d[1] != '0' }

// dotThousands reports whether groups look like a number with dots between
// its thousands ("+12.345.678").
func dotThousands(sizes []int, seps []uint8) bool {
	if len(sizes) < 2 || sizes[0] > 3 {
		return false
	}
	for k := 1; k < len(sizes); k++ {
		if sizes[k] != 3 || seps[k] != sepDot {
			return false
		}
	}
	return true
}

// longRun reports whether d holds six equal digits in a row, as round
// numbers and placeholders do and phone numbers rarely do.
func longRun(d []byte) bool {
	run := 1
	for k := 1; k < len(d); k++ {
		if d[k] == d[k-1] {
			run++
			if run >= 6 {
				return true
			}
		} else {
			run = 1
		}
	}
	return false
}
