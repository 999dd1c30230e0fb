// Package storetest is the contract every store behind aup's ports must
// pass: one suite run against memstore and redisstore, so that the embedded
// store never behaves differently from the shared one.
//
// A backend's test calls the suites with a constructor for a fresh, empty
// store per subtest:
//
//	func TestCache(t *testing.T) {
//		storetest.TestVerdictCache(t, func(t *testing.T) moderation.VerdictCache {
//			return memstore.NewCache(1000)
//		})
//	}
package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// TestVerdictCache runs the VerdictCache contract. newCache returns a new,
// empty cache that holds at least 1000 entries.
func TestVerdictCache(t *testing.T, newCache func(t *testing.T) moderation.VerdictCache) {
	tests := []struct {
		name string
		run  func(t *testing.T, c moderation.VerdictCache)
	}{
		{"miss", testCacheMiss},
		{"round trip", testCacheRoundTrip},
		{"round trip of empty verdict", testCacheRoundTripEmpty},
		{"overwrite", testCacheOverwrite},
		{"ttl expiry", testCacheTTLExpiry},
		{"overwrite replaces ttl", testCacheOverwriteTTL},
		{"long ttl survives", testCacheLongTTL},
		{"invalid ttl", testCacheInvalidTTL},
		{"keys isolated", testCacheKeysIsolated},
		{"odd keys", testCacheOddKeys},
		{"copies are independent", testCacheCopies},
		{"concurrent get and set", testCacheConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newCache(t)) })
	}
}

// Verdict returns a realistic verdict with every field set, distinct per
// policy version.
func Verdict(policyVersion string) moderation.Verdict {
	return moderation.Verdict{
		Action: moderation.Block,
		Categories: []moderation.CategoryScore{
			{Category: moderation.Harassment, Score: 0.92},
			{Category: moderation.Profanity, Score: 1.0 / 3},
		},
		Language: moderation.Language{Code: "de", Confidence: 0.8731},
		Matches: []moderation.Match{
			{Rule: "harassment.threat.de", Category: moderation.Harassment, Start: 4, End: 19, Score: 0.92},
			{Rule: "profanity.de", Category: moderation.Profanity, Start: 21, End: 27, Score: 1.0 / 3},
		},
		Signals: []moderation.Signal{
			{Name: "wave", Category: moderation.Spam, Score: 0.6, Detail: "37 users in 10m0s"},
			{Name: "links", Category: moderation.Spam, Score: 0.1},
		},
		Cached:        true,
		PolicyVersion: policyVersion,
	}
}

func testCacheMiss(t *testing.T, c moderation.VerdictCache) {
	v, ok, err := c.Get(t.Context(), "absent")
	if err != nil || ok {
		t.Fatalf("Get(absent) = ok %v, err %v; want a miss", ok, err)
	}
	if !reflect.DeepEqual(v, moderation.Verdict{}) {
		t.Errorf("Get(absent) verdict = %+v, want the zero verdict", v)
	}
}

func testCacheRoundTrip(t *testing.T, c moderation.VerdictCache) {
	want := Verdict("p1")
	set(t, c, "k", want, time.Hour)
	wantHit(t, c, "k", want)
}

func testCacheRoundTripEmpty(t *testing.T, c moderation.VerdictCache) {
	for _, want := range []moderation.Verdict{
		{Action: moderation.Allow, PolicyVersion: "p1"},
		{
			Action:     moderation.Allow,
			Categories: []moderation.CategoryScore{},
			Language:   moderation.Language{Code: moderation.Undetermined},
			Matches:    []moderation.Match{},
			Signals:    []moderation.Signal{},
		},
	} {
		set(t, c, "k", want, time.Hour)
		got := get(t, c, "k")
		// A store may hand back an empty slice as nil or the other way round.
		if !reflect.DeepEqual(nilEmpty(got), nilEmpty(want)) {
			t.Errorf("Get = %+v, want %+v", got, want)
		}
	}
}

func testCacheOverwrite(t *testing.T, c moderation.VerdictCache) {
	set(t, c, "k", Verdict("p1"), time.Hour)
	want := moderation.Verdict{Action: moderation.Review, PolicyVersion: "p2",
		Categories: []moderation.CategoryScore{{Category: moderation.Spam, Score: 0.5}}}
	set(t, c, "k", want, time.Hour)
	wantHit(t, c, "k", want)
}

func testCacheTTLExpiry(t *testing.T, c moderation.VerdictCache) {
	const ttl = 100 * time.Millisecond
	start := time.Now()
	set(t, c, "k", Verdict("p1"), ttl)
	waitExpiry(t, c, "k", start, ttl)
}

func testCacheOverwriteTTL(t *testing.T, c moderation.VerdictCache) {
	const ttl = 100 * time.Millisecond
	set(t, c, "k", Verdict("p1"), time.Hour)
	start := time.Now()
	set(t, c, "k", Verdict("p2"), ttl)
	waitExpiry(t, c, "k", start, ttl)
}

func testCacheLongTTL(t *testing.T, c moderation.VerdictCache) {
	set(t, c, "short", Verdict("p1"), 50*time.Millisecond)
	set(t, c, "long", Verdict("p2"), time.Hour)
	waitExpiry(t, c, "short", time.Time{}, 0)
	wantHit(t, c, "long", Verdict("p2"))
}

func testCacheInvalidTTL(t *testing.T, c moderation.VerdictCache) {
	for _, ttl := range []time.Duration{0, -time.Second} {
		err := c.Set(t.Context(), "k", Verdict("p1"), ttl)
		if code := moderation.ErrorCode(err); code != moderation.EINVALID {
			t.Errorf("Set with ttl %v: error %v (code %q), want code %q", ttl, err, code, moderation.EINVALID)
		}
	}
	if _, ok, err := c.Get(t.Context(), "k"); ok || err != nil {
		t.Errorf("Get after invalid Set = ok %v, err %v; want a miss", ok, err)
	}
}

func testCacheKeysIsolated(t *testing.T, c moderation.VerdictCache) {
	set(t, c, "a", Verdict("pa"), time.Hour)
	if _, ok, err := c.Get(t.Context(), "b"); ok || err != nil {
		t.Fatalf("Get(b) after Set(a) = ok %v, err %v; want a miss", ok, err)
	}
	set(t, c, "b", Verdict("pb"), time.Hour)
	wantHit(t, c, "a", Verdict("pa"))
	wantHit(t, c, "b", Verdict("pb"))
}

func testCacheOddKeys(t *testing.T, c moderation.VerdictCache) {
	keys := []string{"v1:0f3a", "{x}", "a}b{c", "ключ", "with space", "*", "a\x00b"}
	for i, k := range keys {
		set(t, c, k, Verdict(fmt.Sprint(i)), time.Hour)
	}
	for i, k := range keys {
		wantHit(t, c, k, Verdict(fmt.Sprint(i)))
	}
}

func testCacheCopies(t *testing.T, c moderation.VerdictCache) {
	v := Verdict("p1")
	set(t, c, "k", v, time.Hour)
	v.Categories[0].Score = 0
	v.Matches[0].Rule = "changed after Set"
	v.Signals[0].Detail = "changed after Set"

	got := get(t, c, "k")
	got.Categories[0].Score = 0
	got.Matches[0].Rule = "changed after Get"
	got.Signals = append(got.Signals[:1], moderation.Signal{Name: "changed after Get"})

	wantHit(t, c, "k", Verdict("p1"))
}

func testCacheConcurrent(t *testing.T, c moderation.VerdictCache) {
	const workers, rounds, keys = 8, 100, 5
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				k := fmt.Sprintf("k%d", (w+i)%keys)
				if i%3 == 0 {
					if err := c.Set(ctx, k, Verdict(k), time.Hour); err != nil {
						t.Errorf("Set(%s): %v", k, err)
						return
					}
					continue
				}
				v, ok, err := c.Get(ctx, k)
				if err != nil {
					t.Errorf("Get(%s): %v", k, err)
					return
				}
				if ok && !reflect.DeepEqual(v, Verdict(k)) {
					t.Errorf("Get(%s) = %+v, want the verdict set under it", k, v)
					return
				}
			}
		})
	}
	wg.Wait()
}

func set(t *testing.T, c moderation.VerdictCache, key string, v moderation.Verdict, ttl time.Duration) {
	t.Helper()
	if err := c.Set(t.Context(), key, v, ttl); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func get(t *testing.T, c moderation.VerdictCache, key string) moderation.Verdict {
	t.Helper()
	v, ok, err := c.Get(t.Context(), key)
	if err != nil || !ok {
		t.Fatalf("Get(%q) = ok %v, err %v; want a hit", key, ok, err)
	}
	return v
}

func wantHit(t *testing.T, c moderation.VerdictCache, key string, want moderation.Verdict) {
	t.Helper()
	if got := get(t, c, key); !reflect.DeepEqual(got, want) {
		t.Errorf("Get(%q) =\n%+v\nwant\n%+v", key, got, want)
	}
}

// waitExpiry polls until key is gone. When ttl is set, it also checks that
// the entry, set no earlier than start, did not go before ttl had passed.
func waitExpiry(t *testing.T, c moderation.VerdictCache, key string, start time.Time, ttl time.Duration) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		checked := time.Now()
		_, ok, err := c.Get(t.Context(), key)
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		if !ok {
			if ttl > 0 && checked.Sub(start) < ttl {
				t.Fatalf("Get(%q) missed %v after Set with ttl %v", key, checked.Sub(start), ttl)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get(%q) still hits 5s after Set with ttl %v", key, ttl)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nilEmpty returns v with empty slices set to nil.
func nilEmpty(v moderation.Verdict) moderation.Verdict {
	if len(v.Categories) == 0 {
		v.Categories = nil
	}
	if len(v.Matches) == 0 {
		v.Matches = nil
	}
	if len(v.Signals) == 0 {
		v.Signals = nil
	}
	return v
}
