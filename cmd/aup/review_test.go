package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/redistest"
	"github.com/aup-dev/aup/internal/webhook"
)

// The review desk's keys: the key's name is the moderator of record.
const (
	modAKey      = "mod-a-key-0123456789abcdef"
	modBKey      = "mod-b-key-0123456789abcdef"
	reviewKeys   = "product:backend:" + backendKey + ",alice:moderator:" + modAKey + ",bob:moderator:" + modBKey + ",ops:admin:" + adminKey
	hookSecret   = "webhook-secret-0123456789"
	childEnvFlag = "AUP_TEST_CHILD"
)

// reviewEnv is the environment of a service on srv with the review keys.
func reviewEnv(srv *redistest.Server, extra ...string) map[string]string {
	env := map[string]string{"AUP_REDIS_URL": srv.URL(), "AUP_PSEUDONYM_KEY": testPseudonymKey, "AUP_API_KEYS": reviewKeys}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// call sends one request and decodes a JSON answer into out when the status
// is 2xx; it is safe to call from any goroutine.
func call(method, url, key, body string, out any) (int, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode/100 == 2 && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %s: %w", method, url, b, err)
		}
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, bytes.TrimSpace(b))
	}
	return resp.StatusCode, nil
}

// must sends a request that must answer want.
func must(t *testing.T, want int, method, url, key, body string, out any) {
	t.Helper()
	code, err := call(method, url, key, body, out)
	if code != want {
		t.Fatalf("%s %s: status %d, want %d (%v)", method, url, code, want, err)
	}
	if err != nil && want/100 == 2 {
		t.Fatal(err)
	}
}

type receiptBody struct {
	ID     string `json:"id"`
	CaseID string `json:"case_id"`
	Status string `json:"status"`
}

type caseBody struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	ReportCount int    `json:"report_count"`
	DecisionID  string `json:"decision_id"`
	Lease       *struct {
		Moderator string    `json:"moderator"`
		Until     time.Time `json:"until"`
	} `json:"lease"`
	Reports []struct {
		ID string `json:"id"`
	} `json:"reports"`
}

type reportBody struct {
	ID         string `json:"id"`
	CaseID     string `json:"case_id"`
	Status     string `json:"status"`
	Outcome    string `json:"outcome"`
	DecisionID string `json:"decision_id"`
}

type outcomeBody struct {
	Case     caseBody `json:"case"`
	Decision *struct {
		ID             string `json:"id"`
		Action         string `json:"action"`
		Moderator      string `json:"moderator"`
		ContentRemoved bool   `json:"content_removed"`
	} `json:"decision"`
}

// fileReport files a report by reporter about note, written by author, and
// expects it to be new.
func fileReport(t *testing.T, base, reporter, note, author string) receiptBody {
	t.Helper()
	var r receiptBody
	body := fmt.Sprintf(`{"reporter_id":%q,"target_type":"note","target_id":%q,"target_user_id":%q,"category":"spam","explanation":"unsolicited ads"}`, reporter, note, author)
	must(t, http.StatusAccepted, http.MethodPost, base+"/v1/reports", backendKey, body, &r)
	if r.ID == "" || r.CaseID == "" {
		t.Fatalf("receipt without ids: %+v", r)
	}
	return r
}

const removeSpam = `{"action":"remove","categories":["spam"],"reason":"advertising in a shared note"}`

// svc is `aup serve` running in the test's process, stopped by Stop or when
// the test ends.
type svc struct {
	base   string
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// startService runs the service with env (AUP_ADDR is added) and returns it
// once /readyz answers 200.
func startService(t *testing.T, env map[string]string) *svc {
	t.Helper()
	addr := freeAddr(t)
	env["AUP_ADDR"] = addr
	ctx, cancel := context.WithCancel(context.Background())
	s := &svc{base: "http://" + addr, logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard, s.logs)
	}()
	t.Cleanup(func() { s.Stop(t) })
	waitReady(t, s.base, s.logs, func() error {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("serve stopped: %w", err)
		default:
			return nil
		}
	})
	return s
}

// Stop shuts the service down gracefully and waits for it.
func (s *svc) Stop(t *testing.T) {
	t.Helper()
	s.once.Do(func() {
		s.cancel()
		if err := <-s.done; err != nil {
			t.Errorf("serve: %v\n%s", err, s.logs)
		}
	})
}

// waitReady polls base/readyz until it answers 200, failing when alive
// reports that the service is gone or after 2 minutes: under -race on two
// busy cores, loading the language models alone can take tens of seconds.
func waitReady(t *testing.T, base string, logs fmt.Stringer, alive func() error) {
	t.Helper()
	const limit = 2 * time.Minute
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if err := alive(); err != nil {
			t.Fatalf("%v\n%s", err, logs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %s\n%s", base, limit, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReviewChildProcess is not a test: it is `aup serve` in a child process
// started by startChild, configured by its environment.
func TestReviewChildProcess(t *testing.T) {
	if os.Getenv(childEnvFlag) != "1" {
		t.Skip("the service process of TestReportSurvivesSIGKILL; it runs only as that test's child")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Stop when the test that started this process is gone (a -timeout
	// panic runs no cleanups): this process is then another's child.
	ppid := os.Getppid()
	go func() {
		for ctx.Err() == nil && os.Getppid() == ppid {
			time.Sleep(200 * time.Millisecond)
		}
		stop()
	}()
	if err := run(ctx, []string{"serve"}, os.Getenv, nil, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

// child is `aup serve` in a child process: this test binary, re-executed to
// run TestReviewChildProcess.
type child struct {
	base string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{} // closed once the process has exited
}

func startChild(t *testing.T, env map[string]string) *child {
	t.Helper()
	addr := freeAddr(t)
	// The child's TestMain starts a redis-server of its own in TMPDIR; keep
	// it where this test cleans up, even after a SIGKILL.
	tmp, err := os.MkdirTemp("", "aup-child-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(tmp); err != nil { // a dying redis-server may still write its log
			time.Sleep(200 * time.Millisecond)
			_ = os.RemoveAll(tmp)
		}
	})
	cmd := exec.Command(os.Args[0], "-test.run=^TestReviewChildProcess$", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUP_") && !strings.HasPrefix(kv, "TMPDIR=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	// One language keeps a race-detector build's start short.
	cmd.Env = append(cmd.Env, childEnvFlag+"=1", "TMPDIR="+tmp, "AUP_ADDR="+addr, "AUP_LANGUAGES=en")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	c := &child{base: "http://" + addr, cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = c.logs, c.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-c.done
		}
	})
	waitReady(t, c.base, c.logs, func() error {
		select {
		case <-c.done:
			return fmt.Errorf("child exited: %v", cmd.ProcessState)
		default:
			return nil
		}
	})
	return c
}

// kill ends the child with SIGKILL and waits for it to be gone.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.done
}

// TestReportSurvivesSIGKILL kills the service with SIGKILL the moment it has
// acknowledged a report: a new process on the same Redis has the report and
// its case.
func TestReportSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.AppendOnly())
	env := reviewEnv(srv)

	first := startChild(t, env)
	var r receiptBody
	body := `{"reporter_id":"r1","target_type":"note","target_id":"n1","target_user_id":"u1","category":"harassment"}`
	must(t, http.StatusAccepted, http.MethodPost, first.base+"/v1/reports", backendKey, body, &r)
	first.kill(t)

	second := startChild(t, env)
	var got reportBody
	must(t, http.StatusOK, http.MethodGet, second.base+"/v1/reports/"+r.ID, backendKey, "", &got)
	if got.ID != r.ID || got.CaseID != r.CaseID || got.Status != "received" {
		t.Errorf("report after SIGKILL = %+v, receipt %+v", got, r)
	}
	var c caseBody
	must(t, http.StatusOK, http.MethodGet, second.base+"/v1/review/items/"+r.CaseID, modAKey, "", &c)
	if c.Status != "open" || c.ReportCount != 1 || len(c.Reports) != 1 || c.Reports[0].ID != r.ID {
		t.Errorf("case after SIGKILL = %+v, want open with report %s", c, r.ID)
	}
}

// TestReviewSurvivesRedisRestart restarts Redis (append-only file on) after
// reports, claims and a decision were acknowledged: all of it is there
// afterwards.
func TestReviewSurvivesRedisRestart(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.AppendOnly())
	s := startService(t, reviewEnv(srv))

	r1 := fileReport(t, s.base, "r1", "n1", "u1")
	r2 := fileReport(t, s.base, "r2", "n1", "u1")
	r3 := fileReport(t, s.base, "r3", "n2", "u2")
	if r1.CaseID != r2.CaseID || r1.CaseID == r3.CaseID {
		t.Fatalf("cases: %s %s %s; want the reports about n1 in one case", r1.CaseID, r2.CaseID, r3.CaseID)
	}
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/review/items/"+r1.CaseID+"/claim", modAKey, "", nil)
	var out outcomeBody
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/review/items/"+r1.CaseID+"/decision", modAKey, removeSpam, &out)
	if out.Decision == nil || !out.Decision.ContentRemoved {
		t.Fatalf("decision: %+v", out)
	}
	dec := out.Decision.ID
	var held caseBody
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/review/items/"+r3.CaseID+"/claim", modBKey, "", &held)

	srv.Restart(t)
	waitReady(t, s.base, s.logs, func() error { return nil })

	for _, r := range []receiptBody{r1, r2} {
		var got reportBody
		must(t, http.StatusOK, http.MethodGet, s.base+"/v1/reports/"+r.ID, backendKey, "", &got)
		if got.Status != "resolved" || got.Outcome != "upheld" || got.DecisionID != dec {
			t.Errorf("report %s after the restart: %+v, want resolved, upheld by %s", r.ID, got, dec)
		}
	}
	var got reportBody
	must(t, http.StatusOK, http.MethodGet, s.base+"/v1/reports/"+r3.ID, backendKey, "", &got)
	if got.Status != "received" || got.CaseID != r3.CaseID {
		t.Errorf("report %s after the restart: %+v", r3.ID, got)
	}

	var closed caseBody
	must(t, http.StatusOK, http.MethodGet, s.base+"/v1/review/items/"+r1.CaseID, modBKey, "", &closed)
	if closed.Status != "closed" || closed.DecisionID != dec || closed.ReportCount != 2 {
		t.Errorf("decided case after the restart: %+v", closed)
	}
	var claimed caseBody
	must(t, http.StatusOK, http.MethodGet, s.base+"/v1/review/items/"+r3.CaseID, modBKey, "", &claimed)
	if claimed.Status != "claimed" || claimed.Lease == nil || claimed.Lease.Moderator != "bob" {
		t.Errorf("claimed case after the restart: %+v", claimed)
	}
	must(t, http.StatusOK, http.MethodGet, s.base+"/v1/decisions/"+dec+"/statement", backendKey, "", nil)

	var status struct {
		Strikes   int      `json:"strikes"`
		Decisions []string `json:"decisions"`
	}
	must(t, http.StatusOK, http.MethodGet, s.base+"/v1/users/u1/status", backendKey, "", &status)
	if status.Strikes != 1 || !slices.Equal(status.Decisions, []string{dec}) {
		t.Errorf("u1 after the restart: %+v, want 1 strike and decision %s", status, dec)
	}

	var audit struct {
		Entries []struct {
			Actor, Action string
			CaseID        string `json:"case_id"`
			DecisionID    string `json:"decision_id"`
		} `json:"entries"`
	}
	must(t, http.StatusOK, http.MethodGet, s.base+"/v1/audit?limit=500", adminKey, "", &audit)
	count := map[string]int{}
	for _, e := range audit.Entries {
		// Reporters are named by pseudonym, never by id.
		if strings.HasPrefix(e.Actor, "reporter:") && !strings.HasPrefix(e.Actor, "reporter:psn_") {
			t.Errorf("the audit log names a reporter: %q", e.Actor)
		}
		actor, _, _ := strings.Cut(e.Actor, ":psn_")
		count[actor+" "+e.Action]++
	}
	for what, n := range map[string]int{
		"reporter report.received": 3,
		"alice case.claimed":       1, "alice decision.remove": 1, "alice content.removed": 1, "bob case.claimed": 1,
	} {
		if count[what] != n {
			t.Errorf("audit after the restart has %d %q entries, want %d (all: %v)", count[what], what, n, count)
		}
	}

	// The desk still works on the restarted Redis.
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/review/items/"+r3.CaseID+"/decision", modBKey, removeSpam, nil)
}

// TestLeaseExpiryReturnsCase lets a claim's lease run out: the case goes to
// the next moderator who claims, and the first can no longer decide it.
func TestLeaseExpiryReturnsCase(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.AppendOnly())
	s := startService(t, reviewEnv(srv, "AUP_LEASE", "1s"))
	r := fileReport(t, s.base, "r1", "n1", "u1")

	var a caseBody
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/review/claim", modAKey, "", &a)
	if a.ID != r.CaseID || a.Lease == nil || a.Lease.Moderator != "alice" {
		t.Fatalf("alice's claim: %+v", a)
	}
	b := claimAfterLease(t, s.base, modBKey, a)
	if b.ID != a.ID || b.Lease == nil || b.Lease.Moderator != "bob" {
		t.Fatalf("bob's claim: %+v, want case %s leased to bob", b, a.ID)
	}
	if code, _ := call(http.MethodPost, s.base+"/v1/review/items/"+a.ID+"/decision", modAKey, removeSpam, nil); code != http.StatusConflict {
		t.Errorf("alice decided after her lease ran out and bob claimed: status %d, want 409", code)
	}
	var out outcomeBody
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/review/items/"+a.ID+"/decision", modBKey, removeSpam, &out)
	if out.Decision == nil || out.Decision.Moderator != "bob" {
		t.Errorf("bob's decision: %+v", out)
	}
}

// claimAfterLease claims through base with key while held's lease runs,
// which must hand out nothing (checked only for answers that came back
// before the lease's end), then until a case comes, within 15 s, and
// returns it.
func claimAfterLease(t *testing.T, base, key string, held caseBody) caseBody {
	t.Helper()
	var got caseBody
	code, err := call(http.MethodPost, base+"/v1/review/claim", key, "", &got)
	if code == http.StatusOK && time.Now().Before(held.Lease.Until) {
		t.Fatalf("claimed %s while %s's lease ran until %s", got.ID, held.Lease.Moderator, held.Lease.Until)
	} else if code != http.StatusOK && code != http.StatusNoContent {
		t.Fatalf("first claim: %d %v", code, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for code != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("no case 15s after %s's lease began", held.Lease.Moderator)
		}
		time.Sleep(100 * time.Millisecond)
		got = caseBody{}
		if code, err = call(http.MethodPost, base+"/v1/review/claim", key, "", &got); code != http.StatusOK && code != http.StatusNoContent {
			t.Fatalf("claim: %d %v", code, err)
		}
	}
	return got
}

// TestConcurrentClaims has two moderators claim from many goroutines at once:
// no case is handed out twice and every case is handed out.
func TestConcurrentClaims(t *testing.T) {
	t.Parallel()
	const cases, perKey = 60, 16
	srv := redistest.Start(t, redistest.AppendOnly())
	s := startService(t, reviewEnv(srv))
	want := map[string]bool{}
	for i := range cases {
		r := fileReport(t, s.base, fmt.Sprintf("r%d", i), fmt.Sprintf("n%d", i), fmt.Sprintf("u%d", i))
		want[r.CaseID] = true
	}
	if len(want) != cases {
		t.Fatalf("%d reports opened %d cases", cases, len(want))
	}

	var (
		mu      sync.Mutex
		holders = map[string][]string{} // case id → moderators who got it
		errs    []error
		wg      sync.WaitGroup
	)
	start := make(chan struct{})
	for _, k := range []struct{ name, key string }{{"alice", modAKey}, {"bob", modBKey}} {
		for range perKey {
			wg.Go(func() {
				<-start
				for {
					var c caseBody
					code, err := call(http.MethodPost, s.base+"/v1/review/claim", k.key, "", &c)
					mu.Lock()
					switch {
					case code == http.StatusOK && c.Lease != nil && c.Lease.Moderator == k.name:
						holders[c.ID] = append(holders[c.ID], k.name)
					case code == http.StatusOK:
						errs = append(errs, fmt.Errorf("%s's claim answered %+v", k.name, c))
					case code != http.StatusNoContent:
						errs = append(errs, fmt.Errorf("%s's claim: %d %w", k.name, code, err))
					}
					mu.Unlock()
					if code != http.StatusOK {
						return
					}
				}
			})
		}
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	for id, who := range holders {
		if len(who) > 1 {
			t.Errorf("case %s was handed out %d times: %v", id, len(who), who)
		}
		if !want[id] {
			t.Errorf("case %s was handed out but not filed here", id)
		}
	}
	if len(holders) != cases {
		t.Errorf("%d of %d cases were handed out", len(holders), cases)
	}
}

// receiver is the product's webhook endpoint: it verifies each delivery's
// signature and records the events, and can be stopped and started again on
// the same address.
type receiver struct {
	t    *testing.T
	addr string
	srv  *httptest.Server

	mu   sync.Mutex
	ids  map[string]string // event id → type
	hits int               // deliveries accepted, repeats included
	seen chan struct{}     // a delivery was accepted
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	if err := webhook.Verify([]byte(hookSecret), r.Header.Get(webhook.SignatureHeader), body, time.Now(), 0); err != nil {
		rc.t.Errorf("delivery %s: %v", r.Header.Get("Aup-Event-Id"), err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev struct{ ID, Type string }
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.ID != r.Header.Get("Aup-Event-Id") || ev.Type != r.Header.Get("Aup-Event-Type") {
		rc.t.Errorf("delivery %s (%v) with headers %s %s", body, err, r.Header.Get("Aup-Event-Id"), r.Header.Get("Aup-Event-Type"))
	}
	rc.mu.Lock()
	if typ, ok := rc.ids[ev.ID]; ok && typ != ev.Type {
		rc.t.Errorf("event %s arrived as %s and as %s", ev.ID, typ, ev.Type)
	}
	rc.ids[ev.ID] = ev.Type
	rc.hits++
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	select {
	case rc.seen <- struct{}{}:
	default:
	}
}

// up starts serving on rc.addr (on a free port the first time).
func (rc *receiver) up() {
	rc.t.Helper()
	addr := rc.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := listenAgain(addr)
	if err != nil {
		rc.t.Fatalf("open the receiver's port: %v", err)
	}
	rc.addr = ln.Addr().String()
	rc.srv = httptest.NewUnstartedServer(rc)
	rc.srv.Listener = ln
	rc.srv.Start()
}

// down stops serving; connections to rc.addr are refused until up.
func (rc *receiver) down() {
	if rc.srv != nil {
		rc.srv.Close()
		rc.srv = nil
	}
}

// events returns the distinct events received so far, by id.
func (rc *receiver) events() map[string]string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return maps.Clone(rc.ids)
}

// waitFor waits until n distinct events have arrived.
func (rc *receiver) waitFor(n int, logs fmt.Stringer) map[string]string {
	rc.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		ids := rc.events()
		if len(ids) >= n {
			return ids
		}
		select {
		case <-rc.seen:
		case <-timeout:
			rc.t.Fatalf("after 30s the receiver has %v, want %d events\n%s", ids, n, logs)
		}
	}
}

// countTypes counts events by type.
func countTypes(ids map[string]string) map[string]int {
	n := map[string]int{}
	for _, typ := range ids {
		n[typ]++
	}
	return n
}

// TestWebhooksSurviveRestarts takes the webhook receiver down, makes a
// decision, restarts aup and only then brings the receiver back: every event
// arrives, signed, under an id of its own. Repeats are allowed (delivery is
// at least once); missing events are not.
func TestWebhooksSurviveRestarts(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.AppendOnly())
	rc := &receiver{t: t, ids: map[string]string{}, seen: make(chan struct{}, 1)}
	rc.up()
	defer rc.down()
	env := reviewEnv(srv, "AUP_WEBHOOK_URL", "http://"+rc.addr+"/hook", "AUP_WEBHOOK_SECRET", hookSecret)
	s := startService(t, env)
	decide := func(base, caseID string) {
		t.Helper()
		must(t, http.StatusOK, http.MethodPost, base+"/v1/review/items/"+caseID+"/claim", modAKey, "", nil)
		must(t, http.StatusOK, http.MethodPost, base+"/v1/review/items/"+caseID+"/decision", modAKey, removeSpam, nil)
	}

	// With the receiver up: decision.made, content.removed, report.resolved.
	r0 := fileReport(t, s.base, "r0", "n0", "u0")
	decide(s.base, r0.CaseID)
	before := rc.waitFor(3, s.logs)
	if got, want := countTypes(before), map[string]int{"decision.made": 1, "content.removed": 1, "report.resolved": 1}; !maps.Equal(got, want) {
		t.Errorf("with the receiver up: %v, want %v", got, want)
	}

	// With the receiver down: four more events, one report.resolved per
	// report, each failing once before aup restarts.
	rc.down()
	r1 := fileReport(t, s.base, "r1", "n1", "u1")
	fileReport(t, s.base, "r2", "n1", "u1")
	decide(s.base, r1.CaseID)
	for deadline := time.Now().Add(15 * time.Second); strings.Count(s.logs.String(), `"msg":"webhook: delivery failed"`) < 4; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the deliveries did not fail against a closed port within 15s\n%s", s.logs)
		}
	}
	s.Stop(t)
	s2 := startService(t, env)
	rc.up()

	all := rc.waitFor(7, s2.logs)
	if got, want := countTypes(all), map[string]int{"decision.made": 2, "content.removed": 2, "report.resolved": 3}; !maps.Equal(got, want) {
		t.Errorf("all events: %v, want %v (%d deliveries in all)", got, want, rc.hits)
	}
	for id, typ := range before {
		if all[id] != typ {
			t.Errorf("event %s (%s) changed to %q", id, typ, all[id])
		}
	}
}

// listenAgain listens on addr, trying for a second in case a port closed a
// moment ago is not free yet.
func listenAgain(addr string) (net.Listener, error) {
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, err
}
