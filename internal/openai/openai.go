// Package openai is aup's hosted model classifier: OpenAI's moderation
// endpoint, or any safety model behind an OpenAI-compatible chat-completions
// API (OpenAI, vLLM, Ollama, llama.cpp), called through
// github.com/sashabaranov/go-openai. It implements moderation.Classifier.
//
// The model is a remote dependency and fails: each request has a timeout,
// failed requests are retried with backoff (honouring 429 and Retry-After)
// within a budget per call, a circuit breaker stops calling a model that
// keeps failing, and a cap bounds the requests per minute. A call that gets
// no answer returns EUNAVAILABLE with the reason, and the engine falls back
// to the rules.
package openai

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/aup-dev/aup/internal/moderation"
)

// Defaults of Config's zero values.
const (
	DefaultBaseURL         = "https://api.openai.com/v1"
	DefaultModerationModel = goopenai.ModerationOmniLatest
	DefaultTimeout         = 2 * time.Second
	DefaultBudget          = 4 * time.Second
	DefaultRetries         = 2
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 30 * time.Second
)

// Config configures a Classifier. Mode and Mapping are required, and Model
// in chat mode.
type Config struct {
	Mode    string // ModeModeration or ModeChat
	BaseURL string // default DefaultBaseURL
	APIKey  string
	Model   string // default DefaultModerationModel in moderation mode
	Mapping *Mapping
	// Timeout bounds each request, Budget a whole call with its retries
	// and their waits. Retries is how many times a failed request is
	// repeated (-1: never).
	Timeout time.Duration
	Budget  time.Duration
	Retries int
	// PerMinute caps the requests sent per minute by this instance (0: no
	// cap); calls beyond it get no answer.
	PerMinute int
	// BreakerFailures calls in a row that get no answer open the breaker
	// for BreakerCooldown; then one call probes whether the model is back.
	BreakerFailures int
	BreakerCooldown time.Duration
	// Metrics receives the counts; nil counts nowhere.
	Metrics *Metrics
	Logger  *slog.Logger
	// HTTPClient sends the requests (default: a client with its own
	// connection pool).
	HTTPClient *http.Client
}

// Classifier is the hosted model. It is safe for concurrent use.
type Classifier struct {
	cfg    Config
	client *goopenai.Client
	guard  *guard
	m      *Metrics
}

// New checks cfg and returns a Classifier.
func New(cfg Config) (*Classifier, error) {
	if _, ok := mappingFile[cfg.Mode]; !ok {
		return nil, fmt.Errorf("openai: mode %q: want %s or %s", cfg.Mode, ModeModeration, ModeChat)
	}
	if cfg.Mapping == nil {
		return nil, errors.New("openai: Config.Mapping is required")
	}
	if cfg.Model == "" {
		if cfg.Mode == ModeChat {
			return nil, errors.New("openai: chat mode needs a model (AUP_OPENAI_MODEL), such as llama-guard3 or gpt-4o-mini")
		}
		cfg.Model = DefaultModerationModel
	}
	cfg.BaseURL = strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultBaseURL), "/")
	cfg.Timeout = cmp.Or(cfg.Timeout, DefaultTimeout)
	cfg.Budget = cmp.Or(cfg.Budget, DefaultBudget)
	switch {
	case cfg.Retries == 0:
		cfg.Retries = DefaultRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	cfg.BreakerFailures = cmp.Or(cfg.BreakerFailures, DefaultBreakerFailures)
	cfg.BreakerCooldown = cmp.Or(cfg.BreakerCooldown, DefaultBreakerCooldown)
	if cfg.Timeout < 0 || cfg.Budget < 0 || cfg.PerMinute < 0 || cfg.BreakerFailures < 0 || cfg.BreakerCooldown < 0 {
		return nil, errors.New("openai: timeouts, the cap and the breaker settings must not be negative")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	gc := goopenai.DefaultConfig(cfg.APIKey)
	gc.BaseURL = cfg.BaseURL
	gc.HTTPClient = &recorder{client: cfg.HTTPClient}
	return &Classifier{
		cfg:    cfg,
		client: goopenai.NewClientWithConfig(gc),
		guard:  newGuard(cfg.BreakerFailures, cfg.BreakerCooldown, cfg.PerMinute, cfg.Metrics),
		m:      cfg.Metrics,
	}, nil
}

// ID names the classifier's configuration for the policy version: a change
// of mode, model or mapping is a change of policy.
func (c *Classifier) ID() string {
	return c.cfg.Mode + ":" + c.cfg.Model + ":" + c.cfg.Mapping.Version
}

// Images reports whether the model takes image input.
func (c *Classifier) Images() bool { return c.cfg.Mapping.Images }

// Classify asks the model about text and images. See moderation.Classifier.
func (c *Classifier) Classify(ctx context.Context, text string, images []moderation.Image) (moderation.ModelAnswer, error) {
	if len(images) > 0 && !c.cfg.Mapping.Images {
		images = nil
	}
	if strings.TrimSpace(text) == "" && len(images) == 0 {
		return moderation.ModelAnswer{Model: c.cfg.Model}, nil // nothing to ask about
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Budget)
	defer cancel()
	probe, err := c.guard.admit()
	if err != nil {
		return c.unavailable(err)
	}
	answered := false // whether the model answered, for the breaker
	defer func() { c.guard.done(probe, answered) }()
	ans, err := c.attempts(ctx, text, images, &answered)
	if err != nil {
		return c.unavailable(err)
	}
	c.m.calls.WithLabelValues(moderation.ClassifierOK).Inc()
	return ans, nil
}

// attempts sends the request until it is answered, it fails in a way a
// retry cannot mend, the retries are spent, or the budget in ctx is. It sets
// answered when the model answered at all, even with something unreadable
// or a refusal of this input: that says nothing against its health.
func (c *Classifier) attempts(ctx context.Context, text string, images []moderation.Image, answered *bool) (moderation.ModelAnswer, error) {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := c.guard.take(); err != nil {
				return moderation.ModelAnswer{}, err
			}
		}
		ans, out, retryAfter := c.request(ctx, text, images)
		*answered = *answered || !out.countsAsFailure()
		if out == outcomeOK {
			return ans, nil
		}
		reason := out.reason()
		wait := backoff(attempt)
		if retryAfter > 0 {
			wait = retryAfter
		}
		deadline, _ := ctx.Deadline()
		retry := out.retryable() && attempt < c.cfg.Retries && time.Until(deadline) > wait
		if !retry && out == outcomeRateLimited && retryAfter > 0 {
			// No request is sent until the wait the model asked for has
			// passed, by this call or any other.
			c.guard.pause(retryAfter)
		}
		if retry {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				reason = moderation.UnavailableTimeout
			}
		}
		return moderation.ModelAnswer{}, moderation.Errorf(moderation.EUNAVAILABLE, "%s", reason)
	}
}

// unavailable answers a call the guard refused.
func (c *Classifier) unavailable(err error) (moderation.ModelAnswer, error) {
	reason := moderation.ErrorMessage(err)
	c.m.calls.WithLabelValues(moderation.ClassifierUnavailable).Inc()
	c.m.unavailable.WithLabelValues(reason).Inc()
	return moderation.ModelAnswer{}, err
}

// request sends one request and reads its answer.
func (c *Classifier) request(ctx context.Context, text string, images []moderation.Image) (moderation.ModelAnswer, outcome, time.Duration) {
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	x := &exchange{}
	rctx = context.WithValue(rctx, exchangeKey{}, x)
	start := time.Now()
	var ans moderation.ModelAnswer
	var err error
	if c.cfg.Mode == ModeModeration {
		ans, err = c.moderate(rctx, x, text, images)
	} else {
		ans, err = c.chat(rctx, text, images)
	}
	out := c.outcome(rctx, x, err)
	if x.sent {
		c.m.requests.WithLabelValues(string(out)).Inc()
		c.m.latency.Observe(time.Since(start).Seconds())
	}
	if out != outcomeOK {
		c.cfg.Logger.WarnContext(ctx, "classifier request failed", append([]any{"outcome", string(out), "status", x.status}, safeError(err)...)...)
	}
	return ans, out, retryAfter(x.header)
}

// outcome tells what became of a request.
type outcome string

const (
	outcomeOK          outcome = "ok"
	outcomeTimeout     outcome = "timeout"
	outcomeRateLimited outcome = "rate_limited"
	outcomeServer      outcome = "server_error" // 5xx, 408
	outcomeRefused     outcome = "refused"      // 400, 413, 422: the model will not take this input
	outcomeClient      outcome = "client_error" // other 4xx: our key, our model name
	outcomeNetwork     outcome = "network_error"
	outcomeMalformed   outcome = "malformed" // 200 with an answer we cannot read
)

func (c *Classifier) outcome(ctx context.Context, x *exchange, err error) outcome {
	var (
		apiErr *goopenai.APIError
		reqErr *goopenai.RequestError
		bad    *malformedError
		status int
	)
	switch {
	case err == nil:
		return outcomeOK
	case errors.As(err, &bad):
		return outcomeMalformed
	case !x.sent:
		return outcomeClient // go-openai refused the request before sending it
	case errors.As(err, &apiErr):
		if apiErr.Code == "insufficient_quota" || apiErr.Type == "insufficient_quota" {
			return outcomeClient // a 429 that waiting does not mend
		}
		status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	case ctx.Err() != nil:
		return outcomeTimeout
	case x.status == http.StatusOK:
		return outcomeMalformed // go-openai could not decode the body
	default:
		return outcomeNetwork
	}
	switch {
	case status == http.StatusTooManyRequests:
		return outcomeRateLimited
	case status >= 500, status == http.StatusRequestTimeout:
		return outcomeServer
	case status == http.StatusBadRequest, status == http.StatusRequestEntityTooLarge, status == http.StatusUnprocessableEntity:
		return outcomeRefused
	case status >= 400:
		return outcomeClient
	}
	return outcomeMalformed
}

// safeError is what may be logged of a request's error: never the API's
// message or body, which some servers fill with the input they refused.
func safeError(err error) []any {
	var (
		apiErr *goopenai.APIError
		reqErr *goopenai.RequestError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &apiErr):
		return []any{"type", apiErr.Type, "code", apiErr.Code}
	case errors.As(err, &reqErr):
		return nil
	}
	return []any{"err", err} // transport, context and our own reading errors
}

func (o outcome) retryable() bool {
	return o == outcomeTimeout || o == outcomeRateLimited || o == outcomeServer || o == outcomeNetwork
}

// countsAsFailure says whether o speaks against the model's health. An
// answer about this input does not, even one refusing it or one we cannot
// read (a chat model declining a harmful note in prose): otherwise a few
// abusive notes would switch the classifier off for everyone. A refused key
// or an unknown model does.
func (o outcome) countsAsFailure() bool {
	return o != outcomeOK && o != outcomeRefused && o != outcomeMalformed
}

func (o outcome) reason() string {
	switch o {
	case outcomeTimeout:
		return moderation.UnavailableTimeout
	case outcomeRateLimited:
		return moderation.UnavailableRateLimited
	}
	return moderation.UnavailableError
}

// backoff is the wait before retry attempt+1: exponential from 100ms, with
// full jitter so that instances that failed together do not retry together.
func backoff(attempt int) time.Duration {
	limit := 100 * time.Millisecond << min(attempt, 4)
	return time.Duration(rand.Int64N(int64(limit))) + 10*time.Millisecond //nolint:gosec // jitter, not a secret
}

// malformedError is an answer that arrived but could not be read.
type malformedError struct{ what string }

func (e *malformedError) Error() string { return "unreadable answer: " + e.what }
