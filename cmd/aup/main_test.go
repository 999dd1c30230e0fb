package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// syncBuffer collects the service's log while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// service runs `aup serve` in the test's process with env, and returns its
// base URL and log once /readyz answers.
func service(t *testing.T, env map[string]string) (string, *syncBuffer) {
	t.Helper()
	addr := freeAddr(t)
	env["AUP_ADDR"] = addr
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard, logs)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(2 * time.Minute) // under -race on busy cores a start can take tens of seconds
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base, logs
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 2 minutes\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type verdict struct {
	Action     string `json:"action"`
	Categories []struct {
		Category string  `json:"category"`
		Score    float64 `json:"score"`
	} `json:"categories"`
	Language struct {
		Code string `json:"code"`
	} `json:"language"`
	Matches []struct {
		Rule       string `json:"rule"`
		Start, End int
	} `json:"matches"`
	Cached        bool   `json:"cached"`
	PolicyVersion string `json:"policy_version"`
}

func post(t *testing.T, url, key, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s: decode: %v", url, err)
		}
	}
	return resp.StatusCode
}

const (
	backendKey = "backend-key-0123456789abcdef"
	adminKey   = "admin-key-0123456789abcdef"
	// testPseudonymKey is the pseudonym key of services with Redis.
	testPseudonymKey = "pseudonym-key-0123456789abcdef0123456789"
)

// TestServeWithRedis runs the service against a real Redis with keys and a
// rules folder on disk, and checks a verdict end to end, the shared cache,
// roles, and a reload that is refused and then accepted.
func TestServeWithRedis(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	copyDir(t, "../../rules", dir)
	base, logs := service(t, map[string]string{
		"AUP_REDIS_URL":     srv.URL(),
		"AUP_PSEUDONYM_KEY": testPseudonymKey,
		"AUP_API_KEYS":      "product:backend:" + backendKey + ",ops:admin:" + adminKey,
		"AUP_RULES_DIR":     dir,
	})
	const note = `{"text": "Hey team, the meeting moved to Friday at 10. Bring the draft budget and your ideas for the garden project.", "user_id": "u1"}`

	var first, second verdict
	if code := post(t, base+"/v1/check", backendKey, note, &first); code != http.StatusOK {
		t.Fatalf("check: status %d", code)
	}
	if first.Action != "allow" || first.Language.Code != "en" || first.Cached || first.PolicyVersion == "" {
		t.Errorf("first verdict %+v", first)
	}
	post(t, base+"/v1/check", backendKey, note, &second)
	if !second.Cached || second.PolicyVersion != first.PolicyVersion {
		t.Errorf("second verdict not from cache: %+v", second)
	}
	keys, err := srv.Client(t).Keys(context.Background(), "aup:verdict:*").Result()
	if err != nil || len(keys) != 1 {
		t.Errorf("verdicts in redis: %v, %v", keys, err)
	}

	if code := post(t, base+"/v1/check", "", note, nil); code != http.StatusUnauthorized {
		t.Errorf("no key: status %d", code)
	}
	if code := post(t, base+"/v1/admin/rules/reload", backendKey, "", nil); code != http.StatusForbidden {
		t.Errorf("backend reload: status %d", code)
	}

	// A broken file is refused with its name and line; the rules in force stay.
	if err := os.WriteFile(filepath.Join(dir, "en", "spam.rules"), []byte("ok\nbad | scor=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var failed struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if code := post(t, base+"/v1/admin/rules/reload", adminKey, "", &failed); code != http.StatusBadRequest || !strings.Contains(failed.Error.Message, "en/spam.rules:2") {
		t.Errorf("broken reload: %d %+v", code, failed)
	}
	// A good change takes effect at once, with a new policy version.
	if err := os.WriteFile(filepath.Join(dir, "en", "spam.rules"), []byte("garden project | score=0.95\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var reloaded struct {
		PolicyVersion string `json:"policy_version"`
	}
	if code := post(t, base+"/v1/admin/rules/reload", adminKey, "", &reloaded); code != http.StatusOK || reloaded.PolicyVersion == first.PolicyVersion {
		t.Fatalf("reload: %d %+v", code, reloaded)
	}
	var third verdict
	post(t, base+"/v1/check", backendKey, note, &third)
	if third.Cached || third.Action != "block" || third.PolicyVersion != reloaded.PolicyVersion {
		t.Errorf("after reload: %+v", third)
	}

	// SIGHUP reloads too.
	if err := os.WriteFile(filepath.Join(dir, "en", "spam.rules"), []byte("garden project | score=0.75\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var fourth verdict
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) { // a reload under -race on a loaded machine takes seconds
		post(t, base+"/v1/check", backendKey, note, &fourth)
		if fourth.PolicyVersion != reloaded.PolicyVersion || time.Now().After(deadline) {
			break
		}
	}
	if fourth.PolicyVersion == reloaded.PolicyVersion || fourth.Action != "review" {
		t.Errorf("after SIGHUP: %+v", fourth)
	}

	if strings.Contains(logs.String(), "meeting moved") || strings.Contains(logs.String(), adminKey) {
		t.Errorf("the log contains note text or a key:\n%s", logs)
	}
}

// TestServeDevelopmentMode runs without Redis or keys: loopback callers are
// admin, the store is in memory, and the log says it is not durable.
func TestServeDevelopmentMode(t *testing.T) {
	base, logs := service(t, map[string]string{})
	var v verdict
	if code := post(t, base+"/v1/check", "", `{"text": "free spins! join our online casino today and claim your sign-up bonus"}`, &v); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if v.Action == "allow" {
		t.Errorf("gambling promotion allowed: %+v", v)
	}
	for _, want := range []string{"NOT durable", "development mode"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestRefusesOpenNetworkWithoutKeys(t *testing.T) {
	err := run(context.Background(), []string{"serve"}, func(k string) string {
		return map[string]string{"AUP_ADDR": "0.0.0.0:0"}[k]
	}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no API keys") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AUP_ADDR": "8080"}, "AUP_ADDR"},
		{map[string]string{"AUP_API_KEYS": "a:root:0123456789abcdef0"}, "AUP_API_KEYS"},
		{map[string]string{"AUP_MAX_TEXT_BYTES": "big"}, "AUP_MAX_TEXT_BYTES"},
		{map[string]string{"AUP_CACHE_TTL": "-1s"}, "AUP_CACHE_TTL"},
		{map[string]string{"AUP_LOG_LEVEL": "loud"}, "AUP_LOG_LEVEL"},
		{map[string]string{"AUP_API_KEYS": "a:admin:0123456789abcdef0", "AUP_API_KEYS_FILE": "/x"}, "not both"},
		{map[string]string{"AUP_LANGUAGES": "en,xx"}, `"xx"`},
		{map[string]string{"AUP_LEASE": "ten minutes"}, "AUP_LEASE"},
		{map[string]string{"AUP_REDIS_URL": "redis://127.0.0.1:6379/0"}, "AUP_PSEUDONYM_KEY"},
		{map[string]string{"AUP_PSEUDONYM_KEY": "short"}, "at least 32"},
		{map[string]string{"AUP_RETENTION_AUDIT": "2191d"}, "AUP_RETENTION_AUDIT=2191d: records may be kept at most 2190d"},
		{map[string]string{"AUP_CACHE_TTL": "7000d"}, "AUP_CACHE_TTL=7000d"},
		{map[string]string{"AUP_RETENTION_DECISIONS": "30d"}, "AUP_APPEAL_WINDOW"},
		{map[string]string{"AUP_RETENTION_CASES": "30d", "AUP_RETENTION_CASE_CONTENT": "60d", "AUP_APPEAL_WINDOW": "10d", "AUP_RETENTION_DECISIONS": "30d"}, "AUP_RETENTION_CASES (720h0m0s) is shorter"},
		{map[string]string{"AUP_RETENTION_CASE_CONTENT": "30d"}, "AUP_RETENTION_CASE_CONTENT (720h0m0s) is shorter than AUP_APPEAL_WINDOW"},
		{map[string]string{"AUP_RETENTION_USERS": "30d"}, "AUP_RETENTION_USERS (720h0m0s) is shorter than AUP_STRIKE_WINDOW"},
		{map[string]string{"AUP_STRIKE_THRESHOLD": "0"}, "AUP_STRIKE_THRESHOLD"},
		{map[string]string{"AUP_WEBHOOK_SECRET": "0123456789abcdef0"}, "AUP_WEBHOOK_URL is not"},
		{map[string]string{"AUP_WEBHOOK_URL": "https://product.example/hooks", "AUP_WEBHOOK_SECRET": "short"}, "at least 16"},
		{map[string]string{"AUP_WEBHOOK_URL": "product.example/hooks", "AUP_WEBHOOK_SECRET": "0123456789abcdef0"}, "absolute http"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			err := run(context.Background(), []string{"check", "hello"}, func(k string) string { return tc.env[k] }, nil, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %s", err, tc.want)
			}
		})
	}
}

func TestCheckCommand(t *testing.T) {
	env := func(string) string { return "" }
	var out bytes.Buffer
	in := strings.NewReader(`{"text": "buy milk"}` + "\n\n" + `{"text": "you are a f*cking idiot"}` + "\n")
	if err := run(context.Background(), []string{"check", "--jsonl", "-"}, env, in, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 verdicts, got %q", out.String())
	}
	if !strings.Contains(lines[0], `"categories":[]`) || !strings.Contains(lines[0], `"matches":[]`) {
		t.Errorf("a clean verdict must have empty arrays, not null: %s", lines[0])
	}
	var v verdict
	if err := json.Unmarshal([]byte(lines[1]), &v); err != nil || len(v.Matches) == 0 {
		t.Errorf("second verdict %s (%v)", lines[1], err)
	}
	err := run(context.Background(), []string{"check", "--jsonl", "-"}, env, strings.NewReader("{bad\n"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-:1") {
		t.Errorf("bad line: %v", err)
	}
	if err := run(context.Background(), []string{"check", "--frobnicate"}, env, nil, io.Discard, io.Discard); exitCode(err) != 2 {
		t.Errorf("unknown flag: %v", err)
	}
}

func TestLintCommand(t *testing.T) {
	env := func(string) string { return "" }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"rules", "lint", "../../rules"}, env, nil, &out, io.Discard); err != nil {
		t.Fatalf("the bundled rules fail lint: %v\n%s", err, out.String())
	}
	dir := t.TempDir()
	copyDir(t, "../../rules", dir)
	if err := os.WriteFile(filepath.Join(dir, "en", "hate.rules"), []byte("x ~99 y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err := run(context.Background(), []string{"rules", "lint", dir}, env, nil, &out, io.Discard)
	if err == nil || exitCode(err) != 1 || !strings.Contains(out.String(), "en/hate.rules:1") {
		t.Errorf("lint of a broken folder: %v\n%s", err, out.String())
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(fmt.Errorf("copy rules: %w", err))
	}
}
