package openai

import (
	"sync"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// guard decides whether a request may be sent: the circuit breaker, the
// pause a 429 asked for, and the cap per minute.
type guard struct {
	failures  int           // calls in a row without an answer that open the breaker
	cooldown  time.Duration // how long it stays open
	perMinute int           // 0: no cap
	m         *Metrics
	now       func() time.Time

	mu          sync.Mutex
	failed      int       // calls in a row without an answer
	openUntil   time.Time // the breaker is open before this
	probing     bool      // half open: one call is finding out whether the model is back
	pausedUntil time.Time // the model asked us to wait (429 with Retry-After)
	minute      time.Time // the minute sent counts in
	sent        int
}

func newGuard(failures int, cooldown time.Duration, perMinute int, m *Metrics) *guard {
	return &guard{failures: failures, cooldown: cooldown, perMinute: perMinute, m: m, now: time.Now}
}

// admit lets a call send its first request, or says why not. probe is true
// for the one call allowed through a breaker whose cooldown has passed; it
// must report back with done.
func (g *guard) admit() (probe bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	switch {
	case now.Before(g.pausedUntil):
		return false, moderation.Errorf(moderation.EUNAVAILABLE, "%s", moderation.UnavailableRateLimited)
	case g.openUntil.IsZero():
	case now.Before(g.openUntil) || g.probing:
		return false, moderation.Errorf(moderation.EUNAVAILABLE, "%s", moderation.UnavailableCircuitOpen)
	default:
		probe, g.probing = true, true
	}
	if err := g.takeLocked(now); err != nil {
		g.probing = g.probing && !probe
		return false, err
	}
	return probe, nil
}

// take counts a retry against the cap.
func (g *guard) take() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.takeLocked(g.now())
}

func (g *guard) takeLocked(now time.Time) error {
	if g.perMinute == 0 {
		return nil
	}
	if m := now.Truncate(time.Minute); !m.Equal(g.minute) {
		g.minute, g.sent = m, 0
	}
	if g.sent >= g.perMinute {
		return moderation.Errorf(moderation.EUNAVAILABLE, "%s", moderation.UnavailableCapped)
	}
	g.sent++
	return nil
}

// done records how an admitted call ended: answered, or not.
func (g *guard) done(probe, answered bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if probe {
		g.probing = false
	}
	if answered {
		g.failed, g.openUntil = 0, time.Time{}
		g.m.breakerOpen.Set(0)
		return
	}
	g.failed++
	if probe || g.failed >= g.failures {
		g.openUntil = g.now().Add(g.cooldown)
		g.m.breakerOpen.Set(1)
	}
}

// pause stops all requests for d, as a 429's Retry-After asked.
func (g *guard) pause(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until := g.now().Add(d); until.After(g.pausedUntil) {
		g.pausedUntil = until
	}
}
