package memstore

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// WaveCounter counts the distinct users who sent the same text within a
// sliding window. It implements moderation.WaveCounter and moderation.Pinger.
//
// Memory is bounded: each text key remembers at most maxUsers users (the most
// recently seen; older ones are forgotten first), at most maxKeys text keys
// are tracked (the least recently observed are dropped first), and keys whose
// window has passed are dropped as other keys are observed. The worst case is
// roughly maxKeys × maxUsers × 100 bytes. Users are remembered as 64-bit
// hashes, never as ids.
//
// Times are taken from the now passed to Observe at millisecond resolution,
// like redisstore, so both count the same.
type WaveCounter struct {
	seed     maphash.Seed
	maxKeys  int
	maxUsers int

	mu   sync.Mutex
	keys map[string]*wave
	root wave // sentinel of the key LRU: root.next is the most recently observed
}

// NewWaveCounter returns a counter that tracks at most maxKeys text keys and
// counts at most maxUsers distinct users per key. It panics if either is not
// positive.
func NewWaveCounter(maxKeys, maxUsers int) *WaveCounter {
	if maxKeys <= 0 || maxUsers <= 0 {
		panic("memstore: NewWaveCounter: maxKeys and maxUsers must be positive")
	}
	w := &WaveCounter{
		seed:     maphash.MakeSeed(),
		maxKeys:  maxKeys,
		maxUsers: maxUsers,
		keys:     make(map[string]*wave),
	}
	w.root.prev, w.root.next = &w.root, &w.root
	return w
}

// Observe records that user sent the text identified by textKey at now and
// returns the number of distinct users, at most maxUsers, seen for textKey in
// the window ending at now: a sighting counts while it is less than window
// old. Seeing the same user again refreshes their time. A window that is not
// positive is EINVALID.
func (w *WaveCounter) Observe(_ context.Context, textKey, user string, now time.Time, window time.Duration) (int, error) {
	if window <= 0 {
		return 0, moderation.Errorf(moderation.EINVALID, "wave window must be positive")
	}
	id := maphash.String(w.seed, user)
	at, span := now.UnixMilli(), windowMillis(window)

	w.mu.Lock()
	defer w.mu.Unlock()
	wv, ok := w.keys[textKey]
	if !ok {
		wv = &wave{key: textKey, users: make(map[uint64]*sighting)}
		wv.head.prev, wv.head.next = &wv.head, &wv.head
		w.keys[textKey] = wv
		w.pushFront(wv)
	} else {
		w.moveToFront(wv)
	}
	wv.expires = at + span
	wv.forgetUntil(at - span)
	wv.see(id, at)
	for len(wv.users) > w.maxUsers {
		wv.forget(wv.head.next)
	}
	n := len(wv.users)
	w.evict(at)
	return n, nil
}

// Ping always succeeds: the counter lives in this process.
func (w *WaveCounter) Ping(context.Context) error { return nil }

// Len returns the number of text keys tracked.
func (w *WaveCounter) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.keys)
}

// windowMillis rounds window up to whole milliseconds, as redisstore does.
func windowMillis(window time.Duration) int64 {
	return int64((window + time.Millisecond - 1) / time.Millisecond)
}

// evict drops the least recently observed keys while there are too many, and
// up to two more whose window has passed, so that idle keys go away at the
// rate new ones arrive.
func (w *WaveCounter) evict(now int64) {
	for len(w.keys) > w.maxKeys {
		w.drop(w.root.prev)
	}
	for range 2 {
		if old := w.root.prev; old != &w.root && old.expires <= now {
			w.drop(old)
		}
	}
}

func (w *WaveCounter) drop(wv *wave) {
	wv.prev.next, wv.next.prev = wv.next, wv.prev
	delete(w.keys, wv.key)
}

func (w *WaveCounter) pushFront(wv *wave) {
	wv.prev, wv.next = &w.root, w.root.next
	wv.prev.next, wv.next.prev = wv, wv
}

func (w *WaveCounter) moveToFront(wv *wave) {
	wv.prev.next, wv.next.prev = wv.next, wv.prev
	w.pushFront(wv)
}

// wave is one text key: its users indexed by hash and listed by the time they
// were last seen, oldest first after the sentinel head.
type wave struct {
	key        string
	expires    int64 // ms; the key is idle from then on
	users      map[uint64]*sighting
	head       sighting
	prev, next *wave
}

type sighting struct {
	id         uint64
	at         int64 // ms
	prev, next *sighting
}

// forgetUntil forgets the users last seen at or before cutoff.
func (wv *wave) forgetUntil(cutoff int64) {
	for s := wv.head.next; s != &wv.head && s.at <= cutoff; s = wv.head.next {
		wv.forget(s)
	}
}

// see records id at time at, keeping the later time for a known user and the
// list in time order. Times usually arrive in order, so the walk back from
// the newest end is short.
func (wv *wave) see(id uint64, at int64) {
	s, ok := wv.users[id]
	if ok {
		if s.at >= at {
			return
		}
		s.prev.next, s.next.prev = s.next, s.prev
		s.at = at
	} else {
		s = &sighting{id: id, at: at}
		wv.users[id] = s
	}
	after := wv.head.prev
	for after != &wv.head && after.at > at {
		after = after.prev
	}
	s.prev, s.next = after, after.next
	s.prev.next, s.next.prev = s, s
}

func (wv *wave) forget(s *sighting) {
	s.prev.next, s.next.prev = s.next, s.prev
	delete(wv.users, s.id)
}
