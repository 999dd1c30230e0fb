package redisstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
	"github.com/aup-dev/aup/internal/review"
	"github.com/aup-dev/aup/internal/storetest"
)

// TestCluster runs the store contracts against a real three-node Redis
// Cluster, and checks that the review records share one hash slot while the
// verdict cache and the wave counts spread over the nodes.
func TestCluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	client := cluster.Client(t)

	testContracts(t, client)

	t.Run("records in one slot", func(t *testing.T) {
		for _, tc := range []struct{ prefix, want string }{
			{"aup:", "{aup}:"},
			{"aup:review:", "{aup:review}:"},
			{"{tagged}:review:", "{tagged}:review:"},
		} {
			t.Run(tc.prefix, func(t *testing.T) {
				ctx := t.Context()
				r := redisstore.NewRecords(client, tc.prefix)
				err := r.Update(ctx, func(tx review.Tx) error {
					for _, k := range []string{"item:1", "item:2", "{item}:3", "user:u9"} {
						tx.Put(k, []byte(`{}`), time.Hour)
					}
					tx.Add("open", "item:1", 1)
					tx.Append("decisions", []byte(`{}`))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := r.Incr(ctx, "claims:u1", time.Minute); err != nil {
					t.Fatal(err)
				}
				got, err := r.GetMany(ctx, []string{"item:1", "item:2", "{item}:3", "user:u9", "missing"})
				if err != nil || len(got) != 5 || got[0] == nil || got[4] != nil {
					t.Fatalf("GetMany across the documents: %q, %v", got, err)
				}
				keys := clusterKeys(t, client, tc.want+"*")
				if len(keys) != 7 {
					t.Errorf("keys under %q: %q, want the 7 written", tc.want, keys)
				}
				slot := keySlot(t, client, tc.want)
				for _, k := range keys {
					if s := keySlot(t, client, k); s != slot {
						t.Errorf("key %q in slot %d, want %d with the other records", k, s, slot)
					}
				}
			})
		}
	})

	t.Run("cache and waves spread", func(t *testing.T) {
		ctx := t.Context()
		prefix := redistest.Prefix()
		s := redisstore.New(client, prefix)
		for i := range 30 {
			k := "text" + strings.Repeat("x", i)
			if err := s.Set(ctx, k, storetest.Verdict("p1"), time.Minute); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Observe(ctx, k, "u1", time.Now(), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		nodes := map[string]bool{}
		for _, k := range clusterKeys(t, client, prefix+"*") {
			node, err := client.(*redis.ClusterClient).MasterForKey(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			nodes[node.Options().Addr] = true
		}
		if len(nodes) != len(cluster.Nodes) {
			t.Errorf("60 cache and wave keys are on %d of %d nodes", len(nodes), len(cluster.Nodes))
		}
	})
}

// clusterKeys returns the keys matching pattern on every master of client.
func clusterKeys(t *testing.T, client redis.UniversalClient, pattern string) []string {
	t.Helper()
	cc := client.(*redis.ClusterClient)
	var (
		mu   sync.Mutex
		keys []string
	)
	err := cc.ForEachMaster(t.Context(), func(ctx context.Context, node *redis.Client) error {
		ks, err := node.Keys(ctx, pattern).Result()
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, ks...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// keySlot returns the hash slot of key, as the cluster computes it.
func keySlot(t *testing.T, client redis.UniversalClient, key string) int64 {
	t.Helper()
	slot, err := client.ClusterKeySlot(t.Context(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return slot
}
