package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
)

// TestSentinel runs the store contracts through the client ParseURL makes
// of a Sentinel URL, which names only the Sentinel: every command must reach
// the master the Sentinel points to.
func TestSentinel(t *testing.T) {
	sentinel := redistest.StartSentinel(t)
	client, err := redisstore.ParseURL(sentinel.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })

	t.Run("failover client on the master", func(t *testing.T) {
		ctx := t.Context()
		if _, ok := client.(*redis.Client); !ok {
			t.Fatalf("ParseURL(%s) = %T, want the *redis.Client of NewFailoverClient", sentinel.URL(), client)
		}
		// A Sentinel answers ROLE with "sentinel", a master with "master".
		role, err := client.Do(ctx, "role").Slice()
		if err != nil {
			t.Fatal(err)
		}
		if len(role) == 0 || role[0] != "master" {
			t.Errorf("ROLE through the client = %q, want a master's", role)
		}
		key := redistest.Prefix() + "k"
		if err := client.Set(ctx, key, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if got, err := sentinel.Master.Client(t).Get(ctx, key).Result(); err != nil || got != "v" {
			t.Errorf("GET %s on the master = %q, %v; want the value set through the Sentinel", key, got, err)
		}
	})
	testContracts(t, client)
}
