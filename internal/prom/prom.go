// Package prom exposes aup's measurements to Prometheus: Metrics implements
// the observers of the engine (engine.Observer) and of the HTTP API
// (httpapi.Observer) over client_golang collectors, and Review reads the
// review desk's queues at scrape time. Every label value is bounded: route
// templates, status codes, methods, actions, categories, cache tiers and
// lanes, never an id or anything else a caller chooses.
package prom

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aup-dev/aup/internal/moderation"
)

// Label values for what falls outside the bounded sets.
const (
	// Unmatched is the route of requests no route matched.
	Unmatched = "unmatched"
	// Other is a method, action or category outside the known ones.
	Other = "other"
	// None is the category of a verdict no category decided (allow).
	None = "none"
)

// Metrics are the counts of the API and the engine: requests, verdicts,
// verdict-cache lookups, language detection and rule reloads. Its methods
// are safe for concurrent use.
type Metrics struct {
	requests *prometheus.HistogramVec // by method, route, status
	verdicts *prometheus.CounterVec   // by action, category
	lookups  *prometheus.CounterVec   // by tier, result
	detect   prometheus.Histogram
	reloads  *prometheus.CounterVec // by result: ok, refused
}

// NewMetrics creates the metrics and registers them with reg, when it is
// not nil.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "aup_http_request_duration_seconds",
			Help:    "HTTP requests served, by method, route template (unmatched when no route matched) and status: how long they took.",
			Buckets: []float64{.00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60}}, []string{"method", "route", "status"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aup_verdicts_total",
			Help: "Verdicts the API returned (checks, batch items, moderation inputs, uploads), by action and the category that decided it (the highest scored at the verdict's action; none for allow)."}, []string{"action", "category"}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aup_verdict_cache_lookups_total",
			Help: "Verdict-cache lookups, by tier (local, then shared on a local miss) and result: hit, miss or error."}, []string{"tier", "result"}),
		detect: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "aup_language_detection_seconds",
			Help:    "Duration of language detection, once per text screened that no cache held.",
			Buckets: []float64{.000002, .000005, .00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .01}}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aup_rules_reloads_total",
			Help: "Rule reloads (admin endpoint or SIGHUP), by result: ok, or refused (the rules in force stay)."}, []string{"result"}),
	}
	// Series that exist from the start, so that rates and increases see
	// their first event.
	m.verdicts.WithLabelValues(string(moderation.Allow), None)
	for _, a := range []moderation.Action{moderation.Review, moderation.Block} {
		for _, c := range moderation.Categories {
			m.verdicts.WithLabelValues(string(a), string(c))
		}
	}
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("refused")
	if reg != nil {
		reg.MustRegister(m.requests, m.verdicts, m.lookups, m.detect, m.reloads)
	}
	return m
}

// Request counts one HTTP request (httpapi.Observer).
func (m *Metrics) Request(method, route string, status int, elapsed time.Duration) {
	if route == "" {
		route = Unmatched
	}
	m.requests.WithLabelValues(methodLabel(method), route, strconv.Itoa(status)).Observe(elapsed.Seconds())
}

// methodLabel bounds the method label: a client may send any token.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return Other
}

// Verdict counts one verdict the API returned (httpapi.Observer).
func (m *Metrics) Verdict(v moderation.Verdict) {
	action := Other
	switch v.Action {
	case moderation.Allow, moderation.Review, moderation.Block:
		action = string(v.Action)
	}
	m.verdicts.WithLabelValues(action, deciding(v)).Inc()
}

// deciding is the category that decided v: of the categories whose own
// action is v's (or unset, as some upload signals leave it), the highest
// scored, the first of equals. An allow, or a verdict with no such
// category, has none.
func deciding(v moderation.Verdict) string {
	if v.Action == moderation.Allow {
		return None
	}
	best := -1
	for i, cs := range v.Categories {
		if (cs.Action == v.Action || cs.Action == "") && (best < 0 || cs.Score > v.Categories[best].Score) {
			best = i
		}
	}
	switch {
	case best < 0:
		return None
	case !v.Categories[best].Category.Valid():
		return Other
	}
	return string(v.Categories[best].Category)
}

// CacheLookup counts one verdict-cache lookup (engine.Observer).
func (m *Metrics) CacheLookup(tier, result string) {
	m.lookups.WithLabelValues(tier, result).Inc()
}

// Detected times one language detection (engine.Observer).
func (m *Metrics) Detected(elapsed time.Duration) {
	m.detect.Observe(elapsed.Seconds())
}

// Reloaded counts a rule reload that ended with err (nil: in force).
func (m *Metrics) Reloaded(err error) {
	result := "ok"
	if err != nil {
		result = "refused"
	}
	m.reloads.WithLabelValues(result).Inc()
}
