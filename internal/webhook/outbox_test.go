package webhook_test

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// memOutbox is an in-memory Outbox for the tests: a heap of waiting events
// ordered by due time, and the leased ones aside until they are delivered,
// retried or their lease expires.
type memOutbox struct {
	mu        sync.Mutex
	waiting   dueHeap
	leased    map[string]*entry
	delivered map[string]int // id → Delivered calls
	retries   []retry
	// onRetry, if set, is called (under the lock) with each retry, so that
	// a test can move its fake clock to the retry time.
	onRetry func(retry)
	// failDue, while positive, makes that many Due calls fail.
	failDue int
	dueCall int
}

type entry struct {
	ev         moderation.Event
	due        time.Time
	leaseUntil time.Time
	index      int
}

type retry struct {
	ID      string
	At      time.Time
	Reason  string
	Attempt int // the attempt that failed, 1-based
}

func newMemOutbox() *memOutbox {
	return &memOutbox{leased: map[string]*entry{}, delivered: map[string]int{}}
}

// add puts ev in the outbox, due at due.
func (o *memOutbox) add(ev moderation.Event, due time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	heap.Push(&o.waiting, &entry{ev: ev, due: due})
}

func (o *memOutbox) Due(_ context.Context, now time.Time, lease time.Duration, n int) ([]moderation.Event, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dueCall++
	if o.failDue > 0 {
		o.failDue--
		return nil, moderation.Errorf(moderation.EUNAVAILABLE, "store unavailable")
	}
	for id, e := range o.leased { // expired leases go back in line
		if !e.leaseUntil.After(now) {
			delete(o.leased, id)
			heap.Push(&o.waiting, e)
		}
	}
	var out []moderation.Event
	for len(out) < n && len(o.waiting) > 0 && !o.waiting[0].due.After(now) {
		e := heap.Pop(&o.waiting).(*entry)
		e.leaseUntil = now.Add(lease)
		o.leased[e.ev.ID] = e
		out = append(out, e.ev)
	}
	return out, nil
}

func (o *memOutbox) Delivered(_ context.Context, id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delivered[id]++
	delete(o.leased, id)
	return nil
}

func (o *memOutbox) Retry(_ context.Context, id string, at time.Time, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.leased[id]
	if !ok {
		return nil
	}
	delete(o.leased, id)
	r := retry{ID: id, At: at, Reason: reason, Attempt: e.ev.Attempts + 1}
	o.retries = append(o.retries, r)
	if o.onRetry != nil {
		o.onRetry(r)
	}
	e.ev.Attempts++
	e.due = at
	heap.Push(&o.waiting, e)
	return nil
}

// deliveredCount returns how many times Delivered was called for id.
func (o *memOutbox) deliveredCount(id string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.delivered[id]
}

// retriesOf returns the retries recorded for id.
func (o *memOutbox) retriesOf(id string) []retry {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []retry
	for _, r := range o.retries {
		if r.ID == id {
			out = append(out, r)
		}
	}
	return out
}

// pending returns how many events are waiting or leased.
func (o *memOutbox) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.waiting) + len(o.leased)
}

// dueHeap orders entries by due time, then creation time.
type dueHeap []*entry

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].ev.CreatedAt.Before(h[j].ev.CreatedAt)
}
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *dueHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// advanceTo moves the clock to t if t is later.
func (c *fakeClock) advanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}
