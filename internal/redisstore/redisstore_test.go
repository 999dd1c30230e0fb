package redisstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
	"github.com/aup-dev/aup/internal/storetest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// newStore returns a store on the shared server under a prefix of its own,
// and a raw client to look at what it wrote.
func newStore(tb testing.TB) (*redisstore.Store, redis.UniversalClient, string) {
	client := redistest.Shared(tb).Client(tb)
	prefix := redistest.Prefix()
	return redisstore.New(client, prefix), client, prefix
}

func TestCacheContract(t *testing.T) {
	redistest.Shared(t) // skip once, not in every subtest
	storetest.TestVerdictCache(t, func(t *testing.T) moderation.VerdictCache {
		s, _, _ := newStore(t)
		return s
	})
}

func TestWaveCounterContract(t *testing.T) {
	redistest.Shared(t) // skip once, not in every subtest
	storetest.TestWaveCounter(t, func(t *testing.T, maxUsers int) moderation.WaveCounter {
		s, _, _ := newStore(t)
		return s.WithMaxWaveUsers(maxUsers)
	})
}

func TestCacheStoresVerdictJSONWithTTL(t *testing.T) {
	ctx := t.Context()
	s, client, prefix := newStore(t)
	v := storetest.Verdict("p1")
	if err := s.Set(ctx, "v1:abc", v, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	key := prefix + "verdict:{v1:abc}"
	raw, err := client.Get(ctx, key).Bytes()
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	var got moderation.Verdict
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("stored value is not verdict JSON: %v: %s", err, raw)
	}
	ttl, err := client.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 80*time.Second || ttl > 90*time.Second {
		t.Errorf("PTTL %s = %v, want about 90s", key, ttl)
	}
}

func TestCacheUnreadableEntryIsAnError(t *testing.T) {
	ctx := t.Context()
	s, client, prefix := newStore(t)
	if err := client.Set(ctx, prefix+"verdict:{k}", "not json", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	_, ok, err := s.Get(ctx, "k")
	if ok || moderation.ErrorCode(err) != moderation.EINTERNAL {
		t.Errorf("Get of a corrupt entry = ok %v, err %v; want a miss with code %q", ok, err, moderation.EINTERNAL)
	}
}

func TestWaveCounterStoresHashedUsers(t *testing.T) {
	ctx := t.Context()
	s, client, prefix := newStore(t)
	now := time.UnixMilli(time.Now().UnixMilli())
	for _, u := range []string{"alice@example.com", "bob"} {
		if _, err := s.Observe(ctx, "t1", u, now, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	key := prefix + "wave:{t1}"
	members, err := client.ZRangeWithScores(ctx, key, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{hash("alice@example.com"): true, hash("bob"): true}
	if len(members) != len(want) {
		t.Fatalf("ZRANGE %s = %v, want %d members", key, members, len(want))
	}
	for _, m := range members {
		id := m.Member.(string)
		if !want[id] || strings.Contains(id, "alice") || strings.Contains(id, "bob") {
			t.Errorf("member %q is not a hashed user id", id)
		}
		if int64(m.Score) != now.UnixMilli() {
			t.Errorf("member %q score = %v, want %d", id, m.Score, now.UnixMilli())
		}
	}
	ttl, err := client.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 50*time.Second || ttl > time.Minute {
		t.Errorf("PTTL %s = %v, want about one window (1m)", key, ttl)
	}
}

func hash(user string) string {
	sum := sha256.Sum256([]byte(user))
	return hex.EncodeToString(sum[:16])
}

func TestUnreachableRedisIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens here now

	client, err := redisstore.ParseURL("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s := redisstore.New(client, "aup:")
	ops := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Get", func(ctx context.Context) error { _, _, err := s.Get(ctx, "k"); return err }},
		{"Set", func(ctx context.Context) error { return s.Set(ctx, "k", storetest.Verdict("p1"), time.Minute) }},
		{"Observe", func(ctx context.Context) error {
			_, err := s.Observe(ctx, "t", "u", time.Now(), time.Minute)
			return err
		}},
		{"Ping", s.Ping},
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
			if msg := moderation.ErrorMessage(err); msg != "store unavailable" {
				t.Errorf("safe message = %q", msg)
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

// TestHungRedisHonoursDeadline runs against a server that accepts
// connections and never answers: the call's context deadline must end it.
func TestHungRedisHonoursDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	client, err := redisstore.ParseURL("redis://" + l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s := redisstore.New(client, "aup:")

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err = s.Get(ctx, "k")
	took := time.Since(start)
	if moderation.ErrorCode(err) != moderation.EUNAVAILABLE {
		t.Fatalf("error %v, want code %q", err, moderation.EUNAVAILABLE)
	}
	if took > time.Second {
		t.Errorf("Get with a 200ms deadline took %v", took)
	}
}

func TestParseURLFailsFast(t *testing.T) {
	tests := []struct {
		url         string
		maxRetries  int
		dialTimeout time.Duration
	}{
		{"redis://127.0.0.1:6390", 1, time.Second},
		{"redis://127.0.0.1:6390?max_retries=3&dial_timeout=2s", 3, 2 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			c, err := redisstore.ParseURL(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			o := c.(*redis.Client).Options()
			if !o.ContextTimeoutEnabled || o.DialerRetries != 1 || o.MaxRetries != tc.maxRetries || o.DialTimeout != tc.dialTimeout {
				t.Errorf("options: context timeouts %v, dialer retries %d, max retries %d, dial timeout %v; want true, 1, %d, %v",
					o.ContextTimeoutEnabled, o.DialerRetries, o.MaxRetries, o.DialTimeout, tc.maxRetries, tc.dialTimeout)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url     string
		check   func(t *testing.T, c redis.UniversalClient)
		wantErr bool
	}{
		{url: "redis://127.0.0.1:6390/2?dial_timeout=1s", check: func(t *testing.T, c redis.UniversalClient) {
			o := c.(*redis.Client).Options()
			if o.Addr != "127.0.0.1:6390" || o.DB != 2 || o.DialTimeout != time.Second || o.TLSConfig != nil {
				t.Errorf("options = addr %s db %d dial %v tls %v", o.Addr, o.DB, o.DialTimeout, o.TLSConfig != nil)
			}
		}},
		{url: "rediss://user:pw@cache.example:6380", check: func(t *testing.T, c redis.UniversalClient) {
			o := c.(*redis.Client).Options()
			if o.Addr != "cache.example:6380" || o.TLSConfig == nil || o.Username != "user" || o.Password != "pw" {
				t.Errorf("options = addr %s tls %v user %q", o.Addr, o.TLSConfig != nil, o.Username)
			}
		}},
		{url: "unix:///run/redis.sock?db=3", check: func(t *testing.T, c redis.UniversalClient) {
			o := c.(*redis.Client).Options()
			if o.Network != "unix" || o.Addr != "/run/redis.sock" || o.DB != 3 {
				t.Errorf("options = %s %s db %d", o.Network, o.Addr, o.DB)
			}
		}},
		{url: "redis://n1:7000?addr=n2:7000&addr=n3:7000", check: func(t *testing.T, c redis.UniversalClient) {
			cc, ok := c.(*redis.ClusterClient)
			if !ok {
				t.Fatalf("client is %T, want *redis.ClusterClient", c)
			}
			if got := cc.Options().Addrs; len(got) != 3 {
				t.Errorf("cluster addrs = %v", got)
			}
		}},
		{url: "redis://s1:26379?master_name=mymaster&addr=s2:26379", check: func(t *testing.T, c redis.UniversalClient) {
			if _, ok := c.(*redis.Client); !ok {
				t.Fatalf("client is %T, want a failover *redis.Client", c)
			}
		}},
		{url: "http://127.0.0.1:6379", wantErr: true},
		{url: "redis://127.0.0.1:6379?no_such_option=1", wantErr: true},
		{url: "redis://user:s3cret@host:port", wantErr: true},
		{url: "redis://user:s3cret@host:6379/notadb", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			c, err := redisstore.ParseURL(tc.url)
			if tc.wantErr {
				if err == nil {
					c.Close()
					t.Fatal("no error")
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			tc.check(t, c)
		})
	}
}

func TestParseURLConnects(t *testing.T) {
	c, err := redisstore.ParseURL(redistest.Shared(t).URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := redisstore.New(c, redistest.Prefix()).Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkCacheGetHit(b *testing.B) {
	ctx := b.Context()
	s, _, _ := newStore(b)
	if err := s.Set(ctx, "k", storetest.Verdict("p1"), time.Hour); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, ok, err := s.Get(ctx, "k"); !ok || err != nil {
				b.Fatalf("Get = ok %v, err %v", ok, err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok, err := s.Get(ctx, "k"); !ok || err != nil {
					b.Fatalf("Get = ok %v, err %v", ok, err)
				}
			}
		})
	})
}

func BenchmarkWaveCounterObserve(b *testing.B) {
	ctx := b.Context()
	s, _, _ := newStore(b)
	users := make([]string, 2000)
	for i := range users {
		users[i] = fmt.Sprint("user-", i)
	}
	t0 := time.Now()
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			now := t0.Add(time.Duration(i) * time.Millisecond)
			if _, err := s.Observe(ctx, fmt.Sprint("text-", i%100), users[i%len(users)], now, time.Minute); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := s.Observe(ctx, fmt.Sprint("text-", i%100), users[i%len(users)], time.Now(), time.Minute); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	})
}

func TestWaveCounterKeysTheHashOfUsers(t *testing.T) {
	ctx := t.Context()
	plain, client, prefix := newStore(t)
	keyed := plain.WithUserKey([]byte("a secret of at least thirty-two characters"))
	now := time.Now()
	for _, s := range []*redisstore.Store{plain, keyed} {
		if _, err := s.Observe(ctx, "t1", "alice", now, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	members, err := client.ZRange(ctx, prefix+"wave:{t1}", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	// Two members: the keyed hash is not the plain one, which anyone can
	// compute from a candidate id.
	if len(members) != 2 || !slices.Contains(members, hash("alice")) {
		t.Fatalf("members %v, want the plain hash of alice and another", members)
	}
	if n, err := keyed.Observe(ctx, "t1", "alice", now, time.Minute); err != nil || n != 2 {
		t.Errorf("the same user again under the key = %d, %v; want 2 (counted once)", n, err)
	}
}
