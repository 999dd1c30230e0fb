package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
)

// TestBreaker stops Redis under a client with a Breaker: once commands have
// failed, the next fail at once with ErrCircuitOpen, and after Redis is back
// a probe after the cooldown closes the breaker.
func TestBreaker(t *testing.T) {
	srv := redistest.Start(t)
	client, err := redisstore.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const cooldown = 200 * time.Millisecond
	b := redisstore.NewBreaker(2, cooldown)
	client.AddHook(b)
	ctx := t.Context()
	if err := client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.Get(ctx, "missing").Err(); err == nil || b.Open() {
		t.Fatalf("a miss: err %v, open %v; want redis.Nil and the breaker closed", err, b.Open())
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := client.Get(ctx, "k").Err(); err == nil || errors.Is(err, redisstore.ErrCircuitOpen) {
			t.Fatalf("command %d with Redis down: %v; want a network error", i, err)
		}
	}
	if !b.Open() {
		t.Fatal("the breaker is closed after two failures")
	}
	start := time.Now()
	err = client.Get(ctx, "k").Err()
	t.Logf("a command with the breaker open failed in %s", time.Since(start))
	if !errors.Is(err, redisstore.ErrCircuitOpen) {
		t.Fatalf("with the breaker open: %v, want ErrCircuitOpen", err)
	}
	_, err = client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "k")
		return nil
	})
	if !errors.Is(err, redisstore.ErrCircuitOpen) {
		t.Fatalf("a pipeline with the breaker open: %v, want ErrCircuitOpen", err)
	}

	// A probe whose caller gives up says nothing about Redis: the breaker
	// stays open for another cooldown.
	time.Sleep(cooldown)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_ = client.Get(cancelled, "k").Err()
	if !b.Open() {
		t.Fatal("a probe whose caller gave up closed the breaker")
	}
	if err := client.Get(ctx, "k").Err(); !errors.Is(err, redisstore.ErrCircuitOpen) {
		t.Fatalf("after a probe whose caller gave up: %v, want ErrCircuitOpen", err)
	}

	srv.Resume(t)
	time.Sleep(cooldown)
	if err := client.Get(ctx, "k").Err(); err != nil && !errors.Is(err, redis.Nil) { // Redis restarted empty
		t.Fatalf("the probe after the cooldown: %v", err)
	}
	if b.Open() {
		t.Fatal("the breaker is open after a probe succeeded")
	}
	// A caller giving up says nothing about Redis.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for range 3 {
		_ = client.Get(cctx, "k").Err()
	}
	if b.Open() {
		t.Error("cancelled commands opened the breaker")
	}
}
