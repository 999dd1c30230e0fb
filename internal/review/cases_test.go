package review_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

func verdict(cat moderation.Category, score float64) moderation.Verdict {
	return moderation.Verdict{
		Action:        moderation.Review,
		Categories:    []moderation.CategoryScore{{Category: cat, Score: score}, {Category: moderation.Profanity, Score: 0.9}},
		Matches:       []moderation.Match{},
		Cached:        true,
		PolicyVersion: "p1",
	}
}

func TestOpenScreeningCase(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		content := moderation.Content{Text: "first text", UserID: "u1", ContentID: "n1"}
		id, err := h.desk.OpenScreeningCase(ctx, content, verdict(moderation.Harassment, 0.6))
		if err != nil {
			t.Fatal(err)
		}
		c := h.caseOf(id)
		if c.Kind != moderation.KindScreening || !c.AutomatedDetection || c.Text != "first text" || c.Target != noteOf("n1", "u1") {
			t.Fatalf("screening case = %+v", c.Case)
		}
		if c.Verdict == nil || c.Verdict.Cached {
			t.Errorf("verdict = %+v, want a copy with Cached false", c.Verdict)
		}
		if fmt.Sprint(c.Categories) != "[harassment]" {
			t.Errorf("categories = %v, want [harassment] (profanity is not a violation)", c.Categories)
		}
		if c.Lane != moderation.LaneHigh {
			t.Errorf("lane = %s, want high", c.Lane)
		}

		// The note is edited and screened again: the same case, updated.
		h.clock.Advance(time.Minute)
		content.Text = "second text"
		id2, err := h.desk.OpenScreeningCase(ctx, content, verdict(moderation.Violence, 0.95))
		if err != nil {
			t.Fatal(err)
		}
		if id2 != id {
			t.Fatalf("re-screening opened case %s, want %s", id2, id)
		}
		c = h.caseOf(id)
		if c.Text != "second text" || c.Verdict.Score(moderation.Violence) != 0.95 || c.Lane != moderation.LaneUrgent {
			t.Errorf("updated case: text %q, verdict %+v, lane %s", c.Text, c.Verdict, c.Lane)
		}
		if fmt.Sprint(c.Categories) != "[harassment violence]" {
			t.Errorf("categories = %v", c.Categories)
		}
		if n := len(c.History); n != 2 || c.History[1].Action != "screening.updated" {
			t.Errorf("history = %+v", c.History)
		}
		// A report about the same note joins the case.
		r := h.report("r1", "n1", "u1", moderation.Violence)
		if r.CaseID != id {
			t.Errorf("report about a screened note went to %s, want %s", r.CaseID, id)
		}
		open, _, err := h.desk.List(ctx, review.Filter{})
		if err != nil || len(open) != 1 {
			t.Errorf("List = %d cases, %v; want 1", len(open), err)
		}
		_, err = h.desk.OpenScreeningCase(ctx, moderation.Content{Text: "x"}, verdict(moderation.Spam, 0.5))
		wantCode(t, err, moderation.EINVALID)
	})
}

func TestRescreeningUnchangedText(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		content := moderation.Content{Text: "same text", UserID: "u1", ContentID: "n1"}
		open := func() string {
			t.Helper()
			id, err := h.desk.OpenScreeningCase(ctx, content, verdict(moderation.Harassment, 0.6))
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		id := open()
		// The product checks the unchanged note again and again.
		for range 3 {
			h.clock.Advance(time.Minute)
			if again := open(); again != id {
				t.Fatalf("re-check opened %s, want %s", again, id)
			}
		}
		if n := len(h.caseOf(id).History); n != 1 {
			t.Errorf("history has %d events after re-checks of unchanged text, want 1", n)
		}
		// A moderator keeps it: checking it again does not bring it back.
		h.claimDecide("m1", id, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "fine"})
		if again := open(); again != id {
			t.Errorf("re-check of kept text returned %s, want the decided case %s", again, id)
		}
		if cases, _, _ := h.desk.List(ctx, review.Filter{}); len(cases) != 0 {
			t.Errorf("kept text is back in the queue: %d open cases", len(cases))
		}
		// Edited text is screened anew and gets a new case.
		content.Text = "edited text"
		if again := open(); again == id {
			t.Error("edited text did not open a new case")
		}
	})
}

func TestClaimOrder(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		spamOld := h.report("r1", "spam-old", "u1", moderation.Spam)
		h.clock.Advance(time.Second)
		hate := h.report("r1", "hate", "u1", moderation.Hate)
		h.clock.Advance(time.Second)
		spamNew := h.report("r1", "spam-new", "u1", moderation.Spam)
		h.clock.Advance(time.Second)
		harass := h.report("r1", "harass", "u1", moderation.Harassment) // high, below hate
		h.clock.Advance(time.Second)
		child := h.report("r1", "child", "u1", moderation.ChildSafety)
		h.clock.Advance(time.Second)

		list, _, err := h.desk.List(t.Context(), review.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{child.CaseID, hate.CaseID, harass.CaseID, spamOld.CaseID, spamNew.CaseID}
		var got []string
		for _, c := range list {
			got = append(got, c.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("List = %v, want %v", got, want)
		}
		if low, _, err := h.desk.List(t.Context(), review.Filter{Lane: moderation.LaneLow, Limit: 1, Offset: 1}); err != nil || len(low) != 1 || low[0].ID != spamNew.CaseID {
			t.Errorf("List(low, offset 1, limit 1) = %v, %v", low, err)
		}

		// Lanes filter: only low, oldest first.
		if c := h.claim("m1", moderation.LaneLow); c.ID != spamOld.CaseID {
			t.Errorf("Claim(low) = %s, want %s", c.ID, spamOld.CaseID)
		}
		for i, id := range want {
			if i == 3 {
				continue // claimed above
			}
			c := h.claim("m2")
			if c.ID != id {
				t.Fatalf("claim %d = %s (%s), want %s", i, c.ID, c.Lane, id)
			}
			if c.Status != moderation.CaseClaimed || c.Lease == nil || c.Lease.Moderator != "m2" || !c.Lease.Until.Equal(h.clock.Now().Add(review.DefaultLease)) {
				t.Errorf("claimed case: %s, lease %+v", c.Status, c.Lease)
			}
		}
		h.noClaim("m3")
		claimed, _, err := h.desk.List(t.Context(), review.Filter{Status: moderation.CaseClaimed})
		if err != nil || len(claimed) != 5 {
			t.Errorf("List(claimed) = %d cases, %v", len(claimed), err)
		}
		_, _, err = h.desk.List(t.Context(), review.Filter{Status: "lost"})
		wantCode(t, err, moderation.EINVALID)
	})
}

func TestClaimLeaseExpires(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Hate)
		h.claimCase("m1", r.CaseID)
		h.noClaim("m2")
		h.clock.Advance(review.DefaultLease - time.Second)
		h.noClaim("m2")
		h.clock.Advance(2 * time.Second)
		h.claimCase("m2", r.CaseID)
		_, err := h.desk.Decide(ctx, "m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "late"})
		wantCode(t, err, moderation.ECONFLICT)
		h.decide("m2", r.CaseID, keep)

		c := h.caseOf(r.CaseID)
		var actions []string
		for _, e := range c.History {
			actions = append(actions, e.Actor+":"+e.Action)
		}
		want := "[reporter:reported m1:claimed system:lease_expired m2:claimed m2:decided]"
		if fmt.Sprint(actions) != want {
			t.Errorf("history = %v, want %v", actions, want)
		}
	})
}

func TestExpireLeasesRequeues(t *testing.T) {
	cfg := review.Config{Lease: time.Minute}
	eachStoreConfig(t, cfg, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.report("r1", "n1", "u1", moderation.Hate)
		h.claimCase("m1", r.CaseID)
		h.clock.Advance(time.Minute)
		if err := h.desk.ExpireLeases(ctx); err != nil {
			t.Fatal(err)
		}
		c := h.caseOf(r.CaseID)
		if c.Status != moderation.CaseOpen || c.Lease != nil {
			t.Fatalf("after expiry: %s, lease %+v", c.Status, c.Lease)
		}
		if open, _, err := h.desk.List(ctx, review.Filter{}); err != nil || len(open) != 1 {
			t.Errorf("List(open) = %d, %v", len(open), err)
		}
		if claimed, _, err := h.desk.List(ctx, review.Filter{Status: moderation.CaseClaimed}); err != nil || len(claimed) != 0 {
			t.Errorf("List(claimed) = %d, %v", len(claimed), err)
		}
	})
}

func TestClaimConcurrently(t *testing.T) {
	const moderators, cases = 16, 40
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		want := map[string]bool{}
		for i := range cases {
			cat := []moderation.Category{moderation.Spam, moderation.Hate, moderation.Sexual, moderation.ChildSafety}[i%4]
			r := h.report(fmt.Sprintf("r%d", i), fmt.Sprintf("n%d", i), "u1", cat)
			want[r.CaseID] = true
		}
		var (
			mu   sync.Mutex
			got  = map[string]string{} // case → moderator
			errs []error
			wg   sync.WaitGroup
		)
		for m := range moderators {
			mod := fmt.Sprintf("m%d", m)
			wg.Go(func() {
				for {
					c, ok, err := h.desk.Claim(ctx, mod, nil)
					mu.Lock()
					switch {
					case err != nil:
						errs = append(errs, err)
					case ok && got[c.ID] != "":
						errs = append(errs, fmt.Errorf("case %s handed to %s and %s", c.ID, got[c.ID], mod))
					case ok:
						got[c.ID] = mod
					}
					mu.Unlock()
					if !ok || err != nil {
						return
					}
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		if len(got) != cases {
			t.Errorf("%d cases handed out, want %d", len(got), cases)
		}
		for id := range want {
			if got[id] == "" {
				t.Errorf("case %s never handed out", id)
			}
		}
	})
}

func TestClaimSkipsOwnAppeal(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		r := h.report("r1", "n1", "u1", moderation.Hate)
		o := h.claimDecide("m1", r.CaseID, remove(moderation.Hate))
		appeal, _, err := h.desk.Appeal(t.Context(), "u1", o.Decision.ID, "it was a quote")
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Second)
		other := h.report("r1", "n2", "u1", moderation.Spam) // low lane, after the appeal
		h.claimCase("m1", other.CaseID)
		h.noClaim("m1")
		h.claimCase("m2", appeal.ID)
	})
}

func TestCaseNotFound(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		_, err := h.desk.Case(t.Context(), "case_missing")
		wantCode(t, err, moderation.ENOTFOUND)
		_, err = h.desk.Decide(t.Context(), "m1", "case_missing", keep)
		wantCode(t, err, moderation.EINVALID) // no reason
		_, err = h.desk.Decide(t.Context(), "m1", "case_missing", review.DecisionRequest{Action: moderation.ActionKeep, Reason: "r"})
		wantCode(t, err, moderation.ENOTFOUND)
	})
}

func TestClaimCase(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		child := h.report("r1", "n1", "u1", moderation.ChildSafety)
		spam := h.report("r1", "n2", "u1", moderation.Spam)
		// Any open case, not only the most urgent.
		c, err := h.desk.ClaimCase(ctx, "m1", spam.CaseID)
		if err != nil || c.ID != spam.CaseID || c.Status != moderation.CaseClaimed || c.Lease.Moderator != "m1" {
			t.Fatalf("ClaimCase = %+v, %v", c, err)
		}
		_, err = h.desk.ClaimCase(ctx, "m2", spam.CaseID)
		wantCode(t, err, moderation.ECONFLICT)
		// The holder renews the lease.
		h.clock.Advance(5 * time.Minute)
		c, err = h.desk.ClaimCase(ctx, "m1", spam.CaseID)
		if err != nil || !c.Lease.Until.Equal(h.clock.Now().Add(review.DefaultLease)) {
			t.Fatalf("renewed lease = %+v, %v", c.Lease, err)
		}
		h.clock.Advance(review.DefaultLease - time.Second)
		_, err = h.desk.ClaimCase(ctx, "m2", spam.CaseID)
		wantCode(t, err, moderation.ECONFLICT)
		// Once it runs out, another may take it.
		h.clock.Advance(2 * time.Second)
		if c, err = h.desk.ClaimCase(ctx, "m2", spam.CaseID); err != nil || c.Lease.Moderator != "m2" {
			t.Fatalf("ClaimCase after the lease ran out = %+v, %v", c.Lease, err)
		}
		h.decide("m2", spam.CaseID, keep)
		_, err = h.desk.ClaimCase(ctx, "m1", spam.CaseID)
		wantCode(t, err, moderation.ECONFLICT)
		_, err = h.desk.ClaimCase(ctx, "m1", "case_missing")
		wantCode(t, err, moderation.ENOTFOUND)

		// Not an appeal against one's own decision.
		o := h.claimDecide("m1", child.CaseID, remove(moderation.ChildSafety))
		appeal, _, err := h.desk.Appeal(ctx, "u1", o.Decision.ID, "no")
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.desk.ClaimCase(ctx, "m1", appeal.ID)
		wantCode(t, err, moderation.EFORBIDDEN)
		if _, err := h.desk.ClaimCase(ctx, "m3", appeal.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReportsOnAHotTarget has many reporters report one note at once: every
// report is recorded in the one case, none lost to a concurrent update.
func TestReportsOnAHotTarget(t *testing.T) {
	const reporters = 24
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		var wg sync.WaitGroup
		cases := make([]string, reporters)
		errs := make([]error, reporters)
		for i := range reporters {
			wg.Go(func() {
				r, _, err := h.desk.Submit(ctx, moderation.Report{ReporterID: fmt.Sprintf("r%d", i), Target: noteOf("n1", "u1"), Category: moderation.Spam})
				cases[i], errs[i] = r.CaseID, err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("reporter %d: %v", i, err)
			}
			if cases[i] != cases[0] {
				t.Errorf("reporter %d's report went to %s, others to %s", i, cases[i], cases[0])
			}
		}
		c := h.caseOf(cases[0])
		if c.ReportCount != reporters || len(reporterIDs(c)) != reporters || c.Reporters != reporters {
			t.Errorf("case has %d reports, %d reporters, weight %v; want %d", c.ReportCount, len(reporterIDs(c)), c.Reporters, reporters)
		}
		if c.Lane != moderation.LaneNormal {
			t.Errorf("lane %s, want normal (a crowd moves spam up)", c.Lane)
		}
	})
}

// TestReportsRacingADecision files reports about one note while moderators
// decide its cases: each report ends up in exactly the case it names, and
// every decided case resolves all the reports it holds.
func TestReportsRacingADecision(t *testing.T) {
	const reporters = 30
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		var wg sync.WaitGroup
		reports := make([]moderation.Report, reporters)
		done := make(chan struct{})
		wg.Go(func() {
			defer close(done)
			for i := range reporters {
				r, _, err := h.desk.Submit(ctx, moderation.Report{ReporterID: fmt.Sprintf("r%d", i), Target: noteOf("n1", "u1"), Category: moderation.Spam})
				if err != nil {
					t.Error(err)
				}
				reports[i] = r
			}
		})
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				c, ok, err := h.desk.Claim(ctx, "m1", nil)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					if _, err := h.desk.Decide(ctx, "m1", c.ID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "fine"}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
		wg.Wait()
		h.work()
		seen := map[string]bool{}
		for _, r := range reports {
			c := h.caseOf(r.CaseID)
			if !contains(reportIDs(c), r.ID) {
				t.Errorf("report %s is not in its case %s (%v)", r.ID, c.ID, reportIDs(c))
			}
			if seen[r.ID] {
				t.Errorf("report %s filed twice", r.ID)
			}
			seen[r.ID] = true
			got, err := h.desk.Report(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (c.Status == moderation.CaseClosed) != (got.Outcome == moderation.ReportRejected) {
				t.Errorf("report %s in a %s case has outcome %q", r.ID, c.Status, got.Outcome)
			}
		}
		// Each reporter's track record counts the decided report once.
		for _, r := range reports {
			c := h.caseOf(r.CaseID)
			for _, rv := range c.Reports {
				want := 0
				if c.Status == moderation.CaseClosed {
					want = 1
				}
				if rv.Reporter.Rejected != want || rv.Reporter.Reports != 1 {
					t.Errorf("reporter %s: %+v", rv.ReporterID, rv.Reporter.Reporter)
				}
			}
		}
	})
}

// TestCaseJSONHasNoNullLists: clients iterate the lists (categories, reports) of
// every case, including those no one reported.
func TestCaseJSONHasNoNullLists(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		id, err := h.desk.OpenScreeningCase(t.Context(), moderation.Content{Text: "x", UserID: "u1", ContentID: "n1"}, verdict(moderation.Spam, 0.5))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(h.caseOf(id))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "null") {
			t.Errorf("case JSON has a null: %s", b)
		}
	})
}

// TestClaimOrderWithinASecond: a flood files many equal cases each second;
// they are still handed out oldest first.
func TestClaimOrderWithinASecond(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		var want []string
		for i := range 5 {
			want = append(want, h.report("r1", fmt.Sprintf("n%d", i), "u1", moderation.Spam).CaseID)
			h.clock.Advance(10 * time.Millisecond)
		}
		list, _, err := h.desk.List(t.Context(), review.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var listed []string
		for _, c := range list {
			listed = append(listed, c.ID)
		}
		if fmt.Sprint(listed) != fmt.Sprint(want) {
			t.Errorf("List = %v, want %v", listed, want)
		}
		for i, id := range want {
			if c := h.claim("m1"); c.ID != id {
				t.Errorf("claim %d = %s, want %s", i, c.ID, id)
			}
		}
	})
}

func TestListPages(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		var want []string
		for i := range 130 {
			r := h.report(fmt.Sprintf("r%d", i%5), fmt.Sprintf("n%d", i), "u1", moderation.Spam)
			want = append(want, r.CaseID)
			h.clock.Advance(time.Millisecond)
		}
		// An appeal-free queue: a Kind filter that matches nothing scans
		// every page and returns an empty list, not null.
		if got, _, err := h.desk.List(ctx, review.Filter{Kind: moderation.KindAppeal}); err != nil || got == nil || len(got) != 0 {
			t.Errorf("List(appeals) = %v, %v", got, err)
		}
		// pages follows the next positions List returns to the end.
		pages := func(f review.Filter) []string {
			var ids []string
			for n := 0; ; n++ {
				page, next, err := h.desk.List(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range page {
					ids = append(ids, c.ID)
				}
				if next < 0 || n > 1000 {
					return ids
				}
				f.Offset = next
			}
		}
		if got := pages(review.Filter{Kind: moderation.KindReport}); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("paged List: %d cases, want %d in creation order", len(got), len(want))
		}

		// Unfiltered pages cross lanes: a high-lane case comes first, then
		// the low lane, with nothing lost or repeated. A kind filter that
		// matches one case in each lane pages through the others.
		hate := h.report("r9", "h1", "u2", moderation.Hate)
		if got := pages(review.Filter{Limit: 7}); fmt.Sprint(got) != fmt.Sprint(append([]string{hate.CaseID}, want...)) {
			t.Errorf("unfiltered pages: %d cases, want %d in lane then creation order", len(got), len(want)+1)
		}
		s1, err := h.desk.OpenScreeningCase(ctx, moderation.Content{Text: "a", UserID: "u3", ContentID: "s1"}, verdict(moderation.Harassment, 0.6))
		if err != nil {
			t.Fatal(err)
		}
		s2, err := h.desk.OpenScreeningCase(ctx, moderation.Content{Text: "b", UserID: "u3", ContentID: "s2"}, verdict(moderation.Spam, 0.5))
		if err != nil {
			t.Fatal(err)
		}
		if got := pages(review.Filter{Kind: moderation.KindScreening, Limit: 1}); fmt.Sprint(got) != fmt.Sprint([]string{s1, s2}) {
			t.Errorf("screening cases page by page = %v, want %v", got, []string{s1, s2})
		}
	})
}

func TestNewValidatesConfig(t *testing.T) {
	if _, err := review.New(review.Config{}); err == nil {
		t.Error("New without a store succeeded")
	}
	if _, err := review.New(review.Config{Store: backends[0].new(t), Lease: -time.Second}); err == nil {
		t.Error("New with a negative lease succeeded")
	}
}

func TestRescreeningAClaimedCase(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		content := moderation.Content{Text: "original text", UserID: "u1", ContentID: "n1"}
		id, err := h.desk.OpenScreeningCase(ctx, content, verdict(moderation.Harassment, 0.6))
		if err != nil {
			t.Fatal(err)
		}
		h.claimCase("alice", id)
		// The author edits the note while alice looks at it, many times.
		for i := range 150 {
			content.Text = fmt.Sprintf("edit %d", i)
			if _, err := h.desk.OpenScreeningCase(ctx, content, verdict(moderation.Harassment, 0.6)); err != nil {
				t.Fatal(err)
			}
		}
		c := h.caseOf(id)
		if c.Status != moderation.CaseOpen || c.Lease != nil || c.Text != "edit 149" {
			t.Errorf("case after edits: %s, lease %+v, text %q; want open with the latest text", c.Status, c.Lease, c.Text)
		}
		if n := len(c.History); n > 100 || c.History[0].Action != "case.opened" {
			t.Errorf("history: %d steps starting with %+v; want at most 100, from the opening", n, c.History[0])
		}
		// alice's decision on the text she saw is refused.
		req := remove(moderation.Harassment)
		req.Reason = "insult"
		_, err = h.desk.Decide(ctx, "alice", id, req)
		wantCode(t, err, moderation.ECONFLICT)
	})
}

// upload is an upload by u1 with hashes sha and one image of its own.
func upload(id, sha string) moderation.Content {
	return moderation.Content{Text: "excerpt", UserID: "u1", ContentID: id, File: &moderation.FileInfo{
		SHA256: sha, MediaType: "application/zip", Size: 1000,
		Images: []moderation.ImageInfo{{Path: "a.png", MediaType: "image/png", SHA256: hash64(90), PDQ: hash64(91), PDQQuality: 80}},
	}}
}

func TestScreeningCaseOfAnUpload(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		open := func(c moderation.Content) string {
			t.Helper()
			id, err := h.desk.OpenScreeningCase(ctx, c, verdict(moderation.Sexual, 0.6))
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		content := upload("f1", hash64(1))
		id := open(content)
		c := h.caseOf(id)
		want := moderation.Target{Type: moderation.TargetUpload, ID: "f1", UserID: "u1"}
		if c.Target != want || c.File == nil || c.File.SHA256 != hash64(1) || len(c.File.Images) != 1 || c.File.Images[0] != content.File.Images[0] {
			t.Fatalf("upload case: target %+v, file %+v", c.Target, c.File)
		}
		// A note with the same id is another thing.
		if note := open(moderation.Content{Text: "excerpt", UserID: "u1", ContentID: "f1"}); note == id {
			t.Error("a note with the upload's id joined the upload's case")
		} else if n := h.caseOf(note); n.Target.Type != moderation.TargetNote || n.File != nil {
			t.Errorf("note case: target %+v, file %+v", n.Target, n.File)
		}

		// The same bytes again change nothing.
		h.clock.Advance(time.Minute)
		if again := open(upload("f1", hash64(1))); again != id {
			t.Fatalf("re-check of the same bytes opened %s, want %s", again, id)
		}
		if n := len(h.caseOf(id).History); n != 1 {
			t.Errorf("history has %d events after a re-check of the same bytes, want 1", n)
		}
		// Other bytes under the same id, with the same excerpts, are news:
		// a moderator holding the case has not seen them.
		if _, err := h.desk.ClaimCase(ctx, "m1", id); err != nil {
			t.Fatal(err)
		}
		id2 := open(upload("f1", hash64(2)))
		c = h.caseOf(id2)
		if id2 != id || c.File.SHA256 != hash64(2) || c.Status != moderation.CaseOpen || c.Lease != nil {
			t.Fatalf("case after new bytes: %s, %s, file %+v, lease %+v", id2, c.Status, c.File, c.Lease)
		}
		if d := c.History[len(c.History)-1].Detail; !strings.Contains(d, "the upload changed while m1 held the case") {
			t.Errorf("history detail %q", d)
		}

		// Decided: the same bytes stay decided, other bytes open a new case.
		if _, err := h.desk.ClaimCase(ctx, "m1", id); err != nil {
			t.Fatal(err)
		}
		h.decide("m1", id, keep)
		if again := open(upload("f1", hash64(2))); again != id {
			t.Errorf("re-check of decided bytes returned %s, want %s", again, id)
		}
		if again := open(upload("f1", hash64(3))); again == id {
			t.Error("new bytes after a decision did not open a new case")
		}
	})
}
