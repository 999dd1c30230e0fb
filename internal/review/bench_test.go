package review_test

import (
	"fmt"
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

func newBenchDesk(b *testing.B, be backend) *review.Desk {
	b.Helper()
	d, err := review.New(review.Config{Store: be.new(b), ReportLimit: 1 << 30, Events: true})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkSubmitReport files reports about distinct notes by a few
// reporters: one rate-limit increment, the dedupe read and one transaction
// each.
func BenchmarkSubmitReport(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			d := newBenchDesk(b, be)
			ctx := b.Context()
			i := 0
			for b.Loop() {
				r := moderation.Report{
					ReporterID: fmt.Sprintf("r%d", i%10),
					Target:     noteOf(fmt.Sprintf("n%d", i), "u1"),
					Category:   moderation.Spam,
					Text:       "buy cheap watches",
				}
				if _, _, err := d.Submit(ctx, r); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkClaimDecide claims the most urgent case and decides it to keep,
// from a queue kept at about 100 open cases.
func BenchmarkClaimDecide(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			d := newBenchDesk(b, be)
			ctx := b.Context()
			n := 0
			report := func() {
				r := moderation.Report{ReporterID: fmt.Sprintf("r%d", n%10), Target: noteOf(fmt.Sprintf("n%d", n), fmt.Sprintf("u%d", n%50)), Category: moderation.Spam}
				if _, _, err := d.Submit(ctx, r); err != nil {
					b.Fatal(err)
				}
				n++
			}
			for range 100 {
				report()
			}
			req := review.DecisionRequest{Action: moderation.ActionKeep, Reason: "not spam"}
			for b.Loop() {
				b.StopTimer()
				report()
				b.StartTimer()
				c, ok, err := d.Claim(ctx, "m1", nil)
				if err != nil || !ok {
					b.Fatalf("Claim = %v, %v", ok, err)
				}
				if _, err := d.Decide(ctx, "m1", c.ID, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
