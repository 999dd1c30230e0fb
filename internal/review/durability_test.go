package review_test

import (
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
	"github.com/aup-dev/aup/internal/review"
)

// TestRestartKeepsEverything builds a second desk, as a restarted aup would,
// on a fresh client of the same Redis and prefix, and checks it sees all the
// first one wrote.
func TestRestartKeepsEverything(t *testing.T) {
	srv := redistest.Shared(t)
	prefix := redistest.Prefix()
	// The pseudonym key outlives the process, like the store: the keyed
	// hashes that find a reporter's pending report depend on it.
	cfg := review.Config{PseudonymKey: []byte("a key that stays the same across restarts")}
	before := newHarness(t, redisstore.NewRecords(srv.Client(t), prefix), cfg)
	ctx := t.Context()

	r := before.report("r1", "n1", "u1", moderation.Hate)
	before.clock.Advance(time.Second)
	open := before.report("r1", "n2", "u1", moderation.Spam)
	o := before.claimDecide("m1", r.CaseID, remove(moderation.Hate))
	appeal, _, err := before.desk.Appeal(ctx, "u1", o.Decision.ID, "satire")
	if err != nil {
		t.Fatal(err)
	}
	held := before.claim("m2") // the appeal, high lane
	if held.ID != appeal.ID {
		t.Fatalf("claimed %s, want the appeal %s", held.ID, appeal.ID)
	}
	susp, _, err := before.desk.Suspend(ctx, "m2", "u2", review.SuspendRequest{Reason: "spam", Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	beforeAudit, _, err := before.desk.Audit(ctx, review.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := before.desk.Outbox().Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}

	after := newHarness(t, redisstore.NewRecords(srv.Client(t), prefix), cfg)
	after.clock.now = before.clock.Now()

	if rep, err := after.desk.Report(ctx, r.ID); err != nil || rep.Outcome != moderation.ReportUpheld {
		t.Errorf("Report after restart = %+v, %v", rep, err)
	}
	if c := after.caseOf(appeal.ID); c.Status != moderation.CaseClaimed || c.Lease.Moderator != "m2" || c.Appealed == nil {
		t.Errorf("appeal after restart: %s, lease %+v", c.Status, c.Lease)
	}
	if st, err := after.desk.UserStatus(ctx, "u1"); err != nil || len(st.Strikes) != 1 || len(st.Decisions) != 1 {
		t.Errorf("UserStatus(u1) after restart = %+v, %v", st, err)
	}
	if s, err := after.desk.Suspended(ctx, "u2"); err != nil || s == nil || s.ID != susp.SuspensionID {
		t.Errorf("Suspended(u2) after restart = %+v, %v", s, err)
	}
	if _, err := after.desk.Statement(ctx, o.Decision.ID); err != nil {
		t.Errorf("Statement after restart: %v", err)
	}
	if a, _, err := after.desk.Audit(ctx, review.AuditQuery{}); err != nil || len(a) != len(beforeAudit) {
		t.Errorf("Audit after restart: %d entries, %v; want %d", len(a), err, len(beforeAudit))
	}
	if n, err := after.desk.Outbox().Pending(ctx); err != nil || n != pending || n == 0 {
		t.Errorf("Pending after restart = %d, %v; want %d", n, err, pending)
	}
	// The dedupe, the queue and the leases carry on.
	if again, created := after.submit(moderation.Report{ReporterID: "r1", Target: noteOf("n2", "u1"), Category: moderation.Spam}); created || again.ID != open.ID {
		t.Errorf("repeated report after restart = %s, created %v; want %s", again.ID, created, open.ID)
	}
	after.claimCase("m3", open.CaseID)
	after.noClaim("m4")
	after.clock.Advance(review.DefaultLease + time.Second)
	after.claimCase("m4", appeal.ID)
	after.decide("m4", appeal.ID, review.DecisionRequest{Action: moderation.ActionReverse})
	if st, _ := after.desk.UserStatus(ctx, "u1"); len(st.Strikes) != 0 {
		t.Errorf("strikes after the reversal = %+v", st.Strikes)
	}
}
