package memstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// Records is the review desk's store in memory: documents, sorted indexes,
// append-only logs and expiring counters. It implements review.Store and
// moderation.Pinger and is safe for concurrent use.
//
// Update holds one lock for the whole of fn, so transactions are serialised,
// never conflict and run fn exactly once. fn must therefore not call other
// methods of the same Records: that would deadlock.
//
// Expired documents and counters are misses at once and are dropped as later
// writes come in. Values are copied in and out: no caller shares a byte
// slice with the store.
type Records struct {
	mu        sync.RWMutex
	docs      map[string]recordDoc
	indexes   map[string]*sortedIndex
	logs      map[string]*recordLog
	counters  map[string]recordCounter
	writes    int // writes since the last sweep of expired entries
	sweepNext int // writes at which the next sweep runs
}

// minSweep is the fewest writes between two sweeps of expired entries.
const minSweep = 1024

// NewRecords returns an empty store.
func NewRecords() *Records {
	return &Records{
		docs:      make(map[string]recordDoc),
		indexes:   make(map[string]*sortedIndex),
		logs:      make(map[string]*recordLog),
		counters:  make(map[string]recordCounter),
		sweepNext: minSweep,
	}
}

type recordDoc struct {
	value   []byte
	expires time.Time // zero: never
}

func (d recordDoc) live(now time.Time) bool { return d.expires.IsZero() || now.Before(d.expires) }

type recordCounter struct {
	n       int64
	expires time.Time
}

// Update runs fn under the store's lock and applies its writes in the order
// they were made. It returns fn's error unchanged, or EINVALID if fn added a
// score that is not a number.
func (r *Records) Update(_ context.Context, fn func(tx review.Tx) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	tx := &recordsTx{r: r}
	err := fn(tx)
	tx.done = true
	if err != nil {
		return err
	}
	if tx.err != nil {
		return fmt.Errorf("memstore: update: %w", tx.err)
	}
	now := time.Now()
	for _, op := range tx.ops {
		op(now)
	}
	r.sweep(now, len(tx.ops))
	return nil
}

// Get returns a copy of the document at key.
func (r *Records) Get(_ context.Context, key string) ([]byte, bool, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.get(key, time.Now())
	return v, ok, nil
}

// GetMany returns copies of the documents at keys, nil for each missing one.
func (r *Records) GetMany(_ context.Context, keys []string) ([][]byte, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	now := time.Now()
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i], _ = r.get(k, now)
	}
	return out, nil
}

// Range returns the members of index selected by q. Bounds that are not
// numbers and a negative offset or limit are EINVALID.
func (r *Records) Range(_ context.Context, index string, q review.RangeQuery) ([]review.Scored, error) {
	if err := checkRange(q); err != nil {
		return nil, fmt.Errorf("memstore: range: %w", err)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	x := r.indexes[index]
	if x == nil {
		return nil, nil
	}
	if q.Desc {
		return x.rangeDesc(q), nil
	}
	return x.rangeAsc(q), nil
}

// Count returns the number of members of index.
func (r *Records) Count(_ context.Context, index string) (int, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if x := r.indexes[index]; x != nil {
		return len(x.scores), nil
	}
	return 0, nil
}

// ReadLog returns copies of up to limit entries of log after the entry with
// id after. A limit that is not positive and an after that is not an entry
// id are EINVALID.
func (r *Records) ReadLog(_ context.Context, log, after string, limit int) ([]review.LogEntry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("memstore: read log: %w", moderation.Errorf(moderation.EINVALID, "log limit must be positive"))
	}
	var from logID
	if after != "" {
		var ok bool
		if from, ok = parseLogID(after); !ok {
			return nil, fmt.Errorf("memstore: read log: %w", moderation.Errorf(moderation.EINVALID, "log cursor is not an entry id"))
		}
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	l := r.logs[log]
	if l == nil {
		return nil, nil
	}
	i := 0
	if after != "" {
		i = sort.Search(len(l.entries), func(i int) bool { return from.less(l.entries[i].id) })
	}
	n := min(limit, len(l.entries)-i)
	out := make([]review.LogEntry, n)
	for j := range out {
		e := l.entries[i+j]
		out[j] = review.LogEntry{ID: e.id.String(), Data: cloneBytes(e.data)}
	}
	return out, nil
}

// TrimLog deletes the entries of log whose id's milliseconds are less than
// before.UnixMilli(). The log keeps its last id, so entries appended later
// still get greater ids, as in a Redis stream.
func (r *Records) TrimLog(_ context.Context, log string, before time.Time) (int64, error) {
	ms := before.UnixMilli()
	if ms <= 0 {
		return 0, nil // no id is older than the epoch
	}
	cut := logID{ms: uint64(ms)}
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.logs[log]
	if l == nil {
		return 0, nil
	}
	return int64(l.trim(cut)), nil
}

// Incr adds one to the counter at key. A ttl that is not positive is
// EINVALID.
func (r *Records) Incr(_ context.Context, key string, ttl time.Duration) (int64, time.Duration, error) {
	if ttl <= 0 {
		return 0, 0, fmt.Errorf("memstore: incr: %w", moderation.Errorf(moderation.EINVALID, "counter ttl must be positive"))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	c, ok := r.counters[key]
	if ok && now.Before(c.expires) {
		c.n++
	} else {
		c = recordCounter{n: 1, expires: now.Add(ttl)}
	}
	r.counters[key] = c
	r.sweep(now, 1)
	return c.n, c.expires.Sub(now), nil
}

// Ping always succeeds: the store lives in this process.
func (r *Records) Ping(context.Context) error { return nil }

func (r *Records) get(key string, now time.Time) ([]byte, bool) {
	d, ok := r.docs[key]
	if !ok || !d.live(now) {
		return nil, false
	}
	return cloneBytes(d.value), true
}

// sweep counts n writes and, once there have been as many since the last
// sweep as there are documents and counters, drops the expired ones, so the
// cost per write stays constant.
func (r *Records) sweep(now time.Time, n int) {
	r.writes += n
	if r.writes < r.sweepNext {
		return
	}
	for k, d := range r.docs {
		if !d.live(now) {
			delete(r.docs, k)
		}
	}
	for k, c := range r.counters {
		if !now.Before(c.expires) {
			delete(r.counters, k)
		}
	}
	r.writes = 0
	r.sweepNext = max(minSweep, len(r.docs)+len(r.counters))
}

// recordsTx buffers the writes of one Update as closures over the store,
// run in order under the store's lock.
type recordsTx struct {
	r    *Records
	ops  []func(now time.Time)
	err  error // the first invalid write
	done bool
}

func (tx *recordsTx) check() {
	if tx.done {
		panic("memstore: review.Tx used after its Update returned")
	}
}

func (tx *recordsTx) Get(key string) ([]byte, bool, error) {
	tx.check()
	v, ok := tx.r.get(key, time.Now())
	return v, ok, nil
}

func (tx *recordsTx) Put(key string, value []byte, ttl time.Duration) {
	tx.check()
	v := cloneBytes(value)
	tx.ops = append(tx.ops, func(now time.Time) {
		d := recordDoc{value: v}
		if ttl > 0 {
			d.expires = now.Add(ttl)
		}
		tx.r.docs[key] = d
	})
}

func (tx *recordsTx) Delete(key string) {
	tx.check()
	tx.ops = append(tx.ops, func(time.Time) { delete(tx.r.docs, key) })
}

func (tx *recordsTx) Add(index, member string, score float64) {
	tx.check()
	if math.IsNaN(score) {
		if tx.err == nil {
			tx.err = moderation.Errorf(moderation.EINVALID, "index score is not a number")
		}
		return
	}
	tx.ops = append(tx.ops, func(time.Time) {
		x := tx.r.indexes[index]
		if x == nil {
			x = &sortedIndex{scores: make(map[string]float64)}
			tx.r.indexes[index] = x
		}
		x.add(member, score)
	})
}

func (tx *recordsTx) Remove(index, member string) {
	tx.check()
	tx.ops = append(tx.ops, func(time.Time) {
		if x := tx.r.indexes[index]; x != nil {
			x.remove(member)
			if len(x.scores) == 0 {
				delete(tx.r.indexes, index)
			}
		}
	})
}

func (tx *recordsTx) Append(log string, entry []byte) {
	tx.check()
	v := cloneBytes(entry)
	tx.ops = append(tx.ops, func(now time.Time) {
		l := tx.r.logs[log]
		if l == nil {
			l = &recordLog{}
			tx.r.logs[log] = l
		}
		l.append(now, v)
	})
}

// checkRange reports whether q is a query Range can answer.
func checkRange(q review.RangeQuery) error {
	if math.IsNaN(q.Min) || math.IsNaN(q.Max) {
		return moderation.Errorf(moderation.EINVALID, "range bounds must be numbers")
	}
	if q.Offset < 0 || q.Limit < 0 {
		return moderation.Errorf(moderation.EINVALID, "range offset and limit must not be negative")
	}
	return nil
}

// cloneBytes returns a copy of b that is never nil, so that an empty
// document is told apart from a missing one.
func cloneBytes(b []byte) []byte {
	return append(make([]byte, 0, len(b)), b...)
}

// recordLog is an append-only log. Its ids increase like those of a Redis
// stream: the time in milliseconds, and a sequence number for entries in the
// same millisecond or when the clock goes back.
type recordLog struct {
	entries []logEntry
	last    logID // of the last entry appended, trimmed or not
}

type logEntry struct {
	id   logID
	data []byte
}

type logID struct{ ms, seq uint64 }

func (a logID) less(b logID) bool { return a.ms < b.ms || a.ms == b.ms && a.seq < b.seq }

func (a logID) String() string {
	return strconv.FormatUint(a.ms, 10) + "-" + strconv.FormatUint(a.seq, 10)
}

// parseLogID parses "<ms>-<seq>".
func parseLogID(s string) (logID, bool) {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok {
		return logID{}, false
	}
	var id logID
	var err1, err2 error
	id.ms, err1 = strconv.ParseUint(ms, 10, 64)
	id.seq, err2 = strconv.ParseUint(seq, 10, 64)
	return id, err1 == nil && err2 == nil
}

// append gives data the next id: now, unless that is not after the last id
// (0-0 before the first entry, which no entry has, as in Redis).
func (l *recordLog) append(now time.Time, data []byte) {
	id := logID{ms: uint64(max(now.UnixMilli(), 0))}
	if !l.last.less(id) {
		id = logID{ms: l.last.ms, seq: l.last.seq + 1}
	}
	l.last = id
	l.entries = append(l.entries, logEntry{id: id, data: data})
}

// trim deletes the entries with ids less than cut and returns how many. The
// memory of the deleted entries is released at once when what remains fills
// less than half the array, and otherwise when append next grows it.
func (l *recordLog) trim(cut logID) int {
	i := sort.Search(len(l.entries), func(i int) bool { return !l.entries[i].id.less(cut) })
	if i == 0 {
		return 0
	}
	if rest := l.entries[i:]; len(rest) < cap(l.entries)/2 {
		l.entries = slices.Clone(rest)
	} else {
		clear(l.entries[:i])
		l.entries = rest
	}
	return i
}

// sortedIndex keeps members ordered by (score, member) in a list of sorted
// blocks, so that adding or removing a member costs a binary search and a
// copy within one block rather than within the whole index.
type sortedIndex struct {
	scores map[string]float64
	blocks [][]indexEntry // each non-empty; their concatenation is sorted
}

// maxBlock is the most entries a block holds before it is split in two.
const maxBlock = 512

type indexEntry struct {
	score  float64
	member string
}

func (a indexEntry) less(b indexEntry) bool {
	return a.score < b.score || a.score == b.score && a.member < b.member
}

// search returns the block and offset of the first entry for which pred
// holds, or (len(blocks), 0). pred must be false for a prefix of the entries
// and true for the rest.
func (x *sortedIndex) search(pred func(indexEntry) bool) (int, int) {
	b := sort.Search(len(x.blocks), func(i int) bool {
		blk := x.blocks[i]
		return pred(blk[len(blk)-1])
	})
	if b == len(x.blocks) {
		return b, 0
	}
	blk := x.blocks[b]
	return b, sort.Search(len(blk), func(i int) bool { return pred(blk[i]) })
}

func (x *sortedIndex) add(member string, score float64) {
	if old, ok := x.scores[member]; ok {
		if old == score {
			return
		}
		x.delete(indexEntry{old, member})
	}
	x.scores[member] = score
	e := indexEntry{score, member}
	b, i := x.search(func(o indexEntry) bool { return !o.less(e) })
	if b == len(x.blocks) {
		if b == 0 {
			x.blocks = append(x.blocks, []indexEntry{e})
			return
		}
		b--
		i = len(x.blocks[b])
	}
	blk := slices.Insert(x.blocks[b], i, e)
	if len(blk) <= maxBlock {
		x.blocks[b] = blk
		return
	}
	half := len(blk) / 2
	right := slices.Clone(blk[half:])
	clear(blk[half:])
	x.blocks[b] = blk[:half]
	x.blocks = slices.Insert(x.blocks, b+1, right)
}

func (x *sortedIndex) remove(member string) {
	if score, ok := x.scores[member]; ok {
		delete(x.scores, member)
		x.delete(indexEntry{score, member})
	}
}

// delete takes e, which must be in the index, out of its block, and merges
// the block with the next when both have become small.
func (x *sortedIndex) delete(e indexEntry) {
	b, i := x.search(func(o indexEntry) bool { return !o.less(e) })
	blk := slices.Delete(x.blocks[b], i, i+1)
	if len(blk) == 0 {
		x.blocks = slices.Delete(x.blocks, b, b+1)
		return
	}
	if b+1 < len(x.blocks) && len(blk)+len(x.blocks[b+1]) <= maxBlock/2 {
		blk = append(blk, x.blocks[b+1]...)
		x.blocks = slices.Delete(x.blocks, b+1, b+2)
	}
	x.blocks[b] = blk
}

// rangeAsc walks up from the first entry scoring at least q.Min.
func (x *sortedIndex) rangeAsc(q review.RangeQuery) []review.Scored {
	var out []review.Scored
	skip := q.Offset
	b, i := x.search(func(e indexEntry) bool { return e.score >= q.Min })
	for ; b < len(x.blocks); b, i = b+1, 0 {
		blk := x.blocks[b]
		if skip >= len(blk)-i && blk[len(blk)-1].score <= q.Max {
			skip -= len(blk) - i // the rest of the block is in range and skipped
			continue
		}
		for _, e := range blk[i:] {
			if e.score > q.Max {
				return out
			}
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, review.Scored{Member: e.member, Score: e.score})
			if len(out) == q.Limit {
				return out
			}
		}
	}
	return out
}

// rangeDesc walks down from the last entry scoring at most q.Max.
func (x *sortedIndex) rangeDesc(q review.RangeQuery) []review.Scored {
	var out []review.Scored
	skip := q.Offset
	// (b, i) is one past the next entry to look at.
	b, i := x.search(func(e indexEntry) bool { return e.score > q.Max })
	for {
		if i == 0 {
			if b == 0 {
				return out
			}
			b--
			i = len(x.blocks[b])
		}
		blk := x.blocks[b]
		if skip >= i && blk[0].score >= q.Min {
			skip -= i // the start of the block is in range and skipped
			i = 0
			continue
		}
		for ; i > 0; i-- {
			e := blk[i-1]
			if e.score < q.Min {
				return out
			}
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, review.Scored{Member: e.member, Score: e.score})
			if len(out) == q.Limit {
				return out
			}
		}
	}
}

var (
	_ review.Store      = (*Records)(nil)
	_ moderation.Pinger = (*Records)(nil)
)
