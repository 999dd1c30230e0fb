package redistest

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestCluster checks that the cluster serves keys spread over every node
// through a client seeded from its URL.
func TestCluster(t *testing.T) {
	c := StartCluster(t)
	ctx := t.Context()
	opts, err := redis.ParseClusterURL(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Addrs) != clusterNodes {
		t.Fatalf("URL %s names %q, want the %d nodes", c.URL(), opts.Addrs, clusterNodes)
	}
	client := redis.NewClusterClient(opts)
	defer client.Close()
	for i := range 30 {
		k := fmt.Sprintf("k%d", i)
		if err := client.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("set %s: %v", k, err)
		}
	}
	for i, n := range c.Nodes {
		nc := redis.NewClient(&redis.Options{Addr: n.Addr})
		keys, err := nc.DBSize(ctx).Result()
		nc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if keys == 0 {
			t.Errorf("node %d (%s) holds none of 30 keys", i, n.Addr)
		}
	}
}
