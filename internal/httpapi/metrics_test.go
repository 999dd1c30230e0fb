package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aup-dev/aup/internal/httpapi"
)

var metricsKey = httpapi.Key{Name: "prometheus", Role: httpapi.RoleMetrics, Secret: "metrics-secret-0123456789"}

// metricsHandler is a Prometheus exposition over a fresh registry with one
// counter, as cmd builds one over its own.
func metricsHandler(t *testing.T) http.Handler {
	t.Helper()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "aup_test_checks_total", Help: "Checks in this test."})
	reg.MustRegister(c)
	c.Add(3)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

func TestMetrics(t *testing.T) {
	ts := startServer(t, func(c *httpapi.Config) {
		c.Keys = append(c.Keys, metricsKey)
		c.Metrics = metricsHandler(t)
	})
	for _, key := range []httpapi.Key{metricsKey, adminKey} {
		t.Run(key.Role+" key scrapes", func(t *testing.T) {
			res := ts.do(t, request{method: http.MethodGet, path: "/metrics", key: key.Secret})
			if res.status != http.StatusOK {
				t.Fatalf("status = %d; body %s", res.status, res.body)
			}
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q, want the text exposition format", ct)
			}
			if !strings.Contains(string(res.body), "aup_test_checks_total 3") {
				t.Errorf("body lacks the counter:\n%s", res.body)
			}
		})
	}
	tests := []struct {
		name   string
		method string
		path   string
		key    string
		body   string
		status int
		code   string
		msg    string
	}{
		{"backend key", http.MethodGet, "/metrics", backendKey.Secret, "", 403, "forbidden", "key 'backend-svc' (role backend) may not call GET /metrics"},
		{"moderator key", http.MethodGet, "/metrics", moderatorKey.Secret, "", 403, "forbidden", "may not call GET /metrics"},
		{"no key", http.MethodGet, "/metrics", "", "", 401, "unauthorized", "missing API key"},
		{"metrics key on a check", http.MethodPost, "/v1/check", metricsKey.Secret, `{"text":"a"}`, 403, "forbidden", "key 'prometheus' (role metrics) may not call POST /v1/check"},
		{"metrics key on moderations", http.MethodPost, "/v1/moderations", metricsKey.Secret, `{"input":"a"}`, 403, "forbidden", "may not call POST /v1/moderations"},
		{"metrics key on a reload", http.MethodPost, "/v1/admin/rules/reload", metricsKey.Secret, "", 403, "forbidden", "may not call"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := request{method: tc.method, path: tc.path, key: tc.key}
			if tc.body != "" {
				r.body = strings.NewReader(tc.body)
			}
			wantError(t, ts.do(t, r), tc.status, tc.code, tc.msg)
		})
	}
}

func TestMetricsNotMounted(t *testing.T) {
	ts := startServer(t, func(c *httpapi.Config) { c.Keys = append(c.Keys, metricsKey) })
	res := ts.do(t, request{method: http.MethodGet, path: "/metrics", key: adminKey.Secret})
	wantError(t, res, http.StatusNotFound, "not_found", "no such endpoint")
}

func TestParseKeysMetricsRole(t *testing.T) {
	const secret = "s3cret-0123456789abcdef"
	keys, err := httpapi.ParseKeys("prom:metrics:" + secret)
	if err != nil || len(keys) != 1 || keys[0].Role != httpapi.RoleMetrics {
		t.Errorf("ParseKeys = %v, %v; want one metrics key", keys, err)
	}
	_, err = httpapi.ParseKeys("prom:scraper:" + secret)
	if err == nil || !strings.Contains(err.Error(), "the role must be backend, moderator or admin, or metrics for a key that may only scrape /metrics") {
		t.Errorf("unknown role: error %v, want one listing the roles", err)
	}
}
