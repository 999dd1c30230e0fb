package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/prom"
)

// BenchmarkCheckObserved is POST /v1/check through the whole middleware
// chain (keys on, the test screener), without an observer and with cmd's
// Prometheus metrics: the difference is what the request and verdict
// metrics cost a check.
func BenchmarkCheckObserved(b *testing.B) {
	for _, tc := range []struct {
		name string
		obs  httpapi.Observer
	}{{"none", nil}, {"prometheus", prom.NewMetrics(prometheus.NewRegistry())}} {
		b.Run(tc.name, func(b *testing.B) {
			h, _ := newHandler(b, func(c *httpapi.Config) {
				c.Observer = tc.obs
				c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil)) // the access log is written, as in production
			})
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/v1/check", strings.NewReader(`{"text":"you `+flaggedWord+`"}`))
				req.RemoteAddr = "10.0.0.1:1234"
				req.Header.Set("Authorization", "Bearer "+backendKey.Secret)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
