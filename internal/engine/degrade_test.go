package engine

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
)

// downStore is a shared cache and wave counter that cannot be reached.
type downStore struct{}

func (downStore) Get(context.Context, string) (moderation.Verdict, bool, error) {
	return moderation.Verdict{}, false, moderation.Errorf(moderation.EUNAVAILABLE, "store unavailable")
}

func (downStore) Set(context.Context, string, moderation.Verdict, time.Duration) error {
	return moderation.Errorf(moderation.EUNAVAILABLE, "store unavailable")
}

func (downStore) Observe(context.Context, string, string, time.Time, time.Duration) (int, error) {
	return 0, moderation.Errorf(moderation.EUNAVAILABLE, "store unavailable")
}

// TestVerdictSaysWhatWasDegraded: with the store down a verdict lists the
// shared cache and the wave counter, is still kept in the local tier (so a
// second check is a local hit, which asked no store), and never says cached
// for a lookup that did not happen.
func TestVerdictSaysWhatWasDegraded(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		user  string
		first []string // degraded on the first check
		again []string // on the second check of the same text
		hit   bool     // the second check is a cache hit
	}{
		{"store down, local tier", Options{Local: memstore.NewCache(10), Shared: downStore{}, Waves: downStore{}}, "u1",
			[]string{"cache", "wave"}, []string{"wave"}, true},
		{"store down, no local tier", Options{Shared: downStore{}, Waves: downStore{}}, "u1",
			[]string{"cache", "wave"}, []string{"cache", "wave"}, false},
		{"store down, no user", Options{Shared: downStore{}, Waves: downStore{}}, "",
			[]string{"cache"}, []string{"cache"}, false},
		{"store up", Options{Local: memstore.NewCache(10), Shared: memstore.NewCache(10), Waves: memstore.NewWaveCounter(10, 10)}, "u1",
			nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, &fixedLang{lang: english}, tc.opts)
			c := moderation.Content{Text: "they are vermin", UserID: tc.user}
			v, err := e.Screen(t.Context(), c)
			if err != nil || v.Action != moderation.Block || v.Cached || !slices.Equal(v.Degraded, tc.first) {
				t.Fatalf("first check: %+v, %v; want a block, not cached, degraded %q", v, err, tc.first)
			}
			v, err = e.Screen(t.Context(), c)
			if err != nil || v.Cached != tc.hit || !slices.Equal(v.Degraded, tc.again) {
				t.Errorf("second check: cached %v, degraded %q, %v; want cached %v, degraded %q", v.Cached, v.Degraded, err, tc.hit, tc.again)
			}
		})
	}
}
