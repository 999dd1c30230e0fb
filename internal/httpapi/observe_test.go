package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/prom"
)

// TestObserverMetrics runs the API with cmd's Prometheus metrics and
// scrapes them through GET /metrics after real requests.
func TestObserverMetrics(t *testing.T) {
	var ds *deskServer
	ds = startDesk(t, nil, func(c *httpapi.Config) {
		reg := prometheus.NewRegistry()
		c.Observer = prom.NewMetrics(reg)
		prom.NewReview(reg, prom.ReviewConfig{Queues: c.Desk.Queues, Pending: c.Desk.Outbox().Pending,
			Now: func() time.Time { return ds.clock.Now() }})
		c.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		c.Keys = append(c.Keys, metricsKey)
	})
	scrape := func(t *testing.T) string {
		t.Helper()
		res := ds.get(t, "/metrics", metricsKey.Secret)
		if res.status != http.StatusOK {
			t.Fatalf("scrape: %d %s", res.status, res.body)
		}
		return string(res.body)
	}
	want := func(t *testing.T, exposition string, series ...string) {
		t.Helper()
		for _, s := range series {
			if !strings.Contains(exposition, "\n"+s+"\n") {
				t.Errorf("/metrics lacks %s", s)
			}
		}
	}

	// Verdicts: a check that blocks, a batch, OpenAI's endpoint, and a
	// check refused before screening, which counts no verdict.
	ds.check(t, `{"text":"you `+flaggedWord+`"}`)
	ds.post(t, "/v1/check/batch", backendKey.Secret, `{"items":[{"text":"fine"},{"text":"`+flaggedWord+`"},{"text":"`+reviewWord+`"}]}`)
	ds.post(t, "/v1/moderations", backendKey.Secret, `{"input":["`+flaggedWord+`","fine"]}`)
	wantError(t, ds.post(t, "/v1/check", backendKey.Secret, `{"txt":"typo"}`), http.StatusBadRequest, "invalid")
	exp := scrape(t)
	want(t, exp,
		`aup_verdicts_total{action="block",category="harassment"} 3`,
		`aup_verdicts_total{action="review",category="harassment"} 1`,
		`aup_verdicts_total{action="allow",category="none"} 2`,
		`aup_verdicts_total{action="block",category="hate"} 0`,
		`aup_http_request_duration_seconds_count{method="POST",route="/v1/check",status="200"} 1`,
		`aup_http_request_duration_seconds_count{method="POST",route="/v1/check",status="400"} 1`,
		`aup_http_request_duration_seconds_count{method="POST",route="/v1/check/batch",status="200"} 1`,
		`aup_http_request_duration_seconds_count{method="POST",route="/v1/moderations",status="200"} 1`,
		`aup_rules_reloads_total{result="ok"} 0`,
	)

	// Queues: a report opens a case; the lane's depth and its oldest
	// case's age follow the desk's clock.
	rc := ds.report(t, "r1", "note-1", "author-1", "harassment")
	lane := ds.caseView(t, rc.CaseID).Lane
	ds.clock.Advance(90 * time.Second)
	pending, err := ds.desk.Outbox().Pending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	exp = scrape(t)
	want(t, exp,
		fmt.Sprintf(`aup_review_queue_cases{lane=%q} 1`, lane),
		fmt.Sprintf(`aup_review_queue_oldest_age_seconds{lane=%q} 90`, lane),
		fmt.Sprintf(`aup_webhook_events_pending %d`, pending),
		`aup_review_metrics_errors_total{source="queues"} 0`,
	)
	for _, l := range []string{"urgent", "high", "normal", "low"} {
		if l != lane {
			want(t, exp, fmt.Sprintf(`aup_review_queue_cases{lane=%q} 0`, l))
		}
	}

	// Routes: the template, never the raw path; a path no route matches
	// and a method no one knows are one label value each.
	if res := ds.get(t, "/v1/reports/"+rc.ID, backendKey.Secret); res.status != http.StatusOK {
		t.Fatalf("get report: %d", res.status)
	}
	ds.get(t, "/no/such/"+rc.ID, backendKey.Secret)
	ds.call(t, "BREW", "/v1/check", backendKey.Secret, "", nil)
	exp = scrape(t)
	want(t, exp,
		`aup_http_request_duration_seconds_count{method="GET",route="/v1/reports/:id",status="200"} 1`,
		`aup_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1`,
		`aup_http_request_duration_seconds_count{method="other",route="/v1/check",status="405"} 1`,
		`aup_http_request_duration_seconds_count{method="GET",route="/metrics",status="200"} 2`,
	)
	if strings.Contains(exp, rc.ID) {
		t.Errorf("a report id reached a label:\n%s", exp)
	}
}
