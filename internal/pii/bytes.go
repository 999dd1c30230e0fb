package pii

// Byte classes. The text is lower-cased before it reaches Find, but the
// checks accept upper case too so that a caller that skipped normalisation
// gets the same answers.

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }

// isWord reports whether c glues to a neighbouring token.
func isWord(c byte) bool { return isAlnum(c) || c == '_' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// at returns s[i], or 0 past either end of s.
func at(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}

// digitsAt reports whether s holds n digits from p.
func digitsAt(s string, p, n int) bool {
	if p < 0 || p+n > len(s) {
		return false
	}
	for k := p; k < p+n; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

// atoi returns the value of the digits in s, which holds at most 18 of them.
func atoi[T string | []byte](s T) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// sameDigits reports whether every digit in s is the same digit: such
// numbers are placeholders, not anyone's data.
func sameDigits[T string | []byte](s T) bool {
	var first byte
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			continue
		}
		if first == 0 {
			first = s[i]
		} else if s[i] != first {
			return false
		}
	}
	return true
}

// isGlue reports whether c joins two numbers into one longer number or id
// ("12-34", "1.5", "1,000", "12/34").
func isGlue(c byte) bool { return c == '-' || c == '.' || c == ',' || c == '/' }

// startOK reports whether a number starting at i stands on its own: it is not
// the tail of a word or of a longer number.
func startOK(s string, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i-1]
	if isWord(c) {
		return false
	}
	return !isGlue(c) || !isDigit(at(s, i-2))
}

// endOK is startOK for a number ending at e.
func endOK(s string, e int) bool {
	if e >= len(s) {
		return true
	}
	c := s[e]
	if isWord(c) {
		return false
	}
	return !isGlue(c) || !isDigit(at(s, e+1))
}
