package ahocorasick

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
)

type hit struct{ id, start, end int }

func find(m *Matcher, text string) []hit {
	var hits []hit
	m.Find(text, func(id, start, end int) bool {
		hits = append(hits, hit{id, start, end})
		return true
	})
	return hits
}

// naive is the obviously correct reference.
func naive(patterns []string, text string) []hit {
	var hits []hit
	for end := 1; end <= len(text); end++ {
		for id, p := range patterns {
			if p != "" && end >= len(p) && text[end-len(p):end] == p {
				hits = append(hits, hit{id, end - len(p), end})
			}
		}
	}
	return hits
}

func sortHits(h []hit) {
	slices.SortFunc(h, func(a, b hit) int {
		if a.end != b.end {
			return a.end - b.end
		}
		return a.id - b.id
	})
}

func TestFind(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		text     string
	}{
		{"classic", []string{"he", "she", "his", "hers"}, "ushers"},
		{"overlapping", []string{"a", "aa", "aaa"}, "aaaa"},
		{"none", []string{"xyz"}, "abcabc"},
		{"empty text", []string{"a"}, ""},
		{"empty pattern ignored", []string{"", "b"}, "abc"},
		{"duplicate patterns", []string{"ab", "ab"}, "xabx"},
		{"utf8", []string{"хуй", "死ね", "é"}, "иди на хуй, 死ねé"},
		{"suffix outputs", []string{"abcd", "bc", "c"}, "abcabcd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := find(New(tc.patterns), tc.text)
			want := naive(tc.patterns, tc.text)
			sortHits(got)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestFindRandom(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte("abc "[r.Intn(4)])
		}
		return b.String()
	}
	for i := range 500 {
		patterns := make([]string, 1+r.Intn(12))
		for j := range patterns {
			patterns[j] = word(1 + r.Intn(5))
		}
		text := word(r.Intn(60))
		got := find(New(patterns), text)
		sortHits(got)
		if want := naive(patterns, text); !slices.Equal(got, want) {
			t.Fatalf("case %d: patterns %q text %q: got %v, want %v", i, patterns, text, got, want)
		}
	}
}

func TestFindStops(t *testing.T) {
	n := 0
	New([]string{"a"}).Find("aaaa", func(int, int, int) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("fn called %d times after returning false, want 2", n)
	}
}

func BenchmarkFind(b *testing.B) {
	words := strings.Fields(strings.Repeat("alpha beta gamma delta epsilon zeta theta iota kappa lambda mu nu xi omicron pi rho sigma tau ", 30))
	patterns := make([]string, 0, 5000)
	for i := range 5000 {
		patterns = append(patterns, words[i%len(words)]+" "+words[(i*7)%len(words)]+string(rune('a'+i%26)))
	}
	m := New(patterns)
	text := strings.Repeat(" the quick brown fox jumps over the lazy dog near alpha beta", 5)[:300]
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		m.Find(text, func(int, int, int) bool { return true })
	}
}
