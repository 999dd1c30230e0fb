package review_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

func TestAuditRecordsEveryChange(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		const secret = "SECRET REPORTED TEXT"
		r, _ := h.submit(moderation.Report{ReporterID: "r1", Target: noteOf("n1", "u1"), Category: moderation.Hate, Text: secret, Explanation: secret + " explained", ContactEmail: "r1@example.com"})
		h.clock.Advance(time.Minute)
		o := h.claimDecide("m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionRemove, Categories: []moderation.Category{moderation.Hate}, Reason: "slur"})
		h.clock.Advance(time.Minute)
		appeal, _, err := h.desk.Appeal(ctx, "u1", o.Decision.ID, secret+" appeal statement")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.desk.OpenScreeningCase(ctx, moderation.Content{Text: secret, UserID: "u2", ContentID: "n2"}, verdict(moderation.Spam, 0.5)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.desk.Suspend(ctx, "m2", "u3", review.SuspendRequest{Reason: "spam", Days: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.desk.Lift(ctx, "m2", "u3", "sorry"); err != nil {
			t.Fatal(err)
		}

		entries, cursor, err := h.desk.Audit(ctx, review.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Actor+" "+e.Action)
			if e.ID == "" || e.At.IsZero() {
				t.Errorf("entry without id or time: %+v", e)
			}
			b, _ := json.Marshal(e)
			if strings.Contains(string(b), "SECRET") || strings.Contains(string(b), "example.com") {
				t.Errorf("audit entry holds user content: %s", b)
			}
		}
		want := []string{
			"reporter:" + h.desk.Pseudonym("r1") + " report.received",
			"m1 case.claimed",
			"m1 content.removed",
			"m1 decision.remove",
			"user:" + h.desk.Pseudonym("u1") + " appeal.received",
			"screening case.opened",
			"m2 user.suspended",
			"m2 decision.suspend",
			"m2 user.reinstated",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if cursor != entries[len(entries)-1].ID {
			t.Errorf("cursor = %q, want the last id %q", cursor, entries[len(entries)-1].ID)
		}
		rm := entries[3]
		if rm.CaseID != r.CaseID || rm.DecisionID != o.Decision.ID || rm.TargetType != moderation.TargetNote || rm.TargetID != "n1" || rm.Reason != "slur" || !rm.At.Equal(epoch.Add(time.Minute)) {
			t.Errorf("decision entry = %+v", rm)
		}
		if e := entries[4]; e.CaseID != appeal.ID || e.DecisionID != o.Decision.ID {
			t.Errorf("appeal entry = %+v", e)
		}

		// Paging: two at a time, with the cursor, gives the same entries.
		var paged []string
		after := ""
		for range 10 {
			page, next, err := h.desk.Audit(ctx, review.AuditQuery{After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				paged = append(paged, e.Actor+" "+e.Action)
			}
			if len(page) == 0 {
				if next != after {
					t.Errorf("empty page moved the cursor from %q to %q", after, next)
				}
				break
			}
			after = next
		}
		if fmt.Sprint(paged) != fmt.Sprint(got) {
			t.Errorf("paged audit = %v, want %v", paged, got)
		}
		// Polling with the cursor returns only what was logged since.
		h.report("r2", "n5", "u5", moderation.Spam)
		since, _, err := h.desk.Audit(ctx, review.AuditQuery{After: cursor})
		if err != nil || len(since) != 1 || since[0].Action != "report.received" {
			t.Errorf("Audit after the cursor = %+v, %v", since, err)
		}

		for _, tc := range []struct {
			q    review.AuditQuery
			want int
		}{
			{review.AuditQuery{Actor: "m2"}, 3},
			{review.AuditQuery{Actor: "m1"}, 3},
			{review.AuditQuery{TargetID: "n1"}, 5},
			{review.AuditQuery{TargetID: "u3"}, 3},
			{review.AuditQuery{Actor: "m2", TargetID: "u3", Limit: 2}, 2},
			{review.AuditQuery{Actor: "nobody"}, 0},
		} {
			got, _, err := h.desk.Audit(ctx, tc.q)
			if err != nil || len(got) != tc.want {
				t.Errorf("Audit(%+v) = %d entries, %v; want %d", tc.q, len(got), err, tc.want)
			}
			for _, e := range got {
				if tc.q.Actor != "" && e.Actor != tc.q.Actor || tc.q.TargetID != "" && e.TargetID != tc.q.TargetID && e.TargetID != h.desk.Pseudonym(tc.q.TargetID) {
					t.Errorf("Audit(%+v) returned %+v", tc.q, e)
				}
			}
		}
	})
}

func TestAuditOfLeasesAndEscalation(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Spam)
		h.claimCase("m1", r.CaseID)
		h.decide("m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionEscalate, Reason: "unsure"})
		h.claimCase("m2", r.CaseID)
		h.clock.Advance(review.DefaultLease + time.Second)
		if err := h.desk.ExpireLeases(ctx); err != nil {
			t.Fatal(err)
		}
		entries, _, err := h.desk.Audit(ctx, review.AuditQuery{TargetID: "n1"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Actor+" "+e.Action)
		}
		want := "[reporter:" + h.desk.Pseudonym("r1") + " report.received m1 case.claimed m1 case.escalated m2 case.claimed system case.lease_expired]"
		if fmt.Sprint(got) != want {
			t.Errorf("audit = %v, want %v", got, want)
		}
	})
}
