package pii

// findNumbers walks the text word by word (runs of ASCII letters and digits)
// and tries the number-shaped detectors at each word that holds a digit, and
// at two-letter words, which may open a spaced UK NINO ("ab 12 34 56 c").
// Other words cost one pass over their bytes.
func findNumbers(s string, out []Finding) []Finding {
	for i := 0; i < len(s); {
		if wordClass[s[i]] == 0 {
			i++
			continue
		}
		j, digits := i, 0
		for j < len(s) {
			c := wordClass[s[j]]
			if c == 0 {
				break
			}
			digits += int(c >> 1)
			j++
		}
		if worthTrying(s, i, j, digits) {
			if f, ok := numberAt(s, i, j, digits == j-i); ok {
				out = append(out, f)
				i = f.End
				continue
			}
		}
		i = j
	}
	return out
}

// wordClass is 1 for ASCII letters, 2 for digits and 0 for other bytes: one
// load per byte in the loop every byte of a note goes through.
var wordClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case isDigit(byte(c)):
			t[c] = 2
		case isLetter(byte(c)):
			t[c] = 1
		}
	}
	return t
}()

// worthTrying is a cheap test that the word s[i:j], which holds this many
// digits, can start a finding: every format is a long run of digits, a
// digit group joined to another one, a mixed word of four or more
// characters, or a NINO's two letters followed by digits. Most words that
// hold a digit in a note ("10:30", "$15", "3rd") fail it.
func worthTrying(s string, i, j, digits int) bool {
	n := j - i
	switch {
	case digits == 0:
		return n == 2 && at(s, j) == ' ' && isDigit(at(s, j+1))
	case digits < n:
		return n >= 4
	case n >= 8 || i > 0 && (s[i-1] == '+' || s[i-1] == '('):
		return true
	}
	c := at(s, j)
	return isPhoneSep(c) && (isDigit(at(s, j+1)) || isPhoneSep(at(s, j+1)) && isDigit(at(s, j+2)))
}

// numberAt tries, in order, the detectors that can start with the word
// s[i:j]. Its length and shape rule out most of them at once, which matters:
// most words that hold a digit in a note are dates, times and prices.
func numberAt(s string, i, j int, allDigits bool) (Finding, bool) {
	n := j - i
	var (
		f  Finding
		ok bool
	)
	if !allDigits {
		switch {
		case isLetter(s[i]):
			if n >= 4 {
				f, ok = iban(s, i, j)
			}
			if !ok && (n == 2 || n == 9) {
				f, ok = nino(s, i, j)
			}
			if !ok && (n == 8 || n == 9) {
				f, ok = nie(s, i, j)
			}
			if !ok && n == 16 {
				f, ok = codiceFiscale(s, i, j)
			}
		case n == 9:
			f, ok = dni(s, i, j)
		case n == 15:
			f, ok = nir(s, i, j)
		}
		return f, ok
	}
	if n >= 13 || n == 4 && digitsAt(s, j+1, 4) {
		f, ok = card(s, i, j)
	}
	if !ok && n == 3 {
		if f, ok = ssn(s, i, j); !ok {
			f, ok = cpf(s, i, j)
		}
	}
	if !ok && n == 8 {
		f, ok = dni(s, i, j)
	}
	if !ok && (n == 13 || n == 15 || n == 1 && at(s, j) == ' ') {
		f, ok = nir(s, i, j)
	}
	if !ok && n == 9 {
		f, ok = bsn(s, i, j)
	}
	// A phone number starts after "+" or "(", continues past this word or
	// is one long run; "2024" and "10" are none of these.
	if !ok && (n >= 10 || i > 0 && (s[i-1] == '+' || s[i-1] == '(') || isPhoneSep(at(s, j))) {
		f, ok = phone(s, i, j)
	}
	return f, ok
}
