package redistest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestShared(t *testing.T) {
	srv := Shared(t)
	if strings.HasSuffix(srv.Addr, ":6379") {
		t.Fatalf("shared server on %s, the system Redis port", srv.Addr)
	}
	c := srv.Client(t)
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestPrefixesDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := Prefix()
		if seen[p] {
			t.Fatalf("Prefix returned %q twice", p)
		}
		seen[p] = true
	}
}

func TestRestart(t *testing.T) {
	tests := []struct {
		name     string
		opts     []Option
		wantKept bool
	}{
		{"without append-only file data is lost", nil, false},
		{"with append-only file data is kept", []Option{AppendOnly()}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := Start(t, tc.opts...)
			c := srv.Client(t)
			ctx := t.Context()
			if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			addr := srv.Addr
			srv.Restart(t)
			if srv.Addr != addr {
				t.Errorf("address changed from %s to %s", addr, srv.Addr)
			}
			n, err := c.Exists(ctx, "k").Result()
			if err != nil {
				t.Fatalf("after restart: %v", err)
			}
			if kept := n == 1; kept != tc.wantKept {
				t.Errorf("key kept across restart = %v, want %v", kept, tc.wantKept)
			}
		})
	}
}

func TestStopIsFinal(t *testing.T) {
	srv := Start(t)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := ping(srv.Addr); err == nil {
		t.Fatal("server still answers after Stop")
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// recorder is a testing.TB that records Skipf and Fatalf instead of ending
// the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Skipf(format string, a ...any)  { r.skipped = fmt.Sprintf(format, a...) }
func (r *recorder) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }

func TestMissingServerSkipsLocallyAndFailsInCI(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		start := time.Now()
		if s := Start(r); s != nil {
			t.Fatalf("CI=%q: Start returned a server with no redis-server on PATH", ci)
		}
		if time.Since(start) > time.Second {
			t.Errorf("CI=%q: Start took %v to give up", ci, time.Since(start))
		}
		if ci == "" {
			if r.failed != "" || !strings.Contains(r.skipped, "redis-server") {
				t.Errorf("CI unset: skipped %q, failed %q; want a skip", r.skipped, r.failed)
			}
		} else {
			if r.skipped != "" || !strings.Contains(r.failed, "redis-server is required in CI: apt-get install redis-server") {
				t.Errorf("CI set: skipped %q, failed %q; want a failure", r.skipped, r.failed)
			}
		}
	}
}
