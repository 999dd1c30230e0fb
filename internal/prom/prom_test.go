package prom_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/prom"
	"github.com/aup-dev/aup/internal/review"
)

// scrape returns reg's exposition, read through a real listener.
func scrape(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	ts := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer ts.Close()
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("scrape: %d %v\n%s", resp.StatusCode, err, body)
	}
	return string(body)
}

func wantSeries(t *testing.T, exposition string, series ...string) {
	t.Helper()
	for _, s := range series {
		if !strings.Contains(exposition, "\n"+s+"\n") {
			t.Errorf("exposition lacks %s", s)
		}
	}
}

func TestVerdictLabels(t *testing.T) {
	cs := func(c moderation.Category, score float64, a moderation.Action) moderation.CategoryScore {
		return moderation.CategoryScore{Category: c, Score: score, Action: a}
	}
	tests := []struct {
		name string
		v    moderation.Verdict
		want string
	}{
		{"allow", moderation.Verdict{Action: moderation.Allow, Categories: []moderation.CategoryScore{cs(moderation.Profanity, 0.4, moderation.Allow)}},
			`aup_verdicts_total{action="allow",category="none"} 1`},
		{"the highest category at the verdict's action", moderation.Verdict{Action: moderation.Block, Categories: []moderation.CategoryScore{
			cs(moderation.Profanity, 0.95, moderation.Allow), cs(moderation.Violence, 0.6, moderation.Review),
			cs(moderation.Hate, 0.9, moderation.Block), cs(moderation.Harassment, 0.97, moderation.Block)}},
			`aup_verdicts_total{action="block",category="harassment"} 1`},
		{"a category without its own action", moderation.Verdict{Action: moderation.Review, Categories: []moderation.CategoryScore{cs(moderation.Sexual, 0.7, "")}},
			`aup_verdicts_total{action="review",category="sexual"} 1`},
		{"no category", moderation.Verdict{Action: moderation.Review},
			`aup_verdicts_total{action="review",category="none"} 1`},
		{"an unknown category", moderation.Verdict{Action: moderation.Block, Categories: []moderation.CategoryScore{cs("telepathy", 0.9, moderation.Block)}},
			`aup_verdicts_total{action="block",category="other"} 1`},
		{"an unknown action", moderation.Verdict{Action: "quarantine"},
			`aup_verdicts_total{action="other",category="none"} 1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			prom.NewMetrics(reg).Verdict(tc.v)
			wantSeries(t, scrape(t, reg), tc.want)
		})
	}
}

func TestRequestLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := prom.NewMetrics(reg)
	m.Request(http.MethodPost, "/v1/check", 200, 3*time.Millisecond)
	m.Request("GET", "", 404, time.Millisecond)
	m.Request("BREW", "/v1/check", 405, time.Millisecond)
	m.CacheLookup("local", "hit")
	m.Detected(7 * time.Microsecond)
	m.Reloaded(nil)
	m.Reloaded(errors.New("rules/en/hate.rules:3: bad"))
	m.Reloaded(errors.New("again"))
	wantSeries(t, scrape(t, reg),
		`aup_http_request_duration_seconds_bucket{method="POST",route="/v1/check",status="200",le="0.0025"} 0`,
		`aup_http_request_duration_seconds_bucket{method="POST",route="/v1/check",status="200",le="0.005"} 1`,
		`aup_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1`,
		`aup_http_request_duration_seconds_count{method="other",route="/v1/check",status="405"} 1`,
		`aup_verdict_cache_lookups_total{result="hit",tier="local"} 1`,
		`aup_language_detection_seconds_bucket{le="1e-05"} 1`,
		`aup_language_detection_seconds_count 1`,
		`aup_rules_reloads_total{result="ok"} 1`,
		`aup_rules_reloads_total{result="refused"} 2`,
	)
}

func TestReview(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var queuesErr, pendingErr error
	reg := prometheus.NewRegistry()
	prom.NewReview(reg, prom.ReviewConfig{
		Queues: func(ctx context.Context) ([]review.LaneStats, error) {
			if _, ok := ctx.Deadline(); !ok {
				t.Error("Queues called without a deadline")
			}
			return []review.LaneStats{
				{Lane: moderation.LaneUrgent},
				{Lane: moderation.LaneNormal, Open: 3, Oldest: now.Add(-90 * time.Minute)},
			}, queuesErr
		},
		Pending: func(context.Context) (int, error) { return 7, pendingErr },
		Now:     func() time.Time { return now },
	})
	wantSeries(t, scrape(t, reg),
		`aup_review_queue_cases{lane="urgent"} 0`,
		`aup_review_queue_oldest_age_seconds{lane="urgent"} 0`,
		`aup_review_queue_cases{lane="normal"} 3`,
		`aup_review_queue_oldest_age_seconds{lane="normal"} 5400`,
		`aup_webhook_events_pending 7`,
		`aup_review_metrics_errors_total{source="queues"} 0`,
	)

	// The store is down: those series are left out, the scrape still
	// answers, and the errors are counted.
	queuesErr = errors.New("redis: connection refused")
	pendingErr = queuesErr
	exp := scrape(t, reg)
	wantSeries(t, exp,
		`aup_review_metrics_errors_total{source="queues"} 1`,
		`aup_review_metrics_errors_total{source="outbox"} 1`,
	)
	if strings.Contains(exp, "aup_review_queue_cases{") || strings.Contains(exp, "aup_webhook_events_pending ") {
		t.Errorf("series of a failed read were exposed:\n%s", exp)
	}
}
