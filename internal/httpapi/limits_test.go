package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
)

const checkBody = `{"text":"hello"}`

// withRateLimit sets a rate limit of limit requests per hour, long enough
// that no window ends during a test, counted in store.
func withRateLimit(limit int, store httpapi.Counter) func(*httpapi.Config) {
	return func(c *httpapi.Config) {
		c.RateLimit, c.RateWindow, c.RateStore = limit, time.Hour, store
	}
}

// wantRateLimited checks a 429 that names the limit, with a Retry-After
// within the hour-long window.
func wantRateLimited(t *testing.T, res response, key string, limit int) {
	t.Helper()
	wantError(t, res, http.StatusTooManyRequests, "rate_limited", "key '"+key+"'", "rate limit of "+strconv.Itoa(limit)+" requests per 1h0m0s")
	if secs, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || secs < 1 || secs > 3600 {
		t.Errorf("Retry-After = %q, want whole seconds from 1 to 3600", res.header.Get("Retry-After"))
	}
}

func TestRateLimit(t *testing.T) {
	ts := startServer(t, withRateLimit(3, memstore.NewRecords()))
	for i := range 3 {
		if res := ts.post(t, "/v1/check", backendKey.Secret, checkBody); res.status != http.StatusOK {
			t.Fatalf("check %d: %d %s", i+1, res.status, res.body)
		}
	}
	wantRateLimited(t, ts.post(t, "/v1/check", backendKey.Secret, checkBody), backendKey.Name, 3)
	// The limit covers every route the key calls.
	wantRateLimited(t, ts.post(t, "/v1/check/batch", backendKey.Secret, `{"items":[`+checkBody+`]}`), backendKey.Name, 3)

	// Other keys have limits of their own.
	if res := ts.post(t, "/v1/check", adminKey.Secret, checkBody); res.status != http.StatusOK {
		t.Errorf("another key: %d %s", res.status, res.body)
	}
	// Callers without a valid key are not counted against anyone.
	wantError(t, ts.post(t, "/v1/check", "wrong-secret-0123456789", checkBody), http.StatusUnauthorized, "unauthorized")
	if res := ts.do(t, request{method: http.MethodGet, path: "/healthz"}); res.status != http.StatusOK {
		t.Errorf("healthz: %d %s", res.status, res.body)
	}
}

func TestRateLimitOff(t *testing.T) {
	ts := startServer(t, nil) // no RateLimit
	for i := range 50 {
		if res := ts.post(t, "/v1/check", backendKey.Secret, checkBody); res.status != http.StatusOK {
			t.Fatalf("check %d: %d %s", i+1, res.status, res.body)
		}
	}
	if _, err := httpapi.New(httpapi.Config{Screener: newTestScreener(t), Reloader: reloaderFunc(nil), RateLimit: 10}); err == nil ||
		!strings.Contains(err.Error(), "RateStore") {
		t.Errorf("a RateLimit without a RateStore: err = %v", err)
	}
}

// TestRateLimitShared runs two servers on one store: instances share each
// key's limit.
func TestRateLimitShared(t *testing.T) {
	stores := map[string]func(t *testing.T) httpapi.Counter{
		"memstore": func(*testing.T) httpapi.Counter { return memstore.NewRecords() },
		"redis": func(t *testing.T) httpapi.Counter {
			return redisstore.NewRecords(redistest.Start(t).Client(t), redistest.Prefix())
		},
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			store := newStore(t)
			a := startServer(t, withRateLimit(3, store))
			b := startServer(t, withRateLimit(3, store))
			for i, ts := range []*testServer{a, b, a} {
				if res := ts.post(t, "/v1/check", backendKey.Secret, checkBody); res.status != http.StatusOK {
					t.Fatalf("check %d: %d %s", i+1, res.status, res.body)
				}
			}
			wantRateLimited(t, b.post(t, "/v1/check", backendKey.Secret, checkBody), backendKey.Name, 3)
			wantRateLimited(t, a.post(t, "/v1/check", backendKey.Secret, checkBody), backendKey.Name, 3)
		})
	}
	// With a limit of 128 the store hands out chunks of two requests: taken
	// in turn, the instances still serve exactly the limit together.
	t.Run("chunks", func(t *testing.T) {
		store := memstore.NewRecords()
		a := startServer(t, withRateLimit(128, store))
		b := startServer(t, withRateLimit(128, store))
		for i := range 128 {
			ts := []*testServer{a, b}[i%2]
			if res := ts.post(t, "/v1/check", backendKey.Secret, checkBody); res.status != http.StatusOK {
				t.Fatalf("check %d: %d %s", i+1, res.status, res.body)
			}
		}
		wantRateLimited(t, a.post(t, "/v1/check", backendKey.Secret, checkBody), backendKey.Name, 128)
		wantRateLimited(t, b.post(t, "/v1/check", backendKey.Secret, checkBody), backendKey.Name, 128)
	})
}

// failingCounter is a store that cannot be reached.
type failingCounter struct{ calls atomic.Int64 }

func (f *failingCounter) Incr(context.Context, string, time.Duration) (int64, time.Duration, error) {
	f.calls.Add(1)
	return 0, 0, moderation.Errorf(moderation.EUNAVAILABLE, "redis: connection refused")
}

// TestRateLimitFailsOpen: when the store cannot be reached, requests are
// served, the store is not asked again for a while, and it is logged once.
func TestRateLimitFailsOpen(t *testing.T) {
	store := &failingCounter{}
	ts := startServer(t, withRateLimit(1, store))
	for i := range 5 {
		if res := ts.post(t, "/v1/check", backendKey.Secret, checkBody); res.status != http.StatusOK {
			t.Fatalf("check %d with the store down: %d %s", i+1, res.status, res.body)
		}
	}
	if n := store.calls.Load(); n != 1 {
		t.Errorf("the store was asked %d times, want once", n)
	}
	warned := 0
	for _, l := range logLines(t, ts.logs.String()) {
		if strings.HasPrefix(l["msg"].(string), "rate limit store unavailable") {
			warned++
			if l["level"] != "WARN" || l["code"] != moderation.EUNAVAILABLE {
				t.Errorf("log line %v, want a warning with code %s", l, moderation.EUNAVAILABLE)
			}
		}
	}
	if warned != 1 {
		t.Errorf("%d log lines about the store, want 1:\n%s", warned, ts.logs)
	}
}

// TestRateLimitRedisDown: a limiter on a Redis that stops serves requests.
func TestRateLimitRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	ts := startServer(t, withRateLimit(1, redisstore.NewRecords(srv.Client(t), redistest.Prefix())))
	if res := ts.post(t, "/v1/check", backendKey.Secret, checkBody); res.status != http.StatusOK {
		t.Fatalf("first check: %d %s", res.status, res.body)
	}
	wantRateLimited(t, ts.post(t, "/v1/check", backendKey.Secret, checkBody), backendKey.Name, 1)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	// The admin key's first request asks the store, which is gone.
	start := time.Now()
	for i := range 3 {
		if res := ts.post(t, "/v1/check", adminKey.Secret, checkBody); res.status != http.StatusOK {
			t.Fatalf("check %d with Redis down: %d %s", i+1, res.status, res.body)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("three checks with Redis down took %s", d)
	}
}

// blockingScreener holds every Screen call until release is closed, and
// signals entered when the first one starts.
type blockingScreener struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingScreener) Screen(ctx context.Context, c moderation.Content) (moderation.Verdict, error) {
	b.once.Do(func() { close(b.entered) })
	select {
	case <-b.release:
	case <-ctx.Done():
		return moderation.Verdict{}, ctx.Err()
	}
	return markerScreener{}.Screen(ctx, c)
}

func TestLoadShedding(t *testing.T) {
	bs := &blockingScreener{entered: make(chan struct{}), release: make(chan struct{})}
	ts := startServer(t, func(c *httpapi.Config) {
		c.Screener, c.MaxInFlight = bs, 1
	})
	first := make(chan response, 1)
	go func() {
		// ts.post would call t.Fatal off the test's goroutine.
		res, err := ts.Client().Do(checkRequest(t, ts.URL, backendKey.Secret))
		if err != nil {
			t.Error(err)
			first <- response{}
			return
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		first <- response{status: res.StatusCode, body: body}
	}()
	<-bs.entered

	for _, r := range []struct{ path, body string }{
		{"/v1/check", checkBody},
		{"/v1/check/batch", `{"items":[` + checkBody + `]}`},
		{"/v1/moderations", `{"input":"hello"}`},
	} {
		start := time.Now()
		res := ts.post(t, r.path, backendKey.Secret, r.body)
		wantError(t, res, http.StatusServiceUnavailable, "unavailable", "1 checks are in progress", "retry")
		if got := res.header.Get("Retry-After"); got != "1" {
			t.Errorf("%s: Retry-After = %q, want 1", r.path, got)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: refused after %s, want at once", r.path, d)
		}
	}
	// Other endpoints are not checks.
	if res := ts.do(t, request{method: http.MethodGet, path: "/readyz"}); res.status != http.StatusOK {
		t.Errorf("readyz while a check is in flight: %d %s", res.status, res.body)
	}

	close(bs.release)
	if res := <-first; res.status != http.StatusOK {
		t.Fatalf("the check in flight: %d %s", res.status, res.body)
	}
	if res := ts.post(t, "/v1/check", backendKey.Secret, checkBody); res.status != http.StatusOK {
		t.Errorf("a check after the first finished: %d %s", res.status, res.body)
	}
}

func checkRequest(t *testing.T, base, key string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, base+"/v1/check", strings.NewReader(checkBody))
	if err != nil {
		t.Error(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	return req
}

// TestBodyLimitEveryRoute sends bodies over the limit to routes that read
// one and to routes that read none.
func TestBodyLimitEveryRoute(t *testing.T) {
	ds := startDesk(t, nil, func(c *httpapi.Config) { c.MaxTextBytes = 100 })
	big := `{"x":"` + strings.Repeat("a", 70<<10) + `"}` // over the 64 KiB of routes without text
	huge := `{"items":[` + strings.Repeat(`{"text":"a"},`, 100<<10) + `{"text":"a"}]}`
	tests := []struct {
		method, path, key, body string
	}{
		{http.MethodPost, "/v1/check", backendKey.Secret, `{"text":"` + strings.Repeat("a", 10000) + `"}`},
		{http.MethodPost, "/v1/check/batch", backendKey.Secret, huge},
		{http.MethodPost, "/v1/moderations", backendKey.Secret, huge},
		{http.MethodPost, "/v1/appeals", backendKey.Secret, big},
		{http.MethodPost, "/v1/review/items/case_x/claim", moderatorKey.Secret, big},
		{http.MethodPost, "/v1/admin/rules/reload", adminKey.Secret, big},
		{http.MethodDelete, "/v1/hashbanks/b1", adminKey.Secret, big},
		{http.MethodGet, "/v1/audit", adminKey.Secret, big},
		{http.MethodDelete, "/v1/privacy/users/u1", adminKey.Secret, big},
		{http.MethodGet, "/healthz", "", big},
		// Refused before the key is even looked at.
		{http.MethodPost, "/v1/review/claim", "", big},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res := ds.do(t, request{method: tc.method, path: tc.path, key: tc.key, body: strings.NewReader(tc.body)})
			wantError(t, res, http.StatusRequestEntityTooLarge, "too_large", "the limit for this endpoint is")
		})
	}
	t.Run("chunked", func(t *testing.T) {
		// No Content-Length: the body is cut off once read past the limit.
		res := ds.do(t, request{method: http.MethodPost, path: "/v1/review/claim", key: moderatorKey.Secret, body: io.MultiReader(strings.NewReader(big))})
		wantError(t, res, http.StatusRequestEntityTooLarge, "too_large", "exceeds the limit of 65536 bytes")
	})
	t.Run("within the limit", func(t *testing.T) {
		var st struct {
			Status string `json:"status"`
		}
		res := ds.do(t, request{method: http.MethodGet, path: "/healthz", body: strings.NewReader("{}")})
		decodeStrict(t, res.body, &st)
		if res.status != http.StatusOK || st.Status != "ok" {
			t.Errorf("GET /healthz with a small body: %d %s", res.status, res.body)
		}
	})
}
