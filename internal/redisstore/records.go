package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// Records is the review desk's store on Redis. It implements review.Store and
// moderation.Pinger and is safe for concurrent use.
//
// Keys, under the prefix given to NewRecords:
//
//	<prefix>doc:<key>    string: the document, with PX when it expires
//	<prefix>idx:<name>   sorted set: member → score
//	<prefix>log:<name>   stream: entries with one field, "data"
//	<prefix>ctr:<key>    string: the counter, expiring ttl after creation
//
// Update is optimistic: the documents fn reads are WATCHed and its writes
// are sent in one MULTI/EXEC, retried while another client changes what it
// read. It needs every key on one node: on a Redis Cluster the prefix carries
// a hash tag ("aup:" becomes "{aup}:"), so all the records live in one slot,
// on one node, and Update also WATCHes <prefix>slot, which is never written.
// Incr needs Redis 7 (PEXPIRE NX).
type Records struct {
	client redis.UniversalClient
	prefix string
	// watch is what Update names to go-redis: on a Cluster, a key of the
	// records' slot, so that it knows the node; elsewhere nothing.
	watch []string
}

// NewRecords returns a Records that keeps its keys under prefix (for example
// "aup:review:") on client; on a Cluster client, under prefix in braces
// unless it already holds a hash tag. The caller owns client and closes it.
func NewRecords(client redis.UniversalClient, prefix string) *Records {
	prefix, watch := recordsLayout(client, prefix)
	return &Records{client: client, prefix: prefix, watch: watch}
}

// Retries of Update after a conflict: at most updateAttempts runs of fn,
// with a random pause between runs of up to backoffBase, doubling to
// backoffMax. Long pauses spread out writers contending for one document
// (short ones leave the unlucky ones losing every race); Update gives up
// after about two seconds of losing.
const (
	updateAttempts = 50
	backoffBase    = time.Millisecond
	backoffMax     = 100 * time.Millisecond
)

// logField is the stream field that holds a log entry.
const logField = "data"

// Update runs fn and commits its writes atomically unless a document fn read
// changed meanwhile, in which case it runs fn again. It returns fn's error
// unchanged; EINVALID if fn added a score that is not a number; EUNAVAILABLE
// if Redis fails, or if the documents stay contended for updateAttempts runs.
func (r *Records) Update(ctx context.Context, fn func(tx review.Tx) error) error {
	for attempt := 1; ; attempt++ {
		var fnErr, txErr error
		err := r.client.Watch(ctx, func(rtx *redis.Tx) error {
			tx := &recordsTx{ctx: ctx, r: r, rtx: rtx}
			fnErr = fn(tx)
			tx.done = true
			if fnErr != nil || tx.err != nil || len(tx.ops) == 0 {
				// No EXEC will clear the watches, and go-redis does not
				// know about the ones Get sent: clear them before the
				// connection goes back to the pool.
				if tx.watched {
					_ = rtx.Unwatch(ctx).Err()
				}
				txErr = tx.err
				if fnErr != nil {
					return fnErr
				}
				return txErr
			}
			_, err := rtx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				for _, op := range tx.ops {
					op(p)
				}
				return nil
			})
			return err
		}, r.watch...)
		switch {
		case fnErr != nil:
			return fnErr
		case txErr != nil:
			return txErr
		case err == nil:
			return nil
		case !errors.Is(err, redis.TxFailedErr):
			return unavailable("update", err)
		case attempt == updateAttempts:
			return fmt.Errorf("redisstore: update: %w: %w",
				moderation.Errorf(moderation.EUNAVAILABLE, "store busy; retry"), err)
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return unavailable("update", err)
		}
	}
}

// backoff returns a random pause before run attempt+1 of fn.
func backoff(attempt int) time.Duration {
	d := min(backoffBase<<min(attempt-1, 10), backoffMax)
	return rand.N(d) + 1 //nolint:gosec // G404: jitter, not a secret.
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Get returns the document at key.
func (r *Records) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return getDoc(ctx, r.client, r.docKey(key), "get")
}

// GetMany returns the documents at keys in one MGET.
func (r *Records) GetMany(ctx context.Context, keys []string) ([][]byte, error) {
	if len(keys) == 0 {
		return [][]byte{}, nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.docKey(k)
	}
	vals, err := r.client.MGet(ctx, full...).Result()
	if err != nil {
		return nil, unavailable("get many", err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = append([]byte{}, s...)
		}
	}
	return out, nil
}

// Range returns the members of index selected by q with one ZRANGE BYSCORE.
// Bounds that are not numbers and a negative offset or limit are EINVALID.
func (r *Records) Range(ctx context.Context, index string, q review.RangeQuery) ([]review.Scored, error) {
	if math.IsNaN(q.Min) || math.IsNaN(q.Max) {
		return nil, fmt.Errorf("redisstore: range: %w", moderation.Errorf(moderation.EINVALID, "range bounds must be numbers"))
	}
	if q.Offset < 0 || q.Limit < 0 {
		return nil, fmt.Errorf("redisstore: range: %w", moderation.Errorf(moderation.EINVALID, "range offset and limit must not be negative"))
	}
	args := redis.ZRangeArgs{
		Key:     r.indexKey(index),
		Start:   formatScore(q.Min),
		Stop:    formatScore(q.Max),
		ByScore: true,
		Rev:     q.Desc,
	}
	if q.Desc { // with REV, ZRANGE takes the higher bound first
		args.Start, args.Stop = args.Stop, args.Start
	}
	if q.Offset > 0 || q.Limit > 0 {
		args.Offset, args.Count = int64(q.Offset), int64(q.Limit)
		if q.Limit == 0 {
			args.Count = -1 // all the rest
		}
	}
	zs, err := r.client.ZRangeArgsWithScores(ctx, args).Result()
	if err != nil {
		return nil, unavailable("range", err)
	}
	out := make([]review.Scored, len(zs))
	for i, z := range zs {
		m, _ := z.Member.(string)
		out[i] = review.Scored{Member: m, Score: z.Score}
	}
	return out, nil
}

// Count returns the number of members of index.
func (r *Records) Count(ctx context.Context, index string) (int, error) {
	n, err := r.client.ZCard(ctx, r.indexKey(index)).Result()
	if err != nil {
		return 0, unavailable("count", err)
	}
	return int(n), nil
}

// ReadLog returns up to limit entries of log after the entry with id after,
// with one XRANGE. A limit that is not positive and an after that is not an
// entry id are EINVALID.
func (r *Records) ReadLog(ctx context.Context, log, after string, limit int) ([]review.LogEntry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("redisstore: read log: %w", moderation.Errorf(moderation.EINVALID, "log limit must be positive"))
	}
	start := "-"
	if after != "" {
		next, ok := nextLogID(after)
		if !ok {
			return nil, fmt.Errorf("redisstore: read log: %w", moderation.Errorf(moderation.EINVALID, "log cursor is not an entry id"))
		}
		if next == "" {
			return []review.LogEntry{}, nil // after is the greatest id there can be
		}
		start = next
	}
	msgs, err := r.client.XRangeN(ctx, r.logKey(log), start, "+", int64(limit)).Result()
	if err != nil {
		return nil, unavailable("read log", err)
	}
	out := make([]review.LogEntry, len(msgs))
	for i, m := range msgs {
		s, _ := m.Values[logField].(string)
		out[i] = review.LogEntry{ID: m.ID, Data: append([]byte{}, s...)}
	}
	return out, nil
}

// TrimLog deletes the entries of log whose id's milliseconds are less than
// before.UnixMilli(), with one exact XTRIM MINID (Redis 6.2). The stream
// keeps its last id, so entries appended later still get greater ids.
func (r *Records) TrimLog(ctx context.Context, log string, before time.Time) (int64, error) {
	ms := before.UnixMilli()
	if ms <= 0 {
		return 0, nil // no id is older than the epoch
	}
	n, err := r.client.XTrimMinID(ctx, r.logKey(log), strconv.FormatInt(ms, 10)+"-0").Result()
	if err != nil {
		return 0, unavailable("trim log", err)
	}
	return n, nil
}

// nextLogID returns the id that follows the stream id s, "" when s is the
// last possible id, and false when s is not of the form "<ms>-<seq>". Asking
// XRANGE from the next id rather than with an exclusive "(" works on Redis
// before 6.2 too.
func nextLogID(s string) (string, bool) {
	msText, seqText, ok := strings.Cut(s, "-")
	if !ok {
		return "", false
	}
	ms, err1 := strconv.ParseUint(msText, 10, 64)
	seq, err2 := strconv.ParseUint(seqText, 10, 64)
	switch {
	case err1 != nil || err2 != nil:
		return "", false
	case seq < math.MaxUint64:
		seq++
	case ms < math.MaxUint64:
		ms, seq = ms+1, 0
	default:
		return "", true
	}
	return strconv.FormatUint(ms, 10) + "-" + strconv.FormatUint(seq, 10), true
}

// Incr adds one to the counter at key, giving it lifetime ttl (rounded up to
// whole milliseconds) if it has none, all in one MULTI/EXEC. A ttl that is
// not positive is EINVALID.
func (r *Records) Incr(ctx context.Context, key string, ttl time.Duration) (int64, time.Duration, error) {
	if ttl <= 0 {
		return 0, 0, fmt.Errorf("redisstore: incr: %w", moderation.Errorf(moderation.EINVALID, "counter ttl must be positive"))
	}
	k := r.counterKey(key)
	var incr *redis.IntCmd
	var left *redis.DurationCmd
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, k)
		p.Do(ctx, "pexpire", k, millis(ttl), "nx")
		left = p.PTTL(ctx, k)
		return nil
	})
	if err != nil {
		return 0, 0, unavailable("incr", err)
	}
	return incr.Val(), left.Val(), nil
}

// Ping reports whether Redis answers; errors are EUNAVAILABLE.
func (r *Records) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

func (r *Records) docKey(key string) string     { return r.prefix + "doc:" + key }
func (r *Records) indexKey(name string) string  { return r.prefix + "idx:" + name }
func (r *Records) logKey(name string) string    { return r.prefix + "log:" + name }
func (r *Records) counterKey(key string) string { return r.prefix + "ctr:" + key }

// getDoc GETs the document at the full key fullKey.
func getDoc(ctx context.Context, c redis.Cmdable, fullKey, op string) ([]byte, bool, error) {
	s, err := c.Get(ctx, fullKey).Result()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, unavailable(op, err)
	}
	return append([]byte{}, s...), true, nil
}

// formatScore writes f as ZRANGE takes it, infinities included.
func formatScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// recordsTx is one run of fn in Update. Get watches and reads at once; the
// writes are kept as commands to queue between MULTI and EXEC.
type recordsTx struct {
	ctx  context.Context
	r    *Records
	rtx  *redis.Tx
	ops  []func(p redis.Pipeliner)
	err  error // the first failed read or invalid write
	done bool
	// watched: Get sent a WATCH, which only EXEC or UNWATCH clears.
	watched bool
}

func (tx *recordsTx) check() {
	if tx.done {
		panic("redisstore: review.Tx used after its Update returned")
	}
}

func (tx *recordsTx) fail(err error) {
	if tx.err == nil {
		tx.err = err
	}
}

// Get watches the document at key and reads it. If it fails, Update fails
// too, even when fn ignores the error.
func (tx *recordsTx) Get(key string) ([]byte, bool, error) {
	tx.check()
	k := tx.r.docKey(key)
	// WATCH and GET go in one round trip on the transaction's connection:
	// Redis runs them in order, so the value read is one the watch covers.
	var get *redis.StringCmd
	tx.watched = true
	_, err := tx.rtx.Pipelined(tx.ctx, func(p redis.Pipeliner) error {
		p.Do(tx.ctx, "WATCH", k)
		get = p.Get(tx.ctx, k)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) { // Pipelined reports GET's redis.Nil too
		err = unavailable("update: watch and get", err)
		tx.fail(err)
		return nil, false, err
	}
	v, err := get.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	return append([]byte{}, v...), true, nil
}

func (tx *recordsTx) Put(key string, value []byte, ttl time.Duration) {
	tx.check()
	k, v := tx.r.docKey(key), append([]byte{}, value...)
	// A ttl that is not positive must become 0: go-redis reads -1 as KEEPTTL.
	exp := time.Duration(0)
	if ttl > 0 {
		exp = time.Duration(millis(ttl)) * time.Millisecond
	}
	tx.ops = append(tx.ops, func(p redis.Pipeliner) { p.Set(tx.ctx, k, v, exp) })
}

func (tx *recordsTx) Delete(key string) {
	tx.check()
	k := tx.r.docKey(key)
	tx.ops = append(tx.ops, func(p redis.Pipeliner) { p.Del(tx.ctx, k) })
}

func (tx *recordsTx) Add(index, member string, score float64) {
	tx.check()
	if math.IsNaN(score) {
		tx.fail(fmt.Errorf("redisstore: update: %w", moderation.Errorf(moderation.EINVALID, "index score is not a number")))
		return
	}
	k := tx.r.indexKey(index)
	tx.ops = append(tx.ops, func(p redis.Pipeliner) {
		p.Do(tx.ctx, "zadd", k, formatScore(score), member)
	})
}

func (tx *recordsTx) Remove(index, member string) {
	tx.check()
	k := tx.r.indexKey(index)
	tx.ops = append(tx.ops, func(p redis.Pipeliner) { p.ZRem(tx.ctx, k, member) })
}

func (tx *recordsTx) Append(log string, entry []byte) {
	tx.check()
	k, v := tx.r.logKey(log), append([]byte{}, entry...)
	tx.ops = append(tx.ops, func(p redis.Pipeliner) {
		p.XAdd(tx.ctx, &redis.XAddArgs{Stream: k, ID: "*", Values: []any{logField, v}})
	})
}

var (
	_ review.Store      = (*Records)(nil)
	_ moderation.Pinger = (*Records)(nil)
)
