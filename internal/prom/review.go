package prom

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// DefaultReviewTimeout bounds each read of a scrape when
// ReviewConfig.Timeout is zero.
const DefaultReviewTimeout = 2 * time.Second

// ReviewConfig says what Review reads.
type ReviewConfig struct {
	// Queues returns every lane's queue (review.Desk.Queues). Required.
	Queues func(context.Context) ([]review.LaneStats, error)
	// Pending returns how many webhook events wait for delivery
	// (review.Desk.Outbox().Pending); nil when there are no webhooks.
	Pending func(context.Context) (int, error)
	// Timeout bounds each read (default DefaultReviewTimeout): a store
	// that hangs costs a scrape at most this much per read.
	Timeout time.Duration
	// Logger receives a warning per failed read (default: none).
	Logger *slog.Logger
	// Now is the clock the ages are measured on (default time.Now).
	Now func() time.Time
}

// Review is a prometheus.Collector over the review desk: it reads the
// lanes' queues, and the webhook backlog, at each scrape. A read that fails
// leaves its series out of that scrape and counts an error, so that the
// other metrics are still scraped while the store is down.
type Review struct {
	cfg                   ReviewConfig
	open, oldest, pending *prometheus.Desc
	errors                *prometheus.Desc
	queueErrs, outboxErrs atomic.Uint64
}

// NewReview returns the collector and registers it with reg, when it is not
// nil. It panics without cfg.Queues, as MustRegister does on a mistake in
// the wiring.
func NewReview(reg prometheus.Registerer, cfg ReviewConfig) *Review {
	if cfg.Queues == nil {
		panic("prom: ReviewConfig.Queues is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultReviewTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Review{
		cfg: cfg,
		open: prometheus.NewDesc("aup_review_queue_cases",
			"Open review cases waiting in each lane.", []string{"lane"}, nil),
		oldest: prometheus.NewDesc("aup_review_queue_oldest_age_seconds",
			"How long the oldest open case of each lane has waited (0 when the lane is empty).", []string{"lane"}, nil),
		pending: prometheus.NewDesc("aup_webhook_events_pending",
			"Webhook events waiting in the outbox for delivery.", nil, nil),
		errors: prometheus.NewDesc("aup_review_metrics_errors_total",
			"Reads of the review store for these metrics that failed, by source: queues or outbox.", []string{"source"}, nil),
	}
	if reg != nil {
		reg.MustRegister(r)
	}
	return r
}

// Describe implements prometheus.Collector.
func (r *Review) Describe(ch chan<- *prometheus.Desc) {
	ch <- r.open
	ch <- r.oldest
	if r.cfg.Pending != nil {
		ch <- r.pending
	}
	ch <- r.errors
}

// Collect implements prometheus.Collector.
func (r *Review) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
	lanes, err := r.cfg.Queues(ctx)
	cancel()
	if err != nil {
		r.queueErrs.Add(1)
		r.cfg.Logger.Warn("review queue metrics unavailable", moderation.ErrorAttrs(err)...)
		lanes = nil
	}
	now := r.cfg.Now()
	for _, l := range lanes {
		age := 0.0
		if !l.Oldest.IsZero() && l.Open > 0 {
			age = max(now.Sub(l.Oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(r.open, prometheus.GaugeValue, float64(l.Open), string(l.Lane))
		ch <- prometheus.MustNewConstMetric(r.oldest, prometheus.GaugeValue, age, string(l.Lane))
	}
	if r.cfg.Pending != nil {
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
		n, err := r.cfg.Pending(ctx)
		cancel()
		if err != nil {
			r.outboxErrs.Add(1)
			r.cfg.Logger.Warn("webhook backlog metric unavailable", moderation.ErrorAttrs(err)...)
		} else {
			ch <- prometheus.MustNewConstMetric(r.pending, prometheus.GaugeValue, float64(n))
		}
	}
	ch <- prometheus.MustNewConstMetric(r.errors, prometheus.CounterValue, float64(r.queueErrs.Load()), "queues")
	if r.cfg.Pending != nil {
		ch <- prometheus.MustNewConstMetric(r.errors, prometheus.CounterValue, float64(r.outboxErrs.Load()), "outbox")
	}
}
