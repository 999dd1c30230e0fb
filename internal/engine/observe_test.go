package engine

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
)

// recorder is an Observer that keeps what it was told.
type recorder struct {
	mu       sync.Mutex
	lookups  []string // tier/result
	detected []time.Duration
}

func (r *recorder) CacheLookup(tier, result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups = append(r.lookups, tier+"/"+result)
}

func (r *recorder) Detected(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.detected = append(r.detected, d)
}

// take returns what was recorded since the last take.
func (r *recorder) take() ([]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, n := r.lookups, len(r.detected)
	r.lookups, r.detected = nil, nil
	return l, n
}

// downCache is a cache tier that cannot be asked.
type downCache struct{}

func (downCache) Get(context.Context, string) (moderation.Verdict, bool, error) {
	return moderation.Verdict{}, false, moderation.Errorf(moderation.EUNAVAILABLE, "redis: connection refused")
}

func (downCache) Set(context.Context, string, moderation.Verdict, time.Duration) error {
	return moderation.Errorf(moderation.EUNAVAILABLE, "redis: connection refused")
}

// TestObserver: every lookup in each tier is reported with its result, and
// detection is timed on misses only. Two engines sharing a cache stand for
// two instances sharing Redis.
func TestObserver(t *testing.T) {
	shared := memstore.NewCache(10)
	newInstance := func(local, shared moderation.VerdictCache) (*Engine, *recorder) {
		obs := &recorder{}
		return newTestEngine(t, &fixedLang{lang: english}, Options{Local: local, Shared: shared, Observer: obs}), obs
	}
	a, obsA := newInstance(memstore.NewCache(10), shared)
	b, obsB := newInstance(memstore.NewCache(10), shared)
	c, obsC := newInstance(nil, downCache{})

	tests := []struct {
		name     string
		e        *Engine
		obs      *recorder
		lookups  []string
		detected int
	}{
		{"first check", a, obsA, []string{"local/miss", "shared/miss"}, 1},
		{"same text again", a, obsA, []string{"local/hit"}, 0},
		{"another instance", b, obsB, []string{"local/miss", "shared/hit"}, 0},
		{"the shared hit filled its local tier", b, obsB, []string{"local/hit"}, 0},
		{"shared tier down", c, obsC, []string{"shared/error"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.e.Screen(context.Background(), moderation.Content{Text: "they are vermin"}); err != nil {
				t.Fatal(err)
			}
			lookups, detected := tc.obs.take()
			if !slices.Equal(lookups, tc.lookups) || detected != tc.detected {
				t.Errorf("lookups %v, %d detections; want %v, %d", lookups, detected, tc.lookups, tc.detected)
			}
		})
	}
}
