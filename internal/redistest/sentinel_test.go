package redistest

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestSentinel checks that a failover client built from the Sentinel's URL
// finds the master and writes to it.
func TestSentinel(t *testing.T) {
	s := StartSentinel(t)
	ctx := t.Context()
	opts, err := redis.ParseFailoverURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if opts.MasterName != MasterName || len(opts.SentinelAddrs) != 1 || opts.SentinelAddrs[0] != s.Addr {
		t.Fatalf("URL %s names master %q at %q, want %q at %s", s.URL(), opts.MasterName, opts.SentinelAddrs, MasterName, s.Addr)
	}
	client := redis.NewFailoverClient(opts)
	defer client.Close()
	if err := client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("set through the sentinel: %v", err)
	}
	if got, err := s.Master.Client(t).Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Errorf("GET k on the master = %q, %v; want the value set through the sentinel", got, err)
	}
}
