package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// Outbox holds events waiting for delivery. The review store implements it
// in Redis and in memory; implementations must be safe for concurrent use.
//
// Errors are *moderation.Error with code EUNAVAILABLE when the store cannot
// be reached. The Dispatcher logs them and tries again on its next poll; an
// event whose Delivered or Retry call failed is sent again once its lease
// expires.
type Outbox interface {
	// Due leases up to n events whose next attempt is due at now, oldest
	// due first: until now+lease no other Due call returns them, so several
	// aup instances can share one outbox. Each event's Attempts is the
	// number of failed attempts recorded by Retry so far.
	Due(ctx context.Context, now time.Time, lease time.Duration, n int) ([]moderation.Event, error)
	// Delivered removes a delivered event. Removing an event that is no
	// longer there (another instance delivered it after this one's lease
	// expired) is not an error.
	Delivered(ctx context.Context, id string) error
	// Retry records a failed attempt (incrementing Attempts, keeping reason
	// for operators), releases the lease and makes the event due again at
	// at. Retrying an event that is no longer there is not an error.
	Retry(ctx context.Context, id string, at time.Time, reason string) error
}

// Defaults for the zero values of Config.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultBatch        = 16
	DefaultWorkers      = 4
	DefaultPollInterval = time.Second
	DefaultLease        = time.Minute
	DefaultMinBackoff   = time.Second
	DefaultMaxBackoff   = time.Hour
	DefaultGrace        = 5 * time.Second
)

// MinSecretLen is the shortest secret Config accepts.
const MinSecretLen = 16

// maxResponseBytes is how much of a response body is read (and discarded) so
// that the connection can be reused.
const maxResponseBytes = 4 << 10

// userAgent identifies the sender and the version of the delivery format.
const userAgent = "aup-webhook/1"

// Config configures a Dispatcher. Outbox, URL and Secret are required.
type Config struct {
	Outbox Outbox
	// URL is the receiver's endpoint, an absolute http or https URL.
	URL string
	// Secret keys the HMAC signatures; at least MinSecretLen bytes.
	Secret []byte
	// Client sends the requests (default: a client with a DefaultTimeout
	// timeout). Its Timeout bounds each attempt, must be set and must be
	// shorter than Lease. Redirects are never followed, whatever its
	// CheckRedirect says: a 3xx answer is a failed attempt.
	Client *http.Client
	// Logger receives a line per attempt and outbox errors (default
	// slog.Default()).
	Logger *slog.Logger
	// Batch is the most events leased by one Due call (default 16). No
	// more events are leased than there are idle workers, so that a lease
	// only runs while its event is being sent.
	Batch int
	// Workers is how many deliveries are in flight at once (default 4).
	Workers int
	// PollInterval is how often the outbox is polled when Notify is not
	// called (default 1 s).
	PollInterval time.Duration
	// Lease is how long an event is held by this instance once leased
	// (default 1 min). It must exceed the client timeout, so that an
	// attempt ends before another instance may take the event.
	Lease time.Duration
	// MinBackoff and MaxBackoff bound the wait before a failed event is
	// retried (default 1 s and 1 h).
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Grace is how long Run waits, once its context is done, for deliveries
	// in flight before cancelling them (default 5 s).
	Grace time.Duration
	// Now tells the time (default time.Now).
	Now func() time.Time
}

// Dispatcher delivers the outbox's events to the webhook. Create it with New
// and start it with Run; Notify is safe to call from any goroutine.
type Dispatcher struct {
	outbox     Outbox
	url        string
	secret     []byte
	client     *http.Client
	log        *slog.Logger
	batch      int
	workers    int
	poll       time.Duration
	lease      time.Duration
	minBackoff time.Duration
	maxBackoff time.Duration
	grace      time.Duration
	now        func() time.Time

	notify  chan struct{}
	running atomic.Bool
}

// New validates cfg, fills in the defaults and returns a Dispatcher.
func New(cfg Config) (*Dispatcher, error) {
	if cfg.Outbox == nil {
		return nil, errors.New("webhook: Config.Outbox is required")
	}
	if err := validateURL(cfg.URL); err != nil {
		return nil, err
	}
	if len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("webhook: Config.Secret must be at least %d bytes", MinSecretLen)
	}
	if cfg.Batch < 0 || cfg.Workers < 0 || cfg.PollInterval < 0 || cfg.Lease < 0 ||
		cfg.MinBackoff < 0 || cfg.MaxBackoff < 0 || cfg.Grace < 0 {
		return nil, errors.New("webhook: Batch, Workers, PollInterval, Lease, MinBackoff, MaxBackoff and Grace must not be negative")
	}
	d := &Dispatcher{
		outbox:     cfg.Outbox,
		url:        cfg.URL,
		secret:     bytes.Clone(cfg.Secret),
		log:        cfg.Logger,
		batch:      orDefault(cfg.Batch, DefaultBatch),
		workers:    orDefault(cfg.Workers, DefaultWorkers),
		poll:       orDefault(cfg.PollInterval, DefaultPollInterval),
		lease:      orDefault(cfg.Lease, DefaultLease),
		minBackoff: orDefault(cfg.MinBackoff, DefaultMinBackoff),
		maxBackoff: orDefault(cfg.MaxBackoff, DefaultMaxBackoff),
		grace:      orDefault(cfg.Grace, DefaultGrace),
		now:        cfg.Now,
		notify:     make(chan struct{}, 1),
	}
	if d.maxBackoff < d.minBackoff {
		return nil, fmt.Errorf("webhook: MaxBackoff %s is shorter than MinBackoff %s", d.maxBackoff, d.minBackoff)
	}
	if cfg.Client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = d.workers // one kept-alive connection per worker
		d.client = &http.Client{Transport: t, Timeout: DefaultTimeout}
	} else {
		c := *cfg.Client
		d.client = &c
	}
	d.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if d.client.Timeout <= 0 {
		return nil, errors.New("webhook: Config.Client must have a Timeout")
	}
	if d.lease <= d.client.Timeout {
		return nil, fmt.Errorf("webhook: Lease %s must exceed the client timeout %s", d.lease, d.client.Timeout)
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d, nil
}

// validateURL accepts absolute http and https URLs with a host. Its errors
// never contain the URL, which may carry a token.
func validateURL(s string) error {
	if s == "" {
		return errors.New("webhook: Config.URL is required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("webhook: Config.URL is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("webhook: Config.URL must be an absolute http or https URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return errors.New("webhook: Config.URL has no host")
	}
	if u.Fragment != "" {
		return errors.New("webhook: Config.URL must not have a fragment")
	}
	return nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Notify wakes Run so that a newly written event goes out now rather than at
// the next poll. It never blocks; calls made while a wake-up is pending
// are merged into it.
func (d *Dispatcher) Notify() {
	select {
	case d.notify <- struct{}{}:
	default:
	}
}

// Run delivers due events until ctx is done, then waits up to Grace for the
// deliveries in flight and cancels the rest; their leases expire and another
// Run, here or on another instance, sends them again. Outbox errors are
// logged and retried at the next poll. Run returns nil once stopped, or an
// error if it is already running.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("webhook: Dispatcher is already running")
	}
	defer d.running.Store(false)

	// Deliveries outlive ctx by up to the grace period.
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var (
		wg    sync.WaitGroup
		slots = make(chan struct{}, d.workers) // one token per delivery in flight
		freed = make(chan struct{}, 1)         // a delivery ended
	)
	ticker := time.NewTicker(d.poll)
	defer ticker.Stop()
	for {
		// Lease as many events as there are idle workers, and keep going
		// while full batches suggest that more are due.
		backlog := false
		for ctx.Err() == nil {
			idle := d.workers - len(slots)
			if idle == 0 {
				backlog = true // poll again when a worker is free
				break
			}
			n := min(idle, d.batch)
			events, err := d.outbox.Due(ctx, d.now(), d.lease, n)
			if err != nil {
				if ctx.Err() == nil {
					d.log.Error("webhook: outbox poll failed", moderation.ErrorAttrs(err)...)
				}
				break
			}
			if len(events) > n {
				d.log.Error("webhook: outbox returned more events than asked; the rest wait for their leases to expire",
					"asked", n, "got", len(events))
				events = events[:n]
			}
			for _, ev := range events {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() {
						<-slots
						select {
						case freed <- struct{}{}:
						default:
						}
					}()
					d.deliver(dctx, ev)
				})
			}
			if len(events) < n {
				break
			}
		}
		var wake <-chan struct{}
		if backlog {
			wake = freed
		}
		select {
		case <-ctx.Done():
			d.stop(&wg, len(slots), cancel)
			return nil
		case <-ticker.C:
		case <-d.notify:
		case <-wake:
		}
	}
}

// stop waits up to the grace period for the deliveries in flight, then
// cancels them and waits for them to return.
func (d *Dispatcher) stop(wg *sync.WaitGroup, inFlight int, cancel context.CancelFunc) {
	if inFlight == 0 {
		return
	}
	d.log.Info("webhook: stopping, waiting for deliveries in flight", "in_flight", inFlight, "grace", d.grace.String())
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d.grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cancel()
		<-done
	}
}

// deliver makes one attempt at ev and records the outcome in the outbox.
func (d *Dispatcher) deliver(ctx context.Context, ev moderation.Event) {
	attempt := ev.Attempts + 1
	log := d.log.With("event_id", ev.ID, "event_type", ev.Type, "attempt", attempt)
	start := time.Now()
	status, reason := d.post(ctx, ev, attempt)
	took := time.Since(start).Round(time.Millisecond).String()
	if reason == "" {
		if err := d.outbox.Delivered(ctx, ev.ID); err != nil {
			log.Error("webhook: delivered, but the outbox was not updated; it will be sent again",
				append([]any{"status", status, "duration", took}, moderation.ErrorAttrs(err)...)...)
			return
		}
		log.Info("webhook: delivered", "status", status, "duration", took)
		return
	}
	if ctx.Err() != nil {
		// Shutting down: leave the event to its lease.
		log.Info("webhook: delivery cancelled by shutdown; it will be sent again", "duration", took)
		return
	}
	wait := d.backoff(ev.Attempts)
	if err := d.outbox.Retry(ctx, ev.ID, d.now().Add(wait), reason); err != nil {
		log.Error("webhook: delivery failed, and the outbox was not updated; it will be sent again when its lease expires",
			append([]any{"reason", reason, "duration", took}, moderation.ErrorAttrs(err)...)...)
		return
	}
	log.Warn("webhook: delivery failed", "reason", reason, "duration", took, "retry_in", wait.Round(time.Millisecond).String())
}

// post sends ev and returns the response status and, if the attempt failed,
// a short reason: "status 503", "timeout", "connection refused".
func (d *Dispatcher) post(ctx context.Context, ev moderation.Event, attempt int) (status int, reason string) {
	body, err := encode(ev)
	if err != nil {
		// Corrupt data in the outbox: it stays there, retried at the
		// slowest pace, until an operator repairs or removes it.
		d.log.Error("webhook: event cannot be encoded", append([]any{"event_id", ev.ID, "event_type", ev.Type}, moderation.ErrorAttrs(err)...)...)
		return 0, "invalid event data"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return 0, "invalid request"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Aup-Event-Id", ev.ID)
	req.Header.Set("Aup-Event-Type", ev.Type)
	req.Header.Set("Aup-Delivery-Attempt", strconv.Itoa(attempt))
	req.Header.Set(SignatureHeader, Sign(d.secret, d.now(), body))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, errorClass(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, "status " + strconv.Itoa(resp.StatusCode)
	}
	return resp.StatusCode, ""
}

// payload is the body of a delivery.
type payload struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// encode returns the body for ev.
func encode(ev moderation.Event) ([]byte, error) {
	return json.Marshal(payload{
		ID:        ev.ID,
		Type:      ev.Type,
		CreatedAt: ev.CreatedAt.UTC().Format(time.RFC3339Nano),
		Data:      ev.Data,
	})
}

// errorClass names the kind of a failed request for a log line and the
// outbox, without its text (which has the URL in it).
func errorClass(err error) string {
	var (
		nerr  net.Error
		dns   *net.DNSError
		unkCA x509.UnknownAuthorityError
		host  x509.HostnameError
		inv   x509.CertificateInvalidError
		verr  *tls.CertificateVerificationError
		rec   tls.RecordHeaderError
		alert tls.AlertError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host"
		}
		return "dns error"
	case errors.As(err, &unkCA), errors.As(err, &host), errors.As(err, &inv), errors.As(err, &verr),
		errors.As(err, &rec), errors.As(err, &alert):
		return "tls error"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "unreachable"
	}
	return "network error"
}

// backoff returns the wait after a failed attempt that followed failures
// earlier ones: MinBackoff·2^failures, capped at MaxBackoff, ±20%.
func (d *Dispatcher) backoff(failures int) time.Duration {
	wait := d.minBackoff
	for range max(failures, 0) {
		if wait >= d.maxBackoff/2 {
			wait = d.maxBackoff
			break
		}
		wait *= 2
	}
	wait = min(wait, d.maxBackoff)
	jitter := 0.8 + 0.4*rand.Float64() //nolint:gosec // jitter spreads retries; it is not a secret
	return time.Duration(float64(wait) * jitter)
}
