package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/webhook"
)

// waitTimeout bounds every wait in these tests; they normally end in
// milliseconds.
const waitTimeout = 5 * time.Second

// privateData is in every test event's data; it must never reach a log.
const privateData = "user-secret-42"

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a Dispatcher over a memOutbox, with its log captured.
type harness struct {
	out  *memOutbox
	d    *webhook.Dispatcher
	logs *syncBuffer
}

// newHarness builds a Dispatcher with fast test defaults; set fills in the
// rest of the config (URL at least).
func newHarness(t testing.TB, set func(*webhook.Config)) *harness {
	t.Helper()
	h := &harness{out: newMemOutbox(), logs: &syncBuffer{}}
	cfg := webhook.Config{
		Outbox:       h.out,
		Secret:       testSecret,
		Logger:       slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		PollInterval: 5 * time.Millisecond,
		MinBackoff:   time.Millisecond,
		MaxBackoff:   5 * time.Millisecond,
		Grace:        50 * time.Millisecond,
	}
	set(&cfg)
	d, err := webhook.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.d = d
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dispatcher log:\n%s", h.logs.String())
		}
	})
	return h
}

// run starts Run and returns a function that cancels it and waits for it
// to return. The test fails if Run does not stop in time. Tests register
// their receivers' Close with t.Cleanup before calling run, so that Run
// stops first.
func (h *harness) run(t testing.TB) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitTimeout):
				t.Errorf("Run did not return within %s of its context being cancelled", waitTimeout)
			}
			if strings.Contains(h.logs.String(), privateData) {
				t.Errorf("event data reached the log:\n%s", h.logs.String())
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

var baseTime = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// event returns a test event made i seconds after baseTime.
func event(id string, i int) moderation.Event {
	return moderation.Event{
		ID:        id,
		Type:      moderation.EventDecisionMade,
		CreatedAt: baseTime.Add(time.Duration(i) * time.Second),
		Data:      json.RawMessage(`{"decision_id":"d-` + id + `","target":{"type":"note","id":"n1","user_id":"` + privateData + `"}}`),
	}
}

// delivery is what a test receiver saw of one request.
type delivery struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// recorder is a receiver that records every request and answers with the
// status that respond returns (200 when respond is nil).
type recorder struct {
	mu       sync.Mutex
	got      []delivery
	respond  func(r *http.Request, d delivery) int
	response string // body of every answer
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	d := delivery{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	rec.mu.Lock()
	rec.got = append(rec.got, d)
	rec.mu.Unlock()
	status := http.StatusOK
	if rec.respond != nil {
		status = rec.respond(r, d)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, rec.response)
}

func (rec *recorder) deliveries() []delivery {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.got)
}

func TestDeliverySignedWithHeaders(t *testing.T) {
	rec := &recorder{response: "ok"}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	clock := &fakeClock{t: time.Date(2024, 6, 2, 8, 30, 0, 0, time.UTC)}
	h := newHarness(t, func(c *webhook.Config) {
		c.URL = srv.URL + "/hooks/aup?tenant=1"
		c.Now = clock.Now
	})
	events := []moderation.Event{
		event("evt_1", 0),
		{
			ID:        "evt_2",
			Type:      moderation.EventUserSuspended,
			CreatedAt: time.Date(2024, 6, 1, 14, 0, 0, 123456789, time.FixedZone("CEST", 2*3600)),
			Data:      json.RawMessage(`{"user_id": "` + privateData + `", "until": null}`),
		},
		{ID: "evt_3", Type: moderation.EventContentRemoved, CreatedAt: baseTime.Add(time.Hour)}, // no data
	}
	for _, ev := range events {
		h.out.add(ev, baseTime)
	}
	h.run(t)
	waitFor(t, "three deliveries", func() bool {
		return h.out.deliveredCount("evt_1")+h.out.deliveredCount("evt_2")+h.out.deliveredCount("evt_3") == 3
	})

	wantBody := map[string]string{
		"evt_1": `{"id":"evt_1","type":"decision.made","created_at":"2024-06-01T12:00:00Z","data":{"decision_id":"d-evt_1","target":{"type":"note","id":"n1","user_id":"` + privateData + `"}}}`,
		"evt_2": `{"id":"evt_2","type":"user.suspended","created_at":"2024-06-01T12:00:00.123456789Z","data":{"user_id":"` + privateData + `","until":null}}`,
		"evt_3": `{"id":"evt_3","type":"content.removed","created_at":"2024-06-01T13:00:00Z","data":null}`,
	}
	got := rec.deliveries()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	for _, d := range got {
		id := d.Header.Get("Aup-Event-Id")
		t.Run(id, func(t *testing.T) {
			if d.Method != http.MethodPost || d.Path != "/hooks/aup" {
				t.Errorf("request = %s %s, want POST /hooks/aup", d.Method, d.Path)
			}
			if string(d.Body) != wantBody[id] {
				t.Errorf("body = %s\nwant   %s", d.Body, wantBody[id])
			}
			var ev moderation.Event
			for _, e := range events {
				if e.ID == id {
					ev = e
				}
			}
			for name, want := range map[string]string{
				"Content-Type":         "application/json",
				"User-Agent":           "aup-webhook/1",
				"Aup-Event-Type":       ev.Type,
				"Aup-Delivery-Attempt": "1",
			} {
				if got := d.Header.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			sig := d.Header.Get("Aup-Signature")
			if !strings.HasPrefix(sig, "t="+strconv.FormatInt(clock.Now().Unix(), 10)+",v1=") {
				t.Errorf("Aup-Signature = %q, want the attempt's time", sig)
			}
			if err := webhook.Verify(testSecret, sig, d.Body, clock.Now().Add(time.Minute), 0); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if err := webhook.Verify(oldSecret, sig, d.Body, clock.Now(), 0); !errors.Is(err, webhook.ErrSignatureMismatch) {
				t.Errorf("Verify with another secret = %v, want a mismatch", err)
			}
		})
	}
	if n := h.out.pending(); n != 0 {
		t.Errorf("%d events left in the outbox", n)
	}
	if logs := h.logs.String(); !strings.Contains(logs, `"event_id":"evt_2"`) || !strings.Contains(logs, `"event_type":"user.suspended"`) {
		t.Errorf("log lacks the event id and type:\n%s", logs)
	}
}

func TestRetryWithBackoffUntilDelivered(t *testing.T) {
	const failures = 5
	var calls atomic.Int32
	rec := &recorder{
		response: "RESPONSE-BODY-MARKER", // must not reach the log or the outbox
		respond: func(*http.Request, delivery) int {
			if calls.Add(1) <= failures {
				return http.StatusServiceUnavailable
			}
			return http.StatusNoContent
		},
	}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)

	clock := &fakeClock{t: baseTime}
	var (
		mu     sync.Mutex
		delays []time.Duration
	)
	h := newHarness(t, func(c *webhook.Config) {
		c.URL = srv.URL
		c.Now = clock.Now
		c.MinBackoff = time.Second
		c.MaxBackoff = 8 * time.Second
	})
	h.out.onRetry = func(r retry) {
		mu.Lock()
		delays = append(delays, r.At.Sub(clock.Now()))
		mu.Unlock()
		clock.advanceTo(r.At) // make the event due at once
	}
	h.out.add(event("evt_1", 0), baseTime)
	stop := h.run(t)
	waitFor(t, "the delivery", func() bool { return h.out.deliveredCount("evt_1") > 0 })
	stop()

	if n := h.out.deliveredCount("evt_1"); n != 1 {
		t.Errorf("Delivered called %d times, want 1", n)
	}
	got := rec.deliveries()
	if len(got) != failures+1 {
		t.Fatalf("receiver got %d requests, want %d", len(got), failures+1)
	}
	for i, d := range got {
		if a := d.Header.Get("Aup-Delivery-Attempt"); a != strconv.Itoa(i+1) {
			t.Errorf("request %d: Aup-Delivery-Attempt = %q, want %d", i, a, i+1)
		}
	}
	retries := h.out.retriesOf("evt_1")
	if len(retries) != failures {
		t.Fatalf("%d retries, want %d", len(retries), failures)
	}
	mu.Lock()
	defer mu.Unlock()
	base := []time.Duration{1, 2, 4, 8, 8} // seconds: doubling, capped at MaxBackoff
	for i, r := range retries {
		if r.Reason != "status 503" || r.Attempt != i+1 {
			t.Errorf("retry %d = attempt %d %q, want attempt %d \"status 503\"", i, r.Attempt, r.Reason, i+1)
		}
		lo, hi := base[i]*time.Second*8/10, base[i]*time.Second*12/10
		if delays[i] < lo || delays[i] > hi {
			t.Errorf("retry %d after %s, want between %s and %s", i, delays[i], lo, hi)
		}
	}
	if strings.Contains(h.logs.String(), "RESPONSE-BODY-MARKER") {
		t.Errorf("the response body reached the log")
	}
}

func TestBackoffCappedAfterManyFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	clock := &fakeClock{t: baseTime}
	h := newHarness(t, func(c *webhook.Config) {
		c.URL = srv.URL
		c.Now = clock.Now
		c.MaxBackoff = time.Hour
	})
	ev := event("evt_1", 0)
	ev.Attempts = 1 << 40 // would overflow a naive 2^attempts
	h.out.add(ev, baseTime)
	stop := h.run(t)
	waitFor(t, "a retry", func() bool { return len(h.out.retriesOf("evt_1")) > 0 })
	stop()
	r := h.out.retriesOf("evt_1")[0]
	if wait := r.At.Sub(baseTime); wait < 48*time.Minute || wait > 72*time.Minute {
		t.Errorf("retry after %s, want MaxBackoff 1h ±20%%", wait)
	}
	if r.Reason != "status 500" {
		t.Errorf("reason = %q, want status 500", r.Reason)
	}
}

func TestHungReceiverBlocksOnlyItself(t *testing.T) {
	var hungDone atomic.Bool    // the hung event's first attempt has ended
	var beforeHungDone sync.Map // event id → delivered while that attempt was still hanging
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // only then does the server watch for the client going away
		id := r.Header.Get("Aup-Event-Id")
		if id == "hung" && r.Header.Get("Aup-Delivery-Attempt") == "1" {
			<-r.Context().Done() // until the client gives up
			hungDone.Store(true)
			return
		}
		beforeHungDone.Store(id, !hungDone.Load())
	}))
	t.Cleanup(srv.Close)
	h := newHarness(t, func(c *webhook.Config) {
		c.URL = srv.URL
		c.Workers = 2
		c.Client = &http.Client{Timeout: 500 * time.Millisecond}
		c.Lease = time.Second
	})
	h.out.add(event("hung", 0), baseTime) // first in line
	for i, id := range []string{"a", "b", "c"} {
		h.out.add(event(id, i+1), baseTime)
	}
	h.run(t)
	waitFor(t, "all four deliveries", func() bool {
		for _, id := range []string{"hung", "a", "b", "c"} {
			if h.out.deliveredCount(id) != 1 {
				return false
			}
		}
		return true
	})
	for _, id := range []string{"a", "b", "c"} {
		if before, _ := beforeHungDone.Load(id); before != true {
			t.Errorf("%s was delivered only after the hung request had timed out", id)
		}
	}
	retries := h.out.retriesOf("hung")
	if len(retries) != 1 || retries[0].Reason != "timeout" {
		t.Errorf("retries of the hung event = %+v, want one timeout", retries)
	}
}

func TestRedirectIsAFailure(t *testing.T) {
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Add(1) }))
	defer target.Close()
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL, status)
			}))
			t.Cleanup(srv.Close)
			h := newHarness(t, func(c *webhook.Config) {
				c.URL = srv.URL
				// A client that would follow redirects: the Dispatcher
				// must not.
				c.Client = &http.Client{Timeout: time.Second}
				c.Lease = 2 * time.Second
			})
			h.out.add(event("evt_1", 0), baseTime)
			stop := h.run(t)
			waitFor(t, "two retries", func() bool { return len(h.out.retriesOf("evt_1")) >= 2 })
			stop()
			want := "status " + strconv.Itoa(status)
			for _, r := range h.out.retriesOf("evt_1") {
				if r.Reason != want {
					t.Errorf("reason = %q, want %q", r.Reason, want)
				}
			}
			if n := h.out.deliveredCount("evt_1"); n != 0 {
				t.Errorf("Delivered called %d times after a redirect", n)
			}
		})
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

func TestDeadReceiverComesBack(t *testing.T) {
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nobody listens there now

	h := newHarness(t, func(c *webhook.Config) { c.URL = "http://" + addr + "/hook" })
	h.out.add(event("evt_1", 0), baseTime)
	h.run(t)
	waitFor(t, "three retries", func() bool { return len(h.out.retriesOf("evt_1")) >= 3 })
	for _, r := range h.out.retriesOf("evt_1") {
		if r.Reason != "connection refused" {
			t.Fatalf("reason = %q, want connection refused", r.Reason)
		}
	}

	// The receiver comes back on the same address.
	ln, err = (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	rec := &recorder{}
	srv := httptest.NewUnstartedServer(rec)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	waitFor(t, "the delivery", func() bool { return h.out.deliveredCount("evt_1") == 1 })
	got := rec.deliveries()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	if a, _ := strconv.Atoi(got[0].Header.Get("Aup-Delivery-Attempt")); a < 4 {
		t.Errorf("Aup-Delivery-Attempt = %d, want at least 4 after three failures", a)
	}
}

func TestNotifyWakesTheLoop(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	h := newHarness(t, func(c *webhook.Config) {
		c.URL = srv.URL
		c.PollInterval = time.Hour // only Notify can bring the event out
	})
	for range 100 {
		h.d.Notify() // never blocks, running or not
	}
	h.run(t)
	// Wait until the start-up poll and the pending Notify have been
	// served, so that the event can only go out on a new Notify.
	waitFor(t, "the first polls", func() bool {
		h.out.mu.Lock()
		defer h.out.mu.Unlock()
		return h.out.dueCall >= 2
	})
	h.out.add(event("evt_1", 0), baseTime)
	h.d.Notify()
	waitFor(t, "the delivery after Notify", func() bool { return h.out.deliveredCount("evt_1") == 1 })
}

func TestOutboxErrorsAreRetried(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	h := newHarness(t, func(c *webhook.Config) { c.URL = srv.URL })
	h.out.failDue = 3
	h.out.add(event("evt_1", 0), baseTime)
	stop := h.run(t)
	waitFor(t, "the delivery", func() bool { return h.out.deliveredCount("evt_1") == 1 })
	stop()
	if n := strings.Count(h.logs.String(), "outbox poll failed"); n != 3 {
		t.Errorf("%d outbox errors logged, want 3", n)
	}
}

func TestRunStops(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		h := newHarness(t, func(c *webhook.Config) { c.URL = "http://127.0.0.1:1/" })
		stop := h.run(t)
		stop()
	})

	t.Run("twice at once", func(t *testing.T) {
		h := newHarness(t, func(c *webhook.Config) { c.URL = "http://127.0.0.1:1/" })
		h.run(t)
		waitFor(t, "the first poll", func() bool {
			h.out.mu.Lock()
			defer h.out.mu.Unlock()
			return h.out.dueCall > 0
		})
		if err := h.d.Run(context.Background()); err == nil {
			t.Fatal("a second Run did not fail")
		}
	})

	t.Run("in-flight delivery is cancelled and survives", func(t *testing.T) {
		var hang atomic.Bool
		hang.Store(true)
		var arrived atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			arrived.Add(1)
			if hang.Load() {
				<-r.Context().Done()
			}
		}))
		t.Cleanup(srv.Close)
		clock := &fakeClock{t: baseTime}
		h := newHarness(t, func(c *webhook.Config) {
			c.URL = srv.URL
			c.Now = clock.Now
			c.Client = &http.Client{Timeout: time.Minute} // longer than the test
			c.Lease = 2 * time.Minute
			c.Grace = 20 * time.Millisecond
		})
		h.out.add(event("evt_1", 0), baseTime)
		stop := h.run(t)
		waitFor(t, "the request", func() bool { return arrived.Load() == 1 })
		stop()
		if n := len(h.out.retriesOf("evt_1")); n != 0 {
			t.Errorf("cancelled delivery recorded %d retries, want its lease to expire instead", n)
		}
		if n := h.out.deliveredCount("evt_1"); n != 0 {
			t.Errorf("cancelled delivery marked delivered")
		}

		// After a restart, once the lease has expired, it goes out again.
		hang.Store(false)
		clock.advanceTo(baseTime.Add(3 * time.Minute))
		h.run(t)
		waitFor(t, "the delivery after the restart", func() bool { return h.out.deliveredCount("evt_1") == 1 })
	})
}

func TestNewValidation(t *testing.T) {
	out := newMemOutbox()
	valid := func() webhook.Config {
		return webhook.Config{Outbox: out, URL: "https://product.example/hooks/aup", Secret: testSecret}
	}
	tests := []struct {
		name string
		set  func(*webhook.Config)
		want string // in the error; "" for no error
	}{
		{"valid", func(*webhook.Config) {}, ""},
		{"valid http with port and query", func(c *webhook.Config) { c.URL = "http://10.0.0.1:8080/hook?k=v" }, ""},
		{"no outbox", func(c *webhook.Config) { c.Outbox = nil }, "Outbox is required"},
		{"no url", func(c *webhook.Config) { c.URL = "" }, "URL is required"},
		{"relative url", func(c *webhook.Config) { c.URL = "/hooks/aup" }, "absolute http or https"},
		{"ftp url", func(c *webhook.Config) { c.URL = "ftp://product.example/x" }, "absolute http or https"},
		{"no host", func(c *webhook.Config) { c.URL = "https:///hook" }, "no host"},
		{"opaque", func(c *webhook.Config) { c.URL = "https:product.example" }, "no host"},
		{"unparsable url", func(c *webhook.Config) { c.URL = "https://prod uct.example/%zz" }, "not a valid URL"},
		{"fragment", func(c *webhook.Config) { c.URL = "https://product.example/h#x" }, "fragment"},
		{"no secret", func(c *webhook.Config) { c.Secret = nil }, "at least 16 bytes"},
		{"short secret", func(c *webhook.Config) { c.Secret = []byte("fifteen-bytes!!") }, "at least 16 bytes"},
		{"negative workers", func(c *webhook.Config) { c.Workers = -1 }, "must not be negative"},
		{"negative batch", func(c *webhook.Config) { c.Batch = -1 }, "must not be negative"},
		{"negative poll", func(c *webhook.Config) { c.PollInterval = -time.Second }, "must not be negative"},
		{"max below min backoff", func(c *webhook.Config) { c.MinBackoff = time.Minute; c.MaxBackoff = time.Second }, "MaxBackoff"},
		{"max below default min", func(c *webhook.Config) { c.MaxBackoff = time.Millisecond }, "MaxBackoff"},
		{"lease shorter than default timeout", func(c *webhook.Config) { c.Lease = 5 * time.Second }, "must exceed the client timeout"},
		{"lease equal to client timeout", func(c *webhook.Config) {
			c.Client = &http.Client{Timeout: time.Minute}
		}, "must exceed the client timeout"},
		{"client without timeout", func(c *webhook.Config) { c.Client = &http.Client{} }, "must have a Timeout"},
		{"client with timeout", func(c *webhook.Config) { c.Client = &http.Client{Timeout: 2 * time.Second} }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.set(&cfg)
			_, err := webhook.New(cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New = %v, want an error with %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), string(testSecret)):
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}
}

func TestNewDoesNotKeepTheCallersClient(t *testing.T) {
	client := &http.Client{Timeout: time.Second}
	if _, err := webhook.New(webhook.Config{Outbox: newMemOutbox(), URL: "https://x.example", Secret: testSecret, Client: client}); err != nil {
		t.Fatal(err)
	}
	if client.CheckRedirect != nil {
		t.Error("New changed the caller's client")
	}
}

// BenchmarkDeliver measures events delivered per second to a local receiver,
// end to end: lease, sign, POST, 204, Delivered.
func BenchmarkDeliver(b *testing.B) {
	for _, workers := range []int{webhook.DefaultWorkers, 16} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusNoContent)
			}))
			b.Cleanup(srv.Close)
			h := newHarness(b, func(c *webhook.Config) {
				c.URL = srv.URL
				c.Workers = workers
				c.Logger = slog.New(slog.DiscardHandler)
				c.PollInterval = time.Second
			})
			for i := range b.N {
				h.out.add(event("evt_"+strconv.Itoa(i), i), baseTime)
			}
			b.ResetTimer()
			stop := h.run(b)
			for h.out.pending() > 0 {
				time.Sleep(100 * time.Microsecond)
			}
			b.StopTimer()
			stop()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
