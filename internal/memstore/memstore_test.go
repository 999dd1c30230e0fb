package memstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/storetest"
)

func TestCacheContract(t *testing.T) {
	storetest.TestVerdictCache(t, func(*testing.T) moderation.VerdictCache {
		return memstore.NewCache(1000)
	})
}

func TestCacheContractSharded(t *testing.T) {
	storetest.TestVerdictCache(t, func(*testing.T) moderation.VerdictCache {
		return memstore.NewCache(100_000)
	})
}

func TestWaveCounterContract(t *testing.T) {
	storetest.TestWaveCounter(t, func(_ *testing.T, maxUsers int) moderation.WaveCounter {
		return memstore.NewWaveCounter(1000, maxUsers)
	})
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := t.Context()
	c := memstore.NewCache(3)
	for _, k := range []string{"a", "b", "c"} {
		if err := c.Set(ctx, k, storetest.Verdict(k), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := c.Get(ctx, "a"); !ok { // a is now the most recently used
		t.Fatal("Get(a) missed")
	}
	if err := c.Set(ctx, "d", storetest.Verdict("d"), time.Hour); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, ok, _ := c.Get(ctx, k); ok != want {
			t.Errorf("Get(%s) hit = %v, want %v", k, ok, want)
		}
	}
	if n := c.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
}

func TestCacheBounded(t *testing.T) {
	for _, size := range []int{1, 7, 4095, 4096, 20_011} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			c := memstore.NewCache(size)
			for i := range 3 * size {
				if err := c.Set(t.Context(), fmt.Sprint(i), storetest.Verdict("p"), time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			if n := c.Len(); n != size {
				t.Errorf("Len after %d sets = %d, want %d", 3*size, n, size)
			}
		})
	}
}

func TestCacheNewPanicsOnBadSize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewCache(0) did not panic")
		}
	}()
	memstore.NewCache(0)
}

func TestWaveCounterEvictsOldestKeys(t *testing.T) {
	ctx := t.Context()
	w := memstore.NewWaveCounter(3, 10)
	t0 := time.Now()
	for i, k := range []string{"a", "b", "c"} {
		if _, err := w.Observe(ctx, k, "u1", t0.Add(time.Duration(i)*time.Millisecond), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	// Touch a, so that b is the oldest, then add d.
	for _, k := range []string{"a", "d"} {
		if _, err := w.Observe(ctx, k, "u2", t0.Add(10*time.Millisecond), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	// b was dropped: u1's sighting there is gone; a kept both users.
	for k, want := range map[string]int{"a": 2, "b": 1} {
		n, err := w.Observe(ctx, k, "u2", t0.Add(20*time.Millisecond), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("Observe(%s) = %d, want %d", k, n, want)
		}
	}
}

func TestWaveCounterDropsIdleKeys(t *testing.T) {
	ctx := t.Context()
	w := memstore.NewWaveCounter(1000, 10)
	t0 := time.Now()
	for i := range 100 {
		if _, err := w.Observe(ctx, fmt.Sprint(i), "u", t0, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// Each observation after the window drops up to two idle keys: 30 new
	// keys drop 60 of the 100 idle ones, 50 drop them all.
	for i := range 50 {
		if _, err := w.Observe(ctx, fmt.Sprint("new", i), "u", t0.Add(time.Minute), time.Second); err != nil {
			t.Fatal(err)
		}
		if i == 29 {
			if n := w.Len(); n != 100-60+30 {
				t.Errorf("Len = %d after 30 new keys, want %d", n, 100-60+30)
			}
		}
	}
	if n := w.Len(); n != 50 {
		t.Errorf("Len = %d after 50 new keys, want 50", n)
	}
}

func BenchmarkCacheGetHit(b *testing.B) {
	ctx := b.Context()
	c := memstore.NewCache(100_000)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("v1:%016x", i*7919)
		if err := c.Set(ctx, keys[i], storetest.Verdict("p1"), time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, ok, _ := c.Get(ctx, keys[i&1023]); !ok {
				b.Fatal("miss")
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, ok, _ := c.Get(ctx, keys[i&1023]); !ok {
					b.Fatal("miss")
				}
				i++
			}
		})
	})
}

func BenchmarkCacheSet(b *testing.B) {
	ctx := b.Context()
	c := memstore.NewCache(10_000)
	v := storetest.Verdict("p1")
	i := 0
	for b.Loop() {
		if err := c.Set(ctx, fmt.Sprint(i%50_000), v, time.Hour); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkWaveCounterObserve(b *testing.B) {
	ctx := b.Context()
	w := memstore.NewWaveCounter(10_000, 1000)
	users := make([]string, 2000)
	for i := range users {
		users[i] = fmt.Sprint("user-", i)
	}
	t0 := time.Now()
	i := 0
	for b.Loop() {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		if _, err := w.Observe(ctx, fmt.Sprint("text-", i%100), users[i%len(users)], now, time.Minute); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
