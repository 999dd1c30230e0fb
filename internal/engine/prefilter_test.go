package engine

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		expr string
		want [][]string // nil: no prefilter, the pattern runs on every text
	}{
		{`\bkill all \w+s\b`, [][]string{{"kill all "}}},
		{`\b(?:muslims|jews)\W+are\W+(?:vermin|rats)\b`, [][]string{{"jews", "muslims"}, {"rats", "vermin"}, {"are"}}},
		{`\b(?:buy|sell)\W+(?:cocaine|heroin)`, [][]string{{"cocaine", "heroin"}, {"buy", "sell"}}},
		{`(?i)FREE\s+SPINS`, [][]string{{"spins"}, {"free"}}},
		{`\b0x[0-9a-f]{40}\b`, [][]string{{"0x"}}},
		{`\b(?:a|bc)\W+x`, nil},
		{`(?:^|\D)09\d{8,9}`, [][]string{{"09"}}},
		{`\b[0-9a-f]{40}\b`, nil},
		{`(?:porn)+|(?:sex){2,}`, [][]string{{"porn", "sexsex"}}},
		{`(?:viagra)?\d+`, nil},
		{`\b(?:kil+|sho+t|hang)\W+(?:al+\W+)?(?:the\W+)?(?:jews|pakis?)\b`, [][]string{{"jews", "paki", "pakis"}, {"hang", "kil", "sho"}}},
		{`\b(?:kil+|murder|stab|sho+t|cut)\W+(?:him|her)`, [][]string{{"her", "him"}, {"cut", "kil", "murder", "sho", "stab"}}},
		{`\bne[gq]ro`, [][]string{{"negro", "neqro"}}},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			got := requiredLiterals(tc.expr)
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzRequiredLiterals checks the prefilter's promise: whenever a pattern
// matches, the text contains one of its literals.
func FuzzRequiredLiterals(f *testing.F) {
	f.Add(`\b(?:muslims|jews)\W+are\W+(?:vermin|rats)\b`, "the jews are rats")
	f.Add(`(?:abc)+x|def`, "abcabcx")
	f.Add(`a(?:bcd|efg)h{2,3}`, "zzabcdhhh")
	f.Fuzz(func(t *testing.T, expr, text string) {
		re, err := regexp.Compile(expr)
		if err != nil || !isASCII(text) { // Unicode case folding is not the point here
			return
		}
		if !re.MatchString(text) {
			return
		}
		lower := strings.ToLower(text)
	sets:
		for _, set := range requiredLiterals(expr) {
			for _, lit := range set {
				if strings.Contains(text, lit) || strings.Contains(lower, lit) {
					continue sets
				}
			}
			t.Fatalf("%q matches %q but contains none of %q", expr, text, set)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
