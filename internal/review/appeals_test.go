package review_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// removed reports and removes note n1 by u1 (decided by m1), and returns
// the decision.
func (h *harness) removed(cat moderation.Category) *moderation.Decision {
	h.t.Helper()
	r := h.report("r1", "n1", "u1", cat)
	o := h.claimDecide("m1", r.CaseID, remove(cat))
	h.events()
	return o.Decision
}

func TestAppealOpens(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		dec := h.removed(moderation.Hate)
		h.clock.Advance(24 * time.Hour)

		_, _, err := h.desk.Appeal(ctx, "u2", dec.ID, "not mine")
		wantCode(t, err, moderation.EFORBIDDEN)
		_, _, err = h.desk.Appeal(ctx, "", dec.ID, "anyone")
		wantCode(t, err, moderation.EFORBIDDEN)
		_, _, err = h.desk.Appeal(ctx, "u1", "dec_missing", "?")
		wantCode(t, err, moderation.ENOTFOUND)

		c, created, err := h.desk.Appeal(ctx, "u1", dec.ID, "it was satire")
		if err != nil || !created {
			t.Fatalf("Appeal = %v, created %v", err, created)
		}
		if c.Kind != moderation.KindAppeal || c.AppealOf != dec.ID || c.Statement != "it was satire" || c.OriginalDecider != "m1" || c.Target != dec.Target || c.Lane != moderation.LaneHigh || c.Status != moderation.CaseOpen {
			t.Errorf("appeal case = %+v", c)
		}
		again, created, err := h.desk.Appeal(ctx, "u1", dec.ID, "please")
		if err != nil || created || again.ID != c.ID {
			t.Errorf("second appeal = %s, created %v, %v; want %s", again.ID, created, err, c.ID)
		}
		v := h.caseOf(c.ID)
		if v.Appealed == nil || v.Appealed.ID != dec.ID || v.User == nil || len(v.User.Strikes) != 1 {
			t.Errorf("appeal view: appealed %+v, user %+v", v.Appealed, v.User)
		}
		// A report about the same note does not join the appeal.
		if r := h.report("r2", "n1", "u1", moderation.Hate); r.CaseID == c.ID {
			t.Error("a report joined the appeal case")
		}
	})
}

func TestAppealNeedsTheUser(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		// A note reported without its author: nobody may appeal.
		r, _ := h.submit(moderation.Report{ReporterID: "r1", Target: moderation.Target{Type: moderation.TargetNote, ID: "n1"}, Category: moderation.Spam})
		o := h.claimDecide("m1", r.CaseID, remove(moderation.Spam))
		_, _, err := h.desk.Appeal(t.Context(), "", o.Decision.ID, "anyone")
		wantCode(t, err, moderation.EFORBIDDEN)
		_, _, err = h.desk.Appeal(t.Context(), "u1", o.Decision.ID, "me")
		wantCode(t, err, moderation.EFORBIDDEN)
	})
}

func TestAppealWindow(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		dec := h.removed(moderation.Hate)
		h.clock.Advance(review.DefaultAppealWindow + time.Minute)
		_, _, err := h.desk.Appeal(ctx, "u1", dec.ID, "late")
		wantCode(t, err, moderation.EINVALID)

		// A decision that did not act against the user cannot be appealed.
		r := h.report("r1", "n2", "u1", moderation.Hate)
		o := h.claimDecide("m1", r.CaseID, keep)
		_, _, err = h.desk.Appeal(ctx, "u1", o.Decision.ID, "thanks?")
		wantCode(t, err, moderation.EINVALID)
	})
}

func TestAppealReverse(t *testing.T) {
	cfg := review.Config{StrikeThreshold: 1}
	eachStoreConfig(t, cfg, func(t *testing.T, h *harness) {
		ctx := t.Context()
		// A removal, and the suspension it led to.
		dec := h.removed(moderation.Hate)
		p := h.claim("m1")
		if p.Kind != moderation.KindSuspension {
			t.Fatalf("claimed %s, want the proposal", p.Kind)
		}
		susp := h.decide("m1", p.ID, review.DecisionRequest{Action: moderation.ActionSuspend, Categories: []moderation.Category{moderation.Hate}, SuspendDays: 14}).Decision
		h.events()
		h.clock.Advance(time.Hour)

		removalAppeal, _, err := h.desk.Appeal(ctx, "u1", dec.ID, "satire")
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Second) // the removal's appeal is claimed first
		suspAppeal, _, err := h.desk.Appeal(ctx, "u1", susp.ID, "the removal was wrong")
		if err != nil {
			t.Fatal(err)
		}
		// The original decider may not decide it, even in bulk.
		_, err = h.desk.Decide(ctx, "m1", removalAppeal.ID, review.DecisionRequest{Action: moderation.ActionReverse, Reason: "I was wrong"})
		wantCode(t, err, moderation.EFORBIDDEN)
		res := h.desk.DecideBulk(ctx, "m1", []string{removalAppeal.ID}, review.DecisionRequest{Action: moderation.ActionReverse, Reason: "I was wrong"})
		wantCode(t, res[0].Err, moderation.EFORBIDDEN)
		h.noClaim("m1")

		h.claimCase("m2", removalAppeal.ID)
		_, err = h.desk.Decide(ctx, "m2", removalAppeal.ID, remove(moderation.Hate))
		wantCode(t, err, moderation.EINVALID)
		o := h.decide("m2", removalAppeal.ID, review.DecisionRequest{Action: moderation.ActionReverse, Reason: "satire is allowed"})
		if o.Decision.AppealOf != dec.ID || o.Decision.CaseKind != moderation.KindAppeal {
			t.Errorf("appeal decision = %+v", o.Decision)
		}
		evs := h.events()
		ev := hasEvent(t, evs, moderation.EventContentRestored)
		if !strings.Contains(string(ev.Data), `"id":"n1"`) {
			t.Errorf("content.restored data = %s", ev.Data)
		}
		ev = hasEvent(t, evs, moderation.EventAppealResolved)
		if !strings.Contains(string(ev.Data), `"outcome":"reversed"`) {
			t.Errorf("appeal.resolved data = %s", ev.Data)
		}
		st, _ := h.desk.UserStatus(ctx, "u1")
		if len(st.Strikes) != 0 {
			t.Errorf("strikes after the removal was reversed: %+v", st.Strikes)
		}
		// The report that led to the removal was not founded after all.
		rep, err := h.desk.Report(ctx, h.caseOf(dec.CaseID).Reports[0].ID)
		if err != nil || rep.Outcome != moderation.ReportRejected || !strings.Contains(rep.Reason, "reversed on appeal") {
			t.Errorf("report after reversal: %+v, %v", rep, err)
		}
		if rec := h.caseOf(dec.CaseID).Reports[0].Reporter; rec.Upheld != 0 || rec.Rejected != 1 {
			t.Errorf("reporter after reversal: %+v, want 0 upheld, 1 rejected", rec)
		}
		stmt, err := h.desk.Statement(ctx, dec.ID)
		if err != nil || !stmt.Reversed {
			t.Errorf("statement of the reversed decision: %+v, %v", stmt, err)
		}

		h.claimCase("m2", suspAppeal.ID)
		h.decide("m2", suspAppeal.ID, review.DecisionRequest{Action: moderation.ActionReverse, Reason: "the removal was reversed"})
		if s, _ := h.desk.Suspended(ctx, "u1"); s != nil {
			t.Errorf("still suspended after the suspension was reversed: %+v", s)
		}
		evs = h.events()
		ev = hasEvent(t, evs, moderation.EventUserReinstated)
		if !strings.Contains(string(ev.Data), susp.SuspensionID) {
			t.Errorf("user.reinstated data = %s", ev.Data)
		}
		for _, id := range []string{dec.ID, susp.ID} {
			v := h.caseOf(map[string]string{dec.ID: removalAppeal.ID, susp.ID: suspAppeal.ID}[id])
			if v.Appealed == nil || v.Appealed.ReversedBy == "" || v.Appealed.ReversedBy != v.DecisionID {
				t.Errorf("decision %s: ReversedBy %+v", id, v.Appealed)
			}
		}
		// A reversed decision is not appealed again; its appeal is the
		// closed case.
		again, created, err := h.desk.Appeal(ctx, "u1", dec.ID, "again")
		if err != nil || created || again.ID != removalAppeal.ID || again.Status != moderation.CaseClosed {
			t.Errorf("appeal after reversal = %s %s, created %v, %v", again.ID, again.Status, created, err)
		}
	})
}

func TestAppealDismiss(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		dec := h.removed(moderation.Hate)
		c, _, err := h.desk.Appeal(ctx, "u1", dec.ID, "satire")
		if err != nil {
			t.Fatal(err)
		}
		o := h.claimDecide("m2", c.ID, review.DecisionRequest{Action: moderation.ActionDismiss, Reason: "not satire"})
		if o.Decision.Action != moderation.ActionDismiss || o.Decision.AppealOf != dec.ID {
			t.Errorf("dismissal = %+v", o.Decision)
		}
		evs := h.events()
		ev := hasEvent(t, evs, moderation.EventAppealResolved)
		if !strings.Contains(string(ev.Data), `"outcome":"confirmed"`) {
			t.Errorf("appeal.resolved data = %s", ev.Data)
		}
		for _, ev := range evs {
			if ev.Type == moderation.EventContentRestored {
				t.Error("a dismissed appeal restored the content")
			}
		}
		st, _ := h.desk.UserStatus(ctx, "u1")
		if len(st.Strikes) != 1 {
			t.Errorf("strikes after a dismissed appeal: %d, want 1", len(st.Strikes))
		}
		if v := h.caseOf(c.ID); v.Appealed.ReversedBy != "" {
			t.Errorf("dismissal reversed the decision: %+v", v.Appealed)
		}
		// The appeal decision itself did not act against the user.
		_, _, err = h.desk.Appeal(ctx, "u1", o.Decision.ID, "appeal the appeal")
		wantCode(t, err, moderation.EINVALID)
	})
}
