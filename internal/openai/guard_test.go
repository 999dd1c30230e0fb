package openai

import (
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// clock is a settable time for the guard.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestGuard(failures int, perMinute int) (*guard, *clock) {
	c := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	g := newGuard(failures, 30*time.Second, perMinute, NewMetrics(nil))
	g.now = c.now
	return g, c
}

func reason(err error) string { return moderation.ErrorMessage(err) }

func TestBreakerOpensAndProbes(t *testing.T) {
	g, c := newTestGuard(3, 0)
	for range 3 {
		probe, err := g.admit()
		if err != nil || probe {
			t.Fatalf("closed breaker: probe %v, err %v", probe, err)
		}
		g.done(false, false)
	}
	if _, err := g.admit(); reason(err) != moderation.UnavailableCircuitOpen {
		t.Fatalf("after 3 failures: %v, want circuit_open", err)
	}
	c.t = c.t.Add(31 * time.Second)
	probe, err := g.admit()
	if err != nil || !probe {
		t.Fatalf("after the cooldown: probe %v, err %v; want one probe", probe, err)
	}
	if _, err := g.admit(); reason(err) != moderation.UnavailableCircuitOpen {
		t.Errorf("while the probe runs: %v, want circuit_open", err)
	}
	g.done(true, false) // the probe failed: open again
	if _, err := g.admit(); reason(err) != moderation.UnavailableCircuitOpen {
		t.Errorf("after a failed probe: %v", err)
	}
	c.t = c.t.Add(31 * time.Second)
	probe, _ = g.admit()
	g.done(probe, true)
	for range 5 {
		if probe, err := g.admit(); err != nil || probe {
			t.Fatalf("after a good probe: probe %v, err %v; want closed", probe, err)
		}
		g.done(false, true)
	}
}

func TestAnswerResetsFailures(t *testing.T) {
	g, _ := newTestGuard(3, 0)
	for range 10 {
		_, _ = g.admit()
		g.done(false, false)
		_, _ = g.admit()
		g.done(false, false)
		_, _ = g.admit()
		g.done(false, true)
	}
	if _, err := g.admit(); err != nil {
		t.Errorf("failures that never run to 3 in a row opened the breaker: %v", err)
	}
}

func TestCapPerMinute(t *testing.T) {
	g, c := newTestGuard(5, 3)
	for range 3 {
		if _, err := g.admit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.take(); reason(err) != moderation.UnavailableCapped {
		t.Fatalf("4th request in a minute: %v, want capped", err)
	}
	c.t = c.t.Add(time.Minute)
	if _, err := g.admit(); err != nil {
		t.Errorf("next minute: %v", err)
	}
}

func TestPauseAfterRetryAfter(t *testing.T) {
	g, c := newTestGuard(5, 0)
	g.pause(20 * time.Second)
	if _, err := g.admit(); reason(err) != moderation.UnavailableRateLimited {
		t.Fatalf("paused: %v, want rate_limited", err)
	}
	g.pause(time.Second) // a shorter pause does not end a longer one
	c.t = c.t.Add(10 * time.Second)
	if _, err := g.admit(); reason(err) != moderation.UnavailableRateLimited {
		t.Errorf("10s into a 20s pause: %v", err)
	}
	c.t = c.t.Add(11 * time.Second)
	if _, err := g.admit(); err != nil {
		t.Errorf("after the pause: %v", err)
	}
}
