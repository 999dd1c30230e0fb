package storetest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// TestRecords runs the review.Store contract. newStore returns a new, empty
// store.
//
// The contract, beyond the interface's comments: a present document is never
// nil, even when empty; writes in one Update apply in the order they were
// made; a score or range bound that is not a number, a negative offset or
// limit, a log limit that is not positive, a log cursor that is not an entry
// id and a counter ttl that is not positive are EINVALID.
func TestRecords(t *testing.T, newStore func(t *testing.T) review.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s review.Store)
	}{
		{"get missing", testRecordsGetMissing},
		{"put and get", testRecordsPutGet},
		{"values are copied", testRecordsCopies},
		{"put with ttl expires", testRecordsTTL},
		{"delete", testRecordsDelete},
		{"writes apply in order", testRecordsWriteOrder},
		{"fn error aborts the writes", testRecordsFnError},
		{"reads do not see the tx's own writes", testRecordsReadsBeforeWrites},
		{"writes are all or nothing", testRecordsAtomic},
		{"get many", testRecordsGetMany},
		{"range", testRecordsRange},
		{"range ties in member byte order", testRecordsRangeTies},
		{"add replaces the score", testRecordsReplaceScore},
		{"count and remove", testRecordsCountRemove},
		{"scores round trip", testRecordsScores},
		{"large index agrees with a sort", testRecordsLargeIndex},
		{"invalid arguments", testRecordsInvalid},
		{"log", testRecordsLog},
		{"log paging", testRecordsLogPaging},
		{"log trim", testRecordsLogTrim},
		{"log trim of a missing log", testRecordsLogTrimMissing},
		{"incr", testRecordsIncr},
		{"incr expiry starts over", testRecordsIncrExpiry},
		{"concurrent read-modify-write loses nothing", testRecordsConcurrentCounter},
		{"concurrent claims take each document once", testRecordsClaimRace},
		{"a retried update applies only its last run", testRecordsRetriedWrites},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

// JSONDoc returns v as JSON. It panics if v cannot be marshalled, which the
// small documents of tests always can.
func JSONDoc(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("storetest: JSONDoc: %v", err))
	}
	return b
}

// counterDoc is the document of the read-modify-write tests.
type counterDoc struct {
	N int `json:"n"`
}

// claimDoc is the document of the claim race.
type claimDoc struct {
	State string `json:"state"`
	By    int    `json:"by,omitempty"`
}

func testRecordsGetMissing(t *testing.T, s review.Store) {
	v, ok, err := s.Get(t.Context(), "absent")
	if err != nil || ok || v != nil {
		t.Errorf("Get(absent) = %q, ok %v, err %v; want a miss", v, ok, err)
	}
	update(t, s, func(tx review.Tx) error {
		v, ok, err := tx.Get("absent")
		if err != nil || ok || v != nil {
			t.Errorf("tx.Get(absent) = %q, ok %v, err %v; want a miss", v, ok, err)
		}
		return nil
	})
}

func testRecordsPutGet(t *testing.T, s review.Store) {
	docs := []struct {
		key   string
		value []byte
	}{
		{"json", JSONDoc(map[string]any{"state": "open", "n": 3})},
		{"binary", []byte{0, 1, 0xfe, 0xff, '\r', '\n', 0}},
		{"not utf-8", []byte("\xc3\x28 \xa0\xa1")},
		{"empty", []byte{}},
		{"nil is empty", nil},
		{"{braces}", []byte("k")},
		{"with space:and colon", []byte("k")},
		{"ключ", []byte("значение")},
		{"a\x00b", []byte("nul in key")},
		{"*", []byte("star")},
		{"", []byte("empty key")},
	}
	update(t, s, func(tx review.Tx) error {
		for _, d := range docs {
			tx.Put(d.key, d.value, 0)
		}
		return nil
	})
	for _, d := range docs {
		wantDoc(t, s, d.key, d.value)
	}
	update(t, s, func(tx review.Tx) error {
		for _, d := range docs {
			v, ok, err := tx.Get(d.key)
			if err != nil || !ok || v == nil || !bytes.Equal(v, d.value) {
				t.Errorf("tx.Get(%q) = %q, ok %v, err %v; want %q", d.key, v, ok, err, d.value)
			}
		}
		return nil
	})
	// Overwriting replaces the value.
	update(t, s, func(tx review.Tx) error { tx.Put("json", []byte(`{"state":"closed"}`), 0); return nil })
	wantDoc(t, s, "json", []byte(`{"state":"closed"}`))
}

func testRecordsCopies(t *testing.T, s review.Store) {
	update(t, s, func(tx review.Tx) error {
		v, e := []byte("value"), []byte("entry")
		tx.Put("k", v, 0)
		tx.Append("log", e)
		v[0], e[0] = 'X', 'X' // after Put and Append, before the commit
		return nil
	})
	got := wantDoc(t, s, "k", []byte("value"))
	got[0] = 'Y'
	many, err := s.GetMany(t.Context(), []string{"k"})
	if err != nil {
		t.Fatal(err)
	}
	many[0][1] = 'Y'
	wantDoc(t, s, "k", []byte("value"))
	entries := readLog(t, s, "log", "", 10)
	entries[0].Data[0] = 'Y'
	if got := readLog(t, s, "log", "", 10); len(got) != 1 || string(got[0].Data) != "entry" {
		t.Errorf("ReadLog = %q, want the one entry %q", got, "entry")
	}
}

func testRecordsTTL(t *testing.T, s review.Store) {
	const ttl = 100 * time.Millisecond
	update(t, s, func(tx review.Tx) error { tx.Put("kept", []byte("1"), ttl); return nil })
	start := time.Now()
	update(t, s, func(tx review.Tx) error {
		tx.Put("kept", []byte("2"), 0) // a put without ttl takes the earlier one away
		tx.Put("short", []byte("3"), ttl)
		tx.Put("long", []byte("4"), time.Hour)
		return nil
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		checked := time.Now()
		if _, ok := getDoc(t, s, "short"); !ok {
			if d := checked.Sub(start); d < ttl {
				t.Fatalf("document with ttl %v gone after %v", ttl, d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("document with ttl %v still there after 5s", ttl)
		}
		time.Sleep(10 * time.Millisecond)
	}
	wantDoc(t, s, "kept", []byte("2"))
	wantDoc(t, s, "long", []byte("4"))
	many, err := s.GetMany(t.Context(), []string{"short", "long"})
	if err != nil {
		t.Fatal(err)
	}
	if many[0] != nil || string(many[1]) != "4" {
		t.Errorf("GetMany(short, long) = %q, want [nil \"4\"]", many)
	}
	update(t, s, func(tx review.Tx) error {
		if v, ok, err := tx.Get("short"); ok || err != nil {
			t.Errorf("tx.Get of an expired document = %q, ok %v, err %v; want a miss", v, ok, err)
		}
		return nil
	})
}

func testRecordsDelete(t *testing.T, s review.Store) {
	update(t, s, func(tx review.Tx) error {
		tx.Put("a", []byte("1"), 0)
		tx.Put("b", []byte("2"), time.Hour)
		return nil
	})
	update(t, s, func(tx review.Tx) error {
		tx.Delete("a")
		tx.Delete("b")
		tx.Delete("never there")
		return nil
	})
	for _, k := range []string{"a", "b", "never there"} {
		if v, ok := getDoc(t, s, k); ok {
			t.Errorf("Get(%q) after Delete = %q, want a miss", k, v)
		}
	}
}

func testRecordsWriteOrder(t *testing.T, s review.Store) {
	update(t, s, func(tx review.Tx) error {
		tx.Put("put then delete", []byte("x"), 0)
		tx.Delete("put then delete")
		tx.Delete("delete then put")
		tx.Put("delete then put", []byte("y"), 0)
		tx.Put("put twice", []byte("first"), 0)
		tx.Put("put twice", []byte("second"), 0)
		tx.Add("idx", "add then remove", 1)
		tx.Remove("idx", "add then remove")
		tx.Remove("idx", "remove then add")
		tx.Add("idx", "remove then add", 2)
		tx.Add("idx", "add twice", 1)
		tx.Add("idx", "add twice", 3)
		return nil
	})
	if v, ok := getDoc(t, s, "put then delete"); ok {
		t.Errorf("Put then Delete left %q", v)
	}
	wantDoc(t, s, "delete then put", []byte("y"))
	wantDoc(t, s, "put twice", []byte("second"))
	wantRange(t, s, "idx", all(), []review.Scored{{Member: "remove then add", Score: 2}, {Member: "add twice", Score: 3}})
}

// fnError is an error type of the caller's that Update must hand back as is.
type fnError struct{ code int }

func (e *fnError) Error() string { return "fn failed with " + strconv.Itoa(e.code) }

func testRecordsFnError(t *testing.T, s review.Store) {
	ctx := t.Context()
	update(t, s, func(tx review.Tx) error {
		tx.Put("k", []byte("old"), 0)
		tx.Add("idx", "a", 1)
		tx.Append("log", []byte("e0"))
		return nil
	})
	sentinel := errors.New("sentinel")
	for _, want := range []error{sentinel, fmt.Errorf("wrapped: %w", sentinel), &fnError{code: 7}} {
		err := s.Update(ctx, func(tx review.Tx) error {
			if _, _, err := tx.Get("k"); err != nil {
				return err
			}
			tx.Put("k", []byte("new"), 0)
			tx.Put("k2", []byte("new"), 0)
			tx.Delete("k")
			tx.Add("idx", "b", 2)
			tx.Remove("idx", "a")
			tx.Append("log", []byte("e1"))
			return want
		})
		if err != want { //nolint:errorlint // the very error fn returned
			t.Errorf("Update = %v, want fn's error %v unchanged", err, want)
		}
		var fe *fnError
		if !errors.Is(err, sentinel) && !errors.As(err, &fe) {
			t.Errorf("Update = %v: errors.Is and errors.As do not see fn's error", err)
		}
	}
	wantDoc(t, s, "k", []byte("old"))
	if v, ok := getDoc(t, s, "k2"); ok {
		t.Errorf("Get(k2) = %q after a failed update, want a miss", v)
	}
	wantRange(t, s, "idx", all(), []review.Scored{{Member: "a", Score: 1}})
	if got := readLog(t, s, "log", "", 10); len(got) != 1 || string(got[0].Data) != "e0" {
		t.Errorf("ReadLog = %q after a failed update, want only e0", got)
	}
}

func testRecordsReadsBeforeWrites(t *testing.T, s review.Store) {
	update(t, s, func(tx review.Tx) error { tx.Put("k", []byte("v1"), 0); return nil })
	update(t, s, func(tx review.Tx) error {
		tx.Put("k", []byte("v2"), 0)
		tx.Put("new", []byte("n"), 0)
		tx.Delete("k")
		tx.Put("k", []byte("v3"), 0)
		if v, ok, err := tx.Get("k"); err != nil || !ok || string(v) != "v1" {
			t.Errorf("tx.Get(k) after tx.Put = %q, ok %v, err %v; want the committed %q", v, ok, err, "v1")
		}
		if v, ok, err := tx.Get("new"); err != nil || ok {
			t.Errorf("tx.Get(new) after tx.Put = %q, ok %v, err %v; want a miss", v, ok, err)
		}
		return nil
	})
	wantDoc(t, s, "k", []byte("v3"))
	wantDoc(t, s, "new", []byte("n"))
}

// testRecordsAtomic writes two documents together over and over while
// readers check that they never see one without the other.
func testRecordsAtomic(t *testing.T, s review.Store) {
	ctx := t.Context()
	const writes = 100
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				vs, err := s.GetMany(ctx, []string{"a", "b"})
				if err != nil {
					t.Errorf("GetMany: %v", err)
					return
				}
				if !bytes.Equal(vs[0], vs[1]) {
					t.Errorf("GetMany(a, b) = %q: saw half of an update", vs)
					return
				}
			}
		})
	}
	for i := range writes {
		err := s.Update(ctx, func(tx review.Tx) error {
			v := JSONDoc(counterDoc{N: i})
			tx.Put("a", v, 0)
			tx.Put("b", v, 0)
			return nil
		})
		if err != nil {
			t.Errorf("Update: %v", err)
			break
		}
	}
	close(done)
	wg.Wait()
}

func testRecordsGetMany(t *testing.T, s review.Store) {
	ctx := t.Context()
	update(t, s, func(tx review.Tx) error {
		tx.Put("a", []byte("A"), 0)
		tx.Put("b", []byte("B"), 0)
		tx.Put("empty", []byte{}, 0)
		return nil
	})
	got, err := s.GetMany(ctx, []string{"b", "missing", "a", "empty", "b"})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{[]byte("B"), nil, []byte("A"), {}, []byte("B")}
	if len(got) != len(want) {
		t.Fatalf("GetMany = %q, want %q", got, want)
	}
	for i := range want {
		if (got[i] == nil) != (want[i] == nil) || !bytes.Equal(got[i], want[i]) {
			t.Errorf("GetMany[%d] = %#v, want %#v", i, got[i], want[i])
		}
	}
	for _, keys := range [][]string{nil, {}} {
		got, err := s.GetMany(ctx, keys)
		if err != nil || len(got) != 0 {
			t.Errorf("GetMany(%#v) = %q, %v; want nothing", keys, got, err)
		}
	}
}

func all() review.RangeQuery { return review.RangeQuery{Min: math.Inf(-1), Max: math.Inf(1)} }

func testRecordsRange(t *testing.T, s review.Store) {
	inf := math.Inf(1)
	scores := map[string]float64{
		"neg": -inf, "z": 0, "a": 1, "B": 2, "b": 2, "c": 2, "d": 3.5, "pos": inf,
	}
	update(t, s, func(tx review.Tx) error {
		for m, sc := range scores {
			tx.Add("idx", m, sc)
		}
		return nil
	})
	tests := []struct {
		name string
		q    review.RangeQuery
		want string // members, space-separated
	}{
		{"all", review.RangeQuery{Min: -inf, Max: inf}, "neg z a B b c d pos"},
		{"all desc", review.RangeQuery{Min: -inf, Max: inf, Desc: true}, "pos d c b B a z neg"},
		{"closed bounds", review.RangeQuery{Min: 1, Max: 2}, "a B b c"},
		{"closed bounds desc", review.RangeQuery{Min: 1, Max: 2, Desc: true}, "c b B a"},
		{"one score", review.RangeQuery{Min: 2, Max: 2}, "B b c"},
		{"one score desc", review.RangeQuery{Min: 2, Max: 2, Desc: true}, "c b B"},
		{"open below", review.RangeQuery{Min: -inf, Max: 1}, "neg z a"},
		{"open above desc", review.RangeQuery{Min: 3.5, Max: inf, Desc: true}, "pos d"},
		{"only +inf", review.RangeQuery{Min: inf, Max: inf}, "pos"},
		{"only -inf", review.RangeQuery{Min: -inf, Max: -inf}, "neg"},
		{"between scores", review.RangeQuery{Min: 1.5, Max: 1.9}, ""},
		{"min above max", review.RangeQuery{Min: 3, Max: 1}, ""},
		{"min above max desc", review.RangeQuery{Min: 3, Max: 1, Desc: true}, ""},
		{"offset", review.RangeQuery{Min: -inf, Max: inf, Offset: 2}, "a B b c d pos"},
		{"offset and limit", review.RangeQuery{Min: -inf, Max: inf, Offset: 2, Limit: 3}, "a B b"},
		{"offset and limit desc", review.RangeQuery{Min: -inf, Max: inf, Desc: true, Offset: 2, Limit: 3}, "c b B"},
		{"limit", review.RangeQuery{Min: 2, Max: 3.5, Limit: 2}, "B b"},
		{"limit desc", review.RangeQuery{Min: 2, Max: 3.5, Desc: true, Limit: 2}, "d c"},
		{"limit beyond the end", review.RangeQuery{Min: 3, Max: inf, Limit: 10}, "d pos"},
		{"offset within bounds", review.RangeQuery{Min: 0, Max: 2, Offset: 1, Limit: 2}, "a B"},
		{"offset within bounds desc", review.RangeQuery{Min: 0, Max: 2, Desc: true, Offset: 1, Limit: 2}, "b B"},
		{"offset at the end", review.RangeQuery{Min: -inf, Max: inf, Offset: 8}, ""},
		{"offset past the end desc", review.RangeQuery{Min: -inf, Max: inf, Desc: true, Offset: 100}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []review.Scored
			for m := range strings.FieldsSeq(tc.want) {
				want = append(want, review.Scored{Member: m, Score: scores[m]})
			}
			wantRange(t, s, "idx", tc.q, want)
		})
	}
	wantRange(t, s, "missing", all(), nil)
}

func testRecordsRangeTies(t *testing.T, s review.Store) {
	members := []string{"b", "a", "é", "B", "ab", "a\x00", "", "a b", "\xff", "10", "9"}
	update(t, s, func(tx review.Tx) error {
		for _, m := range members {
			tx.Add("idx", m, 7)
		}
		tx.Add("idx", "lower", 6)
		tx.Add("idx", "higher", 8)
		return nil
	})
	sorted := slices.Clone(members)
	slices.Sort(sorted) // Go orders strings by their bytes
	var want []review.Scored
	want = append(want, review.Scored{Member: "lower", Score: 6})
	for _, m := range sorted {
		want = append(want, review.Scored{Member: m, Score: 7})
	}
	want = append(want, review.Scored{Member: "higher", Score: 8})
	wantRange(t, s, "idx", all(), want)
	desc := all()
	desc.Desc = true
	slices.Reverse(want)
	wantRange(t, s, "idx", desc, want)
}

func testRecordsReplaceScore(t *testing.T, s review.Store) {
	update(t, s, func(tx review.Tx) error {
		tx.Add("idx", "a", 1)
		tx.Add("idx", "b", 2)
		return nil
	})
	update(t, s, func(tx review.Tx) error { tx.Add("idx", "a", 3); return nil })
	wantRange(t, s, "idx", all(), []review.Scored{{Member: "b", Score: 2}, {Member: "a", Score: 3}})
	update(t, s, func(tx review.Tx) error { tx.Add("idx", "b", 2); return nil }) // the same score again
	wantRange(t, s, "idx", all(), []review.Scored{{Member: "b", Score: 2}, {Member: "a", Score: 3}})
	wantCount(t, s, "idx", 2)
}

func testRecordsCountRemove(t *testing.T, s review.Store) {
	wantCount(t, s, "idx", 0)
	update(t, s, func(tx review.Tx) error {
		for _, m := range []string{"a", "b", "c"} {
			tx.Add("idx", m, 1)
		}
		tx.Add("other", "a", 1)
		return nil
	})
	wantCount(t, s, "idx", 3)
	update(t, s, func(tx review.Tx) error {
		tx.Remove("idx", "b")
		tx.Remove("idx", "never there")
		tx.Remove("missing", "a")
		return nil
	})
	wantCount(t, s, "idx", 2)
	wantRange(t, s, "idx", all(), []review.Scored{{Member: "a", Score: 1}, {Member: "c", Score: 1}})
	update(t, s, func(tx review.Tx) error {
		tx.Remove("idx", "a")
		tx.Remove("idx", "c")
		return nil
	})
	wantCount(t, s, "idx", 0)
	wantRange(t, s, "idx", all(), nil)
	wantCount(t, s, "other", 1)
}

func testRecordsScores(t *testing.T, s review.Store) {
	scores := []float64{
		-math.MaxFloat64, -1e300, -2.5, -math.SmallestNonzeroFloat64, 0,
		math.SmallestNonzeroFloat64, 1e-300, 0.1, 0.1 + 0.2, 1.0 / 3, 1,
		float64(time.Date(2030, 1, 2, 3, 4, 5, 6e6, time.UTC).UnixMilli()),
		1 << 53, 1e300, math.MaxFloat64,
	}
	update(t, s, func(tx review.Tx) error {
		for i, sc := range scores {
			tx.Add("idx", fmt.Sprint("m", i), sc)
		}
		return nil
	})
	want := make([]review.Scored, len(scores))
	for i, sc := range scores {
		want[i] = review.Scored{Member: fmt.Sprint("m", i), Score: sc}
	}
	wantRange(t, s, "idx", all(), want)
	// Bounds are exact too.
	wantRange(t, s, "idx", review.RangeQuery{Min: 0.1 + 0.2, Max: 0.1 + 0.2}, want[8:9])
	wantRange(t, s, "idx", review.RangeQuery{Min: 1.0 / 3, Max: math.Nextafter(1, 0)}, want[9:10])
	wantRange(t, s, "idx", review.RangeQuery{Min: math.Nextafter(1.0/3, 1), Max: math.Nextafter(1, 0)}, nil)
}

// testRecordsLargeIndex builds an index with many members and many ties,
// changes it, and compares ranges with a sort of the same members.
func testRecordsLargeIndex(t *testing.T, s review.Store) {
	const n = 3000
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // G404: a fixed seed, so that failures repeat
	scores := make(map[string]float64, n)
	update(t, s, func(tx review.Tx) error {
		for range n {
			m := fmt.Sprintf("m%04d", rng.IntN(10*n))
			sc := float64(rng.IntN(200))
			tx.Add("idx", m, sc)
			scores[m] = sc
		}
		return nil
	})
	update(t, s, func(tx review.Tx) error {
		for m := range scores {
			switch rng.IntN(3) {
			case 0:
				tx.Remove("idx", m)
				delete(scores, m)
			case 1:
				sc := float64(rng.IntN(200))
				tx.Add("idx", m, sc)
				scores[m] = sc
			}
		}
		return nil
	})
	sorted := make([]review.Scored, 0, len(scores))
	for m, sc := range scores {
		sorted = append(sorted, review.Scored{Member: m, Score: sc})
	}
	slices.SortFunc(sorted, func(a, b review.Scored) int {
		return cmp.Or(cmp.Compare(a.Score, b.Score), strings.Compare(a.Member, b.Member))
	})
	wantCount(t, s, "idx", len(sorted))
	wantRange(t, s, "idx", all(), sorted)
	for range 40 {
		q := review.RangeQuery{
			Min:    float64(rng.IntN(220) - 10),
			Max:    float64(rng.IntN(220) - 10),
			Desc:   rng.IntN(2) == 0,
			Offset: rng.IntN(3) * rng.IntN(300),
			Limit:  rng.IntN(3) * rng.IntN(100),
		}
		var want []review.Scored
		for _, e := range sorted {
			if e.Score >= q.Min && e.Score <= q.Max {
				want = append(want, e)
			}
		}
		if q.Desc {
			slices.Reverse(want)
		}
		want = want[min(q.Offset, len(want)):]
		if q.Limit > 0 {
			want = want[:min(q.Limit, len(want))]
		}
		wantRange(t, s, "idx", q, want)
	}
}

func testRecordsInvalid(t *testing.T, s review.Store) {
	ctx := t.Context()
	inf := math.Inf(1)
	err := s.Update(ctx, func(tx review.Tx) error {
		tx.Put("k", []byte("v"), 0)
		tx.Add("idx", "m", math.NaN())
		return nil
	})
	wantCode(t, "Update adding a NaN score", err, moderation.EINVALID)
	if v, ok := getDoc(t, s, "k"); ok {
		t.Errorf("Get(k) = %q after an invalid update, want a miss", v)
	}
	wantCount(t, s, "idx", 0)

	for _, q := range []review.RangeQuery{
		{Min: math.NaN(), Max: inf},
		{Min: -inf, Max: math.NaN()},
		{Min: -inf, Max: inf, Offset: -1},
		{Min: -inf, Max: inf, Limit: -1},
	} {
		_, err := s.Range(ctx, "idx", q)
		wantCode(t, fmt.Sprintf("Range(%+v)", q), err, moderation.EINVALID)
	}
	for _, limit := range []int{0, -1} {
		_, err := s.ReadLog(ctx, "log", "", limit)
		wantCode(t, fmt.Sprintf("ReadLog with limit %d", limit), err, moderation.EINVALID)
	}
	for _, after := range []string{"x", "1", "1-", "-1", "1-2-3", "1-x", "-", "+", "(1-0"} {
		_, err := s.ReadLog(ctx, "log", after, 10)
		wantCode(t, fmt.Sprintf("ReadLog after %q", after), err, moderation.EINVALID)
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		_, _, err := s.Incr(ctx, "c", ttl)
		wantCode(t, fmt.Sprintf("Incr with ttl %v", ttl), err, moderation.EINVALID)
	}
}

func testRecordsLog(t *testing.T, s review.Store) {
	want := [][]byte{[]byte(`{"event":"opened"}`), {0, 0xff, '\n'}, {}, []byte("four"), []byte("five")}
	before := time.Now()
	update(t, s, func(tx review.Tx) error {
		for _, e := range want[:3] {
			tx.Append("log", e)
		}
		tx.Append("other", []byte("elsewhere"))
		return nil
	})
	update(t, s, func(tx review.Tx) error {
		for _, e := range want[3:] {
			tx.Append("log", e)
		}
		return nil
	})
	got := readLog(t, s, "log", "", 100)
	if len(got) != len(want) {
		t.Fatalf("ReadLog = %q, want %d entries", got, len(want))
	}
	var last [2]uint64
	for i, e := range got {
		if !bytes.Equal(e.Data, want[i]) || e.Data == nil {
			t.Errorf("entry %d = %#v, want %#v", i, e.Data, want[i])
		}
		ms, seq, ok := parseLogID(e.ID)
		if !ok {
			t.Fatalf("entry %d has id %q, want <ms>-<seq>", i, e.ID)
		}
		if at := time.UnixMilli(int64(ms)); at.Before(before.Add(-24*time.Hour)) || at.After(before.Add(24*time.Hour)) {
			t.Errorf("entry %d has id %q, whose time %v is not about now", i, e.ID, at)
		}
		if i > 0 && (ms < last[0] || ms == last[0] && seq <= last[1]) {
			t.Errorf("entry %d has id %q, not after %d-%d", i, e.ID, last[0], last[1])
		}
		last = [2]uint64{ms, seq}
	}
	if other := readLog(t, s, "other", "", 100); len(other) != 1 || string(other[0].Data) != "elsewhere" {
		t.Errorf("ReadLog(other) = %q, want its one entry", other)
	}
	if missing := readLog(t, s, "missing", "", 100); len(missing) != 0 {
		t.Errorf("ReadLog(missing) = %q, want nothing", missing)
	}
}

func testRecordsLogPaging(t *testing.T, s review.Store) {
	const n = 25
	for i := range n {
		update(t, s, func(tx review.Tx) error { tx.Append("log", []byte(strconv.Itoa(i))); return nil })
	}
	full := readLog(t, s, "log", "", n+10)
	if len(full) != n {
		t.Fatalf("ReadLog = %d entries, want %d", len(full), n)
	}
	for i, e := range full {
		if string(e.Data) != strconv.Itoa(i) {
			t.Fatalf("entry %d = %q, want %q", i, e.Data, strconv.Itoa(i))
		}
	}
	var paged []review.LogEntry
	for after := ""; ; {
		page := readLog(t, s, "log", after, 4)
		if len(page) > 4 {
			t.Fatalf("ReadLog with limit 4 = %d entries", len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].ID
	}
	if !slices.EqualFunc(paged, full, func(a, b review.LogEntry) bool { return a.ID == b.ID && bytes.Equal(a.Data, b.Data) }) {
		t.Errorf("paging by 4 = %q, want %q", paged, full)
	}
	if got := readLog(t, s, "log", full[9].ID, 3); len(got) != 3 || got[0].ID != full[10].ID {
		t.Errorf("ReadLog after entry 9 = %q, want entries 10 to 12", got)
	}
	if got := readLog(t, s, "log", "0-0", 1); len(got) != 1 || got[0].ID != full[0].ID {
		t.Errorf("ReadLog after 0-0 = %q, want entry 0", got)
	}
	// A cursor need not be the id of an entry.
	ms, seq, _ := parseLogID(full[n-1].ID)
	if got := readLog(t, s, "log", fmt.Sprintf("%d-%d", ms, seq+1), 10); len(got) != 0 {
		t.Errorf("ReadLog after the last id = %q, want nothing", got)
	}
	if got := readLog(t, s, "log", "18446744073709551615-18446744073709551615", 10); len(got) != 0 {
		t.Errorf("ReadLog after the greatest id = %q, want nothing", got)
	}
}

// testRecordsLogTrim appends three batches to a log, each in a later
// millisecond than the one before, and trims them away a batch at a time.
// Every expectation comes from the ids the store gave.
func testRecordsLogTrim(t *testing.T, s review.Store) {
	var batches [][]review.LogEntry
	for b := range 3 {
		update(t, s, func(tx review.Tx) error {
			for i := range 2 {
				tx.Append("log", []byte(fmt.Sprintf("%d.%d", b, i)))
			}
			return nil
		})
		all := readLog(t, s, "log", "", 100)
		batches = append(batches, all[2*b:])
		waitPastMilli(t, logMilli(t, all[len(all)-1].ID))
	}
	update(t, s, func(tx review.Tx) error { tx.Append("other", []byte("elsewhere")); return nil })
	full := slices.Concat(batches...)
	for b := 1; b < len(batches); b++ {
		if prev, first := logMilli(t, batches[b-1][1].ID), logMilli(t, batches[b][0].ID); first <= prev {
			t.Fatalf("batch %d starts at %s, in the millisecond of batch %d's last entry %s; the store's clock did not advance",
				b, batches[b][0].ID, b-1, batches[b-1][1].ID)
		}
	}
	at := func(e review.LogEntry) time.Time { return time.UnixMilli(int64(logMilli(t, e.ID))) }
	wantLog := func(what, after string, want []review.LogEntry) {
		t.Helper()
		got := readLog(t, s, "log", after, 100)
		if !slices.EqualFunc(got, want, func(a, b review.LogEntry) bool { return a.ID == b.ID && bytes.Equal(a.Data, b.Data) }) {
			t.Errorf("%s: ReadLog after %q = %q, want %q", what, after, got, want)
		}
	}

	for _, tc := range []struct {
		name   string
		before time.Time
		want   int64 // entries deleted
		rest   []review.LogEntry
	}{
		{"at the first entry", at(full[0]), 0, full},
		{"the zero time", time.Time{}, 0, full},
		{"at the second batch", at(batches[1][0]), 2, full[2:]},
		{"the same again", at(batches[1][0]), 0, full[2:]},
		{"an earlier time", at(full[0]), 0, full[2:]},
		{"just after the second batch", at(batches[1][1]).Add(time.Millisecond), 2, full[4:]},
		{"after the last entry", at(full[len(full)-1]).Add(time.Millisecond), 2, nil},
		{"an empty log", at(full[len(full)-1]).Add(time.Hour), 0, nil},
	} {
		n, err := s.TrimLog(t.Context(), "log", tc.before)
		if err != nil || n != tc.want {
			t.Errorf("%s: TrimLog = %d, %v; want %d deleted", tc.name, n, err, tc.want)
		}
		wantLog(tc.name, "", tc.rest)
		// A cursor at a deleted entry reads on from the first entry kept.
		wantLog(tc.name, full[0].ID, slices.DeleteFunc(slices.Clone(tc.rest), func(e review.LogEntry) bool { return e.ID == full[0].ID }))
		if len(tc.rest) < len(full) {
			wantLog(tc.name, full[len(full)-len(tc.rest)-1].ID, tc.rest)
		}
	}
	if got := readLog(t, s, "other", "", 100); len(got) != 1 || string(got[0].Data) != "elsewhere" {
		t.Errorf("ReadLog(other) = %q after trimming log, want its one entry", got)
	}

	// A log trimmed empty goes on from its last id: a reader whose cursor
	// is the last entry deleted sees the next one appended.
	update(t, s, func(tx review.Tx) error { tx.Append("log", []byte("after")); return nil })
	if got := readLog(t, s, "log", full[len(full)-1].ID, 100); len(got) != 1 || string(got[0].Data) != "after" {
		t.Errorf("ReadLog after the last trimmed id = %q, want the entry appended since", got)
	}
}

func testRecordsLogTrimMissing(t *testing.T, s review.Store) {
	for _, before := range []time.Time{time.Now().Add(time.Hour), {}} {
		if n, err := s.TrimLog(t.Context(), "missing", before); err != nil || n != 0 {
			t.Errorf("TrimLog(missing, %v) = %d, %v; want 0, nil", before, n, err)
		}
	}
	if got := readLog(t, s, "missing", "", 10); len(got) != 0 {
		t.Errorf("ReadLog(missing) = %q after trimming it, want nothing", got)
	}
}

// logMilli returns the milliseconds of the log id id.
func logMilli(t *testing.T, id string) uint64 {
	t.Helper()
	ms, _, ok := parseLogID(id)
	if !ok {
		t.Fatalf("log id %q is not <ms>-<seq>", id)
	}
	return ms
}

// waitPastMilli sleeps until the clock is past the millisecond ms, so that
// entries appended next get a later one.
func waitPastMilli(t *testing.T, ms uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().UnixMilli() <= int64(ms) {
		if time.Now().After(deadline) {
			t.Fatalf("the clock did not pass millisecond %d", ms)
		}
		time.Sleep(time.Millisecond)
	}
}

// parseLogID parses "<ms>-<seq>".
func parseLogID(id string) (ms, seq uint64, ok bool) {
	a, b, ok := strings.Cut(id, "-")
	if !ok {
		return 0, 0, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	return ms, seq, err1 == nil && err2 == nil
}

func testRecordsIncr(t *testing.T, s review.Store) {
	n, left1 := incr(t, s, "c", time.Hour)
	if n != 1 || left1 <= 0 || left1 > time.Hour {
		t.Fatalf("first Incr = %d, %v left; want 1 with at most 1h left", n, left1)
	}
	n, left2 := incr(t, s, "c", time.Hour)
	if n != 2 || left2 <= 0 || left2 > left1 {
		t.Errorf("second Incr = %d, %v left; want 2 with at most %v left", n, left2, left1)
	}
	// A longer ttl later does not extend the counter's life.
	n, left3 := incr(t, s, "c", 48*time.Hour)
	if n != 3 || left3 <= 0 || left3 > left2 {
		t.Errorf("Incr with a longer ttl = %d, %v left; want 3 with at most %v left", n, left3, left2)
	}
	if n, _ := incr(t, s, "other", time.Hour); n != 1 {
		t.Errorf("Incr(other) = %d, want 1", n)
	}
	// Counters and documents are apart.
	if v, ok := getDoc(t, s, "c"); ok {
		t.Errorf("Get(c) = %q: a counter shows as a document", v)
	}
}

func testRecordsIncrExpiry(t *testing.T, s review.Store) {
	const ttl = 100 * time.Millisecond
	start := time.Now()
	if n, _ := incr(t, s, "c", ttl); n != 1 {
		t.Fatalf("first Incr = %d, want 1", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for want := int64(2); ; want++ {
		// Incrementing every few milliseconds must not keep it alive.
		time.Sleep(10 * time.Millisecond)
		n, left := incr(t, s, "c", ttl)
		if n == 1 {
			if d := time.Since(start); d < ttl {
				t.Fatalf("counter with ttl %v started over after %v", ttl, d)
			}
			if left <= 0 || left > ttl {
				t.Errorf("new counter has %v left, want at most %v", left, ttl)
			}
			return
		}
		if n != want {
			t.Fatalf("Incr = %d, want %d", n, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("counter with ttl %v still counting (%d) after 5s", ttl, n)
		}
	}
}

// testRecordsConcurrentCounter has many goroutines increment one JSON
// counter through Update at once: no increment may be lost.
func testRecordsConcurrentCounter(t *testing.T, s review.Store) {
	ctx := t.Context()
	const workers, rounds = 20, 50
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			<-start
			for range rounds {
				err := s.Update(ctx, func(tx review.Tx) error {
					var c counterDoc
					b, ok, err := tx.Get("counter")
					if err != nil {
						return err
					}
					if ok {
						if err := json.Unmarshal(b, &c); err != nil {
							return err
						}
					}
					c.N++
					tx.Put("counter", JSONDoc(c), 0)
					return nil
				})
				if err != nil {
					t.Errorf("Update: %v", err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	var c counterDoc
	b, _ := getDoc(t, s, "counter")
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("counter %q: %v", b, err)
	}
	if c.N != workers*rounds {
		t.Errorf("counter = %d after %d increments", c.N, workers*rounds)
	}
}

// testRecordsClaimRace has more goroutines than free documents each claim
// one: every document must be taken once, by one goroutine that knows it.
func testRecordsClaimRace(t *testing.T, s review.Store) {
	ctx := t.Context()
	const slots, workers = 10, 50
	update(t, s, func(tx review.Tx) error {
		for i := range slots {
			tx.Put(fmt.Sprint("slot-", i), JSONDoc(claimDoc{State: "free"}), 0)
		}
		return nil
	})
	claims := make([]string, workers) // worker → the slot it took
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			err := s.Update(ctx, func(tx review.Tx) error {
				claims[w] = "" // fn may run more than once
				for i := range slots {
					key := fmt.Sprint("slot-", (w+i)%slots)
					b, ok, err := tx.Get(key)
					if err != nil {
						return err
					}
					var d claimDoc
					if !ok {
						return fmt.Errorf("%s is missing", key)
					}
					if err := json.Unmarshal(b, &d); err != nil {
						return err
					}
					if d.State == "free" {
						tx.Put(key, JSONDoc(claimDoc{State: "taken", By: w + 1}), 0)
						claims[w] = key
						return nil
					}
				}
				return nil
			})
			if err != nil {
				t.Errorf("worker %d: Update: %v", w, err)
			}
		})
	}
	close(start)
	wg.Wait()

	takenBy := make(map[string]int) // slot → worker+1
	for w, key := range claims {
		if key == "" {
			continue
		}
		if other, ok := takenBy[key]; ok {
			t.Errorf("%s claimed by workers %d and %d", key, other-1, w)
		}
		takenBy[key] = w + 1
	}
	if len(takenBy) != slots {
		t.Errorf("%d slots claimed, want %d", len(takenBy), slots)
	}
	for i := range slots {
		key := fmt.Sprint("slot-", i)
		b, _ := getDoc(t, s, key)
		var d claimDoc
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s = %q: %v", key, b, err)
		}
		if d.State != "taken" || d.By != takenBy[key] {
			t.Errorf("%s = %+v, want taken by worker %d", key, d, takenBy[key]-1)
		}
	}
}

// testRecordsRetriedWrites has goroutines contend for one document while
// each run of fn also writes to an index and a log under a name unique to
// the run: only the names of each update's last run may be there after.
// Against a store that retries, the contention makes fn run more than once.
func testRecordsRetriedWrites(t *testing.T, s review.Store) {
	ctx := t.Context()
	const workers, rounds = 8, 15
	var mu sync.Mutex
	committed := make(map[string]bool) // names of the last runs
	runs := 0
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			for u := range rounds {
				run, name := 0, ""
				err := s.Update(ctx, func(tx review.Tx) error {
					run++
					name = fmt.Sprintf("w%d-u%d-run%d", w, u, run)
					var c counterDoc
					if b, ok, err := tx.Get("hot"); err != nil {
						return err
					} else if ok {
						if err := json.Unmarshal(b, &c); err != nil {
							return err
						}
					}
					c.N++
					tx.Put("hot", JSONDoc(c), 0)
					tx.Add("runs", name, float64(run))
					tx.Append("audit", []byte(name))
					return nil
				})
				if err != nil {
					t.Errorf("Update: %v", err)
					return
				}
				mu.Lock()
				committed[name] = true
				runs += run
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	t.Logf("%d updates took %d runs of fn", len(committed), runs)

	members, err := s.Range(ctx, "runs", all())
	if err != nil {
		t.Fatal(err)
	}
	entries := readLog(t, s, "audit", "", 2*workers*rounds)
	if len(members) != len(committed) || len(entries) != len(committed) {
		t.Errorf("%d index members and %d log entries for %d updates", len(members), len(entries), len(committed))
	}
	for _, m := range members {
		if !committed[m.Member] {
			t.Errorf("index member %q is from a run that did not commit", m.Member)
		}
	}
	for _, e := range entries {
		if !committed[string(e.Data)] {
			t.Errorf("log entry %q is from a run that did not commit", e.Data)
		}
	}
	var c counterDoc
	b, _ := getDoc(t, s, "hot")
	if err := json.Unmarshal(b, &c); err != nil || c.N != workers*rounds {
		t.Errorf("hot = %q (%v), want n = %d", b, err, workers*rounds)
	}
}

// BenchmarkRecordsUpdate measures read-modify-write updates of a JSON
// document through s.Update: serially on one document, and in parallel on
// one document per goroutine, so that they do not conflict.
func BenchmarkRecordsUpdate(b *testing.B, s review.Store) {
	ctx := b.Context()
	rmw := func(key string) error {
		return s.Update(ctx, func(tx review.Tx) error {
			var c counterDoc
			if v, ok, err := tx.Get(key); err != nil {
				return err
			} else if ok {
				if err := json.Unmarshal(v, &c); err != nil {
					return err
				}
			}
			c.N++
			tx.Put(key, JSONDoc(c), 0)
			return nil
		})
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if err := rmw("doc"); err != nil {
				b.Fatal(err)
			}
		}
	})
	var next sync.Mutex
	id := 0
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			next.Lock()
			key := fmt.Sprint("doc-", id)
			id++
			next.Unlock()
			for pb.Next() {
				if err := rmw(key); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func update(t *testing.T, s review.Store, fn func(tx review.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func getDoc(t *testing.T, s review.Store, key string) ([]byte, bool) {
	t.Helper()
	v, ok, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if ok && v == nil {
		t.Errorf("Get(%q) = nil for a document that is there", key)
	}
	return v, ok
}

func wantDoc(t *testing.T, s review.Store, key string, want []byte) []byte {
	t.Helper()
	v, ok := getDoc(t, s, key)
	if !ok || !bytes.Equal(v, want) {
		t.Errorf("Get(%q) = %q, ok %v; want %q", key, v, ok, want)
	}
	return v
}

func wantRange(t *testing.T, s review.Store, index string, q review.RangeQuery, want []review.Scored) {
	t.Helper()
	got, err := s.Range(t.Context(), index, q)
	if err != nil {
		t.Fatalf("Range(%q, %+v): %v", index, q, err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Range(%q, %+v) =\n%v\nwant\n%v", index, q, got, want)
	}
}

func wantCount(t *testing.T, s review.Store, index string, want int) {
	t.Helper()
	n, err := s.Count(t.Context(), index)
	if err != nil || n != want {
		t.Errorf("Count(%q) = %d, %v; want %d", index, n, err, want)
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := moderation.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func readLog(t *testing.T, s review.Store, log, after string, limit int) []review.LogEntry {
	t.Helper()
	entries, err := s.ReadLog(t.Context(), log, after, limit)
	if err != nil {
		t.Fatalf("ReadLog(%q, %q, %d): %v", log, after, limit, err)
	}
	return entries
}

func incr(t *testing.T, s review.Store, key string, ttl time.Duration) (int64, time.Duration) {
	t.Helper()
	n, left, err := s.Incr(t.Context(), key, ttl)
	if err != nil {
		t.Fatalf("Incr(%q, %v): %v", key, ttl, err)
	}
	return n, left
}
