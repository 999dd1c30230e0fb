package engine

import (
	"context"
	"crypto/sha256"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// TestSharedTier runs two engines, as two instances would, against one
// Redis: what one computed, the other serves from the shared tier.
func TestSharedTier(t *testing.T) {
	srv := redistest.Shared(t)
	prefix := redistest.Prefix()
	newInstance := func() (*Engine, *fixedLang) {
		det := &fixedLang{lang: english}
		return newTestEngine(t, det, Options{
			Local:  memstore.NewCache(10),
			Shared: redisstore.New(srv.Client(t), prefix),
		}), det
	}
	a, _ := newInstance()
	b, detB := newInstance()
	ctx := context.Background()
	first, err := a.Screen(ctx, moderation.Content{Text: "they are vermin"})
	if err != nil || first.Cached {
		t.Fatalf("first: %+v, %v", first, err)
	}
	second, err := b.Screen(ctx, moderation.Content{Text: "They are VERMIN"})
	if err != nil || !second.Cached || second.Action != first.Action || len(second.Matches) != 1 {
		t.Fatalf("second instance: %+v, %v", second, err)
	}
	if detB.calls.Load() != 0 {
		t.Errorf("the second instance screened the text itself")
	}
	// The shared hit filled b's local tier (verdicts are stored before the
	// policy decides, so compare the matches).
	h := sha256.Sum256([]byte("they are vermin"))
	if v, ok, _ := b.opts.Local.Get(ctx, cacheKey(b.PolicyVersion(), h[:])); !ok || len(v.Matches) != 1 {
		t.Errorf("local tier not filled: %v %+v", ok, v)
	}
}

// TestHungStore: a Redis that accepts connections and never answers costs a
// check its store deadlines, not the check itself.
func TestHungStore(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	client := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ContextTimeoutEnabled: true, MaxRetries: -1})
	defer client.Close()
	store := redisstore.New(client, "hung:")
	e := newTestEngine(t, &fixedLang{lang: english}, Options{Shared: store, Waves: store, StoreTimeout: 50 * time.Millisecond})
	v, err := e.Screen(context.Background(), moderation.Content{Text: "they are vermin", UserID: "u1"})
	if err != nil || v.Action != moderation.Block || v.Cached {
		t.Fatalf("verdict with a hung store: %+v, %v", v, err)
	}
}
