package hashbank

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// countingDesk is a review desk on the in-memory store that counts the
// snapshots taken of its banks, and fails when told to.
type countingDesk struct {
	*review.Desk
	snapshots atomic.Int32
	down      atomic.Bool
}

var errDown = errors.New("store unreachable")

func (d *countingDesk) BanksVersion(ctx context.Context) (int64, error) {
	if d.down.Load() {
		return 0, errDown
	}
	return d.Desk.BanksVersion(ctx)
}

func (d *countingDesk) BankSnapshot(ctx context.Context) (int64, []moderation.Bank, []moderation.BankEntry, error) {
	d.snapshots.Add(1)
	return d.Desk.BankSnapshot(ctx)
}

func newCountingDesk(t *testing.T) *countingDesk {
	t.Helper()
	d, err := review.New(review.Config{Store: memstore.NewRecords()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.PutBank(t.Context(), "admin", review.BankRequest{Name: "removed", Category: moderation.Sexual,
		Action: moderation.Review, Distance: moderation.DefaultBankDistance}); err != nil {
		t.Fatal(err)
	}
	return &countingDesk{Desk: d}
}

// addEntry adds hash to the bank and returns the entry's id.
func addEntry(t *testing.T, d *countingDesk, kind moderation.HashKind, hash [32]byte) string {
	t.Helper()
	e, _, err := d.AddBankEntry(t.Context(), "admin", "removed", review.BankEntryRequest{Kind: kind, Hash: hexOf(hash)})
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func newSyncer(d *countingDesk, x *Index) *Syncer {
	return NewSyncer(d, x, slog.New(slog.DiscardHandler))
}

// TestSyncerRefresh follows an index through changes to the banks: each
// change is loaded, an unchanged version is not loaded again, and a
// failing source leaves the index in force.
func TestSyncerRefresh(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pdq, sha, other := randomHash(r), randomHash(r), randomHash(r)
	d := newCountingDesk(t)
	var x Index
	s := newSyncer(d, &x)
	var pdqID string
	steps := []struct {
		name      string
		change    func(t *testing.T)
		down      bool
		snapshots int32 // taken so far
		entries   int
		matched   bool // a near copy of pdq matches
	}{
		{name: "an empty bank is loaded", snapshots: 1},
		{name: "entries are loaded", change: func(t *testing.T) {
			pdqID = addEntry(t, d, moderation.HashPDQ, pdq)
			addEntry(t, d, moderation.HashSHA256, sha)
		}, snapshots: 2, entries: 2, matched: true},
		{name: "an unchanged version is not loaded again", snapshots: 2, entries: 2, matched: true},
		{name: "a failing source keeps the index", change: func(t *testing.T) {
			addEntry(t, d, moderation.HashSHA256, other)
		}, down: true, snapshots: 2, entries: 2, matched: true},
		{name: "the change is loaded once the source is back", snapshots: 3, entries: 3, matched: true},
		{name: "a deleted entry is unloaded", change: func(t *testing.T) {
			if err := d.DeleteBankEntry(t.Context(), "admin", "removed", pdqID); err != nil {
				t.Fatal(err)
			}
		}, snapshots: 4, entries: 2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.change != nil {
				st.change(t)
			}
			d.down.Store(st.down)
			err := s.Refresh(t.Context())
			if st.down != (err != nil) {
				t.Fatalf("Refresh = %v, want an error: %v", err, st.down)
			}
			if n := d.snapshots.Load(); n != st.snapshots {
				t.Errorf("%d snapshots taken, want %d", n, st.snapshots)
			}
			if x.Len() != st.entries {
				t.Errorf("index holds %d entries, want %d", x.Len(), st.entries)
			}
			near := flip(r, pdq, 10)
			if matched := len(x.Match(nil, &near)) > 0; matched != st.matched {
				t.Errorf("a hash 10 bits from the banked one matched: %v, want %v", matched, st.matched)
			}
			if !st.down {
				if v, _ := d.BanksVersion(t.Context()); x.Version() != v {
					t.Errorf("index at version %d, the banks at %d", x.Version(), v)
				}
			}
		})
	}
}

// waitFor polls cond until it holds, and fails the test if it does not
// within a generous deadline (a hang, not a slow machine).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
	}
}

// TestSyncerRunChanged: Run loads a change as soon as it is told of it,
// without waiting for its (here hour-long) poll, and stops with its
// context. Changed never blocks.
func TestSyncerRunChanged(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	d := newCountingDesk(t)
	var x Index
	s := newSyncer(d, &x)
	s.Changed()
	s.Changed() // a second wake-up is coalesced, not blocked on

	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		s.Run(ctx, time.Hour)
		close(stopped)
	}()
	defer func() {
		cancel()
		<-stopped
	}()

	for want := 1; want <= 3; want++ {
		h := randomHash(r)
		addEntry(t, d, moderation.HashPDQ, h)
		s.Changed()
		waitFor(t, "the index holds the new entry", func() bool { return len(x.Match(nil, &h)) == 1 })
		if x.Len() != want {
			t.Fatalf("index holds %d entries, want %d", x.Len(), want)
		}
	}
}
