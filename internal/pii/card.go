package pii

// card finds a payment card number starting at s[i]: 13 to 19 digits, in one
// run or in groups joined by single spaces or dashes (4-4-4-4, 4-6-5), with a
// known issuer prefix, the issuer's length and a valid Luhn check digit.
func card(s string, i, _ int) (Finding, bool) {
	if !startOK(s, i) {
		return Finding{}, false
	}
	// Read up to 19 digits in groups; ends[g] is where group g ends and
	// counts[g] how many digits groups 0..g hold.
	var (
		digits [19]byte
		ends   [19]int
		counts [19]int
		n, g   int
		sep    byte
	)
	for p := i; g < len(ends); {
		q := p
		for q < len(s) && isDigit(s[q]) {
			q++
		}
		if n+q-p > len(digits) {
			if g == 0 {
				return Finding{}, false // a longer run of digits: some other id
			}
			break
		}
		n += copy(digits[n:], s[p:q])
		ends[g], counts[g] = q, n
		g++
		c := at(s, q)
		if (c == ' ' || c == '-') && (sep == 0 || sep == c) && isDigit(at(s, q+1)) {
			sep, p = c, q+1
			continue
		}
		break
	}
	// Try the longest candidate first; shorter ones cover a card followed by
	// an unrelated number ("4111 1111 1111 1111 12/27").
	for k := g; k > 0 && counts[k-1] >= 13; k-- {
		d := digits[:counts[k-1]]
		if !cardGroups(counts[:k]) || !endOK(s, ends[k-1]) || sameDigits(d) {
			continue
		}
		if issuer := cardIssuer(d); issuer != "" && luhn(d) {
			return Finding{Kind: Card, Start: i, End: ends[k-1], Detail: issuer}, true
		}
	}
	return Finding{}, false
}

// cardGroups reports whether digit groups of these cumulative counts are
// grouped the way cards are printed: one run, fours with a shorter last
// group, or the 4-6-5 and 4-6-4 layouts of Amex and Diners.
func cardGroups(counts []int) bool {
	k := len(counts)
	if k == 1 {
		return true
	}
	size := func(g int) int {
		if g == 0 {
			return counts[0]
		}
		return counts[g] - counts[g-1]
	}
	if k == 3 && size(0) == 4 && size(1) == 6 && (size(2) == 5 || size(2) == 4) {
		return true
	}
	for g := 0; g < k-1; g++ {
		if size(g) != 4 {
			return false
		}
	}
	return size(k-1) <= 4
}

// cardIssuer names the issuer whose prefix and length d has, or "".
func cardIssuer(d []byte) string {
	n := len(d)
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p3 := p2*10 + int(d[2]-'0')
	p4 := p3*10 + int(d[3]-'0')
	switch {
	case d[0] == '4':
		if n == 13 || n == 16 || n == 19 {
			return "visa"
		}
	case 51 <= p2 && p2 <= 55 || 2221 <= p4 && p4 <= 2720:
		if n == 16 {
			return "mastercard"
		}
	case p2 == 34 || p2 == 37:
		if n == 15 {
			return "amex"
		}
	case p4 == 6011 || p2 == 65 || 644 <= p3 && p3 <= 649:
		if n >= 16 {
			return "discover"
		}
	case 3528 <= p4 && p4 <= 3589:
		if n >= 16 {
			return "jcb"
		}
	case p2 == 36 || p2 == 38 || 300 <= p3 && p3 <= 305:
		if n >= 14 {
			return "diners"
		}
	case p2 == 62:
		if n >= 16 {
			return "unionpay"
		}
	}
	// Maestro shares its ranges with the issuers above; it is the fallback.
	if p2 == 50 || 56 <= p2 && p2 <= 69 {
		return "maestro"
	}
	return ""
}

// luhn reports whether the digits in d pass the Luhn check.
func luhn(d []byte) bool {
	sum, double := 0, false
	for k := len(d) - 1; k >= 0; k-- {
		v := int(d[k] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}
