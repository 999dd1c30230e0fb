package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/openai/openaitest"
)

// beachParty is a text no rule list names that the local model API scores
// as sexual, so that the classifier blocks it.
const beachParty = "photos from the beach party, part seven"

// TestServeMetrics runs the service, sends it real requests and reads what
// they did from GET /metrics: verdicts by action and category, the cache,
// language detection, route templates, the review queue and rule reloads.
// It also checks that the lines the engine and the classifier log during a
// request carry the request's id.
func TestServeMetrics(t *testing.T) {
	api := openaitest.New(t, openaitest.Options{Moderate: func(text string, _ [][]byte) map[string]float64 {
		if strings.Contains(text, "beach party") {
			return map[string]float64{"sexual": 0.99}
		}
		return nil
	}})
	dir := t.TempDir()
	copyDir(t, "../../rules", dir)
	base, logs := service(t, map[string]string{
		"AUP_API_KEYS":           "product:backend:" + backendKey + ",ops:admin:" + adminKey + ",prom:metrics:" + metricsKey,
		"AUP_RULES_DIR":          dir,
		"AUP_CLASSIFIER":         "openai-moderation",
		"AUP_OPENAI_BASE_URL":    api.URL,
		"AUP_OPENAI_API_KEY":     "sk-test",
		"AUP_CLASSIFIER_RETRIES": "1",
		"AUP_CLASSIFIER_WHEN":    "always",
		"AUP_LINEAR_MODEL":       "off",
		"AUP_LOG_LEVEL":          "debug",
	})

	var v verdict
	for _, want := range []bool{false, true} {
		if code := post(t, base+"/v1/check", backendKey, `{"text":"`+beachParty+`"}`, &v); code != http.StatusOK || v.Action != "block" || v.Cached != want {
			t.Fatalf("check: %d %+v, want a block, cached %v", code, v, want)
		}
	}
	must(t, http.StatusOK, http.MethodPost, base+"/v1/check/batch", backendKey,
		`{"items":[{"text":"buy milk and eggs on the way home"},{"text":"`+beachParty+`"}]}`, nil)
	must(t, http.StatusOK, http.MethodPost, base+"/v1/moderations", backendKey, `{"input":"`+beachParty+`"}`, nil)
	if code, uv := postUpload(t, base, backendKey, "notes.txt", []byte(beachParty+"\n"), nil); code != http.StatusOK || uv.Action != "block" {
		t.Fatalf("upload: %d %+v", code, uv)
	}

	// A check while the model is down: what the classifier and the engine
	// log about it names the request.
	api.Enqueue(openaitest.Fault{Status: 503}, openaitest.Fault{Status: 503})
	const reqID = "metrics-outage-1"
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/check", strings.NewReader(`{"text":"the lunch order is in the shared folder"}`))
	req.Header.Set("Authorization", "Bearer "+backendKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", reqID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Request-ID") != reqID {
		t.Fatalf("check during an outage: %d, X-Request-ID %q", resp.StatusCode, resp.Header.Get("X-Request-ID"))
	}
	during := map[string]string{} // msg: request_id
	for line := range strings.Lines(logs.String()) {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil {
			if msg, _ := l["msg"].(string); msg == "classifier request failed" || strings.HasPrefix(msg, "classifier unavailable") {
				during[msg], _ = l["request_id"].(string)
			}
		}
	}
	for _, msg := range []string{"classifier request failed", "classifier unavailable; the verdict is the rules' alone"} {
		if id, ok := during[msg]; !ok || id != reqID {
			t.Errorf("log line %q: request_id %q (logged: %v), want %q", msg, id, ok, reqID)
		}
	}

	// A report opens a case in a lane; the receipt's route is a template.
	rc := fileReport(t, base, "reporter-1", "note-1", "author-1")
	var c struct {
		Lane string `json:"lane"`
	}
	must(t, http.StatusOK, http.MethodGet, base+"/v1/review/items/"+rc.CaseID, adminKey, "", &c)
	must(t, http.StatusOK, http.MethodGet, base+"/v1/reports/"+rc.ID, backendKey, "", nil)

	// A broken rules folder is refused, a good one reloaded.
	spam := filepath.Join(dir, "en", "spam.rules")
	good, err := os.ReadFile(spam)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spam, []byte("bad | scor=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _ := call(http.MethodPost, base+"/v1/admin/rules/reload", adminKey, "", nil); code != http.StatusBadRequest {
		t.Fatalf("broken reload: %d", code)
	}
	if err := os.WriteFile(spam, good, 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, http.StatusOK, http.MethodPost, base+"/v1/admin/rules/reload", adminKey, "", nil)

	m := scrapeMetrics(t, base)
	for series, want := range map[string]float64{
		// The two checks, the batch's second item, /v1/moderations and the
		// upload; the batch's first item and the outage check are allowed.
		`aup_verdicts_total{action="block",category="sexual"}`:                                               5,
		`aup_verdicts_total{action="allow",category="none"}`:                                                 2,
		`aup_verdict_cache_lookups_total{result="hit",tier="local"}`:                                         3,
		`aup_http_request_duration_seconds_count{method="POST",route="/v1/check",status="200"}`:              3,
		`aup_http_request_duration_seconds_count{method="GET",route="/v1/reports/:id",status="200"}`:         1,
		`aup_http_request_duration_seconds_count{method="POST",route="/v1/admin/rules/reload",status="400"}`: 1,
		fmt.Sprintf(`aup_review_queue_cases{lane=%q}`, c.Lane):                                               1,
		`aup_rules_reloads_total{result="ok"}`:                                                               1,
		`aup_rules_reloads_total{result="refused"}`:                                                          1,
		`aup_classifier_calls_total{status="unavailable"}`:                                                   1,
		`aup_review_metrics_errors_total{source="queues"}`:                                                   0,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	for _, series := range []string{`aup_verdict_cache_lookups_total{result="miss",tier="local"}`, "aup_language_detection_seconds_count"} {
		if m[series] < 1 {
			t.Errorf("%s = %v, want at least 1", series, m[series])
		}
	}
	for series := range m {
		if strings.Contains(series, rc.ID) || strings.Contains(series, rc.CaseID) {
			t.Errorf("an id reached a label: %s", series)
		}
	}
}

// scrapeMetrics reads GET /metrics with the metrics key and returns each
// series' value by its name and labels.
func scrapeMetrics(t *testing.T, base string) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if strings.HasPrefix(line, "#") || i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}
