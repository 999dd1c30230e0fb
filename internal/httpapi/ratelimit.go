package httpapi

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
)

// Counter is a shared expiring counter; review.Store is one. Instances that
// count in the same Counter share their rate limits.
type Counter interface {
	// Incr adds one to the counter at key and returns its new value and the
	// time until it expires. A counter that does not exist is created with
	// value 1 and lifetime ttl; incrementing never extends the lifetime.
	// Errors mean the counter could not be reached.
	Incr(ctx context.Context, key string, ttl time.Duration) (n int64, left time.Duration, err error)
}

// DefaultRateWindow is the window of Config.RateLimit when none is given.
const DefaultRateWindow = time.Second

// Tuning of the rate limiter.
const (
	// rateChunks is how many chunks a window's allowance is handed out in.
	rateChunks = 64
	// rateStoreTimeout bounds one call to the Counter.
	rateStoreTimeout = 250 * time.Millisecond
	// rateStoreRetry is how long the limiter serves without
	// counting after the Counter failed, before it asks again.
	rateStoreRetry = 5 * time.Second
	// rateLogEvery is how often a Counter that keeps failing is logged.
	rateLogEvery = time.Minute
)

// rateKeyPrefix is the prefix of the limiter's counters in the store.
const rateKeyPrefix = "ratelimit:"

// rateLimiter allows each API key limit requests per window, counted in a
// Counter shared by every instance.
//
// A fixed window: the first request of a key starts a counter that expires
// after window, and the store's clock, not the instances', says when. Asking
// the store on every request would put a round trip to Redis on every
// check, so the store counts chunks instead of requests: an instance takes
// a chunk of about limit/64 requests with one Incr (the n-th chunk of the
// window grants requests (n-1)*chunk to n*chunk) and serves them from
// memory until they run out or the window ends. A key then costs at most
// 64 round trips per window per instance, however busy it is, and never
// more than limit requests per window across instances; the price is that
// the requests left in other instances' chunks when the allowance runs out
// are refused until the window ends (at most one chunk per instance). Once
// the store says the allowance is spent, the instance refuses the key from
// memory until the window ends.
//
// The limiter fails open: when the Counter cannot be reached, requests are
// served without counting for rateStoreRetry, then the store is asked
// again, and the failure is logged at most once per rateLogEvery.
type rateLimiter struct {
	store  Counter
	limit  int64
	window time.Duration
	chunk  int64
	log    *slog.Logger

	mu      sync.Mutex
	buckets map[string]*bucket // by key name; keys are configured, so few

	logMu      sync.Mutex
	lastLog    time.Time
	suppressed int // failures not logged since lastLog
}

// bucket is one key's state in this instance.
type bucket struct {
	mu     sync.Mutex
	until  time.Time     // end of the window the state below belongs to
	tokens int64         // requests left in this instance's chunk
	spent  bool          // the window's allowance is spent: refuse until until
	open   bool          // the store failed: serve without counting until until
	fetch  chan struct{} // closed when the request asking the store is done
}

func newRateLimiter(store Counter, limit int, window time.Duration, log *slog.Logger) *rateLimiter {
	return &rateLimiter{
		store:   store,
		limit:   int64(limit),
		window:  window,
		chunk:   max(1, int64(limit)/rateChunks),
		log:     log,
		buckets: make(map[string]*bucket),
	}
}

// allow takes one request of key name. It returns ok, or how long until the
// key's window ends.
func (l *rateLimiter) allow(ctx context.Context, name string) (ok bool, retry time.Duration) {
	b := l.bucket(name)
	for {
		b.mu.Lock()
		now := time.Now()
		if !now.Before(b.until) {
			b.tokens, b.spent, b.open = 0, false, false
		}
		switch {
		case b.open:
			b.mu.Unlock()
			return true, 0
		case b.tokens > 0:
			b.tokens--
			b.mu.Unlock()
			return true, 0
		case b.spent:
			retry := b.until.Sub(now)
			b.mu.Unlock()
			return false, retry
		case b.fetch != nil:
			// Another request is asking the store; its chunk serves this one.
			done := b.fetch
			b.mu.Unlock()
			select {
			case <-done:
			case <-ctx.Done():
				return true, 0 // the caller is gone; the handler sees its ctx
			}
			continue
		}
		done := make(chan struct{})
		b.fetch = done
		b.mu.Unlock()
		func() {
			// Even if the store panics, the requests waiting on this
			// fetch go on, and the next request asks again.
			defer func() {
				b.mu.Lock()
				b.fetch = nil
				b.mu.Unlock()
				close(done)
			}()
			l.take(ctx, name, b)
		}()
	}
}

// take asks the store for the next chunk of key name's window and records
// the answer in b.
func (l *rateLimiter) take(ctx context.Context, name string, b *bucket) {
	// A request that goes away must not fail the call for those waiting.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rateStoreTimeout)
	n, left, err := l.store.Incr(sctx, rateKeyPrefix+name, l.window)
	cancel()
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if err != nil {
		// Not the window: with a window of an hour, one blip of the store
		// would lift the limit for an hour.
		b.open, b.until = true, now.Add(rateStoreRetry)
		l.failed(ctx, err)
		return
	}
	if left <= 0 || left > l.window { // a counter without a lifetime
		left = l.window
	}
	b.until = now.Add(left)
	if granted := l.limit - (n-1)*l.chunk; granted > 0 {
		b.tokens = min(l.chunk, granted)
	} else {
		b.spent = true
	}
}

// failed logs a store failure, at most once per rateLogEvery.
func (l *rateLimiter) failed(ctx context.Context, err error) {
	l.logMu.Lock()
	defer l.logMu.Unlock()
	if now := time.Now(); now.Sub(l.lastLog) >= rateLogEvery {
		attrs := append([]any{"failures_not_logged", l.suppressed}, moderation.ErrorAttrs(err)...)
		l.log.WarnContext(ctx, "rate limit store unavailable: serving without rate limits until it answers", attrs...)
		l.lastLog, l.suppressed = now, 0
		return
	}
	l.suppressed++
}

func (l *rateLimiter) bucket(name string) *bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[name]
	if b == nil {
		b = new(bucket)
		l.buckets[name] = b
	}
	return b
}

// rateLimit counts a request of key name, and refuses it with 429 and
// Retry-After (whole seconds, rounded up) when the key is over its limit.
func (s *Server) rateLimit(c echo.Context, name string) error {
	if s.limiter == nil {
		return nil
	}
	ok, retry := s.limiter.allow(c.Request().Context(), name)
	if ok {
		return nil
	}
	secs := max(1, int64(math.Ceil(retry.Seconds())))
	c.Response().Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	return moderation.Errorf(moderation.ERATELIMIT, "key '%s' is over its rate limit of %d requests per %s; retry in %d s",
		name, s.limiter.limit, s.limiter.window, secs)
}
