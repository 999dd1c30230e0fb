package review_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// statsMark returns a time after every statistics entry written so far and
// before every one written from now on. Statistics entries are timed by
// the store's clock (their log ids), not the desk's test clock, so the
// tests place them in a period by marking the log between phases.
func (h *harness) statsMark() time.Time {
	h.t.Helper()
	last := int64(0)
	for after := ""; ; {
		page, err := h.store.ReadLog(h.t.Context(), "stats", after, 1000)
		if err != nil {
			h.t.Fatalf("ReadLog(stats): %v", err)
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].ID
		ms, _, _ := strings.Cut(after, "-")
		if last, err = strconv.ParseInt(ms, 10, 64); err != nil {
			h.t.Fatalf("stats entry id %q: %v", after, err)
		}
	}
	// The store's clock moves on past last+1 before anything else is
	// written, whatever its offset from this process's.
	time.Sleep(5 * time.Millisecond)
	return time.UnixMilli(last + 1)
}

func (h *harness) transparency(from, to time.Time) review.Transparency {
	h.t.Helper()
	tr, err := h.desk.Transparency(h.t.Context(), from, to)
	if err != nil {
		h.t.Fatalf("Transparency(%s, %s): %v", from, to, err)
	}
	return tr
}

// statements returns the statements of [from, to) and checks that each
// encodes to one JSON line that decodes back.
func (h *harness) statements(from, to time.Time) []review.Statement {
	h.t.Helper()
	var out []review.Statement
	err := h.desk.Statements(h.t.Context(), from, to, func(s review.Statement) error {
		line, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if strings.Contains(string(line), "\n") {
			return fmt.Errorf("statement %s is not one line", line)
		}
		var back review.Statement
		if err := json.Unmarshal(line, &back); err != nil {
			return fmt.Errorf("statement line %s: %w", line, err)
		}
		out = append(out, back)
		return nil
	})
	if err != nil {
		h.t.Fatalf("Statements(%s, %s): %v", from, to, err)
	}
	return out
}

// Identifiers and text that must never reach the statistics or the
// Transparency Database export.
const (
	secretNote   = "note-SECRET"
	secretUser   = "user-SECRET"
	secretReason = "SECRET reason naming Jane Doe"
	secretMod    = "mod-SECRET"
)

func note(n int) string { return fmt.Sprintf("%s-%d", secretNote, n) }
func user(n int) string { return fmt.Sprintf("%s-%d", secretUser, n) }

// TestTransparency drives the desk through a period of reports, decisions
// from every source, suspensions on every basis and two appeals, between
// activity before and after it, and checks the period's figures exactly.
func TestTransparency(t *testing.T) {
	eachStoreConfig(t, review.Config{StrikeThreshold: 2}, func(t *testing.T, h *harness) {
		ctx := t.Context()
		mod1, mod2 := secretMod+"-1", secretMod+"-2"
		step := func() { h.clock.Advance(time.Second) } // keeps decision times distinct
		decide := func(caseID string, req review.DecisionRequest) *moderation.Decision {
			t.Helper()
			req.Reason = secretReason
			o := h.claimDecide(mod1, caseID, req)
			step()
			return o.Decision
		}
		screen := func(n int, author string) string {
			t.Helper()
			v := moderation.Verdict{Action: moderation.Review, PolicyVersion: "p1",
				Categories: []moderation.CategoryScore{{Category: moderation.Harassment, Score: 0.7, Action: moderation.Review}}}
			id, err := h.desk.OpenScreeningCase(ctx, moderation.Content{Text: "text", UserID: author, ContentID: note(n)}, v)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		suspend := func(u string, days int) moderation.Decision {
			t.Helper()
			dec, _, err := h.desk.Suspend(ctx, mod1, u, review.SuspendRequest{Reason: secretReason, Days: days, Categories: []moderation.Category{moderation.Spam}})
			if err != nil {
				t.Fatal(err)
			}
			step()
			return dec
		}
		appeal := func(u string, dec *moderation.Decision, action moderation.DecisionAction, wait time.Duration) {
			t.Helper()
			c, _, err := h.desk.Appeal(ctx, u, dec.ID, "I disagree")
			if err != nil {
				t.Fatal(err)
			}
			h.clock.Advance(wait)
			o := h.claimDecide(mod2, c.ID, review.DecisionRequest{Action: action, Reason: secretReason})
			if o.Decision == nil {
				t.Fatalf("appeal %s: no decision", c.ID)
			}
			step()
		}

		// Before the period: a report upheld by a removal.
		r0 := h.report("reporter-0", note(0), user(0), moderation.Spam)
		before := decide(r0.CaseID, remove(moderation.Spam))
		from, deskFrom := h.statsMark(), h.clock.Now()
		h.clock.Advance(time.Minute)

		// Two reports on one note, 660 s and 600 s before its removal.
		r1 := h.report("reporter-1", note(1), user(1), moderation.Harassment)
		h.clock.Advance(60 * time.Second)
		h.report("reporter-2", note(1), user(1), moderation.Hate)
		h.clock.Advance(600 * time.Second)
		removed := decide(r1.CaseID, remove(moderation.Harassment, moderation.Hate))
		// A report about it afterwards is upheld at once, untimed.
		if r := h.report("reporter-5", note(1), user(1), moderation.Violence); r.Status != moderation.ReportResolved {
			t.Fatalf("report about removed content: %s, want resolved at once", r.Status)
		}
		// A report rejected 1800 s after it was filed.
		r3 := h.report("reporter-3", note(2), user(2), moderation.Spam)
		h.clock.Advance(1800 * time.Second)
		decide(r3.CaseID, keep)
		// Screening's case, removed.
		screened := decide(screen(3, user(3)), remove(moderation.Harassment))
		// A direct suspension, indefinite.
		suspend(user(4), 0)
		// Two strikes open a suspension proposal, decided for a week.
		decide(screen(6, user(5)), remove(moderation.Spam))
		decide(screen(7, user(5)), remove(moderation.Spam))
		proposal := h.claim(mod1)
		if proposal.Kind != moderation.KindSuspension {
			t.Fatalf("after two strikes the next case is %s, want a suspension proposal", proposal.Kind)
		}
		h.decide(mod1, proposal.ID, review.DecisionRequest{Action: moderation.ActionSuspend, Categories: []moderation.Category{moderation.Spam}, SuspendDays: 7, Reason: secretReason})
		step()
		// Appeals: one reversed after two hours, one confirmed after one.
		appeal(user(1), removed, moderation.ActionReverse, 2*time.Hour)
		appeal(user(3), screened, moderation.ActionDismiss, time.Hour)
		to, deskTo := h.statsMark(), h.clock.Now()
		h.clock.Advance(time.Minute)

		// After the period.
		h.report("reporter-9", note(9), user(9), moderation.Spam)
		suspend(user(9), 3)
		if n, err := h.desk.Work(ctx); err != nil || n != 0 {
			t.Fatalf("Work = %d, %v; the decisions' follow-up work should be done", n, err)
		}

		got := h.transparency(from, to)
		median := func(f float64) *float64 { return &f }
		want := review.Transparency{
			Period: review.Period{From: from, To: to},
			Reports: review.ReportCounts{
				Total:                   4,
				ByCategory:              map[string]int{"harassment": 1, "hate": 1, "violence": 1, "spam": 1},
				ByOutcome:               map[string]int{"upheld": 3, "rejected": 1},
				RevisedOnAppeal:         3, // the reversal rejects the three upheld reports
				MedianSecondsToDecision: median(660),
			},
			Decisions: review.DecisionCounts{
				Total:              9,
				ByCategory:         map[string]int{"harassment": 2, "hate": 1, "spam": 4},
				ByAction:           map[string]int{"remove": 4, "keep": 1, "suspend": 2, "reverse": 1, "dismiss": 1},
				BySource:           map[string]int{"notice": 2, "own_initiative": 5, "appeal": 2},
				AutomatedDetection: 3,
				ContentRemoved:     4,
			},
			Automated: review.AutomatedCounts{ByAction: map[string]int{}, ByCategory: map[string]int{}, ByActionAndCategory: map[string]map[string]int{}},
			Suspensions: review.SuspensionCounts{
				Total:      2,
				ByBasis:    map[string]int{"direct": 1, "strikes": 1},
				ByCategory: map[string]int{"spam": 2},
				Indefinite: 1,
			},
			Appeals: review.AppealCounts{
				Received:              2,
				ByCategory:            map[string]int{"harassment": 2, "hate": 1},
				Decided:               2,
				ByOutcome:             map[string]int{"reversed": 1, "confirmed": 1},
				MedianHandlingSeconds: median(5400),
			},
			Reversals: 1,
		}
		gotJSON, _ := json.MarshalIndent(got, "", " ")
		wantJSON, _ := json.MarshalIndent(want, "", " ")
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("Transparency =\n%s\nwant\n%s", gotJSON, wantJSON)
		}
		if !strings.Contains(string(gotJSON), `"by_action": {}`) {
			t.Errorf("empty maps should encode as {}: %s", gotJSON)
		}

		t.Run("the periods around", func(t *testing.T) {
			all := h.transparency(from.Add(-time.Hour), to.Add(time.Hour))
			if all.Reports.Total != 6 || all.Decisions.Total != 11 || all.Suspensions.Total != 3 || all.Decisions.ByCategory["spam"] != 6 {
				t.Errorf("with the activity before and after: reports %d, decisions %d (%v), suspensions %d; want 6, 11 (spam 6), 3",
					all.Reports.Total, all.Decisions.Total, all.Decisions.ByCategory, all.Suspensions.Total)
			}
			after := h.transparency(to, to.Add(time.Hour))
			if after.Reports.Total != 1 || after.Decisions.Total != 1 || after.Suspensions.ByBasis["direct"] != 1 || after.Reports.MedianSecondsToDecision != nil {
				t.Errorf("after the period: %+v", after)
			}
			empty := h.transparency(from.Add(-48*time.Hour), from.Add(-47*time.Hour))
			b, _ := json.Marshal(empty)
			if !strings.Contains(string(b), `"median_seconds_to_decision":null`) || !strings.Contains(string(b), `"by_category":{}`) {
				t.Errorf("an empty period: %s, want null medians and {} maps", b)
			}
			if empty.Reports.Total != 0 || empty.Decisions.Total != 0 || empty.Reports.MedianSecondsToDecision != nil || empty.Appeals.MedianHandlingSeconds != nil {
				t.Errorf("an empty period: %+v", empty)
			}
		})

		t.Run("statements", func(t *testing.T) {
			sts := h.statements(deskFrom, deskTo)
			// The restricting decisions of the period, in decision order:
			// keep, reverse and dismiss have no statement to submit.
			var ids []string
			for _, s := range sts {
				ids = append(ids, s.PUID)
				line, _ := json.Marshal(s)
				for _, secret := range []string{"SECRET", "Jane"} {
					if strings.Contains(string(line), secret) {
						t.Errorf("statement holds %q: %s", secret, line)
					}
				}
				if s.DecisionGround == "" || s.DecisionFacts == "" || s.Category == "" {
					t.Errorf("statement without ground, facts or category: %s", line)
				}
			}
			if len(sts) != 6 {
				t.Fatalf("%d statements %v, want 6", len(sts), ids)
			}
			if sts[0].PUID != removed.ID || !sts[0].Reversed || sts[0].SourceType != "SOURCE_ARTICLE_16" ||
				sts[0].DecisionFacts != "The note was removed. A user's notice led to the review. The decision was reversed on appeal." {
				t.Errorf("first statement = %+v, want the reversed removal %s", sts[0], removed.ID)
			}
			if sts[1].PUID != screened.ID || sts[1].AutomatedDetection != "Yes" || sts[1].SourceType != "SOURCE_VOLUNTARY" {
				t.Errorf("second statement = %+v, want screening's removal %s", sts[1], screened.ID)
			}
			if sts[2].DecisionAccount != "DECISION_ACCOUNT_SUSPENDED" || sts[2].DecisionFacts != "The account was suspended indefinitely." {
				t.Errorf("third statement = %+v, want the direct suspension", sts[2])
			}
			if sts[5].EndDateAccountRestriction == "" || sts[5].DecisionVisibility != nil {
				t.Errorf("last statement = %+v, want the week's suspension on strikes", sts[5])
			}
			// The user's own statement keeps the facts they need.
			if own, err := h.desk.Statement(ctx, removed.ID); err != nil || !strings.Contains(own.DecisionFacts, secretReason) {
				t.Errorf("Statement(%s) = %+v, %v; want the moderator's reason", removed.ID, own, err)
			}
			for _, s := range h.statements(deskFrom.Add(-time.Hour), deskTo.Add(time.Hour)) {
				if s.PUID == before.ID {
					return
				}
			}
			t.Errorf("the removal before the period is missing from a wider export")
		})

		t.Run("statements stop at fn's error", func(t *testing.T) {
			stop := errors.New("stop")
			calls := 0
			err := h.desk.Statements(ctx, deskFrom, deskTo, func(review.Statement) error { calls++; return stop })
			if !errors.Is(err, stop) || calls != 1 {
				t.Errorf("Statements = %v after %d calls, want fn's error after 1", err, calls)
			}
		})
	})
}

func TestTransparencyPeriod(t *testing.T) {
	h := newHarness(t, memstore.NewRecords(), review.Config{})
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		from, to time.Time
		msg      string
	}{
		{"empty", at, at, "must be after from"},
		{"inverted", at, at.Add(-time.Second), "must be after from"},
		{"over 400 days", at, at.Add(400*24*time.Hour + time.Millisecond), "longer than 400 days"},
		{"no from", time.Time{}, at, "required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.desk.Transparency(t.Context(), tc.from, tc.to)
			wantCode(t, err, moderation.EINVALID)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Transparency: %v, want a message with %q", err, tc.msg)
			}
			err = h.desk.Statements(t.Context(), tc.from, tc.to, func(review.Statement) error { return nil })
			wantCode(t, err, moderation.EINVALID)
		})
	}
	if _, err := h.desk.Transparency(t.Context(), at, at.Add(400*24*time.Hour)); err != nil {
		t.Errorf("400 days: %v", err)
	}
}

// TestStatementsPaging exports more decisions than a page, most made in the
// same millisecond, and gets each exactly once, in order.
func TestStatementsPaging(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		from := h.clock.Now()
		var want []string
		for i := range 310 {
			if i == 130 || i == 250 {
				h.clock.Advance(time.Millisecond)
			}
			dec, _, err := h.desk.Suspend(ctx, "m1", user(i), review.SuspendRequest{Reason: "r", Days: 1})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, dec.ID)
		}
		h.clock.Advance(time.Millisecond)
		to := h.clock.Now()
		if _, _, err := h.desk.Suspend(ctx, "m1", "later", review.SuspendRequest{Reason: "r"}); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		var got []string
		for _, s := range h.statements(from, to) {
			if seen[s.PUID] {
				t.Fatalf("statement %s twice", s.PUID)
			}
			seen[s.PUID] = true
			got = append(got, s.PUID)
		}
		if len(got) != len(want) {
			t.Fatalf("%d statements, want %d", len(got), len(want))
		}
		for _, id := range want {
			if !seen[id] {
				t.Errorf("statement %s missing", id)
			}
		}
		// Decision time order: the millisecond groups stay apart (within
		// one millisecond the order is the ids').
		group := func(j int) int { return min(j/130, 1) + min(j/250, 1) }
		for i, id := range got {
			if g := group(slices.Index(want, id)); g != group(i) {
				t.Errorf("statement %d is %s, from millisecond group %d, want group %d", i, id, g, group(i))
			}
		}
		// 622 statistics entries: more than a page of the log.
		tr := h.transparency(time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		if tr.Decisions.Total != 311 || tr.Suspensions.Total != 311 || tr.Suspensions.ByBasis["direct"] != 311 || tr.Suspensions.Indefinite != 1 {
			t.Errorf("decisions %d, suspensions %+v; want 311 direct, 1 indefinite", tr.Decisions.Total, tr.Suspensions)
		}
	})
}

// failingStore is a store whose transactions can be made to fail, as
// Redis's do when it is down.
type failingStore struct {
	review.Store
	down atomic.Bool
}

func (s *failingStore) Update(ctx context.Context, fn func(review.Tx) error) error {
	if s.down.Load() {
		return moderation.Errorf(moderation.EUNAVAILABLE, "store down")
	}
	return s.Store.Update(ctx, fn)
}

func autoVerdict(action moderation.Action, cats ...moderation.CategoryScore) moderation.Verdict {
	return moderation.Verdict{Action: action, Categories: cats, PolicyVersion: "p1"}
}

func scored(c moderation.Category, a moderation.Action) moderation.CategoryScore {
	return moderation.CategoryScore{Category: c, Score: 0.5, Action: a}
}

func TestAutomatedVerdicts(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			store := &failingStore{Store: b.new(t)}
			h := newHarness(t, store, review.Config{})
			ctx := t.Context()
			d := h.desk
			period := func() review.AutomatedCounts {
				t.Helper()
				return h.transparency(time.Now().Add(-time.Hour), time.Now().Add(time.Hour)).Automated
			}

			// A block verdict counts the categories that blocked; a review
			// verdict those that asked for review or more, and those whose
			// action the screener left unset; allow verdicts nothing.
			d.CountVerdict(autoVerdict(moderation.Block, scored(moderation.Hate, moderation.Block), scored(moderation.Harassment, moderation.Review), scored(moderation.Spam, moderation.Allow)))
			d.CountVerdict(autoVerdict(moderation.Review, scored(moderation.Harassment, moderation.Review), scored(moderation.Profanity, moderation.Allow)))
			d.CountVerdict(autoVerdict(moderation.Review, scored(moderation.Spam, "")))
			d.CountVerdict(autoVerdict(moderation.Allow, scored(moderation.Spam, moderation.Allow)))
			cached := autoVerdict(moderation.Block, scored(moderation.Hate, moderation.Block), scored(moderation.Violence, moderation.Block), scored(moderation.Hate, moderation.Block))
			cached.Cached = true
			d.CountVerdict(cached)

			if got := period(); got.Total != 0 {
				t.Fatalf("before a flush: %+v, want nothing", got)
			}
			// A failed flush keeps the counts for the next one.
			store.down.Store(true)
			if err := d.FlushStats(ctx); moderation.ErrorCode(err) != moderation.EUNAVAILABLE {
				t.Fatalf("FlushStats with the store down = %v, want EUNAVAILABLE", err)
			}
			store.down.Store(false)
			if err := d.FlushStats(ctx); err != nil {
				t.Fatal(err)
			}
			if err := d.FlushStats(ctx); err != nil { // nothing new: writes nothing
				t.Fatal(err)
			}
			want := review.AutomatedCounts{
				Total:      4,
				ByAction:   map[string]int{"block": 2, "review": 2},
				ByCategory: map[string]int{"hate": 2, "violence": 1, "harassment": 1, "spam": 1},
				ByActionAndCategory: map[string]map[string]int{
					"block":  {"hate": 2, "violence": 1},
					"review": {"harassment": 1, "spam": 1},
				},
			}
			if got := period(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("after the flush: %+v\nwant %+v", got, want)
			}

			// The entries: one per action and per action and category,
			// block ones decided by automation, review ones detected.
			entries, err := h.store.ReadLog(ctx, "stats", "", 100)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, e := range entries {
				lines = append(lines, string(e.Data))
			}
			wantLines := []string{
				`{"kind":"automated","action":"block","automated_detection":true,"automated_decision":true,"count":2}`,
				`{"kind":"automated","categories":["hate"],"action":"block","automated_detection":true,"automated_decision":true,"count":2}`,
				`{"kind":"automated","categories":["violence"],"action":"block","automated_detection":true,"automated_decision":true,"count":1}`,
				`{"kind":"automated","action":"review","automated_detection":true,"count":2}`,
				`{"kind":"automated","categories":["harassment"],"action":"review","automated_detection":true,"count":1}`,
				`{"kind":"automated","categories":["spam"],"action":"review","automated_detection":true,"count":1}`,
			}
			if strings.Join(lines, "\n") != strings.Join(wantLines, "\n") {
				t.Errorf("stats entries:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(wantLines, "\n"))
			}

			t.Run("counted while flushing", func(t *testing.T) {
				var wg sync.WaitGroup
				for range 8 {
					wg.Go(func() {
						for range 200 {
							d.CountVerdict(autoVerdict(moderation.Block, scored(moderation.Fraud, moderation.Block)))
						}
					})
				}
				wg.Go(func() {
					for range 20 {
						if err := d.FlushStats(ctx); err != nil {
							t.Error(err)
						}
					}
				})
				wg.Wait()
				if err := d.FlushStats(ctx); err != nil {
					t.Fatal(err)
				}
				if got := period(); got.ByCategory["fraud"] != 1600 || got.ByAction["block"] != 1602 {
					t.Errorf("after concurrent counts: %+v, want fraud 1600 and block 1602", got)
				}
			})

			t.Run("RunJobs writes them when it stops", func(t *testing.T) {
				d.CountVerdict(autoVerdict(moderation.Review, scored(moderation.Gambling, moderation.Review)))
				runCtx, stop := context.WithCancel(ctx)
				done := make(chan struct{})
				go func() { d.RunJobs(runCtx, time.Hour); close(done) }()
				stop()
				<-done
				if got := period(); got.ByCategory["gambling"] != 1 {
					t.Errorf("after RunJobs stopped: %+v, want gambling 1", got)
				}
			})
		})
	}
}

// BenchmarkTransparency computes the figures over 100,000 statistics
// entries of every kind, in the in-memory store.
func BenchmarkTransparency(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) { benchmarkTransparency(b, be.new(b)) })
	}
}

func benchmarkTransparency(b *testing.B, store review.Store) {
	const entries = 100_000
	d, err := review.New(review.Config{Store: store})
	if err != nil {
		b.Fatal(err)
	}
	cats := moderation.Categories
	kinds := []review.Stat{
		{Kind: review.StatReport},
		{Kind: review.StatReportResolved, Outcome: "upheld", Seconds: 1},
		{Kind: review.StatDecision, Action: moderation.ActionRemove, Source: review.SourceNotice, ContentRemoved: true},
		{Kind: review.StatSuspension, Basis: review.BasisDecision},
		{Kind: review.StatAppeal},
		{Kind: review.StatAppealDecided, Outcome: "confirmed", Seconds: 1},
		{Kind: review.StatAutomated, Action: "block", Count: 3, AutomatedDetection: true, AutomatedDecision: true},
	}
	start := time.Now()
	for i := 0; i < entries; i += 1000 {
		err := store.Update(b.Context(), func(tx review.Tx) error {
			for j := i; j < i+1000; j++ {
				s := kinds[j%len(kinds)]
				s.Categories = []moderation.Category{cats[j%len(cats)]}
				s.Seconds *= float64(j % 3600)
				line, err := json.Marshal(s)
				if err != nil {
					return err
				}
				tx.Append("stats", line)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	from, to := start.Add(-time.Minute), time.Now().Add(time.Minute)
	for b.Loop() {
		tr, err := d.Transparency(b.Context(), from, to)
		if err != nil {
			b.Fatal(err)
		}
		sum := func(m map[string]int) (n int) {
			for v := range maps.Values(m) {
				n += v
			}
			return n
		}
		if n := tr.Reports.Total + sum(tr.Reports.ByOutcome) + tr.Decisions.Total + tr.Suspensions.Total + tr.Appeals.Received + tr.Appeals.Decided + sum(tr.Automated.ByCategory)/3; n != entries {
			b.Fatalf("counted %d entries, want %d", n, entries)
		}
	}
	b.ReportMetric(entries, "entries/op")
}
