package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/openai/openaitest"
	"github.com/aup-dev/aup/internal/redistest"
)

// allDegraded is what a check with a user id leaves out while Redis is down.
var allDegraded = []string{"cache", "wave", "user_standing"}

// TestRedisDownDegrades stops Redis under a running service: checks are
// still answered from the rules, what must persist answers 503 (never a
// 202 for a report that was not stored), and once Redis is back everything
// works again without a restart.
func TestRedisDownDegrades(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.AppendOnly())
	s := startService(t, reviewEnv(srv))
	const spam = `{"text":"BUY CHEAP WATCHES NOW!!! http://cheap-watches.example click here free money","user_id":"u1","content_id":"n1"}`
	var v struct {
		Action string `json:"action"`
		Cached bool   `json:"cached"`
	}
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/check", backendKey, spam, &v)
	r := fileReport(t, s.base, "r1", "n1", "u1")

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	var took []time.Duration
	for i := range 50 {
		body := fmt.Sprintf(`{"text":"a new note %d about the garden project, with tomatoes and beans","user_id":"u%d"}`, i, i)
		start := time.Now()
		var got struct {
			Action   string   `json:"action"`
			Cached   bool     `json:"cached"`
			Degraded []string `json:"degraded"`
		}
		must(t, http.StatusOK, http.MethodPost, s.base+"/v1/check", backendKey, body, &got)
		took = append(took, time.Since(start))
		if got.Cached || !slices.Equal(got.Degraded, allDegraded) {
			t.Errorf("check %d with Redis down: cached %v, degraded %q; want not cached, degraded %q", i, got.Cached, got.Degraded, allDegraded)
		}
	}
	slow := slices.IndexFunc(took, func(d time.Duration) bool { return d > 10*time.Millisecond })
	slices.Sort(took)
	t.Logf("%d checks with Redis down: p50 %s, p99 %s, max %s; the first over 10ms: #%d", len(took),
		took[len(took)/2].Round(10*time.Microsecond), took[len(took)*99/100].Round(10*time.Microsecond), took[len(took)-1].Round(10*time.Microsecond), slow)
	body := `{"reporter_id":"r2","target_type":"note","target_id":"n2","target_user_id":"u2","category":"spam"}`
	if code, err := call(http.MethodPost, s.base+"/v1/reports", backendKey, body, nil); code != http.StatusServiceUnavailable {
		t.Errorf("report with Redis down: %d (%v), want 503", code, err)
	}
	if code, _ := call(http.MethodPost, s.base+"/v1/review/claim", modAKey, "", nil); code != http.StatusServiceUnavailable {
		t.Errorf("claim with Redis down: %d, want 503", code)
	}
	if code, _ := call(http.MethodGet, s.base+"/readyz", "", "", nil); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Redis down: %d, want 503", code)
	}

	srv.Resume(t)
	waitReady(t, s.base, s.logs, func() error { return nil })
	// /readyz answered through the breaker's probe: Redis is used again.
	var back struct {
		Cached   bool     `json:"cached"`
		Degraded []string `json:"degraded"`
		User     *struct {
			Suspended bool `json:"suspended"`
		} `json:"user"`
	}
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/check", backendKey, spam, &back)
	if !back.Cached || back.Degraded != nil || back.User == nil {
		t.Errorf("check after Redis came back: %+v; want a cached verdict, the user's standing, nothing degraded", back)
	}
	var again receiptBody
	must(t, http.StatusAccepted, http.MethodPost, s.base+"/v1/reports", backendKey, body, &again)
	var c caseBody
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/review/claim", modAKey, "", &c)
	if c.ID != r.CaseID && c.ID != again.CaseID {
		t.Errorf("claimed %s after Redis came back, want one of %s, %s", c.ID, r.CaseID, again.CaseID)
	}
	// No report was stored while Redis was down: r2's is new.
	if again.Status != "received" {
		t.Errorf("r2's report after Redis came back: %+v", again)
	}
}

// TestRedisDownSlowClassifier holds Redis down and makes the hosted
// classifier hang: a check still answers with the rules' verdict once the
// classifier's timeout has passed, and says what it lacks.
func TestRedisDownSlowClassifier(t *testing.T) {
	api := openaitest.New(t, openaitest.Options{})
	keyFile := filepath.Join(t.TempDir(), "openai-key")
	if err := os.WriteFile(keyFile, []byte("sk-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t)
	const timeout = 250 * time.Millisecond
	s := startService(t, reviewEnv(srv,
		"AUP_CLASSIFIER", "openai-moderation",
		"AUP_OPENAI_BASE_URL", api.URL,
		"AUP_OPENAI_API_KEY_FILE", keyFile,
		"AUP_CLASSIFIER_RETRIES", "0",
		"AUP_CLASSIFIER_TIMEOUT", timeout.String(),
		"AUP_CLASSIFIER_BUDGET", timeout.String(),
		"AUP_CLASSIFIER_WHEN", "always",
	))
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	api.SetDelay(time.Hour)
	for i := range 3 {
		body := fmt.Sprintf(`{"text":"they are vermin, all of them, number %d","user_id":"u%d"}`, i, i)
		var v struct {
			classified
			Degraded []string `json:"degraded"`
		}
		start := time.Now()
		must(t, http.StatusOK, http.MethodPost, s.base+"/v1/check", backendKey, body, &v)
		t.Logf("check with Redis down and the classifier hanging (timeout %s): %s in %s", timeout, v.Action, time.Since(start).Round(time.Millisecond))
		if v.Action == "allow" || !slices.Equal(v.Sources, []string{"rules"}) || v.Classifier == nil ||
			v.Classifier.Status != "unavailable" || !slices.Equal(v.Degraded, allDegraded) {
			t.Errorf("check %d: %+v; want the rules' verdict, the classifier unavailable, degraded %q", i, v, allDegraded)
		}
	}
}
