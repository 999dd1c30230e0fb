// Package redistest runs private redis-server processes for tests, so that
// Redis-backed code is tested against a real Redis and never against the
// system one on port 6379.
//
// A package whose tests need Redis starts one server for the whole test
// binary from TestMain and gives each test its own key prefix:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		srv := redistest.Shared(t)
//		store := redisstore.New(srv.Client(t), redistest.Prefix())
//		...
//	}
//
// A test that needs a server of its own, to restart it or to turn on the
// append-only file, calls Start instead; one that needs a Redis Cluster
// calls StartCluster, which starts three nodes of its own; one that needs a
// Redis Sentinel calls StartSentinel, which starts a master and a Sentinel
// that monitors it.
//
// When redis-server is not on PATH or cannot start, the tests that need it
// are skipped with a message, unless the environment variable CI is set, in
// which case they fail: CI must always run them.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server process listening on 127.0.0.1 that keeps its
// files in a temporary directory. It saves no snapshots and, unless started
// with AppendOnly, writes no append-only file: its data dies with it.
type Server struct {
	// Addr is the server's host:port.
	Addr string

	port       int
	dir        string
	appendOnly bool
	// busPort is the Cluster bus port of a node of a Cluster (see
	// StartCluster); 0 for a plain server.
	busPort int
	cluster bool
	// monitors is the host:port of the master a Sentinel monitors (see
	// StartSentinel); empty for a server that is not a Sentinel.
	monitors string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// Option configures a server started with Start.
type Option func(*Server)

// AppendOnly turns on the append-only file (appendfsync everysec), so that
// data written before a Restart is there after it.
func AppendOnly() Option { return func(s *Server) { s.appendOnly = true } }

var (
	shared    *Server
	sharedErr error
	prefixes  atomic.Int64
)

// Main starts the package's shared server, runs the tests, stops the server
// and exits. Call it from TestMain. When no server can be started, tests that
// call Shared skip, or fail if CI is set; in that case Main itself exits with
// status 1 before running any test.
func Main(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "redistest-")
	if err == nil {
		defer os.RemoveAll(dir)
		shared, err = start(dir)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			fmt.Fprintf(os.Stderr, "redistest: redis-server is required in CI: apt-get install redis-server (%v)\n", err)
			return 1
		}
		sharedErr = err
		return m.Run()
	}
	code := m.Run()
	if err := shared.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "redistest: stop the shared redis-server: %v\n", err)
	}
	return code
}

// Shared returns the server started by Main. It skips tb (fails it if CI is
// set) when that server could not be started. Tests share it, so they must
// keep to their own keys (see Prefix) and must not stop or restart it.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	switch {
	case shared != nil:
		return shared
	case sharedErr != nil:
		unavailable(tb, sharedErr)
	default:
		tb.Fatal("redistest: Shared needs the package's TestMain to call redistest.Main")
	}
	return nil
}

// Start starts a server of tb's own, stopped when tb ends. It skips tb (fails
// it if CI is set) when redis-server is missing or cannot start.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := start(tb.TempDir(), opts...)
	if err != nil {
		unavailable(tb, err)
		return nil
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("redistest: stop redis-server: %v", err)
		}
	})
	return s
}

// Prefix returns a key prefix no other call in this test binary returns, so
// that tests sharing a server do not see each other's keys.
func Prefix() string {
	return fmt.Sprintf("test%d:", prefixes.Add(1))
}

// URL returns the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Client returns a client for the server, closed when tb ends.
func (s *Server) Client(tb testing.TB) redis.UniversalClient {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	tb.Cleanup(func() { c.Close() })
	return c
}

// Stop shuts the server down (SIGTERM, which flushes the append-only file if
// there is one) and waits for it to exit, killing it after 10 seconds.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stop()
}

// Resume starts a server stopped with Stop again, on the same port with the
// same directory and options, so that a test can hold Redis down for a
// while. Clients reconnect on their own.
func (s *Server) Resume(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.launch(); err != nil {
		tb.Fatalf("redistest: resume: %v", err)
	}
}

// Restart stops the server and starts it again on the same port with the
// same directory and options. Clients reconnect on their own.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stop(); err != nil {
		tb.Fatalf("redistest: stop: %v", err)
	}
	if err := s.launch(); err != nil {
		tb.Fatalf("redistest: restart: %v", err)
	}
}

func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("redis-server is required in CI: apt-get install redis-server (%v)", err)
		return
	}
	tb.Skipf("skipping: no redis-server to test against (%v); install it with apt-get install redis-server", err)
}

// start launches a server on a free port in dir, trying a few ports in case
// another process takes the one picked before redis-server binds it.
func start(dir string, opts ...Option) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, errors.New("redis-server not found on PATH")
	}
	var err error
	for range 3 {
		s := &Server{dir: dir}
		for _, o := range opts {
			o(s)
		}
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		if s.cluster {
			if s.busPort, err = freePort(); err != nil {
				return nil, err
			}
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if err = s.launch(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// freePort returns a port on 127.0.0.1 that was free a moment ago; never
// 6379, where a system Redis may listen.
func freePort() (int, error) {
	for {
		l, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port != 6379 {
			return port, nil
		}
	}
}

// launch starts redis-server on s.port and waits until it answers PING.
func (s *Server) launch() error {
	appendOnly := "no"
	if s.appendOnly {
		appendOnly = "yes"
	}
	logPath := filepath.Join(s.dir, "redis.log")
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--appendonly", appendOnly,
		"--daemonize", "no",
		"--logfile", logPath,
	}
	if s.cluster {
		args = append(args, clusterArgs(s.busPort)...)
	}
	if s.monitors != "" {
		var err error
		if args, err = s.sentinelArgs(logPath); err != nil {
			return err
		}
	}
	//nolint:gosec // G204: a fixed program; the arguments are port numbers, a temporary directory and a configuration file in it.
	cmd := exec.CommandContext(context.Background(), "redis-server", args...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit status says nothing launch's log does not
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited

	deadline := time.Now().Add(10 * time.Second)
	for {
		if ping(s.Addr) == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited on start: %s", lastLines(logPath, 3))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.stop() // the error below is the one that matters
			return fmt.Errorf("redis-server did not answer PING on %s within 10s: %s", s.Addr, lastLines(logPath, 3))
		}
	}
}

func (s *Server) stop() error {
	if s.cmd == nil {
		return nil
	}
	cmd, exited := s.cmd, s.exited
	s.cmd, s.exited = nil, nil
	select {
	case <-exited:
		return nil
	default:
	}
	if err := cmd.Process.Signal(terminate); err != nil {
		return cmd.Process.Kill()
	}
	select {
	case <-exited:
		return nil
	case <-time.After(10 * time.Second):
		err := cmd.Process.Kill()
		<-exited
		return err
	}
}

// ping sends PING over a fresh connection and expects PONG.
func ping(addr string) error {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// lastLines returns the last n lines of the file at path, for error messages.
func lastLines(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "no log"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
