package memstore

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/review"
	"github.com/aup-dev/aup/internal/storetest"
)

func TestRecordsContract(t *testing.T) {
	storetest.TestRecords(t, func(*testing.T) review.Store { return NewRecords() })
}

// TestRecordsIndexBlocks grows an index well past one block, shrinks it
// to a few members and grows it again, checking the blocks and every range
// against a sort of a plain map as it goes.
func TestRecordsIndexBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := &sortedIndex{scores: make(map[string]float64)}
	model := make(map[string]float64)
	check := func(phase string) {
		t.Helper()
		checkBlocks(t, x, model)
		sorted := sortModel(model)
		for range 20 {
			q := review.RangeQuery{
				Min:    float64(rng.IntN(60) - 5),
				Max:    float64(rng.IntN(60) - 5),
				Desc:   rng.IntN(2) == 0,
				Offset: rng.IntN(2) * rng.IntN(len(sorted)+10),
				Limit:  rng.IntN(2) * rng.IntN(700),
			}
			var got []review.Scored
			if q.Desc {
				got = x.rangeDesc(q)
			} else {
				got = x.rangeAsc(q)
			}
			if want := modelRange(sorted, q); !slices.Equal(got, want) {
				t.Fatalf("%s: range %+v = %d members, want %d", phase, q, len(got), len(want))
			}
		}
	}
	members := func(n int) string { return fmt.Sprint("m", rng.IntN(n)) }
	for _, phase := range []struct {
		name    string
		ops     int
		members int
		remove  float64 // share of ops that remove
	}{
		{"grow", 20_000, 8000, 0.1},
		{"shrink", 30_000, 8000, 0.95},
		{"grow again", 20_000, 3000, 0.2},
	} {
		for range phase.ops {
			m := members(phase.members)
			if rng.Float64() < phase.remove {
				x.remove(m)
				delete(model, m)
				continue
			}
			sc := float64(rng.IntN(50))
			x.add(m, sc)
			model[m] = sc
		}
		check(phase.name)
	}
}

// checkBlocks reports whether x's blocks are non-empty, within size, sorted
// and hold exactly the members of model.
func checkBlocks(t *testing.T, x *sortedIndex, model map[string]float64) {
	t.Helper()
	var all []indexEntry
	for i, blk := range x.blocks {
		if len(blk) == 0 || len(blk) > maxBlock {
			t.Fatalf("block %d of %d holds %d entries", i, len(x.blocks), len(blk))
		}
		all = append(all, blk...)
	}
	if !slices.IsSortedFunc(all, func(a, b indexEntry) int {
		if a.less(b) {
			return -1
		}
		return 1
	}) {
		t.Fatal("blocks are out of order")
	}
	if len(all) != len(model) || len(x.scores) != len(model) {
		t.Fatalf("%d entries, %d scores, want %d", len(all), len(x.scores), len(model))
	}
	for _, e := range all {
		if sc, ok := model[e.member]; !ok || sc != e.score || x.scores[e.member] != sc {
			t.Fatalf("entry %+v, model has %v", e, sc)
		}
	}
}

func sortModel(model map[string]float64) []review.Scored {
	sorted := make([]review.Scored, 0, len(model))
	for m, sc := range model {
		sorted = append(sorted, review.Scored{Member: m, Score: sc})
	}
	slices.SortFunc(sorted, func(a, b review.Scored) int {
		return cmp.Or(cmp.Compare(a.Score, b.Score), strings.Compare(a.Member, b.Member))
	})
	return sorted
}

func modelRange(sorted []review.Scored, q review.RangeQuery) []review.Scored {
	var out []review.Scored
	for _, e := range sorted {
		if e.Score >= q.Min && e.Score <= q.Max {
			out = append(out, e)
		}
	}
	if q.Desc {
		slices.Reverse(out)
	}
	out = out[min(q.Offset, len(out)):]
	if q.Limit > 0 {
		out = out[:min(q.Limit, len(out))]
	}
	return out
}

func TestRecordsSweepsExpired(t *testing.T) {
	ctx := t.Context()
	r := NewRecords()
	err := r.Update(ctx, func(tx review.Tx) error {
		for i := range 100 {
			tx.Put(fmt.Sprint("short", i), []byte("x"), time.Millisecond)
		}
		tx.Put("kept", []byte("y"), 0)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, _, err := r.Incr(ctx, fmt.Sprint("c", i), time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	for i := range minSweep { // enough writes to pay for a sweep
		if err := r.Update(ctx, func(tx review.Tx) error { tx.Put("w", []byte{byte(i)}, 0); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	r.mu.RLock()
	docs, counters := len(r.docs), len(r.counters)
	r.mu.RUnlock()
	if docs != 2 || counters != 0 {
		t.Errorf("after a sweep: %d documents, %d counters; want 2 and 0", docs, counters)
	}
}

func TestRecordsTxAfterUpdatePanics(t *testing.T) {
	var kept review.Tx
	if err := NewRecords().Update(t.Context(), func(tx review.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Put on a finished Tx did not panic")
		}
	}()
	kept.Put("k", nil, 0)
}

func BenchmarkRecordsUpdate(b *testing.B) {
	storetest.BenchmarkRecordsUpdate(b, NewRecords())
}

// BenchmarkRecordsIndex works on an index of 100k members: moving a member
// to a new score, and reading a page of 50 from the middle.
func BenchmarkRecordsIndex(b *testing.B) {
	const n = 100_000
	ctx := b.Context()
	r := NewRecords()
	rng := rand.New(rand.NewPCG(5, 6))
	err := r.Update(ctx, func(tx review.Tx) error {
		for i := range n {
			tx.Add("idx", fmt.Sprint("m", i), float64(rng.IntN(1000)))
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("add", func(b *testing.B) {
		for b.Loop() {
			m, sc := fmt.Sprint("m", rng.IntN(n)), float64(rng.IntN(1000))
			if err := r.Update(ctx, func(tx review.Tx) error { tx.Add("idx", m, sc); return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("range", func(b *testing.B) {
		q := review.RangeQuery{Min: math.Inf(-1), Max: math.Inf(1), Offset: n / 2, Limit: 50}
		for b.Loop() {
			if got, err := r.Range(ctx, "idx", q); err != nil || len(got) != 50 {
				b.Fatalf("Range = %d members, %v", len(got), err)
			}
		}
	})
}
