package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name under which the Sentinel of StartSentinel monitors
// its master.
const MasterName = "aupmaster"

// Sentinel is a master and one Sentinel that monitors it under MasterName,
// each a redis-server process of its own on 127.0.0.1. The master has no
// replicas, so the Sentinel has nothing to fail over to: it is there for
// clients to find the master through.
type Sentinel struct {
	// Master is the server the Sentinel monitors.
	Master *Server
	// Addr is the Sentinel's host:port.
	Addr string
}

// StartSentinel starts a Sentinel and its master of tb's own, stopped when tb
// ends, and returns once the Sentinel names the master. It skips tb (fails it
// if CI is set) when redis-server is missing or cannot start, and fails tb
// when the Sentinel starts but does not name the master.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	master := Start(tb)
	if master == nil {
		return nil
	}
	s, err := start(tb.TempDir(), func(s *Server) { s.monitors = master.Addr })
	if err != nil {
		unavailable(tb, err)
		return nil
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("redistest: stop redis sentinel: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := waitForMaster(ctx, s.Addr, master.Addr); err != nil {
		tb.Fatalf("redistest: sentinel on %s: %v", s.Addr, err)
	}
	return &Sentinel{Master: master, Addr: s.Addr}
}

// URL returns a redis:// URL naming the Sentinel and the master's name, the
// form of AUP_REDIS_URL that selects a Sentinel (failover) client.
func (s *Sentinel) URL() string {
	return "redis://" + s.Addr + "?master_name=" + MasterName
}

// Client returns a failover client that finds the master through the
// Sentinel, closed when tb ends.
func (s *Sentinel) Client(tb testing.TB) redis.UniversalClient {
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: MasterName, SentinelAddrs: []string{s.Addr}})
	tb.Cleanup(func() { c.Close() })
	return c
}

// sentinelArgs writes the configuration file of a Sentinel on s.port that
// monitors s.monitors, and returns the redis-server arguments that run it.
// Sentinel rewrites the file as it learns; a Sentinel launched again starts
// over from the master it was started with.
func (s *Server) sentinelArgs(logPath string) ([]string, error) {
	host, port, err := net.SplitHostPort(s.monitors)
	if err != nil {
		return nil, fmt.Errorf("sentinel master address: %w", err)
	}
	conf := fmt.Sprintf(`port %d
bind 127.0.0.1
dir %q
logfile %q
daemonize no
sentinel monitor %s %s %s 1
sentinel down-after-milliseconds %s 1000
`, s.port, s.dir, logPath, MasterName, host, port, MasterName)
	path := filepath.Join(s.dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, fmt.Errorf("write sentinel config: %w", err)
	}
	return []string{path, "--sentinel"}, nil
}

// waitForMaster waits until the Sentinel at addr answers
// SENTINEL GET-MASTER-ADDR-BY-NAME with master.
func waitForMaster(ctx context.Context, addr, master string) error {
	c := redis.NewSentinelClient(&redis.Options{Addr: addr})
	defer c.Close()
	var last string
	for {
		hostPort, err := c.GetMasterAddrByName(ctx, MasterName).Result()
		switch {
		case err != nil:
			last = err.Error()
		case len(hostPort) == 2 && net.JoinHostPort(hostPort[0], hostPort[1]) == master:
			return nil
		default:
			last = fmt.Sprintf("%q", hostPort)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("get-master-addr-by-name %s answered %s, want %s: %w", MasterName, last, master, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
