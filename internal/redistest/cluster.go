package redistest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of three masters without replicas on
// 127.0.0.1, each a Server of its own that serves a third of the 16384 hash
// slots. It needs Redis 7 (cluster-port, CLUSTER ADDSLOTSRANGE).
type Cluster struct {
	// Nodes are the three servers, in the order of the slots they serve.
	Nodes []*Server
}

// clusterNodes is how many masters StartCluster starts.
const clusterNodes = 3

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// StartCluster starts a Cluster of tb's own, stopped when tb ends, and
// returns once every node reports cluster_state:ok. It skips tb (fails it if
// CI is set) when redis-server is missing or cannot start, and fails tb when
// the servers start but do not form a cluster.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	c := &Cluster{}
	for range clusterNodes {
		s, err := start(tb.TempDir(), func(s *Server) { s.cluster = true })
		if err != nil {
			unavailable(tb, err)
			return nil
		}
		tb.Cleanup(func() {
			if err := s.Stop(); err != nil {
				tb.Errorf("redistest: stop redis-server: %v", err)
			}
		})
		c.Nodes = append(c.Nodes, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.form(ctx); err != nil {
		tb.Fatalf("redistest: form a cluster of %s: %v", strings.Join(c.Addrs(), ", "), err)
	}
	return c
}

// Addrs returns the nodes' host:port addresses.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return addrs
}

// URL returns a redis:// URL naming every node, the form of AUP_REDIS_URL
// that selects a Cluster client: redis://first?addr=second&addr=third.
func (c *Cluster) URL() string {
	addrs := c.Addrs()
	return "redis://" + addrs[0] + "?addr=" + strings.Join(addrs[1:], "&addr=")
}

// Client returns a Cluster client seeded with every node, closed when tb
// ends.
func (c *Cluster) Client(tb testing.TB) redis.UniversalClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	tb.Cleanup(func() { cc.Close() })
	return cc
}

// clusterArgs are the redis-server arguments of a Cluster node whose bus
// listens on busPort.
func clusterArgs(busPort int) []string {
	return []string{
		"--cluster-enabled", "yes",
		"--cluster-config-file", "nodes.conf",
		"--cluster-port", strconv.Itoa(busPort),
		"--cluster-node-timeout", "5000",
	}
}

// form gives each node its share of the slots, introduces the nodes to the
// first one and waits until each reports the cluster whole.
func (c *Cluster) form(ctx context.Context) error {
	clients := make([]*redis.Client, len(c.Nodes))
	for i, n := range c.Nodes {
		clients[i] = redis.NewClient(&redis.Options{Addr: n.Addr})
		defer clients[i].Close()
	}
	for i, cl := range clients {
		first, last := i*clusterSlots/len(clients), (i+1)*clusterSlots/len(clients)-1
		if err := cl.ClusterAddSlotsRange(ctx, first, last).Err(); err != nil {
			return fmt.Errorf("add slots %d-%d to %s: %w", first, last, c.Nodes[i].Addr, err)
		}
	}
	for _, n := range c.Nodes[1:] {
		// The bus port is not port+10000, so MEET names it.
		if err := clients[0].Do(ctx, "cluster", "meet", "127.0.0.1", n.port, n.busPort).Err(); err != nil {
			return fmt.Errorf("meet %s: %w", n.Addr, err)
		}
	}
	want := []string{"cluster_state:ok", "cluster_slots_ok:" + strconv.Itoa(clusterSlots), "cluster_known_nodes:" + strconv.Itoa(len(clients))}
	for {
		ready := true
		var last string
		for _, cl := range clients {
			info, err := cl.ClusterInfo(ctx).Result()
			if err != nil {
				return fmt.Errorf("cluster info: %w", err)
			}
			for _, w := range want {
				if !strings.Contains(info, w+"\r\n") {
					ready, last = false, w
				}
			}
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready (a node lacks %s): %w", last, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
