package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// Screener screens one piece of content. It is the engine's entry point.
// Implementations must be safe for concurrent use. Errors are *moderation.Error
// (EUNAVAILABLE when a dependency is down, EINVALID for content the engine
// refuses); any other error is answered with 500 and logged, so errors must
// never contain the content's text.
type Screener interface {
	Screen(ctx context.Context, c moderation.Content) (moderation.Verdict, error)
}

// Reloader reloads the rule lists (an admin action) and returns the new
// policy version. A broken rule file is reported as *moderation.Error
// EINVALID whose message names file:line; the message is sent to the admin.
type Reloader interface {
	Reload(ctx context.Context) (policyVersion string, err error)
}

// Checker is one readiness check (rules loaded, store reachable). A non-nil
// error means not ready; it is logged, and only the check's name is sent.
type Checker interface {
	Check(ctx context.Context) error
}

// Defaults for the zero values of Config.
const (
	DefaultMaxTextBytes = 64 << 10
	DefaultMaxBatch     = 100
	DefaultReadyTimeout = 2 * time.Second
)

// Config configures a Server. Screener and Reloader are required.
type Config struct {
	Screener Screener
	Reloader Reloader
	// Ready are the readiness checks behind GET /readyz, by name. The names
	// are sent to callers when a check fails.
	Ready map[string]Checker
	// Keys are the API keys. None means development mode: loopback callers
	// are admin, everyone else is refused.
	Keys []Key
	// MaxTextBytes is the longest text accepted (default 64 KiB). Request
	// body limits are derived from it.
	MaxTextBytes int
	// MaxBatch is the most items in one batch request (default 100).
	MaxBatch int
	// BatchConcurrency is how many items of one batch are screened at once
	// (default GOMAXPROCS).
	BatchConcurrency int
	// ReadyTimeout bounds each readiness check (default 2s).
	ReadyTimeout time.Duration
	// Desk is the review desk: reports, the review queue, decisions,
	// suspensions, appeals and the audit log. Without one those endpoints
	// are not mounted and checks neither open cases nor report suspensions.
	Desk *review.Desk
	// Uploads screens files for POST /v1/check/upload; without it the
	// endpoint is not mounted. MaxUploadBytes is the largest file accepted
	// (default 64 MiB), UploadTimeout how long one upload may take to
	// arrive and be screened (default 5 minutes), UploadsInProgress how
	// many may be in progress at once (default 16; more are refused with
	// 503, as checks beyond MaxInFlight are), and UploadDir where they are
	// spooled ("" is os.TempDir()).
	Uploads           UploadScanner
	MaxUploadBytes    int64
	UploadTimeout     time.Duration
	UploadsInProgress int
	UploadDir         string
	// BanksChanged is called after a hash bank changed through this server,
	// so that the matching index is rebuilt now rather than at its next poll.
	// It must not block.
	BanksChanged func()
	// Metrics serves GET /metrics (Prometheus exposition) to metrics and
	// admin keys; without it the endpoint is not mounted.
	Metrics http.Handler
	// Observer receives every request and every verdict served, for
	// metrics. Optional.
	Observer Observer
	// Console serves the moderator console under /console (it signs its
	// users in itself); without it the console is not mounted.
	Console http.Handler
	// RateLimit is how many requests each API key (by name) may make per
	// RateWindow (default 1s); 0 means no limit. More are refused with 429
	// and Retry-After. The requests are counted in RateStore (required with
	// a limit), so instances that share a store share the limit; when it
	// cannot be reached, requests are served without counting.
	RateLimit  int
	RateWindow time.Duration
	RateStore  Counter
	// MaxInFlight is how many checks (/v1/check, /v1/check/batch,
	// /v1/moderations) are served at once (default DefaultMaxInFlight);
	// more are refused at once with 503 and Retry-After.
	MaxInFlight int
	// Logger receives the access log and errors (default slog.Default()). It
	// is wrapped with LogHandler.
	Logger *slog.Logger
}

// Server is the HTTP API. Its Handler is safe for concurrent use.
type Server struct {
	echo          *echo.Echo
	log           *slog.Logger
	screener      Screener
	reloader      Reloader
	desk          *review.Desk
	observer      Observer
	banksChanged  func()
	ready         map[string]Checker
	readyTimeout  time.Duration
	keys          *Keyring
	maxText       int
	maxBatch      int
	concurrency   int
	scanner       UploadScanner
	maxUpload     int64
	uploadTimeout time.Duration
	uploads       *gate // a slot per upload in progress
	uploadDir     string
	checkLimit    int64            // body limit of POST /v1/check
	batchLimit    int64            // body limit of POST /v1/check/batch
	bodyLimit     map[string]int64 // by method and route; see bodyLimits
	inFlight      *gate            // a slot per check in progress
	limiter       *rateLimiter     // nil without rate limits
}

// New validates cfg, fills in defaults and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Screener == nil {
		return nil, errors.New("httpapi: Config.Screener is required")
	}
	if cfg.Reloader == nil {
		return nil, errors.New("httpapi: Config.Reloader is required")
	}
	for name, c := range cfg.Ready {
		if name == "" || c == nil {
			return nil, fmt.Errorf("httpapi: readiness check %q needs a name and a Checker", name)
		}
	}
	if err := validateKeys(cfg.Keys); err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	if cfg.MaxTextBytes < 0 || cfg.MaxBatch < 0 || cfg.BatchConcurrency < 0 || cfg.ReadyTimeout < 0 {
		return nil, errors.New("httpapi: MaxTextBytes, MaxBatch, BatchConcurrency and ReadyTimeout must not be negative")
	}
	if cfg.MaxUploadBytes < 0 || cfg.UploadTimeout < 0 || cfg.UploadsInProgress < 0 {
		return nil, errors.New("httpapi: MaxUploadBytes, UploadTimeout and UploadsInProgress must not be negative")
	}
	if cfg.RateLimit < 0 || cfg.RateWindow < 0 || cfg.MaxInFlight < 0 {
		return nil, errors.New("httpapi: RateLimit, RateWindow and MaxInFlight must not be negative")
	}
	if cfg.RateLimit > 0 && cfg.RateStore == nil {
		return nil, errors.New("httpapi: Config.RateStore is required with a RateLimit")
	}
	if cfg.MaxTextBytes > 16<<20 {
		return nil, fmt.Errorf("httpapi: MaxTextBytes %d is over the 16 MiB this API is sized for", cfg.MaxTextBytes)
	}
	s := &Server{
		screener:      cfg.Screener,
		reloader:      cfg.Reloader,
		desk:          cfg.Desk,
		observer:      cfg.Observer,
		banksChanged:  cfg.BanksChanged,
		ready:         cfg.Ready,
		readyTimeout:  orDefault(cfg.ReadyTimeout, DefaultReadyTimeout),
		keys:          NewKeyring(cfg.Keys),
		maxText:       orDefault(cfg.MaxTextBytes, DefaultMaxTextBytes),
		maxBatch:      orDefault(cfg.MaxBatch, DefaultMaxBatch),
		concurrency:   orDefault(cfg.BatchConcurrency, runtime.GOMAXPROCS(0)),
		scanner:       cfg.Uploads,
		maxUpload:     orDefault(cfg.MaxUploadBytes, DefaultMaxUploadBytes),
		uploadTimeout: orDefault(cfg.UploadTimeout, DefaultUploadTimeout),
		uploads:       newGate(orDefault(cfg.UploadsInProgress, DefaultUploadsInProgress), "uploads"),
		uploadDir:     cfg.UploadDir,
		inFlight:      newGate(orDefault(cfg.MaxInFlight, DefaultMaxInFlight()), "checks"),
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s.log = slog.New(LogHandler(logger.Handler()))
	if cfg.RateLimit > 0 {
		s.limiter = newRateLimiter(cfg.RateStore, cfg.RateLimit, orDefault(cfg.RateWindow, DefaultRateWindow), s.log)
	}
	// JSON escapes can make a body up to 6 times its text (\u0001 for one
	// byte); 4 KiB covers the ids and the field names. A batch may be
	// MaxBatch such bodies, so no legal batch is refused however its client
	// escapes it. A batch is decoded item by item, never buffered whole: it
	// holds the items' text (at most MaxBatch × MaxTextBytes) and the raw
	// JSON of one item at a time, though an oversized item is only refused
	// once read, so it can fill up to the whole limit.
	s.checkLimit = 6*int64(s.maxText) + 4<<10
	s.batchLimit = math.MaxInt64 // for a MaxBatch so large that the product overflows
	if int64(s.maxBatch) <= math.MaxInt64/s.checkLimit {
		s.batchLimit = int64(s.maxBatch) * s.checkLimit
	}
	s.bodyLimit = s.bodyLimits()

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = s.handleError
	if s.observer != nil {
		e.Pre(s.observeRequests(e))
	}
	e.Pre(securityHeaders, requestID, s.accessLog, recoverPanics)
	e.Use(s.limitBody)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/openapi.yaml", serveOpenAPI)
	e.POST("/v1/check", s.check, s.require(RoleBackend), s.shed)
	e.POST("/v1/check/batch", s.checkBatch, s.require(RoleBackend), s.shed)
	e.POST("/v1/moderations", s.moderations, s.require(RoleBackend), s.shed)
	if s.scanner != nil {
		e.POST("/v1/check/upload", s.checkUpload, s.require(RoleBackend))
	}
	e.POST("/v1/admin/rules/reload", s.reload, s.require(RoleAdmin))
	if cfg.Console != nil {
		h := echo.WrapHandler(cfg.Console)
		e.Any("/console", h)
		e.Any("/console/*", h)
	}
	if cfg.Metrics != nil {
		e.GET("/metrics", serveMetrics(cfg.Metrics), s.require(RoleMetrics))
	}
	if s.banksChanged == nil {
		s.banksChanged = func() {}
	}
	if s.desk != nil {
		s.routeReview(e)
		s.routeBanks(e)
		s.routeTransparency(e)
	}
	s.echo = e
	return s, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Handler returns the Echo instance to mount in an http.Server.
func (s *Server) Handler() http.Handler { return s.echo }
