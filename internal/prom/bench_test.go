package prom_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/prom"
)

// BenchmarkMetrics is the cost of each observer call, which is what the
// metrics add to a request: a check makes one Request, one Verdict, one or
// two CacheLookups and, on a miss, one Detected.
func BenchmarkMetrics(b *testing.B) {
	m := prom.NewMetrics(prometheus.NewRegistry())
	v := moderation.Verdict{Action: moderation.Block, Categories: []moderation.CategoryScore{
		{Category: moderation.Hate, Score: 0.9, Action: moderation.Block}, {Category: moderation.Profanity, Score: 0.4, Action: moderation.Allow}}}
	b.Run("Request", func(b *testing.B) {
		for b.Loop() {
			m.Request("POST", "/v1/check", 200, 150*time.Microsecond)
		}
	})
	b.Run("Verdict", func(b *testing.B) {
		for b.Loop() {
			m.Verdict(v)
		}
	})
	b.Run("CacheLookup", func(b *testing.B) {
		for b.Loop() {
			m.CacheLookup("local", "hit")
		}
	})
	b.Run("Detected", func(b *testing.B) {
		for b.Loop() {
			m.Detected(5 * time.Microsecond)
		}
	})
}
