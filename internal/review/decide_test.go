package review_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

func TestDecideNeedsTheLease(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Hate)
		_, err := h.desk.Decide(ctx, "m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "fine"})
		wantCode(t, err, moderation.ECONFLICT)
		h.claimCase("m1", r.CaseID)
		_, err = h.desk.Decide(ctx, "m2", r.CaseID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "fine"})
		wantCode(t, err, moderation.ECONFLICT)
		_, err = h.desk.Decide(ctx, "m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "  "})
		wantCode(t, err, moderation.EINVALID)
		o := h.decide("m1", r.CaseID, keep)
		if o.Replayed || o.Decision == nil || o.Case.Status != moderation.CaseClosed || o.Case.DecisionID != o.Decision.ID || o.Case.Lease != nil {
			t.Fatalf("outcome = %+v", o)
		}
		d := o.Decision
		if d.CaseID != r.CaseID || d.CaseKind != moderation.KindReport || d.Moderator != "m1" || d.Target != noteOf("n1", "u1") || !d.Notice || d.ContentRemoved || !d.DecidedAt.Equal(epoch) {
			t.Errorf("decision = %+v", d)
		}
		if closed, _, err := h.desk.List(ctx, review.Filter{Status: moderation.CaseClosed}); err != nil || len(closed) != 1 || closed[0].ID != r.CaseID {
			t.Errorf("List(closed) = %v, %v", closed, err)
		}
		st, err := h.desk.UserStatus(ctx, "u1")
		if err != nil || fmt.Sprint(st.Decisions) != fmt.Sprint([]string{d.ID}) || len(st.Strikes) != 0 || st.Suspension != nil {
			t.Errorf("UserStatus = %+v, %v", st, err)
		}
		evs := h.events()
		if got := fmt.Sprint(eventTypes(evs)); !strings.Contains(got, moderation.EventDecisionMade) || strings.Contains(got, moderation.EventContentRemoved) {
			t.Errorf("events after keep = %v", got)
		}
	})
}

func TestDecideReplays(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Hate)
		first := h.claimDecide("m1", r.CaseID, remove(moderation.Hate))
		h.events()

		// The same moderator repeating the same action: the first result.
		again := h.decide("m1", r.CaseID, remove(moderation.Hate))
		if !again.Replayed || again.Decision.ID != first.Decision.ID {
			t.Errorf("replay = %+v, want decision %s replayed", again, first.Decision.ID)
		}
		// A different action, or another moderator: a conflict.
		_, err := h.desk.Decide(ctx, "m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "changed my mind"})
		wantCode(t, err, moderation.ECONFLICT)
		_, err = h.desk.Decide(ctx, "m2", r.CaseID, review.DecisionRequest{Action: moderation.ActionRemove, Categories: []moderation.Category{moderation.Hate}, Reason: "me too"})
		wantCode(t, err, moderation.ECONFLICT)

		if evs := h.events(); len(evs) != 0 {
			t.Errorf("replays queued events %v", eventTypes(evs))
		}
		if st, _ := h.desk.UserStatus(ctx, "u1"); len(st.Strikes) != 1 || len(st.Decisions) != 1 {
			t.Errorf("after replays: %d strikes, %d decisions; want 1, 1", len(st.Strikes), len(st.Decisions))
		}
	})
}

func TestDecideIdempotencyKey(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		a := h.report("r1", "n1", "u1", moderation.Hate)
		h.clock.Advance(time.Second)
		b := h.report("r1", "n2", "u1", moderation.Hate)
		req := review.DecisionRequest{Action: moderation.ActionKeep, Reason: "fine", IdempotencyKey: "k1"}
		first := h.claimDecide("m1", a.CaseID, req)
		// The retry arrives after another decision on the case would have
		// been refused: the key still returns the first result.
		req.Action = moderation.ActionDismiss
		again := h.decide("m1", a.CaseID, req)
		if !again.Replayed || again.Decision == nil || again.Decision.ID != first.Decision.ID || again.Decision.Action != moderation.ActionKeep {
			t.Errorf("keyed retry = %+v", again)
		}
		// The key belongs to case a.
		h.claimCase("m1", b.CaseID)
		_, err := h.desk.Decide(ctx, "m1", b.CaseID, req)
		wantCode(t, err, moderation.ECONFLICT)
		// A fresh key decides.
		if o := h.decide("m1", b.CaseID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "fine", IdempotencyKey: "k2"}); o.Replayed {
			t.Error("a fresh key was replayed")
		}
	})
}

func TestDecideAllowedActions(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Hate)
		h.claimCase("m1", r.CaseID)
		for _, tc := range []struct {
			req  review.DecisionRequest
			want string
		}{
			{review.DecisionRequest{Action: moderation.ActionReverse}, "keep, remove, suspend, dismiss, escalate"},
			{review.DecisionRequest{Action: "delete"}, "keep, remove, suspend, dismiss, escalate"},
			{review.DecisionRequest{Action: moderation.ActionRemove}, "categories is required"},
			{review.DecisionRequest{Action: moderation.ActionSuspend, Categories: []moderation.Category{moderation.Hate}, SuspendDays: -1}, "suspend_days"},
		} {
			tc.req.Reason = "r"
			_, err := h.desk.Decide(ctx, "m1", r.CaseID, tc.req)
			wantCode(t, err, moderation.EINVALID)
			if !strings.Contains(moderation.ErrorMessage(err), tc.want) {
				t.Errorf("%s: message %q does not say %q", tc.req.Action, moderation.ErrorMessage(err), tc.want)
			}
		}
		if c := h.caseOf(r.CaseID); c.Status != moderation.CaseClaimed {
			t.Errorf("refused decisions changed the case to %s", c.Status)
		}
	})
}

func TestEscalate(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Spam)
		h.claimCase("m1", r.CaseID)
		esc := review.DecisionRequest{Action: moderation.ActionEscalate, Reason: "looks like a scam ring"}
		o := h.decide("m1", r.CaseID, esc)
		if o.Decision != nil || o.Case.Lane != moderation.LaneNormal || o.Case.EscalatedTo != moderation.LaneNormal || o.Case.Status != moderation.CaseOpen || o.Case.Lease != nil {
			t.Fatalf("escalated: %+v", o)
		}
		// The lease is given up: anyone may claim it, the escalating
		// moderator too.
		_, err := h.desk.Decide(ctx, "m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "r"})
		wantCode(t, err, moderation.ECONFLICT)
		h.noClaim("m2", moderation.LaneLow)
		// A new report reassesses the case, but not below the lane it was
		// escalated to.
		h.report("r2", "n1", "u1", moderation.Spam)
		if c := h.caseOf(r.CaseID); c.Lane != moderation.LaneNormal {
			t.Errorf("after a new report the escalated case is in %s, want normal", c.Lane)
		}
		h.claimCase("m2", r.CaseID)
		h.decide("m2", r.CaseID, esc)
		h.claimCase("m3", r.CaseID)
		h.decide("m3", r.CaseID, esc)
		h.claimCase("m4", r.CaseID)
		_, err = h.desk.Decide(ctx, "m4", r.CaseID, esc)
		wantCode(t, err, moderation.EINVALID)
		c := h.caseOf(r.CaseID)
		if c.Lane != moderation.LaneUrgent || c.Status != moderation.CaseClaimed || c.Lease.Moderator != "m4" {
			t.Errorf("after refusing to escalate an urgent case: %s %s %+v", c.Lane, c.Status, c.Lease)
		}
		// A lease running out does not take it back down either.
		h.clock.Advance(review.DefaultLease + time.Second)
		if err := h.desk.ExpireLeases(ctx); err != nil {
			t.Fatal(err)
		}
		if c := h.caseOf(r.CaseID); c.Lane != moderation.LaneUrgent || c.Status != moderation.CaseOpen {
			t.Errorf("after the lease ran out: %s %s", c.Lane, c.Status)
		}
	})
}

func TestRemovalStrikesAndEvents(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Hate)
		o := h.claimDecide("m1", r.CaseID, remove(moderation.Hate))
		if !o.Decision.ContentRemoved || o.Decision.SuspensionID != "" {
			t.Fatalf("remove: %+v", o.Decision)
		}
		st, err := h.desk.UserStatus(ctx, "u1")
		if err != nil || len(st.Strikes) != 1 || st.Strikes[0].DecisionID != o.Decision.ID || fmt.Sprint(st.Strikes[0].Categories) != "[hate]" {
			t.Fatalf("UserStatus = %+v, %v", st, err)
		}
		evs := h.events()
		ev := hasEvent(t, evs, moderation.EventContentRemoved)
		if !strings.Contains(string(ev.Data), `"id":"n1"`) || !strings.Contains(string(ev.Data), o.Decision.ID) {
			t.Errorf("content.removed data = %s", ev.Data)
		}
		hasEvent(t, evs, moderation.EventDecisionMade)
		hasEvent(t, evs, moderation.EventReportResolved)
		// Strikes age out of the window.
		h.clock.Advance(review.DefaultStrikeWindow)
		if st, _ := h.desk.UserStatus(ctx, "u1"); len(st.Strikes) != 0 {
			t.Errorf("a strike older than the window still counts: %+v", st.Strikes)
		}
	})
}

func TestStrikesProposeSuspensionOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		var decisions []string
		for i := range 4 {
			r := h.report("r1", fmt.Sprintf("n%d", i), "u1", moderation.Hate)
			o := h.claimDecide("m1", r.CaseID, remove(moderation.Hate))
			decisions = append(decisions, o.Decision.ID)
			h.clock.Advance(time.Hour)
			proposals, _, err := h.desk.List(ctx, review.Filter{Kind: moderation.KindSuspension})
			if err != nil {
				t.Fatal(err)
			}
			if want := min(i/2, 1); len(proposals) != want {
				t.Fatalf("after %d removals: %d suspension proposals, want %d", i+1, len(proposals), want)
			}
		}
		proposals, _, _ := h.desk.List(ctx, review.Filter{Kind: moderation.KindSuspension})
		p := h.caseOf(proposals[0].ID)
		if p.Target != (moderation.Target{Type: moderation.TargetUser, ID: "u1", UserID: "u1"}) || p.Lane != moderation.LaneHigh || len(p.Strikes) != 3 || p.Strikes[2].DecisionID != decisions[2] {
			t.Fatalf("proposal = %+v", p.Case)
		}
		h.claimCase("m2", p.ID)
		_, err := h.desk.Decide(ctx, "m2", p.ID, remove(moderation.Hate))
		wantCode(t, err, moderation.EINVALID)
		o := h.decide("m2", p.ID, review.DecisionRequest{Action: moderation.ActionSuspend, Categories: []moderation.Category{moderation.Hate}, SuspendDays: 30})
		d := o.Decision
		until := h.clock.Now().Add(30 * 24 * time.Hour)
		if d.SuspensionID == "" || d.SuspendedUntil == nil || !d.SuspendedUntil.Equal(until) || d.ContentRemoved {
			t.Fatalf("suspension decision = %+v", d)
		}
		st, err := h.desk.UserStatus(ctx, "u1")
		if err != nil || st.Suspension == nil || st.Suspension.ID != d.SuspensionID || st.Suspension.DecisionID != d.ID || st.Suspension.By != "m2" {
			t.Fatalf("UserStatus = %+v, %v", st, err)
		}
		hasEvent(t, h.events(), moderation.EventUserSuspended)
		if s, err := h.desk.Suspended(ctx, "u1"); err != nil || s == nil || s.ID != d.SuspensionID {
			t.Fatalf("Suspended = %+v, %v", s, err)
		}
		// Further removals while suspended propose nothing.
		r := h.report("r1", "n9", "u1", moderation.Hate)
		h.claimDecide("m1", r.CaseID, remove(moderation.Hate))
		if proposals, _, _ := h.desk.List(ctx, review.Filter{Kind: moderation.KindSuspension}); len(proposals) != 0 {
			t.Errorf("%d new proposals for a suspended user", len(proposals))
		}
		// The suspension ends on its own.
		h.clock.Advance(30 * 24 * time.Hour)
		if s, err := h.desk.Suspended(ctx, "u1"); err != nil || s != nil {
			t.Errorf("Suspended after its end = %+v, %v", s, err)
		}
	})
}

func TestStrikesOutsideTheWindowProposeNothing(t *testing.T) {
	cfg := review.Config{StrikeWindow: 24 * time.Hour, StrikeThreshold: 2}
	eachStoreConfig(t, cfg, func(t *testing.T, h *harness) {
		for i := range 3 {
			r := h.report("r1", fmt.Sprintf("n%d", i), "u1", moderation.Spam)
			h.claimDecide("m1", r.CaseID, remove(moderation.Spam))
			h.clock.Advance(25 * time.Hour)
		}
		if proposals, _, _ := h.desk.List(t.Context(), review.Filter{Kind: moderation.KindSuspension}); len(proposals) != 0 {
			t.Errorf("%d proposals from strikes a day apart with a one-day window", len(proposals))
		}
	})
}

func TestDismissedProposal(t *testing.T) {
	cfg := review.Config{StrikeThreshold: 1}
	eachStoreConfig(t, cfg, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Spam)
		h.claimDecide("m1", r.CaseID, remove(moderation.Spam))
		p := h.claim("m2")
		if p.Kind != moderation.KindSuspension {
			t.Fatalf("claimed %s, want the suspension proposal", p.Kind)
		}
		o := h.decide("m2", p.ID, review.DecisionRequest{Action: moderation.ActionDismiss, Reason: "first offence"})
		if o.Decision.SuspensionID != "" {
			t.Errorf("dismissing the proposal suspended: %+v", o.Decision)
		}
		if s, _ := h.desk.Suspended(ctx, "u1"); s != nil {
			t.Errorf("suspended after a dismissed proposal: %+v", s)
		}
	})
}

func TestSuspendOnNote(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		r := h.report("r1", "n1", "u1", moderation.ChildSafety)
		o := h.claimDecide("m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionSuspend, Categories: []moderation.Category{moderation.ChildSafety}})
		d := o.Decision
		if !d.ContentRemoved || d.SuspensionID == "" || d.SuspendedUntil != nil {
			t.Fatalf("suspend on a note: %+v", d)
		}
		evs := h.events()
		hasEvent(t, evs, moderation.EventContentRemoved)
		hasEvent(t, evs, moderation.EventUserSuspended)
		h.clock.Advance(10 * 365 * 24 * time.Hour)
		if s, err := h.desk.Suspended(t.Context(), "u1"); err != nil || s == nil || s.Until != nil {
			t.Errorf("an indefinite suspension ten years on: %+v, %v", s, err)
		}
		// Without an author there is no one to suspend.
		anon, _ := h.submit(moderation.Report{ReporterID: "r1", Target: moderation.Target{Type: moderation.TargetNote, ID: "n2"}, Category: moderation.Spam})
		h.claimCase("m1", anon.CaseID)
		_, err := h.desk.Decide(t.Context(), "m1", anon.CaseID, review.DecisionRequest{Action: moderation.ActionSuspend, Categories: []moderation.Category{moderation.Spam}, Reason: "r"})
		wantCode(t, err, moderation.EINVALID)
		if o := h.decide("m1", anon.CaseID, remove(moderation.Spam)); !o.Decision.ContentRemoved {
			t.Errorf("removing an anonymous note: %+v", o.Decision)
		}
	})
}

func TestDecideBulk(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		var ids []string
		for i := range 4 {
			r := h.report("r1", fmt.Sprintf("n%d", i), fmt.Sprintf("u%d", i), moderation.Spam)
			ids = append(ids, r.CaseID)
			h.clock.Advance(time.Second)
		}
		h.claimCase("other", ids[0]) // held by someone else
		h.claimCase("bulk", ids[1])  // held by the caller
		ids = append(ids, "case_missing")
		req := remove(moderation.Spam)
		req.Reason = "spam wave"
		req.IdempotencyKey = "wave-1"
		res := h.desk.DecideBulk(t.Context(), "bulk", ids, req)
		if len(res) != len(ids) {
			t.Fatalf("%d results for %d cases", len(res), len(ids))
		}
		for i, r := range res {
			if r.CaseID != ids[i] {
				t.Errorf("result %d is for %s, want %s", i, r.CaseID, ids[i])
			}
		}
		wantCode(t, res[0].Err, moderation.ECONFLICT)
		wantCode(t, res[4].Err, moderation.ENOTFOUND)
		for _, r := range res[1:4] {
			if r.Err != nil || r.Outcome == nil || r.Outcome.Decision == nil || !r.Outcome.Decision.ContentRemoved || r.Outcome.Case.Status != moderation.CaseClosed {
				t.Errorf("case %s: %+v, %v", r.CaseID, r.Outcome, r.Err)
			}
		}
		// Retried: replayed, not decided again.
		again := h.desk.DecideBulk(t.Context(), "bulk", ids[1:4], req)
		for _, r := range again {
			if r.Err != nil || !r.Outcome.Replayed {
				t.Errorf("retried bulk on %s: %+v, %v", r.CaseID, r.Outcome, r.Err)
			}
		}
		if c := h.caseOf(ids[0]); c.Status != moderation.CaseClaimed || c.Lease.Moderator != "other" {
			t.Errorf("the case held by another: %s %+v", c.Status, c.Lease)
		}
	})
}

func TestSuspendAndLift(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		_, err := h.desk.Lift(ctx, "m1", "u1", "no reason")
		wantCode(t, err, moderation.ENOTFOUND)
		_, _, err = h.desk.Suspend(ctx, "m1", "u1", review.SuspendRequest{Reason: "spam", Days: -1})
		wantCode(t, err, moderation.EINVALID)
		dec, _, err := h.desk.Suspend(ctx, "m1", "u1", review.SuspendRequest{Reason: "ban evasion", Days: 7, Categories: []moderation.Category{moderation.ServiceAbuse}})
		if err != nil {
			t.Fatal(err)
		}
		until := epoch.Add(7 * 24 * time.Hour)
		if dec.Action != moderation.ActionSuspend || dec.SuspensionID == "" || dec.SuspendedUntil == nil || !dec.SuspendedUntil.Equal(until) || dec.Target.ID != "u1" {
			t.Fatalf("Suspend = %+v", dec)
		}
		s, err := h.desk.Suspended(ctx, "u1")
		if err != nil || s == nil || s.ID != dec.SuspensionID || s.Reason != "ban evasion" || !s.Until.Equal(until) {
			t.Fatalf("Suspended = %+v, %v", s, err)
		}
		if other, _ := h.desk.Suspended(ctx, "u2"); other != nil {
			t.Errorf("u2 suspended: %+v", other)
		}
		evs := h.events()
		hasEvent(t, evs, moderation.EventUserSuspended)
		hasEvent(t, evs, moderation.EventDecisionMade)

		h.clock.Advance(24 * time.Hour)
		lifted, err := h.desk.Lift(ctx, "m2", "u1", "mistaken identity")
		if err != nil || lifted.ID != dec.SuspensionID {
			t.Fatalf("Lift = %+v, %v", lifted, err)
		}
		if s, _ := h.desk.Suspended(ctx, "u1"); s != nil {
			t.Errorf("still suspended after Lift: %+v", s)
		}
		ev := hasEvent(t, h.events(), moderation.EventUserReinstated)
		if !strings.Contains(string(ev.Data), dec.SuspensionID) {
			t.Errorf("user.reinstated data = %s", ev.Data)
		}
		_, err = h.desk.Lift(ctx, "m2", "u1", "again")
		wantCode(t, err, moderation.ENOTFOUND)
		st, _ := h.desk.UserStatus(ctx, "u1")
		if st.Suspension != nil || fmt.Sprint(st.Decisions) != fmt.Sprint([]string{dec.ID}) {
			t.Errorf("UserStatus = %+v", st)
		}
		// An indefinite suspension.
		if dec, _, err := h.desk.Suspend(ctx, "m1", "u1", review.SuspendRequest{Reason: "again", Days: 0}); err != nil || dec.SuspendedUntil != nil {
			t.Fatalf("Suspend(0) = %+v, %v", dec, err)
		}
		h.clock.Advance(5 * 365 * 24 * time.Hour)
		if s, _ := h.desk.Suspended(ctx, "u1"); s == nil {
			t.Error("an indefinite suspension ended")
		}
	})
}

func TestEscalateIdempotencyKey(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Spam)
		h.clock.Advance(time.Second)
		other := h.report("r1", "n2", "u1", moderation.Spam)
		h.claimCase("m1", r.CaseID)
		esc := review.DecisionRequest{Action: moderation.ActionEscalate, Reason: "unsure", IdempotencyKey: "k1"}
		first := h.decide("m1", r.CaseID, esc)
		// The response was lost; the client retries.
		again, err := h.desk.Decide(ctx, "m1", r.CaseID, esc)
		if err != nil || !again.Replayed || again.Decision != nil || again.Case.Lane != first.Case.Lane || again.Case.Lane != moderation.LaneNormal {
			t.Fatalf("retried escalation = %+v, %v", again, err)
		}
		// The key is spent on that case.
		if _, err := h.desk.ClaimCase(ctx, "m1", other.CaseID); err != nil {
			t.Fatal(err)
		}
		_, err = h.desk.Decide(ctx, "m1", other.CaseID, esc)
		wantCode(t, err, moderation.ECONFLICT)
	})
}

func TestUserTargetIsTheUser(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		r, _ := h.submit(moderation.Report{ReporterID: "r1", Target: moderation.Target{Type: moderation.TargetUser, ID: "u9", UserID: "u7"}, Category: moderation.Spam})
		if c := h.caseOf(r.CaseID); c.Target.UserID != "u9" {
			t.Fatalf("a report about user u9 names user %q", c.Target.UserID)
		}
		h.claimDecide("m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionSuspend, Categories: []moderation.Category{moderation.Spam}, SuspendDays: 1})
		if s, _ := h.desk.Suspended(t.Context(), "u7"); s != nil {
			t.Error("a report about u9 suspended u7")
		}
	})
}

func TestSuspendNeedsAReason(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		_, _, err := h.desk.Suspend(t.Context(), "m1", "u1", review.SuspendRequest{Reason: " ", Days: 1})
		wantCode(t, err, moderation.EINVALID)
		_, _, err = h.desk.Suspend(t.Context(), "m1", "", review.SuspendRequest{Reason: "spam", Days: 1})
		wantCode(t, err, moderation.EINVALID)
	})
}

func TestDecideBulkTakesLapsedLeases(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Spam)
		h.claimCase("m1", r.CaseID)
		h.clock.Advance(review.DefaultLease + time.Second)
		// m1's lease has run out, though nothing has requeued the case yet.
		_, err := h.desk.Decide(ctx, "m2", r.CaseID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "r"})
		wantCode(t, err, moderation.ECONFLICT)
		if !strings.Contains(moderation.ErrorMessage(err), "claim it first") {
			t.Errorf("message = %q", moderation.ErrorMessage(err))
		}
		req := remove(moderation.Spam)
		req.Reason = "spam wave"
		res := h.desk.DecideBulk(ctx, "m2", []string{r.CaseID}, req)
		if res[0].Err != nil {
			t.Errorf("bulk on a case with a lapsed lease: %v", res[0].Err)
		}
	})
}

// TestSuspensionNeverShortened: a later suspension may extend the one in
// force, never cut it short.
func TestSuspensionNeverShortened(t *testing.T) {
	cfg := review.Config{StrikeThreshold: 1}
	eachStoreConfig(t, cfg, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Spam)
		h.claimDecide("m1", r.CaseID, remove(moderation.Spam))
		proposal := h.claim("m2")
		if proposal.Kind != moderation.KindSuspension {
			t.Fatalf("claimed %s, want the proposal", proposal.Kind)
		}
		// Meanwhile another moderator bans the account outright.
		ban, _, err := h.desk.Suspend(ctx, "m3", "u1", review.SuspendRequest{Reason: "csam", Days: 0, Categories: []moderation.Category{moderation.ChildSafety}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.desk.Decide(ctx, "m2", proposal.ID, review.DecisionRequest{Action: moderation.ActionSuspend, Categories: []moderation.Category{moderation.Spam}, SuspendDays: 7, Reason: "three strikes"})
		wantCode(t, err, moderation.ECONFLICT)
		h.decide("m2", proposal.ID, review.DecisionRequest{Action: moderation.ActionDismiss, Reason: "already banned"})
		h.clock.Advance(8 * 24 * time.Hour)
		if s, _ := h.desk.Suspended(ctx, "u1"); s == nil || s.ID != ban.SuspensionID {
			t.Fatalf("Suspended = %+v, want the ban", s)
		}
		// Extending is fine.
		if _, _, err := h.desk.Suspend(ctx, "m3", "u2", review.SuspendRequest{Reason: "spam", Days: 3}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.desk.Suspend(ctx, "m3", "u2", review.SuspendRequest{Reason: "more spam", Days: 30}); err != nil {
			t.Fatalf("extending a suspension: %v", err)
		}
		_, _, err = h.desk.Suspend(ctx, "m3", "u2", review.SuspendRequest{Reason: "less", Days: 1})
		wantCode(t, err, moderation.ECONFLICT)
	})
}

func TestSuspendIdempotencyKey(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		req := review.SuspendRequest{Reason: "spam", Days: 7, IdempotencyKey: "k1"}
		first, replayed, err := h.desk.Suspend(ctx, "m1", "u1", req)
		if err != nil || replayed {
			t.Fatalf("Suspend = %v, replayed %v", err, replayed)
		}
		h.events()
		h.clock.Advance(time.Minute) // a retry a minute later would end later and pass as an extension
		again, replayed, err := h.desk.Suspend(ctx, "m1", "u1", req)
		if err != nil || !replayed || again.ID != first.ID {
			t.Fatalf("retried Suspend = %s, replayed %v, %v; want %s replayed", again.ID, replayed, err, first.ID)
		}
		if evs := h.events(); len(evs) != 0 {
			t.Errorf("a replayed suspension queued events: %v", eventTypes(evs))
		}
		if st, _ := h.desk.UserStatus(ctx, "u1"); len(st.Decisions) != 1 {
			t.Errorf("decisions after a retried suspension: %v, want one", st.Decisions)
		}
		_, _, err = h.desk.Suspend(ctx, "m1", "u2", req)
		wantCode(t, err, moderation.ECONFLICT)
	})
}

func TestReversalRestoresEarlierSuspension(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		month, _, err := h.desk.Suspend(ctx, "alice", "u1", review.SuspendRequest{Reason: "harassment", Days: 30})
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Hour)
		ban, _, err := h.desk.Suspend(ctx, "carol", "u1", review.SuspendRequest{Reason: "ban evasion", Days: 0})
		if err != nil {
			t.Fatal(err)
		}
		h.events()
		appeal, _, err := h.desk.Appeal(ctx, "u1", ban.ID, "I did not evade anything")
		if err != nil {
			t.Fatal(err)
		}
		h.claimDecide("bob", appeal.ID, review.DecisionRequest{Action: moderation.ActionReverse, Reason: "no evidence of evasion"})
		s, _ := h.desk.Suspended(ctx, "u1")
		if s == nil || s.ID != month.SuspensionID {
			t.Fatalf("after the ban was reversed: suspension %+v, want alice's 30 days (%s)", s, month.SuspensionID)
		}
		evs := h.events()
		if ev := hasEvent(t, evs, moderation.EventUserSuspended); !strings.Contains(string(ev.Data), month.SuspensionID) {
			t.Errorf("user.suspended data = %s, want the restored suspension", ev.Data)
		}
		for _, ev := range evs {
			if ev.Type == moderation.EventUserReinstated {
				t.Errorf("user.reinstated sent while the user is still suspended: %s", ev.Data)
			}
		}
		// Once the month is over, the user is free.
		h.clock.Advance(31 * 24 * time.Hour)
		if s, _ := h.desk.Suspended(ctx, "u1"); s != nil {
			t.Errorf("still suspended after the month: %+v", s)
		}
	})
}

// TestDecideManyReports: a heavily reported note is decided in one small
// transaction; its reports are resolved by the follow-up work, once each,
// and again when the decision is reversed.
func TestDecideManyReports(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		const n = 250
		var caseID string
		for i := range n {
			caseID = h.report(fmt.Sprintf("r%03d", i), "n1", "u1", moderation.Harassment).CaseID
		}
		h.claimCase("m1", caseID)
		req := remove(moderation.Harassment)
		req.Reason = "pile-on harassment"
		o, err := h.desk.Decide(ctx, "m1", caseID, req)
		if err != nil {
			t.Fatal(err)
		}
		// Reports keep arriving after the decision; they are answered by it.
		late, _ := h.submit(moderation.Report{ReporterID: "late", Target: noteOf("n1", "u1"), Category: moderation.Harassment})
		if late.Outcome != moderation.ReportUpheld {
			t.Errorf("late report = %+v", late)
		}
		evs := h.events() // runs the follow-up work
		resolved := 0
		for _, ev := range evs {
			if ev.Type == moderation.EventReportResolved {
				resolved++
			}
		}
		if resolved != n+1 { // the late one at once, the others by the follow-up work
			t.Errorf("%d report.resolved events, want %d", resolved, n+1)
		}
		if done, err := h.desk.Work(ctx); err != nil || done != 0 {
			t.Errorf("Work after the work was done = %d, %v", done, err)
		}
		if c := h.caseOf(caseID); c.ReportCount != n+1 || len(c.Reports) != 50 || c.Reports[0].Reporter.Upheld != 1 || c.Reports[0].Reporter.Reports != 1 {
			t.Errorf("case: %d reports, %d shown, first reporter %+v", c.ReportCount, len(c.Reports), c.Reports[0].Reporter)
		}

		appeal, _, err := h.desk.Appeal(ctx, "u1", o.Decision.ID, "it was a quote")
		if err != nil {
			t.Fatal(err)
		}
		h.claimDecide("m2", appeal.ID, review.DecisionRequest{Action: moderation.ActionReverse, Reason: "a quote, not harassment"})
		for _, rv := range h.caseOf(caseID).Reports {
			if rv.Reporter.Upheld != 0 || rv.Reporter.Rejected != 1 {
				t.Fatalf("reporter %s after the reversal: %+v", rv.ReporterID, rv.Reporter.Reporter)
			}
			if got, _ := h.desk.Report(ctx, rv.ID); got.Outcome != moderation.ReportRejected {
				t.Fatalf("report %s after the reversal: %+v", rv.ID, got)
			}
		}
	})
}

func TestBulkEscalateRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		r := h.report("r1", "n1", "u1", moderation.Spam)
		res := h.desk.DecideBulk(t.Context(), "m1", []string{r.CaseID}, review.DecisionRequest{Action: moderation.ActionEscalate, Reason: "flood"})
		wantCode(t, res[0].Err, moderation.EINVALID)
		if c := h.caseOf(r.CaseID); c.Lane != moderation.LaneLow || c.EscalatedTo != "" {
			t.Errorf("case after a refused bulk escalation: lane %s, escalated to %q", c.Lane, c.EscalatedTo)
		}
	})
}

// rangeHook is a Store that runs a function once, the first time the
// reports of a case are read: a window into the middle of a job.
type rangeHook struct {
	review.Store
	once func()
}

func (s *rangeHook) Range(ctx context.Context, index string, q review.RangeQuery) ([]review.Scored, error) {
	out, err := s.Store.Range(ctx, index, q)
	if f := s.once; f != nil && strings.HasPrefix(index, "case-reports:") {
		s.once = nil
		f()
	}
	return out, err
}

// TestJobRacingAReversal: a job that read the decision before it was
// reversed must not resolve the reports by the old decision after the
// reversal's job has run.
func TestJobRacingAReversal(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			store := &rangeHook{Store: b.new(t)}
			h := newHarness(t, store, review.Config{})
			ctx := t.Context()
			r := h.report("r1", "n1", "u1", moderation.Harassment)
			h.claimCase("m1", r.CaseID)
			req := remove(moderation.Harassment)
			req.Reason = "insult"
			o, err := h.desk.Decide(ctx, "m1", r.CaseID, req) // not h.decide: its job must not run yet
			if err != nil {
				t.Fatal(err)
			}
			store.once = func() {
				appeal, _, err := h.desk.Appeal(ctx, "u1", o.Decision.ID, "it was a quote")
				if err != nil {
					t.Fatal(err)
				}
				h.claimCase("m2", appeal.ID)
				if _, err := h.desk.Decide(ctx, "m2", appeal.ID, review.DecisionRequest{Action: moderation.ActionReverse, Reason: "a quote"}); err != nil {
					t.Fatal(err)
				}
				if _, err := h.desk.Work(ctx); err != nil { // the reversal's job; the first is held
					t.Fatal(err)
				}
			}
			if _, err := h.desk.Work(ctx); err != nil {
				t.Fatal(err)
			}
			rec := h.caseOf(r.CaseID).Reports[0].Reporter
			if rec.Upheld != 0 || rec.Rejected != 1 {
				t.Errorf("reporter after a job raced the reversal: %+v; want 0 upheld, 1 rejected", rec.Reporter)
			}
		})
	}
}
