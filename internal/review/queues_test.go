package review_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// lane is what wantQueues expects of one lane: open cases and the oldest's
// creation time (zero for none).
type lane struct {
	open   int
	oldest time.Time
}

// wantQueues fails the test unless Queues reports want for each lane, in
// moderation.Lanes order.
func wantQueues(t *testing.T, h *harness, want map[moderation.Lane]lane) {
	t.Helper()
	got, err := h.desk.Queues(t.Context())
	if err != nil {
		t.Fatalf("Queues: %v", err)
	}
	if len(got) != len(moderation.Lanes) {
		t.Fatalf("Queues = %+v, want %d lanes", got, len(moderation.Lanes))
	}
	for i, s := range got {
		l := moderation.Lanes[i]
		w := want[l]
		if s.Lane != l || s.Open != w.open || !s.Oldest.Equal(w.oldest) {
			t.Errorf("Queues[%d] = %s: %d open, oldest %v; want %s: %d open, oldest %v", i, s.Lane, s.Open, s.Oldest, l, w.open, w.oldest)
		}
	}
}

// claimIn claims the next case of lane for moderator and fails the test
// unless it is case id.
func claimIn(t *testing.T, h *harness, moderator string, l moderation.Lane, id string) {
	t.Helper()
	if c := h.claim(moderator, l); c.ID != id {
		t.Fatalf("Claim(%s, %s) = %s, want %s", moderator, l, c.ID, id)
	}
}

func TestQueuesEmpty(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		wantQueues(t, h, nil)
		got, err := h.desk.Queues(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(got[0])
		if want := `{"lane":"urgent","open":0}`; string(b) != want {
			t.Errorf("empty lane as JSON = %s, want %s", b, want)
		}
	})
}

func TestQueues(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		// Hate outranks harassment in the high lane, so the oldest high case
		// is not always the first of its queue: see the harassment case at
		// the end of the test.
		t0 := h.clock.Now()
		hate := h.report("r1", "n1", "u1", moderation.Hate)
		h.clock.Advance(time.Minute + 500*time.Millisecond)
		t1 := h.clock.Now()
		spam := h.report("r2", "n2", "u2", moderation.Spam)
		h.clock.Advance(time.Minute)
		t2 := h.clock.Now()
		h.report("r3", "n3", "u3", moderation.ChildSafety)
		h.clock.Advance(time.Minute)
		t3 := h.clock.Now()
		harassment := h.report("r4", "n4", "u4", moderation.Harassment)
		h.clock.Advance(time.Minute)
		t4 := h.clock.Now()
		h.report("r5", "n5", "u5", moderation.Sexual)
		h.report("r6", "n2", "u2", moderation.Spam) // a second report: the same case, no younger
		wantQueues(t, h, map[moderation.Lane]lane{
			moderation.LaneUrgent: {1, t2},
			moderation.LaneHigh:   {2, t0},
			moderation.LaneNormal: {1, t4},
			moderation.LaneLow:    {1, t1},
		})

		// Claimed, the hate case leaves the queue; the harassment case is
		// the oldest left.
		h.clock.Advance(time.Minute)
		claimIn(t, h, "m1", moderation.LaneHigh, hate.CaseID)
		wantQueues(t, h, map[moderation.Lane]lane{
			moderation.LaneUrgent: {1, t2},
			moderation.LaneHigh:   {1, t3},
			moderation.LaneNormal: {1, t4},
			moderation.LaneLow:    {1, t1},
		})

		// Its lease runs out and it is back, oldest again.
		h.clock.Advance(review.DefaultLease + time.Second)
		if err := h.desk.ExpireLeases(ctx); err != nil {
			t.Fatal(err)
		}
		wantQueues(t, h, map[moderation.Lane]lane{
			moderation.LaneUrgent: {1, t2},
			moderation.LaneHigh:   {2, t0},
			moderation.LaneNormal: {1, t4},
			moderation.LaneLow:    {1, t1},
		})

		// Decided, it leaves for good. (Not claimed again: a claimer passes
		// over a case claimed a moment ago, for 250ms of real time.)
		fine := review.DecisionRequest{Action: moderation.ActionKeep, Reason: "fine"}
		if r := h.desk.DecideBulk(ctx, "m1", []string{hate.CaseID}, fine); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
		// Escalated, the spam case moves from the low lane to the normal one,
		// where it is the oldest.
		claimIn(t, h, "m2", moderation.LaneLow, spam.CaseID)
		h.decide("m2", spam.CaseID, review.DecisionRequest{Action: moderation.ActionEscalate, Reason: "a scam ring"})
		wantQueues(t, h, map[moderation.Lane]lane{
			moderation.LaneUrgent: {1, t2},
			moderation.LaneHigh:   {1, t3},
			moderation.LaneNormal: {2, t1},
		})

		claimIn(t, h, "m1", moderation.LaneHigh, harassment.CaseID)
		h.decide("m1", harassment.CaseID, keep)
		wantQueues(t, h, map[moderation.Lane]lane{
			moderation.LaneUrgent: {1, t2},
			moderation.LaneNormal: {2, t1},
		})
	})
}

// TestQueuesBeforeAgeIndex: cases queued before the age index existed are
// counted, and the oldest is found from the queue's scores, to the second.
func TestQueuesBeforeAgeIndex(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		h.clock.Advance(700 * time.Millisecond)
		t0 := h.clock.Now()
		old := h.report("r1", "n1", "u1", moderation.Harassment)
		h.clock.Advance(time.Minute)
		t1 := h.clock.Now()
		h.report("r2", "n2", "u2", moderation.Hate)
		lowOld := h.report("r3", "n3", "u3", moderation.Spam)
		// The age index as it was before: without these cases. The key is
		// the desk's internal layout, written here to stand for old data.
		err := h.store.Update(ctx, func(tx review.Tx) error {
			tx.Remove("queue-age:"+string(moderation.LaneHigh), old.CaseID)
			tx.Remove("queue-age:"+string(moderation.LaneLow), lowOld.CaseID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wantQueues(t, h, map[moderation.Lane]lane{
			moderation.LaneHigh: {2, t0.Truncate(time.Second)},
			moderation.LaneLow:  {1, t1.Truncate(time.Second)},
		})
	})
}
