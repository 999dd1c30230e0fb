package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/redistest"
)

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
	for i := range 3 {
		body := fmt.Sprintf(`{"text":"a new note %d about the garden project, with tomatoes and beans","user_id":"u%d"}`, i, i)
		start := time.Now()
		var got struct {
			Action string `json:"action"`
		}
		must(t, http.StatusOK, http.MethodPost, s.base+"/v1/check", backendKey, body, &got)
		t.Logf("check with Redis down: %s in %s", got.Action, time.Since(start).Round(time.Millisecond))
	}
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
