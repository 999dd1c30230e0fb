package hashbank

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
)

func randomHash(r *rand.Rand) [32]byte {
	var h [32]byte
	for i := range h {
		h[i] = byte(r.Uint32())
	}
	return h
}

// flip returns h with n distinct random bits flipped.
func flip(r *rand.Rand, h [32]byte, n int) [32]byte {
	for _, b := range r.Perm(256)[:n] {
		h[b/8] ^= 1 << (b % 8)
	}
	return h
}

func hexOf(h [32]byte) string { return hex.EncodeToString(h[:]) }

// TestMatchAgreesWithBruteForce: the multi-index lookup finds exactly what
// comparing the query with every entry finds, for hashes near and far.
func TestMatchAgreesWithBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	banks := []moderation.Bank{
		{Name: "csam", Category: moderation.ChildSafety, Action: moderation.Block, Distance: 31},
		{Name: "removed", Category: moderation.Sexual, Action: moderation.Review, Distance: 10},
		{Name: "wide", Category: moderation.Violence, Action: moderation.Review, Distance: 50},
	}
	var entries []moderation.BankEntry
	var hashes [][32]byte
	for i := range 3000 {
		h := randomHash(r)
		hashes = append(hashes, h)
		entries = append(entries, moderation.BankEntry{ID: fmt.Sprint("e", i), Bank: banks[i%3].Name, Kind: moderation.HashPDQ, Hash: hexOf(h)})
	}
	var x Index
	if err := x.Replace(7, banks, entries); err != nil {
		t.Fatal(err)
	}
	if x.Version() != 7 || x.Len() != 3000 {
		t.Fatalf("version %d len %d", x.Version(), x.Len())
	}
	matched := 0
	for q := range 2000 {
		var query [32]byte
		if q%2 == 0 {
			query = flip(r, hashes[r.IntN(len(hashes))], r.IntN(60))
		} else {
			query = randomHash(r)
		}
		want := map[string]int{}
		for i, h := range hashes {
			b := banks[i%3]
			if d := Distance(&query, &h); d <= b.Distance {
				if old, ok := want[b.Name]; !ok || d < old {
					want[b.Name] = d
				}
			}
		}
		got := x.Match(nil, &query)
		if len(got) != len(want) {
			t.Fatalf("query %d: got %v, want %v", q, got, want)
		}
		for _, m := range got {
			if want[m.Bank] != m.Distance || m.Kind != moderation.HashPDQ {
				t.Fatalf("query %d: got %v, want %v", q, got, want)
			}
		}
		matched += len(got)
	}
	if matched == 0 {
		t.Fatal("no query matched: the test proves nothing")
	}
}

func TestMatchSHA256AndOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	file, img := randomHash(r), randomHash(r)
	banks := []moderation.Bank{
		{Name: "a-review", Category: moderation.Sexual, Action: moderation.Review, Distance: 31},
		{Name: "z-block", Category: moderation.ChildSafety, Action: moderation.Block, Distance: 31},
	}
	entries := []moderation.BankEntry{
		{ID: "1", Bank: "a-review", Kind: moderation.HashSHA256, Hash: hexOf(file)},
		{ID: "2", Bank: "z-block", Kind: moderation.HashPDQ, Hash: hexOf(flip(r, img, 20))},
		{ID: "3", Bank: "z-block", Kind: moderation.HashPDQ, Hash: hexOf(flip(r, img, 5))},
	}
	var x Index
	if got := x.Match(&file, &img); got != nil {
		t.Fatalf("empty index matched %v", got)
	}
	if err := x.Replace(1, banks, entries); err != nil {
		t.Fatal(err)
	}
	got := x.Match(&file, &img)
	want := []moderation.BankMatch{
		{Bank: "z-block", EntryID: "3", Kind: moderation.HashPDQ, Distance: 5, Category: moderation.ChildSafety, Action: moderation.Block},
		{Bank: "a-review", EntryID: "1", Kind: moderation.HashSHA256, Distance: 0, Category: moderation.Sexual, Action: moderation.Review},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	// A SHA-256 never matches as a PDQ hash, nor the other way round.
	if got := x.Match(&img, &file); len(got) != 0 {
		t.Fatalf("kinds mixed up: %v", got)
	}
}

func TestReplaceRefuses(t *testing.T) {
	banks := []moderation.Bank{{Name: "b", Category: moderation.Sexual, Action: moderation.Review, Distance: 31}}
	good := hexOf([32]byte{1})
	for name, e := range map[string]moderation.BankEntry{
		"unknown bank": {ID: "1", Bank: "nope", Kind: moderation.HashPDQ, Hash: good},
		"short hash":   {ID: "1", Bank: "b", Kind: moderation.HashPDQ, Hash: "abc"},
		"not hex":      {ID: "1", Bank: "b", Kind: moderation.HashPDQ, Hash: good[:62] + "zz"},
		"unknown kind": {ID: "1", Bank: "b", Kind: "md5", Hash: good},
	} {
		var x Index
		if err := x.Replace(1, banks, []moderation.BankEntry{e}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// BenchmarkMatch is a PDQ lookup at the threshold of 31 bits in a bank of a
// million images.
func BenchmarkMatch(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	banks := []moderation.Bank{{Name: "b", Category: moderation.ChildSafety, Action: moderation.Block, Distance: 31}}
	entries := make([]moderation.BankEntry, 1_000_000)
	var hashes [][32]byte
	for i := range entries {
		h := randomHash(r)
		if i < 1000 {
			hashes = append(hashes, h)
		}
		entries[i] = moderation.BankEntry{ID: fmt.Sprint(i), Bank: "b", Kind: moderation.HashPDQ, Hash: hexOf(h)}
	}
	var x Index
	if err := x.Replace(1, banks, entries); err != nil {
		b.Fatal(err)
	}
	queries := make([][32]byte, 1000)
	for i := range queries {
		queries[i] = flip(r, hashes[i], 25)
	}
	b.ResetTimer()
	hits := 0
	for i := 0; b.Loop(); i++ {
		hits += len(x.Match(nil, &queries[i%len(queries)]))
	}
	if hits == 0 {
		b.Fatal("nothing matched")
	}
}
