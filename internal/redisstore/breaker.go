package redisstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrCircuitOpen is the error of a command the Breaker refused without
// sending it, because Redis failed just before.
var ErrCircuitOpen = errors.New("redisstore: circuit open: redis failed recently")

// Breaker is a go-redis hook (install it with the client's AddHook) that
// stops a client from trying a Redis that is down: after failures commands in
// a row failed to reach Redis, every command fails at once with
// ErrCircuitOpen, without a network attempt, for cooldown; then one command
// goes through as a probe, and the breaker closes when it succeeds or stays
// open for another cooldown when it fails.
//
// Callers already treat an unreachable store as a miss (the verdict cache,
// the wave counter, the author's standing) or as a 503 (what must persist),
// so with the breaker open they get the same answer without paying dial
// attempts, retries and timeouts on every call. A failure is a refused or
// dropped connection, or a dial or read timeout of the client's own (see
// outcome): redis.Nil and error replies (WRONGTYPE, a failed transaction)
// show that Redis answered, and a caller that gave up or ran out of time
// says nothing certain about Redis.
//
// A Breaker is safe for concurrent use.
type Breaker struct {
	failures int
	cooldown time.Duration
	now      func() time.Time

	mu       sync.Mutex
	inARow   int       // failures since the last success
	openTill time.Time // refuse until then, once inARow reaches failures
	probing  bool      // a probe is in flight
}

// probeKey marks the context of a probe, so that the commands go-redis
// sends within it (a new connection's HELLO) go through with it.
type probeKey struct{}

// NewBreaker returns a Breaker that opens after failures failed commands in
// a row and lets a probe through every cooldown while open.
func NewBreaker(failures int, cooldown time.Duration) *Breaker {
	return &Breaker{failures: max(1, failures), cooldown: cooldown, now: time.Now}
}

// Open reports whether the breaker refuses commands now (a probe aside).
func (b *Breaker) Open() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inARow >= b.failures
}

// DialHook implements redis.Hook.
func (b *Breaker) DialHook(next redis.DialHook) redis.DialHook {
	return next
}

// ProcessHook implements redis.Hook.
func (b *Breaker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if ctx.Value(probeKey{}) == b {
			return next(ctx, cmd) // part of a probe: counted with it
		}
		probe, err := b.enter()
		if err != nil {
			return err
		}
		if probe {
			ctx = context.WithValue(ctx, probeKey{}, b)
		}
		err = next(ctx, cmd)
		b.exit(ctx, probe, err)
		return err
	}
}

// ProcessPipelineHook implements redis.Hook, for pipelines and transactions.
func (b *Breaker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if ctx.Value(probeKey{}) == b {
			return next(ctx, cmds)
		}
		probe, err := b.enter()
		if err != nil {
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
			return err
		}
		if probe {
			ctx = context.WithValue(ctx, probeKey{}, b)
		}
		err = next(ctx, cmds)
		b.exit(ctx, probe, err)
		return err
	}
}

// enter lets a command through, as a probe when the breaker is open and its
// cooldown has passed, or returns ErrCircuitOpen.
func (b *Breaker) enter() (probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.inARow < b.failures {
		return false, nil
	}
	if b.probing || b.now().Before(b.openTill) {
		return false, ErrCircuitOpen
	}
	b.probing = true
	return true, nil
}

// exit records the outcome of a command enter let through. A reply from
// Redis closes the breaker; a failure to reach Redis counts towards opening
// it; a caller that gave up or ran out of time (ctx.Err set), or a pool
// that had no connection free in time, says nothing about Redis: the count
// stays, and an open breaker stays open for another cooldown after such a
// probe.
func (b *Breaker) exit(ctx context.Context, probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
	switch outcome(ctx, err) {
	case answered:
		b.inARow = 0
	case unknown:
		if probe {
			b.openTill = b.now().Add(b.cooldown)
		}
	case failed:
		b.inARow++
		if b.inARow >= b.failures {
			b.openTill = b.now().Add(b.cooldown)
		}
	}
}

// Outcomes of a command, for the breaker.
const (
	answered = iota // Redis replied, with a value, nil or an error reply
	failed          // Redis could not be reached or did not answer
	unknown         // the caller gave up, or the pool was exhausted
)

func outcome(ctx context.Context, err error) int {
	var reply redis.Error
	switch {
	case err == nil, errors.Is(err, redis.Nil), errors.As(err, &reply):
		return answered
	case ctx.Err() != nil, errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, ErrCircuitOpen):
		return unknown
	}
	return failed // refused, reset, or a dial or read timeout of the client's own
}

var _ redis.Hook = (*Breaker)(nil)
