package pii

import "strings"

func nationalID(start, end int, detail string) (Finding, bool) {
	return Finding{Kind: NationalID, Start: start, End: end, Detail: detail}, true
}

// ssn finds a US Social Security number, written ddd-dd-dddd. Numbers the
// SSA never issues (area 000, 666 or 9xx, group 00, serial 0000) and the
// famous sample numbers are not reported.
func ssn(s string, i, j int) (Finding, bool) {
	if j-i != 3 || !startOK(s, i) || at(s, i+3) != '-' || !digitsAt(s, i+4, 2) ||
		at(s, i+6) != '-' || !digitsAt(s, i+7, 4) || !endOK(s, i+11) {
		return Finding{}, false
	}
	area, group, serial := atoi(s[i:i+3]), atoi(s[i+4:i+6]), atoi(s[i+7:i+11])
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return Finding{}, false
	}
	switch s[i : i+11] {
	case "078-05-1120", "219-09-9999", "123-45-6789":
		return Finding{}, false
	}
	return nationalID(i, i+11, "us_ssn")
}

// cpf finds a Brazilian CPF, written ddd.ddd.ddd-dd, with both check digits.
func cpf(s string, i, j int) (Finding, bool) {
	if j-i != 3 || !startOK(s, i) || at(s, i+3) != '.' || !digitsAt(s, i+4, 3) ||
		at(s, i+7) != '.' || !digitsAt(s, i+8, 3) || at(s, i+11) != '-' ||
		!digitsAt(s, i+12, 2) || !endOK(s, i+14) || sameDigits(s[i:i+14]) {
		return Finding{}, false
	}
	var d [11]int
	n := 0
	for p := i; p < i+14; p++ {
		if isDigit(s[p]) {
			d[n] = int(s[p] - '0')
			n++
		}
	}
	for k := 9; k <= 10; k++ { // check digits d[9] and d[10]
		sum := 0
		for m := 0; m < k; m++ {
			sum += d[m] * (k + 1 - m)
		}
		if sum*10%11%10 != d[k] {
			return Finding{}, false
		}
	}
	return nationalID(i, i+14, "br_cpf")
}

const dniLetters = "trwagmyfpdxbnjzsqvhlcke"

// dni finds a Spanish DNI: eight digits and a control letter, optionally
// joined by a dash ("12345678z", "12345678-z").
func dni(s string, i, _ int) (Finding, bool) {
	if !digitsAt(s, i, 8) || !startOK(s, i) || sameDigits(s[i:i+8]) {
		return Finding{}, false
	}
	p := i + 8
	if at(s, p) == '-' {
		p++
	}
	if !isLetter(at(s, p)) || !endOK(s, p+1) || dniLetters[atoi(s[i:i+8])%23] != lower(s[p]) {
		return Finding{}, false
	}
	return nationalID(i, p+1, "es_dni")
}

// nie finds a Spanish foreigner's number: x, y or z, seven digits and a
// control letter ("x1234567l", "x1234567-l").
func nie(s string, i, _ int) (Finding, bool) {
	prefix := strings.IndexByte("xyz", lower(at(s, i)))
	if prefix < 0 || !digitsAt(s, i+1, 7) || i > 0 && isWord(s[i-1]) {
		return Finding{}, false
	}
	p := i + 8
	if at(s, p) == '-' {
		p++
	}
	if !isLetter(at(s, p)) || !endOK(s, p+1) ||
		dniLetters[(prefix*10_000_000+atoi(s[i+1:i+8]))%23] != lower(s[p]) {
		return Finding{}, false
	}
	return nationalID(i, p+1, "es_nie")
}

// ninoUnused holds the NINO prefixes that are never allocated, in pairs.
const ninoUnused = "bggbknnknttnzz"

// nino finds a UK National Insurance number: two prefix letters, six digits
// and a suffix a-d, in one run or spaced ("ab123456c", "ab 12 34 56 c").
func nino(s string, i, _ int) (Finding, bool) {
	if i+9 > len(s) || !isLetter(s[i]) || !isLetter(s[i+1]) || i > 0 && isWord(s[i-1]) {
		return Finding{}, false
	}
	a, b := lower(s[i]), lower(s[i+1])
	if strings.IndexByte("dfiquv", a) >= 0 || strings.IndexByte("dfioquv", b) >= 0 {
		return Finding{}, false
	}
	for k := 0; k < len(ninoUnused); k += 2 {
		if ninoUnused[k] == a && ninoUnused[k+1] == b {
			return Finding{}, false
		}
	}
	spaced := s[i+2] == ' '
	p := i + 2
	for k := 0; k < 3; k++ {
		if spaced {
			if at(s, p) != ' ' {
				return Finding{}, false
			}
			p++
		}
		if !digitsAt(s, p, 2) {
			return Finding{}, false
		}
		p += 2
	}
	if spaced {
		if at(s, p) != ' ' {
			return Finding{}, false
		}
		p++
	}
	if c := lower(at(s, p)); c < 'a' || c > 'd' || p+1 < len(s) && isWord(s[p+1]) {
		return Finding{}, false
	}
	return nationalID(i, p+1, "uk_nino")
}

// Codice fiscale tables: the value of each character in an odd (1st, 3rd,
// ...) position, indexed by digit or letter, and the letters that replace
// digits in the numeric positions when two people would share a code.
const (
	cfOdd        = "\x01\x00\x05\x07\x09\x0d\x0f\x11\x13\x15\x02\x04\x12\x14\x0b\x03\x06\x08\x0c\x0e\x10\x0a\x16\x19\x18\x17"
	cfOmocodia   = "lmnpqrstuv"
	cfMonths     = "abcdehlmprst"
	cfNumericPos = 0b0111_0110_1100_0000 // bit k: position k holds a digit
)

// codiceFiscale finds an Italian tax code: sixteen characters (surname and
// name letters, birth date and place, check letter).
func codiceFiscale(s string, i, j int) (Finding, bool) {
	if j-i != 16 {
		return Finding{}, false
	}
	sum, day := 0, 0
	for k := 0; k < 16; k++ {
		c := lower(s[i+k])
		var v int // the character's value as a digit or letter, 0..25
		switch {
		case cfNumericPos&(1<<k) != 0:
			if isDigit(c) {
				v = int(c - '0')
			} else if o := strings.IndexByte(cfOmocodia, c); o >= 0 {
				v = o
			} else {
				return Finding{}, false
			}
			if k == 9 || k == 10 {
				day = day*10 + v
			}
			if isLetter(c) {
				v = int(c - 'a')
			}
		case !isLetter(c):
			return Finding{}, false
		case k == 8 && strings.IndexByte(cfMonths, c) < 0:
			return Finding{}, false
		default:
			v = int(c - 'a')
		}
		switch {
		case k == 15:
			if day < 1 || day > 71 || day > 31 && day < 41 || int(c-'a') != sum%26 {
				return Finding{}, false
			}
		case k%2 == 0:
			sum += int(cfOdd[v])
		default:
			sum += v
		}
	}
	return nationalID(i, j, "it_cf")
}

// The layouts of a French NIR (social security number): one run, the
// 13-digit number and its key, or the printed groups "1 85 05 78 006 084 36".
var nirLayouts = [][]int{{15}, {13, 2}, {1, 2, 2, 2, 3, 3, 2}}

// nir finds a French NIR: sex, birth year and month, département (2a and 2b
// for Corsica), commune, order number and a two-digit key that makes the
// number divisible by 97.
func nir(s string, i, _ int) (Finding, bool) {
	if strings.IndexByte("123478", s[i]) < 0 || !startOK(s, i) {
		return Finding{}, false
	}
	var c [15]byte
	end := -1
	for _, layout := range nirLayouts {
		if end = readGroups(s, i, layout, &c); end >= 0 {
			break
		}
	}
	if end < 0 || !endOK(s, end) {
		return Finding{}, false
	}
	month := atoi(c[3:5])
	if month < 1 || month > 12 && month < 20 || month > 42 && month < 50 {
		return Finding{}, false
	}
	// Corsica's 2a and 2b count as 19 and 18 in the key.
	corsica := 0
	switch dept := c[5:7]; string(dept) {
	case "2a", "2b":
		corsica = int(dept[1]-'a') + 1
		dept[1] = '0'
	}
	for _, d := range c {
		if !isDigit(d) {
			return Finding{}, false
		}
	}
	n := int64(atoi(c[:13])) - int64(corsica)*1_000_000
	if key := atoi(c[13:]); key != int(97-n%97) {
		return Finding{}, false
	}
	return nationalID(i, end, "fr_nir")
}

// readGroups reads groups of alphanumerics of the given sizes, joined by
// single spaces, from s[i] into c (lower-cased). It returns where they end,
// or -1 when s does not hold exactly that layout there.
func readGroups(s string, i int, sizes []int, c *[15]byte) int {
	p, n := i, 0
	for g, size := range sizes {
		if g > 0 {
			if at(s, p) != ' ' {
				return -1
			}
			p++
		}
		for k := 0; k < size; k++ {
			if !isAlnum(at(s, p)) {
				return -1
			}
			c[n] = lower(s[p])
			n, p = n+1, p+1
		}
		if isAlnum(at(s, p)) {
			return -1
		}
	}
	return p
}

// bsnKeywords introduce a Dutch citizen service number. A bare nine-digit
// number passes the 11-test one time in eleven, so BSNs count only after one.
var bsnKeywords = []string{"bsn", "burgerservicenummer", "sofinummer"}

// bsn finds a Dutch BSN: nine digits passing the 11-test, preceded within 20
// bytes by a keyword such as "bsn".
func bsn(s string, i, j int) (Finding, bool) {
	if j-i != 9 || !startOK(s, i) || !endOK(s, j) || sameDigits(s[i:j]) {
		return Finding{}, false
	}
	sum := 0
	for k := 0; k < 8; k++ {
		sum += int(s[i+k]-'0') * (9 - k)
	}
	if (sum-int(s[i+8]-'0'))%11 != 0 || !keywordBefore(s, i, 20, bsnKeywords) {
		return Finding{}, false
	}
	return nationalID(i, j, "nl_bsn")
}

// keywordBefore reports whether one of the keywords ends within window bytes
// before s[i].
func keywordBefore(s string, i, window int, keywords []string) bool {
	for _, kw := range keywords {
		if strings.Contains(s[max(0, i-window-len(kw)):i], kw) {
			return true
		}
	}
	return false
}
