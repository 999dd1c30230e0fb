package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/redistest"
)

// TestPurgeRunsInTheService serves with retentions of seconds and a fast
// purge: a decided case loses its text, then goes, without anyone asking.
func TestPurgeRunsInTheService(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := startService(t, reviewEnv(srv,
		"AUP_APPEAL_WINDOW", "1s", "AUP_RETENTION_CASE_CONTENT", "1s", "AUP_RETENTION_CASES", "3s",
		"AUP_RETENTION_DECISIONS", "3s", "AUP_RETENTION_REPORTS", "3s", "AUP_PURGE_INTERVAL", "200ms"))
	const text = "buy cheap watches at canary-shop"
	body := fmt.Sprintf(`{"reporter_id":"r1","target_type":"note","target_id":"n1","target_user_id":"u1","category":"spam","text":%q,"contact_email":"r1@example.org"}`, text)
	var r receiptBody
	must(t, http.StatusAccepted, http.MethodPost, s.base+"/v1/reports", backendKey, body, &r)
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/review/items/"+r.CaseID+"/claim", modAKey, "", nil)
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/review/items/"+r.CaseID+"/decision", modAKey, removeSpam, nil)

	var c struct {
		Text string `json:"text"`
	}
	must(t, http.StatusOK, http.MethodGet, s.base+"/v1/review/items/"+r.CaseID, modAKey, "", &c)
	if c.Text != text {
		t.Fatalf("the case lost its text at once: %q", c.Text)
	}
	waitFor(t, 10*time.Second, "the case's text to be purged", func() bool {
		c.Text = ""
		code, _ := call(http.MethodGet, s.base+"/v1/review/items/"+r.CaseID, modAKey, "", &c)
		return code == http.StatusOK && c.Text == ""
	})
	waitFor(t, 10*time.Second, "the case to be purged", func() bool {
		code, _ := call(http.MethodGet, s.base+"/v1/review/items/"+r.CaseID, modAKey, "", nil)
		return code == http.StatusNotFound
	})
	if strings.Contains(s.logs.String(), "canary-shop") || strings.Contains(s.logs.String(), "r1@example.org") {
		t.Error("the logs hold the report's text or e-mail")
	}
	if !strings.Contains(s.logs.String(), "purged records past their retention") {
		t.Errorf("the purge logged nothing:\n%s", s.logs)
	}
}

// waitFor polls cond every 50 ms until it holds, failing after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
