package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/console"
	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/hashbank"
	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/prom"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/review"
	"github.com/aup-dev/aup/internal/upload"
	"github.com/aup-dev/aup/internal/webhook"
)

// serve runs the HTTP service until ctx is cancelled, then drains in-flight
// requests for up to cfg.Shutdown.
func serve(ctx context.Context, cfg *config, args []string, stderr io.Writer) error {
	if len(args) > 0 {
		return usageError("aup serve takes no arguments; configure it with AUP_* variables")
	}
	start := time.Now()
	log := slog.New(httpapi.LogHandler(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})))
	addr, err := cfg.listenAddr()
	if err != nil {
		return err
	}
	gogc := os.Getenv("GOGC") // read by the runtime, not an AUP_ setting
	if gogc == "" {
		debug.SetGCPercent(gcPercent)
		gogc = strconv.Itoa(gcPercent)
	}
	log.Info("starting aup", "config", cfg, "gogc", gogc)
	if len(cfg.Keys) == 0 {
		log.Warn("no API keys configured: development mode, listening on loopback only and treating loopback callers as admin; set AUP_API_KEYS before exposing aup", "addr", addr)
	}

	hup := make(chan os.Signal, 1) // from now on SIGHUP reloads instead of killing
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	var local, shared moderation.VerdictCache
	if cfg.CacheEntries > 0 {
		local = memstore.NewCache(cfg.CacheEntries)
	}
	var waves moderation.WaveCounter
	var store moderation.Pinger
	var records review.Store
	if cfg.RedisURL == "" {
		log.Warn("AUP_REDIS_URL is not set: using the embedded in-memory store; it is NOT durable and not shared between instances")
		// A wave needs only a handful of users to be seen, so cap what is
		// counted: at most 20,000 texts x 100 users (about 200 MB worst case).
		w := memstore.NewWaveCounter(20_000, 100)
		waves, store = w, w
		records = memstore.NewRecords()
		if cfg.PseudonymKey == "" {
			log.Info("AUP_PSEUDONYM_KEY is not set: pseudonyms are keyed with a random key that lasts as long as this process, like the in-memory store")
		}
	} else {
		client, err := redisstore.ParseURL(cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("AUP_REDIS_URL: %w", err)
		}
		defer client.Close()
		// While Redis is down, checks skip it at once rather than each
		// paying a dial, a retry and a timeout per call.
		client.AddHook(redisstore.NewBreaker(redisBreakerFailures, redisBreakerCooldown))
		if _, ok := client.(*redis.ClusterClient); ok {
			log.Info("AUP_REDIS_URL names a Redis Cluster: the review records share the hash slot of {aup}, on one node; the verdict cache and wave counts spread over the nodes")
		}
		rs := redisstore.New(client, "aup:").WithUserKey([]byte(cfg.PseudonymKey))
		shared, waves, store = rs, rs, rs
		records = redisstore.NewRecords(client, "aup:")
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := rs.Ping(pctx); err != nil {
			log.Warn("redis is not reachable yet; /readyz reports it until it is", moderation.ErrorAttrs(err)...)
		}
		cancel()
	}

	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cl, err := cfg.classifier(log, metrics)
	if err != nil {
		return err
	}
	observer := prom.NewMetrics(metrics)
	eng, err := newEngine(cfg, log, local, shared, waves, cl, observer)
	if err != nil {
		return err
	}
	reloader := &rulesReloader{cfg: cfg, eng: eng, log: log, metrics: observer}
	var dispatcher *webhook.Dispatcher
	desk, err := review.New(review.Config{
		Store:           records,
		Screener:        eng,
		Lease:           cfg.Lease,
		StrikeWindow:    cfg.StrikeWindow,
		StrikeThreshold: cfg.StrikeThreshold,
		AppealWindow:    cfg.AppealWindow,
		ReportLimit:     cfg.ReportLimit,
		ReportWindow:    cfg.ReportWindow,
		UploadMemory:    cfg.UploadMemory,
		PseudonymKey:    []byte(cfg.PseudonymKey),
		Retention:       cfg.Retention,
		Events:          cfg.WebhookURL != "",
		Notify: func() {
			if dispatcher != nil {
				dispatcher.Notify()
			}
		},
		Logger: log,
	})
	if err != nil {
		return err
	}
	rc := prom.ReviewConfig{Queues: desk.Queues, Logger: log}
	if cfg.WebhookURL != "" {
		rc.Pending = desk.Outbox().Pending
	}
	prom.NewReview(metrics, rc)
	if cfg.WebhookURL != "" {
		dispatcher, err = webhook.New(webhook.Config{Outbox: desk.Outbox(), URL: cfg.WebhookURL, Secret: []byte(cfg.WebhookSecret), Logger: log})
		if err != nil {
			return fmt.Errorf("webhook: %w", err)
		}
	}
	banks := new(hashbank.Index)
	bankSync := hashbank.NewSyncer(desk, banks, log)
	if err := bankSync.Refresh(ctx); err != nil {
		log.Warn("the hash banks could not be loaded yet; uploads match no bank until they are", moderation.ErrorAttrs(err)...)
	}
	uc := upload.Config{Screener: eng, Banks: banks, TempDir: cfg.UploadDir}
	if cl != nil && cl.Images() {
		uc.ClassifyImages = classifyImages
	}
	scanner, err := upload.New(uc)
	if err != nil {
		return err
	}
	con, err := console.New(console.Config{
		Desk: desk, Screener: eng, Keys: httpapi.NewKeyring(cfg.Keys), Sessions: records,
		SessionTTL: cfg.ConsoleSession, MaxTextBytes: cfg.MaxTextBytes, Logger: log,
	})
	if err != nil {
		return err
	}
	api, err := httpapi.New(httpapi.Config{
		Screener:       eng,
		Reloader:       reloader,
		Ready:          map[string]httpapi.Checker{"store": pingCheck{store}, "rules": rulesCheck{eng}},
		Keys:           cfg.Keys,
		MaxTextBytes:   cfg.MaxTextBytes,
		Desk:           desk,
		BanksChanged:   bankSync.Changed,
		Uploads:        scanner,
		MaxUploadBytes: int64(cfg.MaxUploadBytes),
		UploadDir:      cfg.UploadDir,
		Metrics:        promhttp.HandlerFor(metrics, promhttp.HandlerOpts{}),
		Observer:       observer,
		Console:        con,
		RateLimit:      cfg.RateLimit,
		RateWindow:     cfg.RateWindow,
		RateStore:      records,
		MaxInFlight:    cfg.MaxInFlight,
		Logger:         log,
	})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	log.Info("aup is serving", "addr", ln.Addr().String(), "policy_version", eng.PolicyVersion(), "startup", time.Since(start).String())

	go func() {
		for {
			select {
			case <-hup:
				_, _ = reloader.Reload(ctx)
			case <-ctx.Done():
				return
			}
		}
	}()

	// Background work stops only after the listener has drained, so that
	// nothing a request queued waits for a restart that need not come.
	bctx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	var background sync.WaitGroup
	background.Go(func() { expireLeases(bctx, desk, log) })
	background.Go(func() { desk.RunJobs(bctx, jobInterval) })
	background.Go(func() { bankSync.Run(bctx, bankInterval) })
	background.Go(func() { desk.RunPurge(bctx, cfg.PurgeInterval) })
	if dispatcher != nil {
		background.Go(func() { _ = dispatcher.Run(bctx) })
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", cfg.Shutdown.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	stopBackground()
	background.Wait()
	log.Info("stopped")
	return nil
}

// leaseInterval is how often expired leases are returned to the queue, so
// that listings show them; claims do it themselves as well.
const leaseInterval = 15 * time.Second

// gcPercent is the GOGC aup serves with when GOGC is not set. Its live heap
// is mostly rules and language models (about 100 MB), so Go's default of 100
// lets as much garbage again pile up between collections: screening one
// 50 MB upload raised the resident memory by up to 70 MB. At 50 the
// collector runs twice as often and the rise stays within 64 MB.
const gcPercent = 50

// classifyImages is how many images of an upload the hosted classifier is
// shown, when it takes images: each is a request.
const classifyImages = 4

// bankInterval is how often the hash banks are checked for changes made
// through other instances; changes made through this one apply at once.
const bankInterval = 10 * time.Second

// jobInterval is how often follow-up work queued by other instances (or left
// by one that stopped) is looked for; this instance's own runs at once.
const jobInterval = 5 * time.Second

func expireLeases(ctx context.Context, desk *review.Desk, log *slog.Logger) {
	t := time.NewTicker(leaseInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := desk.ExpireLeases(ctx); err != nil && ctx.Err() == nil {
				log.Warn("returning expired leases to the queue failed; retrying", moderation.ErrorAttrs(err)...)
			}
		}
	}
}

// rulesReloader reloads the rules folder on SIGHUP and on the admin endpoint.
type rulesReloader struct {
	cfg     *config
	eng     *engine.Engine
	log     *slog.Logger
	metrics *prom.Metrics
}

func (r *rulesReloader) Reload(ctx context.Context) (string, error) {
	old := r.eng.PolicyVersion()
	v, err := r.eng.Load(r.cfg.rulesFS())
	r.metrics.Reloaded(err)
	if err != nil {
		r.log.ErrorContext(ctx, "rules reload refused; the rules in force stay", "policy_version", old, "err", err)
		return "", err
	}
	r.log.InfoContext(ctx, "rules reloaded", "policy_version", v, "previous", old)
	return v, nil
}

type pingCheck struct{ p moderation.Pinger }

func (c pingCheck) Check(ctx context.Context) error { return c.p.Ping(ctx) }

// rulesCheck reports whether rules are in force. They are loaded before the
// listener opens, so this fails only if that order is ever broken.
type rulesCheck struct{ eng *engine.Engine }

func (c rulesCheck) Check(context.Context) error {
	if c.eng.PolicyVersion() == "" {
		return errors.New("no rules loaded")
	}
	return nil
}
