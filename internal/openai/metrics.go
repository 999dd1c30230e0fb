package openai

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the classifier's counts for Prometheus: what it costs
// (requests, inputs, tokens) and how it fares (outcomes, latency, breaker).
type Metrics struct {
	calls       *prometheus.CounterVec // by status: ok, unavailable
	unavailable *prometheus.CounterVec // by reason
	requests    *prometheus.CounterVec // HTTP requests, by outcome
	inputs      *prometheus.CounterVec // by type: text, image
	tokens      *prometheus.CounterVec // by kind: prompt, completion
	latency     prometheus.Histogram
	breakerOpen prometheus.Gauge
}

// NewMetrics creates the classifier's metrics and registers them with reg,
// when it is not nil.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aup_classifier_calls_total",
			Help: "Classifier calls (one per text or image screened), by status: ok or unavailable."}, []string{"status"}),
		unavailable: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aup_classifier_unavailable_total",
			Help: "Classifier calls without an answer, by reason: timeout, rate_limited, circuit_open, capped, error."}, []string{"reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aup_classifier_requests_total",
			Help: "HTTP requests sent to the model API, retries included, by outcome."}, []string{"outcome"}),
		inputs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aup_classifier_inputs_total",
			Help: "Inputs sent to the model API, by type: text (pieces) or image."}, []string{"type"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aup_classifier_tokens_total",
			Help: "Tokens the model API reported using, by kind: prompt or completion (the moderation endpoint reports none)."}, []string{"kind"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "aup_classifier_request_seconds",
			Help: "Duration of HTTP requests to the model API.", Buckets: []float64{.025, .05, .1, .25, .5, 1, 2, 4, 8}}),
		breakerOpen: prometheus.NewGauge(prometheus.GaugeOpts{Name: "aup_classifier_breaker_open",
			Help: "1 while the circuit breaker stops calls to the model, else 0."}),
	}
	if reg != nil {
		reg.MustRegister(m.calls, m.unavailable, m.requests, m.inputs, m.tokens, m.latency, m.breakerOpen)
	}
	return m
}
