package review_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

func TestOutbox(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		ob := h.desk.Outbox()
		if n, err := ob.Pending(ctx); err != nil || n != 0 {
			t.Fatalf("Pending on an empty desk = %d, %v", n, err)
		}
		if _, _, err := h.desk.Suspend(ctx, "m1", "u1", review.SuspendRequest{Reason: "spam", Days: 1}); err != nil {
			t.Fatal(err)
		}
		if n, err := ob.Pending(ctx); err != nil || n != 2 {
			t.Fatalf("Pending = %d, %v; want 2 (user.suspended, decision.made)", n, err)
		}
		now := h.clock.Now()
		evs, err := ob.Due(ctx, now, time.Minute, 10)
		if err != nil || len(evs) != 2 {
			t.Fatalf("Due = %v, %v", eventTypes(evs), err)
		}
		for _, ev := range evs {
			if ev.ID == "" || !ev.CreatedAt.Equal(epoch) || ev.Attempts != 0 || !json.Valid(ev.Data) {
				t.Errorf("event = %+v", ev)
			}
		}
		// Leased: not handed out again until the lease runs out.
		if again, err := ob.Due(ctx, now, time.Minute, 10); err != nil || len(again) != 0 {
			t.Fatalf("second Due = %v, %v", eventTypes(again), err)
		}
		if n, _ := ob.Pending(ctx); n != 2 {
			t.Errorf("Pending while leased = %d, want 2", n)
		}
		delivered, failed := evs[0], evs[1]
		if err := ob.Delivered(ctx, delivered.ID); err != nil {
			t.Fatal(err)
		}
		if err := ob.Retry(ctx, failed.ID, now.Add(5*time.Minute), "HTTP 503"); err != nil {
			t.Fatal(err)
		}
		if n, _ := ob.Pending(ctx); n != 1 {
			t.Errorf("Pending after one delivery = %d, want 1", n)
		}
		// The lease has run out, but the retry is not due yet.
		if again, _ := ob.Due(ctx, now.Add(2*time.Minute), time.Minute, 10); len(again) != 0 {
			t.Errorf("Due before the retry time = %v", eventTypes(again))
		}
		again, err := ob.Due(ctx, now.Add(5*time.Minute), time.Minute, 10)
		if err != nil || len(again) != 1 || again[0].ID != failed.ID || again[0].Attempts != 1 || again[0].Type != failed.Type {
			t.Fatalf("Due at the retry time = %+v, %v", again, err)
		}
		// An unacknowledged lease runs out and the event comes back.
		again, err = ob.Due(ctx, now.Add(6*time.Minute), time.Minute, 10)
		if err != nil || len(again) != 1 || again[0].ID != failed.ID {
			t.Fatalf("Due after the lease ran out = %+v, %v", again, err)
		}
		if err := ob.Delivered(ctx, failed.ID); err != nil {
			t.Fatal(err)
		}
		// Delivering or retrying twice is harmless.
		if err := ob.Delivered(ctx, failed.ID); err != nil {
			t.Fatal(err)
		}
		if err := ob.Retry(ctx, failed.ID, now, "late"); err != nil {
			t.Fatal(err)
		}
		if n, _ := ob.Pending(ctx); n != 0 {
			t.Errorf("Pending at the end = %d", n)
		}
	})
}

func TestOutboxDueLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		for i := range 3 {
			if _, _, err := h.desk.Suspend(ctx, "m1", string(rune('a'+i)), review.SuspendRequest{Reason: "spam", Days: 1}); err != nil {
				t.Fatal(err)
			}
		}
		ob := h.desk.Outbox()
		first, err := ob.Due(ctx, h.clock.Now(), time.Minute, 4)
		if err != nil || len(first) != 4 {
			t.Fatalf("Due(4) = %d, %v", len(first), err)
		}
		rest, err := ob.Due(ctx, h.clock.Now(), time.Minute, 4)
		if err != nil || len(rest) != 2 {
			t.Fatalf("second Due(4) = %d, %v", len(rest), err)
		}
		seen := map[string]bool{}
		for _, ev := range append(first, rest...) {
			if seen[ev.ID] {
				t.Errorf("event %s handed out twice", ev.ID)
			}
			seen[ev.ID] = true
		}
	})
}

func TestNotify(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			var calls int
			h := newHarness(t, b.new(t), review.Config{Notify: func() { calls++ }})
			r := h.report("r1", "n1", "u1", moderation.Spam)
			if calls != 0 {
				t.Errorf("a report woke the dispatcher %d times; it queues no event", calls)
			}
			h.claimDecide("m1", r.CaseID, keep)
			if calls != 2 {
				t.Errorf("a decision woke the dispatcher %d times, want 2 (decision.made, then report.resolved from its follow-up work)", calls)
			}
		})
	}
}

func TestEventsOff(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			calls := 0
			d, err := review.New(review.Config{Store: b.new(t), Notify: func() { calls++ }})
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			if _, _, err := d.Suspend(ctx, "m1", "u1", review.SuspendRequest{Reason: "spam", Days: 1}); err != nil {
				t.Fatal(err)
			}
			if n, err := d.Outbox().Pending(ctx); err != nil || n != 0 || calls != 0 {
				t.Errorf("with events off: %d pending, %d notifications, %v", n, calls, err)
			}
			if s, err := d.Suspended(ctx, "u1"); err != nil || s == nil {
				t.Errorf("with events off the suspension is missing: %v, %v", s, err)
			}
		})
	}
}

// TestOutboxDispatchersShare has several dispatchers lease events at once:
// each event goes to one of them.
func TestOutboxDispatchersShare(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		for i := range 10 {
			if _, _, err := h.desk.Suspend(ctx, "m1", fmt.Sprintf("u%d", i), review.SuspendRequest{Reason: "spam", Days: 1}); err != nil {
				t.Fatal(err)
			}
		}
		ob := h.desk.Outbox()
		var (
			mu   sync.Mutex
			wg   sync.WaitGroup
			seen = map[string]int{}
		)
		for range 4 {
			wg.Go(func() {
				for {
					evs, err := ob.Due(ctx, h.clock.Now(), time.Minute, 3)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, ev := range evs {
						seen[ev.ID]++
					}
					n := len(seen)
					mu.Unlock()
					if len(evs) == 0 && n == 20 {
						return
					}
				}
			})
		}
		wg.Wait()
		for id, n := range seen {
			if n != 1 {
				t.Errorf("event %s leased %d times", id, n)
			}
		}
		if len(seen) != 20 {
			t.Errorf("%d events leased, want 20", len(seen))
		}
	})
}
