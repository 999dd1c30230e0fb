package console

import (
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
)

func TestSegments(t *testing.T) {
	m := func(start, end int, source string) moderation.Match {
		return moderation.Match{Rule: "r", Start: start, End: end, Source: source}
	}
	tests := []struct {
		name    string
		text    string
		matches []moderation.Match
		want    string // marked spans in [brackets]
	}{
		{"none", "hello", nil, "hello"},
		{"two, out of order", "you are an idiot and a fool", []moderation.Match{m(23, 27, ""), m(11, 16, "")}, "you are an [idiot] and a [fool]"},
		{"overlapping: the first and longest wins", "go back to your country", []moderation.Match{m(3, 7, ""), m(0, 23, ""), m(0, 2, "")}, "[go back to your country]"},
		{"outside the text or empty", "short", []moderation.Match{m(2, 99, ""), m(3, 3, "")}, "short"},
		{"inside a character", "café noir", []moderation.Match{m(0, 4, ""), m(6, 10, "")}, "café [noir]"},
		{"another part of an upload", "excerpt", []moderation.Match{m(0, 7, "a.zip/b.txt")}, "excerpt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			for _, s := range segments(tc.text, tc.matches) {
				if s.Match != nil {
					b.WriteString("[" + s.Text + "]")
				} else {
					b.WriteString(s.Text)
				}
			}
			if b.String() != tc.want {
				t.Errorf("%q, want %q", b.String(), tc.want)
			}
		})
	}
}
