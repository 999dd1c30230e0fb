// Package hashbank matches files and images against the hash banks: the
// SHA-256 of a file exactly, and the PDQ perceptual hash of an image within
// each bank's Hamming distance.
//
// PDQ lookups use multi-index hashing (Norouzi, Punjani and Fleet, 2012):
// the 256 bits are cut into 16 chunks of 16 bits, and each chunk has a table
// from its value to the entries with that value. If two hashes differ in at
// most d bits, some chunk differs in at most d/16 of them (pigeonhole), so
// probing every chunk's value and its neighbours within d/16 bits finds
// every candidate; candidates are then checked in full. At the PDQ
// threshold of 31 bits that is 16×17 probes, and a bank of a million images
// is searched in microseconds instead of a million comparisons.
package hashbank

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"slices"
	"sync/atomic"

	"github.com/aup-dev/aup/internal/moderation"
)

const (
	chunks    = 16
	chunkBits = 16
)

// Index is an immutable set of bank entries, replaced whole when the banks
// change. It is safe for concurrent use.
type Index struct {
	snap atomic.Pointer[snapshot]
}

type snapshot struct {
	banks   map[string]moderation.Bank
	entries []entry
	sha     map[[32]byte][]int32 // SHA-256 -> entries
	pdq     []int32              // the PDQ entries
	pdqHash [][32]byte           // their hashes, side by side for the cache
	// Per chunk, a compressed table: the PDQ entries (positions in pdq)
	// whose chunk c has value v are ids[c][first[c][v]:first[c][v+1]].
	first       [chunks][]int32
	ids         [chunks][]int32
	radius      int // bits probed around each chunk: maxDistance / 16
	maxDistance int // the largest distance of any bank
	version     int64
}

type entry struct {
	id, bank string
	kind     moderation.HashKind
}

// Version is the version of the banks the index was built from (see
// Replace); 0 before the first Replace.
func (x *Index) Version() int64 {
	if s := x.snap.Load(); s != nil {
		return s.version
	}
	return 0
}

// Len returns the number of entries in the index.
func (x *Index) Len() int {
	if s := x.snap.Load(); s != nil {
		return len(s.entries)
	}
	return 0
}

// Replace makes banks and entries the index's content, tagged with version.
// Entries of banks not in banks, and entries whose hash is not 64 hex
// digits, are refused.
func (x *Index) Replace(version int64, banks []moderation.Bank, entries []moderation.BankEntry) error {
	s := &snapshot{banks: make(map[string]moderation.Bank, len(banks)), sha: map[[32]byte][]int32{}, version: version}
	for _, b := range banks {
		s.banks[b.Name] = b
		s.maxDistance = max(s.maxDistance, b.Distance)
		s.radius = s.maxDistance / chunks
	}
	s.entries = make([]entry, 0, len(entries))
	for _, e := range entries {
		if _, ok := s.banks[e.Bank]; !ok {
			return fmt.Errorf("hashbank: entry %s is in bank %q, which does not exist", e.ID, e.Bank)
		}
		h, err := ParseHash(e.Hash)
		if err != nil {
			return fmt.Errorf("hashbank: entry %s: %w", e.ID, err)
		}
		i := int32(len(s.entries))
		s.entries = append(s.entries, entry{id: e.ID, bank: e.Bank, kind: e.Kind})
		switch e.Kind {
		case moderation.HashSHA256:
			s.sha[h] = append(s.sha[h], i)
		case moderation.HashPDQ:
			s.pdq, s.pdqHash = append(s.pdq, i), append(s.pdqHash, h)
		default:
			return fmt.Errorf("hashbank: entry %s: unknown kind %q", e.ID, e.Kind)
		}
	}
	// Counting sort of the PDQ entries by each chunk's value.
	for c := range chunks {
		if len(s.pdq) == 0 {
			break
		}
		first := make([]int32, 1<<chunkBits+1)
		for p := range s.pdqHash {
			first[chunk(&s.pdqHash[p], c)+1]++
		}
		for v := 1; v < len(first); v++ {
			first[v] += first[v-1]
		}
		ids, next := make([]int32, len(s.pdq)), slices.Clone(first[:1<<chunkBits])
		for p := range s.pdqHash {
			v := chunk(&s.pdqHash[p], c)
			ids[next[v]] = int32(p)
			next[v]++
		}
		s.first[c], s.ids[c] = first, ids
	}
	x.snap.Store(s)
	return nil
}

func chunk(h *[32]byte, c int) int { return int(binary.BigEndian.Uint16(h[2*c:])) }

// ParseHash reads 64 hex digits, the way SHA-256 and PDQ hashes are
// exchanged.
func ParseHash(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 64 {
		return h, fmt.Errorf("a hash is 64 hex digits, got %d characters", len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("a hash is 64 hex digits: %w", err)
	}
	return h, nil
}

// Distance returns the number of bits in which a and b differ.
func Distance(a, b *[32]byte) int {
	n := 0
	for i := 0; i < 32; i += 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]))
	}
	return n
}

// Match returns, for each bank that holds sha (a file's SHA-256) or pdq
// (an image's PDQ hash, nil for none) within its distance, its closest
// entry: blocking banks first, then by distance and bank name.
func (x *Index) Match(sha *[32]byte, pdq *[32]byte) []moderation.BankMatch {
	s := x.snap.Load()
	if s == nil {
		return nil
	}
	best := map[string]moderation.BankMatch{}
	consider := func(i int32, dist int) {
		e := &s.entries[i]
		b := s.banks[e.bank]
		if m, ok := best[b.Name]; ok && m.Distance <= dist {
			return
		}
		best[b.Name] = moderation.BankMatch{Bank: b.Name, EntryID: e.id, Kind: e.kind, Distance: dist, Category: b.Category, Action: b.Action}
	}
	if sha != nil {
		for _, i := range s.sha[*sha] {
			consider(i, 0)
		}
	}
	if pdq != nil && len(s.pdq) > 0 {
		// A candidate met in several chunks is checked again: cheaper than
		// remembering, and consider keeps the best per bank anyway.
		for c := range chunks {
			forNeighbours(chunk(pdq, c), s.radius, func(v int) {
				for _, p := range s.ids[c][s.first[c][v]:s.first[c][v+1]] {
					d := Distance(pdq, &s.pdqHash[p])
					if d > s.maxDistance {
						continue
					}
					if i := s.pdq[p]; d <= s.banks[s.entries[i].bank].Distance {
						consider(i, d)
					}
				}
			})
		}
	}
	out := make([]moderation.BankMatch, 0, len(best))
	for _, m := range best {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b moderation.BankMatch) int {
		if (a.Action == moderation.Block) != (b.Action == moderation.Block) {
			if a.Action == moderation.Block {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.Bank, b.Bank))
	})
	return out
}

// forNeighbours calls fn with v and every 16-bit value within r bits of it.
func forNeighbours(v, r int, fn func(int)) {
	var walk func(v, from, left int)
	walk = func(v, from, left int) {
		fn(v)
		if left == 0 {
			return
		}
		for b := from; b < chunkBits; b++ {
			walk(v^1<<b, b+1, left-1)
		}
	}
	walk(v, 0, r)
}
