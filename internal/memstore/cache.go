package memstore

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// Cache is a bounded, concurrency-safe verdict cache with a per-entry TTL and
// least-recently-used eviction. It implements moderation.VerdictCache and
// moderation.Pinger.
//
// Large caches are split into shards with a lock each, and LRU order is kept
// per shard, so eviction is approximately least-recently-used across the
// whole cache; caches of fewer than 4096 entries use one shard and evict in
// exact LRU order.
//
// Verdicts are deep-copied on Set and on Get: neither the caller's verdict
// nor a returned one shares slices with the cache, so both may be modified.
type Cache struct {
	seed   maphash.Seed
	shards []cacheShard
}

// NewCache returns a cache that holds at most maxEntries verdicts. It panics
// if maxEntries is not positive.
func NewCache(maxEntries int) *Cache {
	if maxEntries <= 0 {
		panic("memstore: NewCache: maxEntries must be positive")
	}
	n := shardCount(maxEntries)
	c := &Cache{seed: maphash.MakeSeed(), shards: make([]cacheShard, n)}
	for i := range c.shards {
		limit := maxEntries / n
		if i < maxEntries%n {
			limit++
		}
		c.shards[i].init(limit)
	}
	return c
}

// shardCount returns 1 for small caches and otherwise a power of two up to 32
// that leaves each shard at least 128 entries, so that sharding never makes
// eviction much less exact than a single LRU.
func shardCount(maxEntries int) int {
	if maxEntries < 4096 {
		return 1
	}
	n := 1
	for n < 32 && maxEntries/(n*2) >= 128 {
		n *= 2
	}
	return n
}

// Get returns a copy of the verdict stored under key. Expired entries are
// misses. The error is always nil.
func (c *Cache) Get(_ context.Context, key string) (moderation.Verdict, bool, error) {
	v, ok := c.shard(key).get(key, time.Now())
	return v, ok, nil
}

// Set stores a copy of v under key for ttl, evicting the least recently used
// entry if the cache is full. A ttl that is not positive is EINVALID.
func (c *Cache) Set(_ context.Context, key string, v moderation.Verdict, ttl time.Duration) error {
	if ttl <= 0 {
		return moderation.Errorf(moderation.EINVALID, "cache ttl must be positive")
	}
	c.shard(key).set(key, cloneVerdict(v), time.Now().Add(ttl))
	return nil
}

// Ping always succeeds: the cache lives in this process.
func (c *Cache) Ping(context.Context) error { return nil }

// Len returns the number of entries held, including expired ones not yet
// evicted.
func (c *Cache) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.items)
		s.mu.Unlock()
	}
	return n
}

func (c *Cache) shard(key string) *cacheShard {
	if len(c.shards) == 1 {
		return &c.shards[0]
	}
	return &c.shards[maphash.String(c.seed, key)&uint64(len(c.shards)-1)]
}

// cloneVerdict returns v with its slices copied. Their elements hold only
// strings and numbers, so a shallow copy of each slice is a deep copy.
func cloneVerdict(v moderation.Verdict) moderation.Verdict {
	v.Categories = clone(v.Categories)
	v.Matches = clone(v.Matches)
	v.Signals = clone(v.Signals)
	return v
}

// clone copies s exactly: nil stays nil, empty stays empty, and cap equals
// len, so that appending to the copy never writes into shared memory.
func clone[S ~[]E, E any](s S) S {
	if s == nil {
		return nil
	}
	c := make(S, len(s))
	copy(c, s)
	return c
}

// cacheShard is an LRU list with a map index. root is a sentinel: root.next is
// the most recently used entry, root.prev the least.
type cacheShard struct {
	mu    sync.Mutex
	limit int
	items map[string]*cacheEntry
	root  cacheEntry
}

type cacheEntry struct {
	key        string
	v          moderation.Verdict
	expires    time.Time
	prev, next *cacheEntry
}

func (s *cacheShard) init(limit int) {
	s.limit = limit
	s.items = make(map[string]*cacheEntry, min(limit, 1024))
	s.root.prev, s.root.next = &s.root, &s.root
}

func (s *cacheShard) get(key string, now time.Time) (moderation.Verdict, bool) {
	s.mu.Lock()
	e, ok := s.items[key]
	if !ok {
		s.mu.Unlock()
		return moderation.Verdict{}, false
	}
	if !now.Before(e.expires) {
		s.remove(e)
		s.mu.Unlock()
		return moderation.Verdict{}, false
	}
	s.moveToFront(e)
	v := e.v
	s.mu.Unlock()
	// e.v is never modified in place (set replaces it), so copying the
	// slices outside the lock is safe.
	return cloneVerdict(v), true
}

func (s *cacheShard) set(key string, v moderation.Verdict, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.items[key]; ok {
		e.v, e.expires = v, expires
		s.moveToFront(e)
		return
	}
	if len(s.items) >= s.limit {
		s.remove(s.root.prev)
	}
	e := &cacheEntry{key: key, v: v, expires: expires}
	s.items[key] = e
	s.pushFront(e)
}

func (s *cacheShard) remove(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(s.items, e.key)
}

func (s *cacheShard) pushFront(e *cacheEntry) {
	e.prev, e.next = &s.root, s.root.next
	e.prev.next, e.next.prev = e, e
}

func (s *cacheShard) moveToFront(e *cacheEntry) {
	if s.root.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	s.pushFront(e)
}

var (
	_ moderation.VerdictCache = (*Cache)(nil)
	_ moderation.Pinger       = (*Cache)(nil)
	_ moderation.WaveCounter  = (*WaveCounter)(nil)
	_ moderation.Pinger       = (*WaveCounter)(nil)
)
