package pii

// ibanCountries lists each country of the IBAN registry with its IBAN length.
const ibanCountries = "ad24 ae23 al28 at20 az28 ba20 be16 bg22 bh22 bi27 br29 by28 " +
	"ch21 cr22 cy28 cz24 de22 dj27 dk18 do28 ee20 eg29 es24 fi18 fk18 fo18 " +
	"fr27 gb22 ge22 gi23 gl18 gr27 gt28 hn28 hr21 hu28 ie22 il23 iq23 is26 " +
	"it27 jo30 kw30 kz20 lb28 lc32 li21 lt20 lu20 lv21 ly25 mc27 md24 me22 " +
	"mk19 mn20 mr27 mt31 mu30 ni28 nl18 no15 om23 pk24 pl28 ps29 pt25 qa29 " +
	"ro24 rs22 ru33 sa24 sc31 sd18 se24 si19 sk24 sm27 so23 st25 sv28 tl23 " +
	"tn24 tr26 ua29 va22 vg24 xk20 ye30"

// ibanTable maps a two-letter code (index 26*a+b) to its IBAN length and its
// code as a string, so a finding's Detail costs no allocation.
var ibanTable = func() (t [26 * 26]struct {
	length int
	code   string
}) {
	for k := 0; k+4 <= len(ibanCountries); k += 5 {
		e := ibanCountries[k : k+4]
		x := &t[int(e[0]-'a')*26+int(e[1]-'a')]
		x.length, x.code = atoi(e[2:]), e[:2]
	}
	return t
}()

// iban finds an IBAN starting at s[i]: a country code, two check digits and
// the account number, in one run or in groups of four joined by single
// spaces, as long as the country's IBANs are and passing the mod-97 check.
func iban(s string, i, _ int) (Finding, bool) {
	if i+4 > len(s) || !isLetter(s[i]) || !isLetter(s[i+1]) ||
		!isDigit(s[i+2]) || !isDigit(s[i+3]) || i > 0 && isWord(s[i-1]) {
		return Finding{}, false
	}
	country := ibanTable[int(lower(s[i])-'a')*26+int(lower(s[i+1])-'a')]
	if country.length == 0 {
		return Finding{}, false
	}
	if check := atoi(s[i+2 : i+4]); check < 2 || check > 98 {
		return Finding{}, false
	}
	grouped := at(s, i+4) == ' '
	n, digits, p := 4, 0, i+4
	for n < country.length {
		if grouped && n%4 == 0 {
			if at(s, p) != ' ' {
				return Finding{}, false
			}
			p++
		}
		c := at(s, p)
		if !isAlnum(c) {
			return Finding{}, false
		}
		if isDigit(c) {
			digits++
		}
		n++
		p++
	}
	// Account numbers are mostly digits; a run of words that happens to fit
	// the length is not one.
	if p < len(s) && isWord(s[p]) || 2*digits < country.length-4 {
		return Finding{}, false
	}
	// The check moves the first four characters to the end.
	rem := 0
	for q := i + 4; q < p; q++ {
		if s[q] != ' ' {
			rem = mod97(rem, s[q])
		}
	}
	for q := i; q < i+4; q++ {
		rem = mod97(rem, s[q])
	}
	if rem != 1 {
		return Finding{}, false
	}
	return Finding{Kind: IBAN, Start: i, End: p, Detail: country.code}, true
}

// mod97 appends the IBAN digits of c (a letter counts as 10..35) to a number
// whose remainder mod 97 is rem, and returns the new remainder.
func mod97(rem int, c byte) int {
	if isDigit(c) {
		return (rem*10 + int(c-'0')) % 97
	}
	return (rem*100 + int(lower(c)-'a') + 10) % 97
}
