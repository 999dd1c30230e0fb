package upload

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/moderation"
)

// matchOf is a match of word in text, in source.
func matchOf(tb testing.TB, source, text, word string) moderation.Match {
	tb.Helper()
	i := strings.Index(text, word)
	if i < 0 {
		tb.Fatalf("%q is not in the text", word)
	}
	return moderation.Match{Rule: "test", Source: source, Start: i, End: i + len(word)}
}

func TestExcerpts(t *testing.T) {
	a, b, c := strings.Repeat("a", 300), strings.Repeat("b", 500), strings.Repeat("c", 300)
	ctx := func(s string) string { return s[:excerptContext] } // the context kept
	near := a + "ONE" + b[:100] + "TWO" + c
	far := a + "ONE" + b + "TWO" + c
	wide := strings.Repeat("日", 100) + "MATCH" + strings.Repeat("語", 100) // 3-byte characters
	tests := []struct {
		name    string
		parts   []engine.FilePart
		matches func(tb testing.TB) []moderation.Match
		want    string
	}{
		{
			name:  "a short text is quoted whole",
			parts: []engine.FilePart{{Source: "a.txt", Text: "they are vermin"}},
			matches: func(tb testing.TB) []moderation.Match {
				return []moderation.Match{matchOf(tb, "a.txt", "they are vermin", "vermin")}
			},
			want: "[a.txt] they are vermin",
		},
		{
			name:  "a long text is quoted around the match",
			parts: []engine.FilePart{{Source: "a.txt", Text: a + "ONE" + c}},
			matches: func(tb testing.TB) []moderation.Match {
				return []moderation.Match{matchOf(tb, "a.txt", a+"ONE"+c, "ONE")}
			},
			want: "[a.txt] …" + ctx(a) + "ONE" + ctx(c) + "…",
		},
		{
			name:  "overlapping windows merge",
			parts: []engine.FilePart{{Source: "a.txt", Text: near}},
			matches: func(tb testing.TB) []moderation.Match {
				return []moderation.Match{matchOf(tb, "a.txt", near, "ONE"), matchOf(tb, "a.txt", near, "TWO")}
			},
			want: "[a.txt] …" + ctx(a) + "ONE" + b[:100] + "TWO" + ctx(c) + "…",
		},
		{
			name:  "distant windows stay apart",
			parts: []engine.FilePart{{Source: "a.txt", Text: far}},
			matches: func(tb testing.TB) []moderation.Match {
				return []moderation.Match{matchOf(tb, "a.txt", far, "ONE"), matchOf(tb, "a.txt", far, "TWO")}
			},
			want: "[a.txt] …" + ctx(a) + "ONE" + ctx(b) + "…\n[a.txt] …" + ctx(b) + "TWO" + ctx(c) + "…",
		},
		{
			name:  "each source is labelled",
			parts: []engine.FilePart{{Source: "x.zip/a.txt", Text: "they are vermin"}, {Source: "x.zip/b.txt", Text: "i will kill you"}},
			matches: func(tb testing.TB) []moderation.Match {
				return []moderation.Match{matchOf(tb, "x.zip/a.txt", "they are vermin", "vermin"), matchOf(tb, "x.zip/b.txt", "i will kill you", "kill")}
			},
			want: "[x.zip/a.txt] they are vermin\n[x.zip/b.txt] i will kill you",
		},
		{
			name:  "never inside a character",
			parts: []engine.FilePart{{Source: "a.txt", Text: wide}},
			matches: func(tb testing.TB) []moderation.Match {
				return []moderation.Match{matchOf(tb, "a.txt", wide, "MATCH")}
			},
			// 200 bytes either side fall inside characters: the window
			// widens to the start of the one before and stops at the start
			// of the one after.
			want: "[a.txt] …" + strings.Repeat("日", 67) + "MATCH" + strings.Repeat("語", 66) + "…",
		},
		{
			name:  "matches that point nowhere are skipped",
			parts: []engine.FilePart{{Source: "a.txt", Text: "they are vermin"}},
			matches: func(testing.TB) []moderation.Match {
				return []moderation.Match{{Source: "b.txt", Start: 0, End: 4}, {Source: "a.txt", Start: 9, End: 99}, {Source: "a.txt", Start: -1, End: 4}}
			},
			want: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := excerpts(tc.matches(t), tc.parts)
			if got != tc.want {
				t.Errorf("excerpts =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestExcerptsCap: however many matches there are, the excerpts hold at
// most maxExcerpts bytes of valid UTF-8, and say they were cut.
func TestExcerptsCap(t *testing.T) {
	manyParts := func() ([]engine.FilePart, []moderation.Match) {
		text := strings.Repeat("日", 150) + "MATCH" + strings.Repeat("語", 150)
		var parts []engine.FilePart
		var matches []moderation.Match
		for i := range 100 { // about 41,000 bytes of excerpts
			src := fmt.Sprintf("archive.zip/part%03d.txt", i)
			parts = append(parts, engine.FilePart{Source: src, Text: text})
			matches = append(matches, matchOf(t, src, text, "MATCH"))
		}
		return parts, matches
	}
	// One window of 24,000 bytes of 3-byte characters, merged from
	// matches every 100 characters: the cap falls inside a character.
	oneWindow := func() ([]engine.FilePart, []moderation.Match) {
		text := strings.Repeat("日", 8000)
		var matches []moderation.Match
		for i := 0; i < len(text); i += 300 {
			matches = append(matches, moderation.Match{Source: "a.txt", Start: i, End: i + 3})
		}
		return []engine.FilePart{{Source: "a.txt", Text: text}}, matches
	}
	tests := []struct {
		name   string
		input  func() ([]engine.FilePart, []moderation.Match)
		prefix string
	}{
		{"many parts", manyParts, "[archive.zip/part000.txt] …"},
		{"one long window", oneWindow, "[a.txt] 日日"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parts, matches := tc.input()
			got := excerpts(matches, parts)
			if len(got) > maxExcerpts || len(got) < maxExcerpts-600 {
				t.Fatalf("excerpts of %d bytes; want at most %d, and not much less", len(got), maxExcerpts)
			}
			if !utf8.ValidString(got) || !strings.HasPrefix(got, tc.prefix) || !strings.HasSuffix(got, "…") {
				t.Errorf("excerpts are not valid UTF-8 starting %q and cut with an ellipsis: %q … %q", tc.prefix, got[:40], got[len(got)-40:])
			}
		})
	}
}
