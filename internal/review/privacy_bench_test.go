package review_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// decidedCases files n reports by bob about notes of author and decides
// each case to remove, then files n reports by author about others' notes,
// left open. It returns the clock's time after.
func decidedCases(b *testing.B, h *harness, author string, n int) {
	b.Helper()
	ctx := b.Context()
	for i := range n {
		r, _, err := h.desk.Submit(ctx, moderation.Report{ReporterID: "bob", Target: noteOf(fmt.Sprintf("%s-n%d", author, i), author), Category: moderation.Spam, Text: "buy cheap watches", ContactEmail: "bob@example.org"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.desk.ClaimCase(ctx, "m1", r.CaseID); err != nil {
			b.Fatal(err)
		}
		if _, err := h.desk.Decide(ctx, "m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionRemove, Categories: []moderation.Category{moderation.Spam}, Reason: "spam"}); err != nil {
			b.Fatal(err)
		}
		if _, _, err := h.desk.Submit(ctx, moderation.Report{ReporterID: author, Target: noteOf(fmt.Sprintf("%s-other%d", author, i), "carol"), Category: moderation.Spam, ContactEmail: author + "@example.org"}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := h.desk.Work(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkErase erases a user with 50 decided cases about their notes
// (each with a decision and another's report) and 50 reports of theirs.
func BenchmarkErase(b *testing.B) {
	const n = 50
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			h := &harness{desk: nil}
			d, err := review.New(review.Config{Store: be.new(b), ReportLimit: 1 << 30, StrikeThreshold: 1 << 20})
			if err != nil {
				b.Fatal(err)
			}
			h.desk = d
			i := 0
			for b.Loop() {
				b.StopTimer()
				author := fmt.Sprintf("u%d", i)
				i++
				decidedCases(b, h, author, n)
				b.StartTimer()
				if _, err := d.Erase(b.Context(), "ops", author); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(3*n), "records/op")
		})
	}
}

// BenchmarkPurge purges 200 decided cases past every retention: their
// content, the cases, reports, decisions, user and reporter records and the
// logs' entries.
func BenchmarkPurge(b *testing.B) {
	const n = 200
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			clk := &clock{now: time.Now()}
			d, err := review.New(review.Config{Store: be.new(b), ReportLimit: 1 << 30, StrikeThreshold: 1 << 20, Now: clk.Now})
			if err != nil {
				b.Fatal(err)
			}
			h := &harness{desk: d, clock: clk}
			purged := int64(0)
			i := 0
			for b.Loop() {
				b.StopTimer()
				decidedCases(b, h, fmt.Sprintf("u%d", i), n)
				i++
				clk.Advance(review.MaxRetention + time.Hour)
				b.StartTimer()
				counts, err := d.Purge(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				for _, c := range counts {
					purged += c
				}
			}
			b.ReportMetric(float64(purged)/float64(b.N), "records/op")
		})
	}
}
