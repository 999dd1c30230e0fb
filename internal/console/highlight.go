package console

import (
	"slices"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/moderation"
)

// segment is a piece of a text: plain, or a span a rule matched.
type segment struct {
	Text  string
	Match *moderation.Match
}

// segments cuts text at its matches so that a template can mark them.
// Matches are byte offsets into text; overlapping ones are shown as the
// first (the longest of those that start together), and matches that point
// into another part of an upload (a Source) or outside the text are left to
// the matches table.
func segments(text string, matches []moderation.Match) []segment {
	ms := slices.Clone(matches)
	slices.SortStableFunc(ms, func(a, b moderation.Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
	var out []segment
	at := 0
	for i := range ms {
		m := &ms[i]
		if m.Source != "" || m.Start < at || m.End > len(text) || m.Start >= m.End ||
			!boundary(text, m.Start) || !boundary(text, m.End) {
			continue
		}
		if m.Start > at {
			out = append(out, segment{Text: text[at:m.Start]})
		}
		out = append(out, segment{Text: text[m.Start:m.End], Match: m})
		at = m.End
	}
	if at < len(text) {
		out = append(out, segment{Text: text[at:]})
	}
	return out
}

// boundary reports whether i is at a character boundary of s.
func boundary(s string, i int) bool { return i == len(s) || utf8.RuneStart(s[i]) }
