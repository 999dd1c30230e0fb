package review_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

func TestSubmitValidates(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		for _, tc := range []struct {
			name string
			r    moderation.Report
		}{
			{"no reporter", moderation.Report{Target: noteOf("n1", "u1"), Category: moderation.Spam}},
			{"no target id", moderation.Report{ReporterID: "r1", Target: moderation.Target{Type: moderation.TargetNote}, Category: moderation.Spam}},
			{"bad target type", moderation.Report{ReporterID: "r1", Target: moderation.Target{Type: "post", ID: "p1"}, Category: moderation.Spam}},
			{"bad category", moderation.Report{ReporterID: "r1", Target: noteOf("n1", "u1"), Category: "rude"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := h.desk.Submit(t.Context(), tc.r)
				wantCode(t, err, moderation.EINVALID)
			})
		}
	})
}

func TestSubmitDedupesWhileCaseIsOpen(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		r := moderation.Report{ReporterID: "r1", Target: noteOf("n1", "u1"), Category: moderation.Harassment, Text: "you are awful"}
		first, created := h.submit(r)
		if !created || first.ID == "" || first.CaseID == "" || first.Status != moderation.ReportReceived {
			t.Fatalf("first report = %+v, created %v", first, created)
		}
		h.clock.Advance(time.Minute)
		again, created := h.submit(r)
		if created || again.ID != first.ID || again.CaseID != first.CaseID {
			t.Fatalf("second report = %s in %s, created %v; want %s in %s, not created", again.ID, again.CaseID, created, first.ID, first.CaseID)
		}
		c := h.caseOf(first.CaseID)
		if c.ReportCount != 1 || len(reporterIDs(c)) != 1 || c.Reporters != 1 {
			t.Errorf("case after a repeated report: reports %v, reporters %v, weight %v", reportIDs(c), reporterIDs(c), c.Reporters)
		}
		// While the case is claimed it is still open to the dedupe.
		h.claimCase("mod", first.CaseID)
		if again, created := h.submit(r); created || again.ID != first.ID {
			t.Fatalf("report while claimed = %s, created %v; want %s", again.ID, created, first.ID)
		}
	})
}

func TestReportsGatherIntoOneCase(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		r1 := h.report("r1", "n1", "u1", moderation.Violence)
		c1 := h.caseOf(r1.CaseID)
		if c1.Kind != moderation.KindReport || c1.Status != moderation.CaseOpen || c1.Lane != moderation.LaneHigh {
			t.Fatalf("case after one violence report: %s %s %s, want report open high", c1.Kind, c1.Status, c1.Lane)
		}
		if c1.AutomatedDetection {
			t.Error("a reported case is marked as automated detection")
		}
		h.clock.Advance(time.Minute)
		r2 := h.report("r2", "n1", "u1", moderation.Harassment)
		if r2.CaseID != r1.CaseID {
			t.Fatalf("second reporter's report went to case %s, want %s", r2.CaseID, r1.CaseID)
		}
		c2 := h.caseOf(r1.CaseID)
		if c2.Reporters <= c1.Reporters || c2.Priority <= c1.Priority {
			t.Errorf("second reporter: weight %v → %v, priority %v → %v; want both to rise", c1.Reporters, c2.Reporters, c1.Priority, c2.Priority)
		}
		if c2.Lane != moderation.LaneUrgent {
			t.Errorf("violence with two reporters is in lane %s, want urgent", c2.Lane)
		}
		if want := []string{"r1", "r2"}; fmt.Sprint(reporterIDs(c2)) != fmt.Sprint(want) {
			t.Errorf("ReporterIDs = %v, want %v", reporterIDs(c2), want)
		}
		if want := []moderation.Category{moderation.Harassment, moderation.Violence}; fmt.Sprint(c2.Categories) != fmt.Sprint(want) {
			t.Errorf("Categories = %v, want %v", c2.Categories, want)
		}
		if len(c2.Reports) != 2 || c2.Reports[0].ID != r1.ID || c2.Reports[1].ID != r2.ID {
			t.Errorf("case view reports = %+v", c2.Reports)
		}
		if c2.Reports[0].Reporter.ID != "r1" || c2.Reports[0].Reporter.Reports != 1 || c2.Reports[0].Reporter.Weight != 1 {
			t.Errorf("reporter view = %+v", c2.Reports[0].Reporter)
		}
		if c2.User == nil || c2.User.UserID != "u1" {
			t.Errorf("case view user = %+v", c2.User)
		}
	})
}

func TestReportLanes(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		for i, tc := range []struct {
			cat       moderation.Category
			reporters int
			lane      moderation.Lane
		}{
			{moderation.ChildSafety, 1, moderation.LaneUrgent},
			{moderation.SelfHarm, 1, moderation.LaneUrgent},
			{moderation.Violence, 1, moderation.LaneHigh},
			{moderation.Violence, 2, moderation.LaneUrgent},
			{moderation.Hate, 1, moderation.LaneHigh},
			{moderation.Sexual, 1, moderation.LaneNormal},
			{moderation.Spam, 1, moderation.LaneLow},
			{moderation.Spam, 4, moderation.LaneLow},
			{moderation.Spam, 5, moderation.LaneNormal}, // a crowd moves it up a lane
			{moderation.Profanity, 1, moderation.LaneLow},
		} {
			t.Run(fmt.Sprintf("%s×%d", tc.cat, tc.reporters), func(t *testing.T) {
				note := fmt.Sprintf("n%d", i)
				var r moderation.Report
				for j := range tc.reporters {
					r = h.report(fmt.Sprintf("r%d-%d", i, j), note, "u1", tc.cat)
				}
				if c := h.caseOf(r.CaseID); c.Lane != tc.lane {
					t.Errorf("lane = %s (priority %v, reporters %v), want %s", c.Lane, c.Priority, c.Reporters, tc.lane)
				}
			})
		}
	})
}

func TestReportOnUserTarget(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		r, _ := h.submit(moderation.Report{ReporterID: "r1", Target: moderation.Target{Type: moderation.TargetUser, ID: "u9"}, Category: moderation.Spam})
		c := h.caseOf(r.CaseID)
		if c.Target.UserID != "u9" {
			t.Fatalf("user target's UserID = %q, want u9", c.Target.UserID)
		}
		h.claimCase("mod", c.ID)
		_, err := h.desk.Decide(t.Context(), "mod", c.ID, remove(moderation.Spam))
		wantCode(t, err, moderation.EINVALID)
		o := h.decide("mod", c.ID, review.DecisionRequest{Action: moderation.ActionSuspend, Categories: []moderation.Category{moderation.Spam}, SuspendDays: 7})
		if o.Decision.SuspensionID == "" || o.Decision.ContentRemoved {
			t.Errorf("suspend on a user report: %+v", o.Decision)
		}
		if s, err := h.desk.Suspended(t.Context(), "u9"); err != nil || s == nil {
			t.Errorf("Suspended(u9) = %v, %v", s, err)
		}
	})
}

func TestReportRateLimit(t *testing.T) {
	eachStoreConfig(t, review.Config{ReportLimit: 3}, func(t *testing.T, h *harness) {
		for i := range 3 {
			h.report("r1", fmt.Sprintf("n%d", i), "u1", moderation.Spam)
		}
		// Repeating a report already on file is not a new report.
		if _, created := h.submit(moderation.Report{ReporterID: "r1", Target: noteOf("n0", "u1"), Category: moderation.Spam}); created {
			t.Fatal("a repeated report was filed again")
		}
		_, _, err := h.desk.Submit(t.Context(), moderation.Report{ReporterID: "r1", Target: noteOf("n9", "u1"), Category: moderation.Spam})
		var rl *review.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("fourth report: %v, want a *RateLimitError", err)
		}
		wantCode(t, err, moderation.ERATELIMIT)
		if rl.RetryAfter <= 0 || rl.RetryAfter > review.DefaultReportWindow {
			t.Errorf("RetryAfter = %v, want within (0, %v]", rl.RetryAfter, review.DefaultReportWindow)
		}
		// Others may still report.
		h.report("r2", "n9", "u1", moderation.Spam)
	})
}

func TestReportAfterDecision(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		first := h.report("r1", "n1", "u1", moderation.Spam)
		h.claimDecide("mod", first.CaseID, keep)
		h.clock.Advance(time.Hour)
		// The same reporter again: the same report, decided.
		again, created := h.submit(moderation.Report{ReporterID: "r1", Target: noteOf("n1", "u1"), Category: moderation.Spam})
		if created || again.ID != first.ID {
			t.Fatalf("repeated report after the decision = %s, created %v; want %s", again.ID, created, first.ID)
		}
		// Another reporter: a fresh look, in a new case, which the first
		// reporter may now report into.
		other := h.report("r2", "n1", "u1", moderation.Spam)
		if other.CaseID == first.CaseID {
			t.Fatalf("another reporter's report went to the decided case %s", first.CaseID)
		}
		third, created := h.submit(moderation.Report{ReporterID: "r1", Target: noteOf("n1", "u1"), Category: moderation.Spam})
		if !created || third.CaseID != other.CaseID {
			t.Errorf("r1 after a new case opened: %s in %s, created %v; want a new report in %s", third.ID, third.CaseID, created, other.CaseID)
		}
		if c := h.caseOf(other.CaseID); c.Status != moderation.CaseOpen || c.ReportCount != 2 {
			t.Errorf("new case: %s with %d reports", c.Status, c.ReportCount)
		}
		// Once the note is removed, a report about it is answered at once.
		dec := h.claimDecide("mod", other.CaseID, remove(moderation.Spam)).Decision
		late, created := h.submit(moderation.Report{ReporterID: "r3", Target: noteOf("n1", "u1"), Category: moderation.Spam})
		if !created || late.CaseID != other.CaseID || late.Status != moderation.ReportResolved || late.Outcome != moderation.ReportUpheld || late.DecisionID != dec.ID {
			t.Errorf("report about removed content = %+v; want it resolved by %s", late, dec.ID)
		}
		if open, _, _ := h.desk.List(ctx, review.Filter{}); len(open) != 0 {
			t.Errorf("a report about removed content opened a case: %d open", len(open))
		}
		if got, err := h.desk.Report(ctx, late.ID); err != nil || got.Outcome != moderation.ReportUpheld {
			t.Errorf("Report(late) = %+v, %v", got, err)
		}
	})
}

func TestReportOutcome(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		kept := h.report("r1", "n1", "u1", moderation.Spam)
		h.clock.Advance(time.Second) // the older case is claimed first
		removed := h.report("r1", "n2", "u1", moderation.Spam)
		got, err := h.desk.Report(ctx, kept.ID)
		if err != nil || got.Status != moderation.ReportReceived || got.Outcome != "" || got.ResolvedAt != nil {
			t.Fatalf("undecided report = %+v, %v", got, err)
		}
		h.claimDecide("mod", kept.CaseID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "not spam"})
		h.clock.Advance(time.Minute)
		h.claimDecide("mod", removed.CaseID, review.DecisionRequest{Action: moderation.ActionRemove, Categories: []moderation.Category{moderation.Spam}, Reason: "link farm"})
		for _, tc := range []struct {
			id, outcome, reason string
		}{
			{kept.ID, moderation.ReportRejected, "not spam"},
			{removed.ID, moderation.ReportUpheld, "link farm"},
		} {
			got, err := h.desk.Report(ctx, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != moderation.ReportResolved || got.Outcome != tc.outcome || got.Reason != tc.reason || got.DecisionID == "" || got.ResolvedAt == nil {
				t.Errorf("report %s = %s %q %q, want resolved %q %q", tc.id, got.Status, got.Outcome, got.Reason, tc.outcome, tc.reason)
			}
		}
		evs := h.events()
		var resolved int
		for _, ev := range evs {
			if ev.Type == moderation.EventReportResolved {
				resolved++
			}
		}
		if resolved != 2 {
			t.Errorf("%d report.resolved events, want 2 (%v)", resolved, eventTypes(evs))
		}
		_, err = h.desk.Report(ctx, "rpt_missing")
		wantCode(t, err, moderation.ENOTFOUND)
	})
}

func TestReporterTrackRecord(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		for i := range 5 {
			r := h.report("crank", fmt.Sprintf("n%d", i), "u1", moderation.Hate)
			h.claimDecide("mod", r.CaseID, keep)
		}
		r := h.report("crank", "n9", "u1", moderation.Hate)
		h.clock.Advance(time.Millisecond) // reports are listed in filing order
		h.report("fresh", "n9", "u1", moderation.Hate)
		c := h.caseOf(r.CaseID)
		if len(c.Reports) != 2 {
			t.Fatalf("%d reports", len(c.Reports))
		}
		crank, fresh := c.Reports[0].Reporter, c.Reports[1].Reporter
		if !crank.Flagged || crank.Rejected != 5 || crank.Reports != 6 || crank.Weight >= 0.5 {
			t.Errorf("crank = %+v, want flagged with 5 rejected, 6 reports, low weight", crank)
		}
		if fresh.Flagged || fresh.Weight != 1 {
			t.Errorf("fresh = %+v, want unflagged with weight 1", fresh)
		}
		if want := crank.Weight + 1; c.Reporters < want-0.001 || c.Reporters > want+0.001 {
			t.Errorf("case weight = %v, want %v", c.Reporters, want)
		}
		// An upheld report counts for the reporter.
		h.claimDecide("mod", c.ID, remove(moderation.Hate))
		c = h.caseOf(c.ID)
		if got := c.Reports[0].Reporter; got.Upheld != 1 || got.Rejected != 5 {
			t.Errorf("crank after an upheld report = %+v", got)
		}
	})
}

// screener scores every text as violence at a fixed score.
type screener struct{ score float64 }

func (s screener) Screen(context.Context, moderation.Content) (moderation.Verdict, error) {
	return moderation.Verdict{Action: moderation.Review, Categories: []moderation.CategoryScore{{Category: moderation.Violence, Score: s.score}}}, nil
}

func TestReportTextIsScreened(t *testing.T) {
	eachStoreConfig(t, review.Config{Screener: screener{0.9}}, func(t *testing.T, h *harness) {
		r := h.report("r1", "n1", "u1", moderation.Violence)
		c := h.caseOf(r.CaseID)
		if c.Verdict == nil || c.Lane != moderation.LaneUrgent {
			t.Errorf("a credible threat by screening: verdict %v, lane %s; want urgent", c.Verdict, c.Lane)
		}
		if c.AutomatedDetection {
			t.Error("screening a reported text made the case automated detection")
		}
	})
}
