package upload

import (
	"strings"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/moderation"
)

// Excerpt sizes: the context kept either side of a match, and the most
// text all excerpts of an upload may hold.
const (
	excerptContext = 200
	maxExcerpts    = 16 << 10
)

// excerpts returns the text around each match, merged where they overlap,
// each labelled with its source: "[notes.txt] …they are vermin…".
func excerpts(matches []moderation.Match, parts []engine.FilePart) string {
	text := make(map[string]string, len(parts))
	for _, p := range parts {
		if _, ok := text[p.Source]; !ok {
			text[p.Source] = p.Text
		}
	}
	var b strings.Builder
	source, from, to := "", 0, 0
	flush := func() {
		if to == 0 {
			return
		}
		s := text[source]
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString("[" + source + "] ")
		if from > 0 {
			b.WriteString("…")
		}
		b.WriteString(s[from:to])
		if to < len(s) {
			b.WriteString("…")
		}
	}
	for _, m := range matches { // in source order, by offset within each
		s, ok := text[m.Source]
		if !ok || m.Start < 0 || m.End > len(s) || m.Start > m.End {
			continue
		}
		lo, hi := runeStart(s, m.Start-excerptContext), runeStart(s, m.End+excerptContext)
		if m.Source == source && lo <= to {
			to = max(to, hi)
			continue
		}
		flush()
		if b.Len() >= maxExcerpts {
			to = 0 // written: the flush after the loop must not repeat it
			break
		}
		source, from, to = m.Source, lo, hi
	}
	flush()
	out := b.String()
	if len(out) > maxExcerpts {
		const cut = "…"
		out = out[:runeStart(out, maxExcerpts-len(cut))] + cut
	}
	return out
}

// runeStart clamps i to s and moves it back to the start of a character.
func runeStart(s string, i int) int {
	i = max(0, min(i, len(s)))
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}
