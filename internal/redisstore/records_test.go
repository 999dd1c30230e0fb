package redisstore_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
	"github.com/aup-dev/aup/internal/review"
	"github.com/aup-dev/aup/internal/storetest"
)

// newRecords returns a Records on the shared server under a prefix of its
// own, and a raw client to look at what it wrote.
func newRecords(tb testing.TB) (*redisstore.Records, redis.UniversalClient, string) {
	client := redistest.Shared(tb).Client(tb)
	prefix := redistest.Prefix()
	return redisstore.NewRecords(client, prefix), client, prefix
}

func TestRecordsContract(t *testing.T) {
	redistest.Shared(t) // skip once, not in every subtest
	storetest.TestRecords(t, func(t *testing.T) review.Store {
		r, _, _ := newRecords(t)
		return r
	})
}

// TestRecordsKeyLayout writes one of everything on a database of its own and
// checks that every key is under the prefix, with the documented type.
func TestRecordsKeyLayout(t *testing.T) {
	ctx := t.Context()
	srv := redistest.Shared(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 9})
	defer client.Close()
	if err := client.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	const prefix = "aup:review:"
	r := redisstore.NewRecords(client, prefix)
	err := r.Update(ctx, func(tx review.Tx) error {
		tx.Put("item:1", []byte(`{"state":"open"}`), time.Hour)
		tx.Put("item:2", []byte(`{}`), 0)
		tx.Add("open", "item:1", 1)
		tx.Append("decisions", []byte(`{"item":"item:1"}`))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Incr(ctx, "claims:u1", time.Minute); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		prefix + "doc:item:1":    "string",
		prefix + "doc:item:2":    "string",
		prefix + "idx:open":      "zset",
		prefix + "log:decisions": "stream",
		prefix + "ctr:claims:u1": "string",
	}
	keys, err := client.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	if len(keys) != len(want) {
		t.Errorf("keys = %q, want the %d of the layout", keys, len(want))
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			t.Errorf("key %q is not under the prefix %q", k, prefix)
		}
		typ, err := client.Type(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if typ != want[k] {
			t.Errorf("key %q is a %s, want %q", k, typ, want[k])
		}
	}
	for k, wantTTL := range map[string]time.Duration{
		prefix + "doc:item:1":    time.Hour,
		prefix + "doc:item:2":    -1, // no expiry
		prefix + "ctr:claims:u1": time.Minute,
	} {
		ttl, err := client.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if wantTTL < 0 && ttl != wantTTL || wantTTL > 0 && (ttl <= wantTTL-10*time.Second || ttl > wantTTL) {
			t.Errorf("PTTL %s = %v, want about %v", k, ttl, wantTTL)
		}
	}
}

func TestRecordsUnreachableIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens here now

	client, err := redisstore.ParseURL("redis://" + addr + "?dial_timeout=200ms&read_timeout=200ms&write_timeout=200ms")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	r := redisstore.NewRecords(client, "aup:")
	ops := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Update reading", func(ctx context.Context) error {
			return r.Update(ctx, func(tx review.Tx) error { _, _, err := tx.Get("k"); return err })
		}},
		{"Update ignoring a failed read", func(ctx context.Context) error {
			return r.Update(ctx, func(tx review.Tx) error { _, _, _ = tx.Get("k"); tx.Put("k", nil, 0); return nil })
		}},
		{"Update writing", func(ctx context.Context) error {
			return r.Update(ctx, func(tx review.Tx) error { tx.Put("k", []byte("v"), 0); return nil })
		}},
		{"Get", func(ctx context.Context) error { _, _, err := r.Get(ctx, "k"); return err }},
		{"GetMany", func(ctx context.Context) error { _, err := r.GetMany(ctx, []string{"k"}); return err }},
		{"Range", func(ctx context.Context) error {
			_, err := r.Range(ctx, "i", review.RangeQuery{Max: 1})
			return err
		}},
		{"Count", func(ctx context.Context) error { _, err := r.Count(ctx, "i"); return err }},
		{"ReadLog", func(ctx context.Context) error { _, err := r.ReadLog(ctx, "l", "", 10); return err }},
		{"Incr", func(ctx context.Context) error { _, _, err := r.Incr(ctx, "c", time.Minute); return err }},
		{"Ping", r.Ping},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			start := time.Now()
			err := op.call(ctx)
			took := time.Since(start)
			if code := moderation.ErrorCode(err); code != moderation.EUNAVAILABLE {
				t.Fatalf("error %v (code %q), want code %q", err, code, moderation.EUNAVAILABLE)
			}
			var opErr *net.OpError
			if !errors.As(err, &opErr) {
				t.Errorf("error %v does not keep the network error as its cause", err)
			}
			if took > time.Second {
				t.Errorf("took %v to report an unreachable Redis", took)
			}
		})
	}
}

// TestRecordsRetriesOnConflict changes a document fn has read before fn
// returns: the first run must not commit, the second must.
func TestRecordsRetriesOnConflict(t *testing.T) {
	ctx := t.Context()
	r, client, prefix := newRecords(t)
	runs := 0
	err := r.Update(ctx, func(tx review.Tx) error {
		runs++
		v, _, err := tx.Get("k")
		if err != nil {
			return err
		}
		if runs == 1 {
			if err := client.Set(ctx, prefix+"doc:k", "changed", 0).Err(); err != nil {
				return err
			}
		}
		tx.Put("k", append(v, '+'), 0)
		tx.Put("run", []byte{byte('0' + runs)}, 0)
		tx.Add("runs", string(rune('0'+runs)), 1)
		tx.Append("log", []byte{byte('0' + runs)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Fatalf("fn ran %d times, want 2", runs)
	}
	for key, want := range map[string]string{"k": "changed+", "run": "2"} {
		if v, _, err := r.Get(ctx, key); err != nil || string(v) != want {
			t.Errorf("Get(%s) = %q, %v; want %q", key, v, err, want)
		}
	}
	if got, err := r.Range(ctx, "runs", review.RangeQuery{Min: 0, Max: 2}); err != nil || len(got) != 1 || got[0].Member != "2" {
		t.Errorf("Range(runs) = %v, %v; want only the second run's member", got, err)
	}
	if got, err := r.ReadLog(ctx, "log", "", 10); err != nil || len(got) != 1 || string(got[0].Data) != "2" {
		t.Errorf("ReadLog = %q, %v; want only the second run's entry", got, err)
	}
}

// TestRecordsGivesUpWhenBusy changes the document fn reads on every run:
// Update must stop after its attempts with EUNAVAILABLE, having written
// nothing.
func TestRecordsGivesUpWhenBusy(t *testing.T) {
	ctx := t.Context()
	r, client, prefix := newRecords(t)
	runs := 0
	err := r.Update(ctx, func(tx review.Tx) error {
		runs++
		if _, _, err := tx.Get("k"); err != nil {
			return err
		}
		if err := client.Incr(ctx, prefix+"doc:k").Err(); err != nil {
			return err
		}
		tx.Put("written", []byte("x"), 0)
		return nil
	})
	if moderation.ErrorCode(err) != moderation.EUNAVAILABLE || moderation.ErrorMessage(err) != "store busy; retry" {
		t.Fatalf("Update on a document that always changes = %v, want EUNAVAILABLE store busy", err)
	}
	if !errors.Is(err, redis.TxFailedErr) {
		t.Errorf("error %v does not keep the failed transaction as its cause", err)
	}
	if runs < 10 || runs > 100 {
		t.Errorf("fn ran %d times before Update gave up", runs)
	}
	if _, ok, err := r.Get(ctx, "written"); ok || err != nil {
		t.Errorf("Get(written) = ok %v, err %v; want a miss", ok, err)
	}
}

// TestRecordsReadOnlyUpdateSendsNoTransaction checks that an Update with
// nothing to write sends no MULTI/EXEC.
func TestRecordsReadOnlyUpdateSendsNoTransaction(t *testing.T) {
	ctx := t.Context()
	client := redistest.Shared(t).Client(t)
	cmds := &commandLog{}
	client.AddHook(cmds)
	r := redisstore.NewRecords(client, redistest.Prefix())
	err := r.Update(ctx, func(tx review.Tx) error {
		_, _, err := tx.Get("k")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Update(ctx, func(review.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := cmds.names(); slices.Contains(got, "multi") || slices.Contains(got, "exec") {
		t.Errorf("read-only Updates sent %q", got)
	}
	cmds.reset()
	if err := r.Update(ctx, func(tx review.Tx) error { tx.Put("k", nil, 0); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := cmds.names(); !slices.Contains(got, "exec") {
		t.Errorf("an Update that writes sent %q, no EXEC", got)
	}
}

// commandLog is a go-redis hook that records the names of the commands
// sent.
type commandLog struct {
	mu   sync.Mutex
	cmds []string
}

func (c *commandLog) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *commandLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.add(cmd)
		return next(ctx, cmd)
	}
}

func (c *commandLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.add(cmds...)
		return next(ctx, cmds)
	}
}

func (c *commandLog) add(cmds ...redis.Cmder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cmd := range cmds {
		c.cmds = append(c.cmds, cmd.Name())
	}
}

func (c *commandLog) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.cmds)
}

func (c *commandLog) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cmds = nil
}

func BenchmarkRecordsUpdate(b *testing.B) {
	r, _, _ := newRecords(b)
	storetest.BenchmarkRecordsUpdate(b, r)
}

// TestRecordsLeaveNoWatches: an Update that writes nothing, or fails, must
// not leave its keys watched on the pooled connection, or the next Update on
// that connection would be aborted by a change to a key it never read.
func TestRecordsLeaveNoWatches(t *testing.T) {
	ctx := t.Context()
	srv := redistest.Shared(t)
	one := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 1}) // every Update on the same connection
	t.Cleanup(func() { one.Close() })
	other := srv.Client(t)
	prefix := redistest.Prefix()
	r := redisstore.NewRecords(one, prefix)
	for _, tc := range []struct {
		name string
		fn   func(tx review.Tx) error
	}{
		{"read only", func(tx review.Tx) error { _, _, err := tx.Get("a"); return err }},
		{"failed", func(tx review.Tx) error {
			_, _, _ = tx.Get("a")
			tx.Put("a", []byte("x"), 0)
			return errors.New("changed my mind")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_ = r.Update(ctx, tc.fn)
			if err := other.Set(ctx, prefix+"doc:a", tc.name, 0).Err(); err != nil {
				t.Fatal(err)
			}
			runs := 0
			err := r.Update(ctx, func(tx review.Tx) error {
				runs++
				if _, _, err := tx.Get("b"); err != nil {
					return err
				}
				tx.Put("b", []byte("y"), 0)
				return nil
			})
			if err != nil || runs != 1 {
				t.Errorf("an unrelated Update after a %s one ran %d times, %v; want once", tc.name, runs, err)
			}
		})
	}
}
