package review_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
	"github.com/aup-dev/aup/internal/review"
)

// privacyStores are the backends of the privacy tests; with Redis, dump
// returns every key and value under the test's prefix, so a test can look
// for an erased person in everything stored.
type privacyStore struct {
	name  string
	store review.Store
	dump  func(t *testing.T) string
}

func privacyStores(t *testing.T) []privacyStore {
	client := redistest.Shared(t).Client(t)
	prefix := redistest.Prefix()
	return []privacyStore{
		{name: "memory", store: memstore.NewRecords()},
		{name: "redis", store: redisstore.NewRecords(client, prefix), dump: func(t *testing.T) string { return dumpRedis(t, client, prefix) }},
	}
}

// dumpRedis returns every key under prefix with its value: strings,
// sorted sets' members and streams' entries.
func dumpRedis(t *testing.T, c redis.UniversalClient, prefix string) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		b.WriteString(key + "\n")
		switch typ := c.Type(ctx, key).Val(); typ {
		case "string":
			b.WriteString(c.Get(ctx, key).Val())
		case "zset":
			b.WriteString(strings.Join(c.ZRange(ctx, key, 0, -1).Val(), "\n"))
		case "stream":
			for _, m := range c.XRange(ctx, key, "-", "+").Val() {
				raw, _ := json.Marshal(m.Values)
				b.Write(raw)
			}
		default:
			t.Fatalf("key %s has type %s, which the dump does not read", key, typ)
		}
		b.WriteString("\n")
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func eachPrivacyStore(t *testing.T, cfg review.Config, start time.Time, fn func(t *testing.T, h *harness, dump func(t *testing.T) string)) {
	for _, s := range privacyStores(t) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, s.store, cfg)
			h.clock.now = start
			fn(t, h, s.dump)
		})
	}
}

// settle decides case id as moderator, claiming it first.
func (h *harness) settle(moderator, id string, req review.DecisionRequest) review.Outcome {
	h.t.Helper()
	if _, err := h.desk.ClaimCase(h.t.Context(), moderator, id); err != nil {
		h.t.Fatalf("ClaimCase(%s): %v", id, err)
	}
	return h.decide(moderator, id, req)
}

func TestEraseKeepsOnlyPseudonymousRecordsTheLawNeeds(t *testing.T) {
	eachPrivacyStore(t, review.Config{}, epoch, func(t *testing.T, h *harness, dump func(t *testing.T) string) {
		ctx := t.Context()
		const email, note = "alice.canary@example.org", "alice's canary note"
		// A decision about alice that can no longer be appealed.
		old := h.report("bob", "n-old", "alice", moderation.Spam)
		oldOut := h.settle("mod1", old.CaseID, remove(moderation.Spam))
		h.clock.Advance(200 * 24 * time.Hour)
		// One that can, on a report with bob's e-mail.
		recent, _, err := h.desk.Submit(ctx, moderation.Report{ReporterID: "bob", Target: noteOf("n-new", "alice"), Category: moderation.Harassment, Text: note, ContactEmail: "bob@example.org", Explanation: "bob explains"})
		if err != nil {
			t.Fatal(err)
		}
		recentOut := h.settle("mod1", recent.CaseID, remove(moderation.Harassment))
		// alice as reporter: a report on a case still open, one resolved.
		open, _, err := h.desk.Submit(ctx, moderation.Report{ReporterID: "alice", Target: noteOf("n-carol", "carol"), Category: moderation.Spam, Text: "carol's note", ContactEmail: email, Explanation: "alice explains"})
		if err != nil {
			t.Fatal(err)
		}
		resolved := h.report("alice", "n-dave", "dave", moderation.Spam)
		h.settle("mod2", resolved.CaseID, keep)
		if err := h.desk.RememberUpload(ctx, "u-alice", "alice", moderation.FileInfo{MediaType: "image/png", SHA256: strings.Repeat("ab", 32), Size: 10}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.desk.Restrict(ctx, "admin", "alice", true, "the user contests a decision"); err != nil {
			t.Fatal(err)
		}
		// An open case about alice's content holds the erasure up.
		pending := h.report("carol", "n-pending", "alice", moderation.Spam)
		_, err = h.desk.Erase(ctx, "admin", "alice")
		wantCode(t, err, moderation.ECONFLICT)
		if !strings.Contains(err.Error(), pending.CaseID) {
			t.Errorf("the refusal %q does not name the open case %s", err, pending.CaseID)
		}
		h.settle("mod2", pending.CaseID, keep)

		x, err := h.desk.Export(ctx, "ops", "alice")
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Cases) != 3 || len(x.Decisions) != 3 || len(x.Reports) != 2 || len(x.Uploads) != 1 || x.Account.Restriction == nil || len(x.Account.Strikes) != 1 {
			t.Fatalf("export before erasure: %d cases, %d decisions, %d reports, %d uploads, restriction %v, %d strikes; want 3, 3, 2, 1, set, 1",
				len(x.Cases), len(x.Decisions), len(x.Reports), len(x.Uploads), x.Account.Restriction, len(x.Account.Strikes))
		}
		if raw, _ := json.Marshal(x); strings.Contains(string(raw), "mod1") || strings.Contains(string(raw), "bob") || strings.Contains(string(raw), `"user_id":"carol"`) || strings.Contains(string(raw), `"user_id":"dave"`) {
			t.Errorf("the export names a moderator, another reporter or an author alice reported: %s", raw)
		}

		// The product has not been sent the events yet (its webhook is down).
		res, err := h.desk.Erase(ctx, "admin", "alice")
		if err != nil {
			t.Fatal(err)
		}
		psn := h.desk.Pseudonym("alice")
		if res.Pseudonym != psn || !strings.HasPrefix(psn, "psn_") || psn == h.desk.Pseudonym("bob") {
			t.Fatalf("pseudonym %q (bob's %q)", res.Pseudonym, h.desk.Pseudonym("bob"))
		}
		if res.Kept["event"] == 0 {
			t.Errorf("no pending event was pseudonymised: %v", res.Kept)
		}
		wantKept := map[string]int{"case": 1, "decision": 1, "report": 1}
		wantDeleted := map[string]int{"case": 2, "decision": 2, "report": 1, "upload-file": 1}
		for k, n := range wantKept {
			if res.Kept[k] != n {
				t.Errorf("kept %v, want %v", res.Kept, wantKept)
			}
		}
		for k, n := range wantDeleted {
			if res.Deleted[k] != n {
				t.Errorf("deleted %v, want %v", res.Deleted, wantDeleted)
			}
		}

		// What the law needs stays, under the pseudonym.
		dec := recentOut.Decision
		c := h.caseOf(recent.CaseID)
		if c.Target.UserID != psn || c.Text != "" || c.Verdict != nil || c.DecisionID != dec.ID {
			t.Errorf("kept case: author %q, text %q, verdict %v; want the pseudonym and no content", c.Target.UserID, c.Text, c.Verdict)
		}
		if len(c.Reports) != 1 || c.Reports[0].ContactEmail != "" || c.Reports[0].Text != "" || c.Reports[0].Target.UserID != psn || c.Reports[0].ReporterID != "bob" {
			t.Errorf("bob's report on the kept case: %+v", c.Reports)
		}
		if st, err := h.desk.Statement(ctx, dec.ID); err != nil {
			t.Errorf("statement of the kept decision: %v", err)
		} else if raw, _ := json.Marshal(st); strings.Contains(string(raw), "alice") {
			t.Errorf("statement names alice: %s", raw)
		}
		if _, err := h.desk.Statement(ctx, oldOut.Decision.ID); moderation.ErrorCode(err) != moderation.ENOTFOUND {
			t.Errorf("the decision past its appeal window is still there (%v)", err)
		}
		r, err := h.desk.Report(ctx, open.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.ReporterID != psn || r.ContactEmail != "" || r.Explanation != "" || r.Text == "" {
			t.Errorf("alice's report on an open case: %+v; want the pseudonym, no e-mail or explanation, the reported text", r)
		}
		if _, err := h.desk.Report(ctx, resolved.ID); moderation.ErrorCode(err) != moderation.ENOTFOUND {
			t.Errorf("alice's resolved report is still there (%v)", err)
		}
		if v := h.caseOf(resolved.CaseID); len(v.Reports) != 0 || v.ReportCount != 1 {
			t.Errorf("dave's case shows reports %+v after alice's was erased (count %d)", v.Reports, v.ReportCount)
		}
		// alice's report on carol's note still counts for that case, but
		// no track record is kept for her pseudonym.
		h.settle("mod2", open.CaseID, remove(moderation.Spam))
		for _, rv := range h.caseOf(open.CaseID).Reports {
			if rv.ReporterID == psn && (rv.Status != moderation.ReportResolved || rv.Reporter.Reports != 0 || rv.Reporter.Upheld != 0) {
				t.Errorf("alice's report after the decision: %+v", rv)
			}
		}
		// The pseudonymous decision can still be appealed, by its pseudonym.
		if _, _, err := h.desk.Appeal(ctx, psn, dec.ID, "appeal"); err != nil {
			t.Errorf("appeal of the kept decision: %v", err)
		}

		// Nothing else is left about alice.
		x, err = h.desk.Export(ctx, "ops", "alice")
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Cases)+len(x.Decisions)+len(x.Reports)+len(x.Uploads) != 0 || x.Reporter != nil || x.Account.Restriction != nil || len(x.Account.Strikes) != 0 {
			t.Errorf("export after erasure: %+v", x)
		}
		entries, _, err := h.desk.Audit(ctx, review.AuditQuery{TargetID: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Actor+" "+e.Action+" "+e.TargetID)
		}
		for _, want := range []string{"admin privacy.restricted " + psn, "ops privacy.exported " + psn, "admin privacy.erased " + psn} {
			if !slices.Contains(actions, want) {
				t.Errorf("audit about alice %v lacks %q", actions, want)
			}
		}
		if dump != nil {
			all := dump(t)
			for _, s := range []string{"alice", email, note, "alice explains", "bob@example.org", "bob explains"} {
				if strings.Contains(all, s) {
					i := strings.Index(all, s)
					t.Errorf("%q is still stored: …%s…", s, all[max(0, i-200):min(len(all), i+100)])
				}
			}
			if !strings.Contains(all, psn) || !strings.Contains(all, "bob") {
				t.Error("the dump misses records that must be there: it reads nothing")
			}
		}
	})
}

func TestPurgeDeletesWhatOutlivedItsRetention(t *testing.T) {
	// The logs' ids come from the store's clock, so this desk's starts now.
	ret := review.Retention{CaseContent: time.Hour, Cases: 2 * time.Hour, Reports: 2 * time.Hour, Decisions: 3 * time.Hour, Users: 3 * time.Hour, Audit: 4 * time.Hour, Stats: 5 * time.Hour}
	cfg := review.Config{AppealWindow: time.Hour, StrikeWindow: time.Hour, Retention: ret, UploadMemory: 2 * time.Hour}
	eachPrivacyStore(t, cfg, time.Now().UTC(), func(t *testing.T, h *harness, dump func(t *testing.T) string) {
		ctx := t.Context()
		start := h.clock.Now()
		at := func(d time.Duration) { h.clock.Advance(start.Add(d).Sub(h.clock.Now())) }
		purge := func(want map[string]int64) {
			t.Helper()
			got, err := h.desk.Purge(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("at %s purged %v, want %v", h.clock.Now().Sub(start), got, want)
					return
				}
			}
		}
		if err := h.desk.RememberUpload(ctx, "u-erin", "erin", moderation.FileInfo{MediaType: "image/png", SHA256: strings.Repeat("cd", 32)}); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"alice", "erin"} {
			if _, _, err := h.desk.Submit(ctx, moderation.Report{ReporterID: "bob", Target: noteOf("n-"+who, who), Category: moderation.Spam, Text: who + "'s text", ContactEmail: "bob@example.org"}); err != nil {
				t.Fatal(err)
			}
		}
		cases, _, err := h.desk.List(ctx, review.Filter{Status: moderation.CaseOpen})
		if err != nil || len(cases) != 2 {
			t.Fatalf("open cases %v, %v", cases, err)
		}
		var erinDecision string
		for _, c := range cases {
			out := h.settle("mod1", c.ID, remove(moderation.Spam))
			if c.Target.UserID == "erin" {
				erinDecision = out.Decision.ID
			}
		}
		if _, err := h.desk.Restrict(ctx, "admin", "alice", true, "needed for a legal claim"); err != nil {
			t.Fatal(err)
		}
		purge(map[string]int64{"case_content": 0, "cases": 0, "decisions": 0, "audit": 0})

		// erin appeals: her case keeps its content while the appeal is open.
		if _, _, err := h.desk.Appeal(ctx, "erin", erinDecision, "please"); err != nil {
			t.Fatal(err)
		}
		at(61 * time.Minute)
		purge(map[string]int64{"case_content": 0})
		appeal := h.claim("mod2")
		h.decide("mod2", appeal.ID, review.DecisionRequest{Action: moderation.ActionDismiss})
		purge(map[string]int64{"case_content": 1})
		for _, c := range cases {
			v := h.caseOf(c.ID)
			restricted := c.Target.UserID == "alice"
			if restricted != (v.Text != "") {
				t.Errorf("case about %s: text %q after the content's retention", c.Target.UserID, v.Text)
			}
			if !restricted && (len(v.Reports) != 1 || v.Reports[0].ContactEmail != "" || v.Reports[0].Text != "") {
				t.Errorf("the report on erin's case keeps its content: %+v", v.Reports)
			}
		}

		at(3*time.Hour + 30*time.Minute)
		// erin's case and the appeal (closed at 1 h 1 min); bob's report on
		// erin's case, but not the one on alice's; bob's track record;
		// erin's decision but not the appeal's.
		purge(map[string]int64{"case_content": 1, "cases": 2, "reports": 1, "reporters": 1, "decisions": 1, "users": 0, "uploads": 1})
		if x, err := h.desk.Export(ctx, "ops", "erin"); err != nil || len(x.Uploads) != 0 {
			t.Errorf("erin's export lists %d uploads past their memory (%v)", len(x.Uploads), err)
		}
		at(4*time.Hour + 30*time.Minute) // and past the audit's retention
		got, err := h.desk.Purge(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got["decisions"] != 1 || got["users"] != 1 || got["audit"] == 0 || got["stats"] != 0 {
			t.Errorf("at 4 h 30 min purged %v, want a decision, a user, audit entries and no statistics", got)
		}
		if st, err := h.desk.UserStatus(ctx, "erin"); err != nil || len(st.Decisions) != 0 {
			t.Errorf("erin's record %+v, %v; want none", st, err)
		}
		at(6 * time.Hour) // past the statistics' retention
		if got, err = h.desk.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		if got["stats"] == 0 {
			t.Errorf("at 6 h purged %v, want statistics", got)
		}
		if entries, _, err := h.desk.Audit(ctx, review.AuditQuery{}); err != nil || len(entries) != 0 {
			t.Errorf("audit after its retention: %d entries, %v", len(entries), err)
		}

		// alice's records outlive their retention until the restriction is
		// lifted; then they go.
		x, err := h.desk.Export(ctx, "ops", "alice")
		if err != nil || len(x.Cases) != 1 || len(x.Decisions) != 1 || x.Cases[0].Text == "" {
			t.Fatalf("alice's export while restricted: %d cases, %d decisions, %v", len(x.Cases), len(x.Decisions), err)
		}
		if _, err := h.desk.Restrict(ctx, "admin", "alice", false, ""); err != nil {
			t.Fatal(err)
		}
		purge(map[string]int64{"case_content": 1, "cases": 1, "reports": 1, "decisions": 1, "users": 1})
		if x, err = h.desk.Export(ctx, "ops", "alice"); err != nil || len(x.Cases)+len(x.Decisions) != 0 {
			t.Errorf("alice's export after lifting: %d cases, %d decisions, %v", len(x.Cases), len(x.Decisions), err)
		}
		if dump != nil {
			if all := dump(t); strings.Contains(all, "bob@example.org") || strings.Contains(all, "'s text") {
				t.Errorf("content outlived the purge:\n%s", all)
			}
		}
	})
}

func TestRestrictionStopsSuspensionProposals(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		if _, err := h.desk.Restrict(ctx, "ops", "u1", true, ""); moderation.ErrorCode(err) != moderation.EINVALID {
			t.Errorf("a restriction without a reason: %v, want EINVALID", err)
		}
		st, err := h.desk.Restrict(ctx, "ops", "u1", true, "contests the strikes")
		if err != nil || st.Restriction == nil || st.Restriction.By != "ops" {
			t.Fatalf("Restrict = %+v, %v", st.Restriction, err)
		}
		removeNote := func(note string) {
			r := h.report("r1", note, "u1", moderation.Spam)
			h.settle("m1", r.CaseID, remove(moderation.Spam))
		}
		for i := range review.DefaultStrikeThreshold {
			removeNote(fmt.Sprint("n", i))
		}
		if cases, _, err := h.desk.List(ctx, review.Filter{Kind: moderation.KindSuspension}); err != nil || len(cases) != 0 {
			t.Fatalf("suspension proposals for a restricted user: %d, %v", len(cases), err)
		}
		if st, err = h.desk.Restrict(ctx, "ops", "u1", false, ""); err != nil || st.Restriction != nil {
			t.Fatalf("lifting: %+v, %v", st.Restriction, err)
		}
		removeNote("n-after")
		if cases, _, err := h.desk.List(ctx, review.Filter{Kind: moderation.KindSuspension}); err != nil || len(cases) != 1 {
			t.Errorf("suspension proposals once lifted: %d, %v; want 1", len(cases), err)
		}
	})
}

func TestEraseWaitsForWhatMustFinish(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		// bob's report on alice's note is resolved by a job after the
		// decision; until then her case cannot go.
		r := h.report("bob", "n1", "alice", moderation.Spam)
		if _, err := h.desk.ClaimCase(ctx, "m1", r.CaseID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.desk.Decide(ctx, "m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "fine"}); err != nil {
			t.Fatal(err)
		}
		_, err := h.desk.Erase(ctx, "ops", "alice")
		wantCode(t, err, moderation.EUNAVAILABLE)
		h.work()
		if _, err := h.desk.Erase(ctx, "ops", "alice"); err != nil {
			t.Fatal(err)
		}
		if got, err := h.desk.Report(ctx, r.ID); err != nil || got.Status != moderation.ReportResolved || got.Target.UserID == "alice" {
			t.Errorf("bob's report after alice's erasure: %+v, %v", got, err)
		}

		// A suspension in force is enforced through the user's record.
		if _, _, err := h.desk.Suspend(ctx, "m1", "carol", review.SuspendRequest{Reason: "spam wave", Days: 7}); err != nil {
			t.Fatal(err)
		}
		_, err = h.desk.Erase(ctx, "ops", "carol")
		wantCode(t, err, moderation.ECONFLICT)
		if _, err := h.desk.Lift(ctx, "m1", "carol", "erasure requested"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.desk.Erase(ctx, "ops", "carol"); err != nil {
			t.Errorf("erasure once lifted: %v", err)
		}
	})
}

func TestPurgeReachesLateReportsAndSparesRestrictedReporters(t *testing.T) {
	ret := review.Retention{CaseContent: time.Hour}
	eachStoreConfig(t, review.Config{AppealWindow: time.Hour, Retention: ret}, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r, _, err := h.desk.Submit(ctx, moderation.Report{ReporterID: "bob", Target: noteOf("n1", "alice"), Category: moderation.Spam, Text: "bob saw this", ContactEmail: "bob@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.desk.Restrict(ctx, "ops", "bob", true, "bob asked"); err != nil {
			t.Fatal(err)
		}
		h.settle("m1", r.CaseID, remove(moderation.Spam))
		h.clock.Advance(2 * time.Hour)
		if _, err := h.desk.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		// A report about the removed note, after its content went.
		late, _, err := h.desk.Submit(ctx, moderation.Report{ReporterID: "dora", Target: noteOf("n1", "alice"), Category: moderation.Spam, Text: "dora saw this", ContactEmail: "dora@example.org"})
		if err != nil || late.CaseID != r.CaseID || late.Status != moderation.ReportResolved {
			t.Fatalf("late report: %+v, %v", late, err)
		}
		if got, err := h.desk.Purge(ctx); err != nil || got["case_content"] != 1 {
			t.Errorf("purge after the late report: %v, %v; want its content stripped", got, err)
		}
		for _, rv := range h.caseOf(r.CaseID).Reports {
			switch rv.ReporterID {
			case "dora":
				if rv.Text != "" || rv.ContactEmail != "" {
					t.Errorf("the late report keeps its content: %+v", rv.Report)
				}
			case "bob":
				if rv.Text == "" || rv.ContactEmail == "" {
					t.Errorf("restricted bob's report lost its content: %+v", rv.Report)
				}
			}
		}
	})
}

func TestUploadRememberedForAnotherUserLeavesTheFirst(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		for _, who := range []string{"erin", "zed"} {
			if err := h.desk.RememberUpload(ctx, "u1", who, moderation.FileInfo{MediaType: "image/png", SHA256: strings.Repeat("ef", 32)}); err != nil {
				t.Fatal(err)
			}
		}
		for who, want := range map[string]int{"erin": 0, "zed": 1} {
			if x, err := h.desk.Export(ctx, "ops", who); err != nil || len(x.Uploads) != want {
				t.Errorf("%s's export lists %d uploads (%v), want %d", who, len(x.Uploads), err, want)
			}
		}
	})
}
