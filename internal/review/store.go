package review

import (
	"context"
	"time"
)

// Store keeps the review desk's state: JSON documents by key, sorted indexes
// of members by score, append-only logs and expiring counters. Keys, index
// and log names are relative; a store adds its own namespace. Every method
// that fails because the backend cannot be reached returns an error wrapping
// *moderation.Error EUNAVAILABLE.
//
// The in-memory store (memstore) and the Redis store (redisstore) pass the
// same contract tests (storetest.TestRecords).
type Store interface {
	// Update runs fn as one transaction. Reads through tx see the current
	// value of each key; when fn returns nil, the writes it buffered in tx
	// are applied all together, and only if none of the documents fn read
	// through tx.Get changed in the meantime. If one did, Update runs fn
	// again (a bounded number of times, then returns EUNAVAILABLE). fn may
	// therefore run more than once and must have no effect outside tx.
	// When fn returns an error nothing is written and Update returns that
	// error unchanged. fn must use only tx, never the Store itself (the
	// in-memory store holds its lock while fn runs). Writes apply in the
	// order fn made them.
	Update(ctx context.Context, fn func(tx Tx) error) error

	// Get returns the document at key; ok is false when there is none.
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	// GetMany returns the documents at keys, in order; a missing document
	// is nil.
	GetMany(ctx context.Context, keys []string) ([][]byte, error)
	// Range returns the members of index whose scores are in [q.Min, q.Max],
	// lowest score first (highest first with q.Desc), skipping q.Offset and
	// returning at most q.Limit (all with 0). Members with equal scores come
	// in byte order of the member (reversed with q.Desc).
	Range(ctx context.Context, index string, q RangeQuery) ([]Scored, error)
	// Count returns the number of members of index.
	Count(ctx context.Context, index string) (int, error)
	// ReadLog returns up to limit entries of log, oldest first, starting
	// after the entry whose id is after ("" reads from the start).
	ReadLog(ctx context.Context, log, after string, limit int) ([]LogEntry, error)
	// TrimLog deletes the entries of log older than before (by their id's
	// milliseconds) and returns how many it deleted. Trimming a log that
	// does not exist deletes nothing.
	TrimLog(ctx context.Context, log string, before time.Time) (int64, error)
	// Incr adds one to the counter at key and returns its new value and the
	// time until it expires. A counter that does not exist is created with
	// value 1 and lifetime ttl; incrementing never extends the lifetime.
	Incr(ctx context.Context, key string, ttl time.Duration) (n int64, left time.Duration, err error)
}

// Tx is one transaction of Store.Update. Reads happen immediately; writes are
// buffered and applied when fn returns nil. A read does not see the writes
// buffered before it in the same transaction.
type Tx interface {
	// Get returns the document at key and watches it: if another
	// transaction changes it before this one commits, this one is retried.
	Get(key string) (value []byte, ok bool, err error)
	// Put stores value at key; with ttl > 0 the document expires after ttl.
	Put(key string, value []byte, ttl time.Duration)
	// Delete removes the document at key.
	Delete(key string)
	// Add puts member in index with score, replacing its previous score.
	Add(index, member string, score float64)
	// Remove takes member out of index.
	Remove(index, member string)
	// Append adds entry at the end of log. The store gives it an id of the
	// form "<unix milliseconds>-<sequence>", increasing along the log.
	Append(log string, entry []byte)
}

// RangeQuery selects members of an index by score.
type RangeQuery struct {
	Min, Max float64 // inclusive bounds; use math.Inf for open ends
	Desc     bool
	Offset   int
	Limit    int // 0: no limit
}

// Scored is a member of an index with its score.
type Scored struct {
	Member string
	Score  float64
}

// LogEntry is one entry of an append-only log.
type LogEntry struct {
	ID   string
	Data []byte
}
