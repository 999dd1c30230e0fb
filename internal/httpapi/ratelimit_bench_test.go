package httpapi

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
)

// BenchmarkRateLimit measures what the limiter adds to a request, on the
// in-memory store and on Redis, handing out chunks as it does and, for
// comparison, asking the store on every request (a chunk of one).
func BenchmarkRateLimit(b *testing.B) {
	stores := []struct {
		name string
		new  func(b *testing.B) Counter
	}{
		{"memstore", func(*testing.B) Counter { return memstore.NewRecords() }},
		{"redis", func(b *testing.B) Counter {
			return redisstore.NewRecords(redistest.Start(b).Client(b), redistest.Prefix())
		}},
	}
	const limit = 1 << 40 // never reached: every request is allowed
	for _, st := range stores {
		for _, chunked := range []bool{true, false} {
			name := st.name + "/chunked"
			if !chunked {
				name = st.name + "/every-request"
			}
			b.Run(name, func(b *testing.B) {
				l := newRateLimiter(st.new(b), limit, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
				if chunked {
					l.chunk = 1000 // what a limit of 64,000 per window gets
				} else {
					l.chunk = 1
				}
				ctx := context.Background()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if ok, _ := l.allow(ctx, "bench"); !ok {
							b.Error("refused")
						}
					}
				})
			})
		}
	}
}
