package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aup-dev/aup/internal/console"
	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/lingua"
	"github.com/aup-dev/aup/internal/openai"
	"github.com/aup-dev/aup/internal/review"
)

// config is every setting of aup, read once from AUP_* variables.
type config struct {
	Addr         string
	addrDefault  bool // Addr was not set: in development mode it becomes loopback
	RedisURL     string
	RulesDir     string // "" means the bundled rules
	LinearModel  string // "" means the bundled model, "off" none
	Keys         []httpapi.Key
	MaxTextBytes int
	// MaxUploadBytes is the largest file /v1/check/upload screens; uploads
	// are spooled to UploadDir ("" is the system's temporary directory).
	MaxUploadBytes int
	UploadDir      string
	CacheTTL       time.Duration
	CacheEntries   int
	Languages      []string
	LogLevel       slog.Level
	Shutdown       time.Duration

	// Limits: requests per key per RateWindow (0: none), and checks served
	// at once.
	RateLimit   int
	RateWindow  time.Duration
	MaxInFlight int

	// The review desk.
	Lease           time.Duration
	StrikeThreshold int
	StrikeWindow    time.Duration
	AppealWindow    time.Duration
	ReportLimit     int
	ReportWindow    time.Duration
	UploadMemory    time.Duration
	ConsoleSession  time.Duration
	WebhookURL      string
	WebhookSecret   string

	// Privacy: the key of the pseudonyms that replace people's ids in what
	// is kept long ("" draws a random one, for the in-memory store only),
	// how long each kind of record is kept, and how often the purge runs.
	PseudonymKey  string
	Retention     review.Retention
	PurgeInterval time.Duration

	Classifier classifierConfig
}

// classifierConfig is the hosted model classifier's settings (AUP_CLASSIFIER
// and AUP_OPENAI_*); Mode "" means none.
type classifierConfig struct {
	Mode      string // openai.ModeModeration or openai.ModeChat
	When      string // engine.ClassifyAlways or engine.ClassifyUnsure
	Dir       string // "" means the bundled models folder
	BaseURL   string
	APIKey    string
	Model     string
	Timeout   time.Duration
	Budget    time.Duration
	Retries   int
	PerMinute int
	Breaker   int
	Cooldown  time.Duration
}

func loadConfig(getenv func(string) string) (*config, error) {
	c := &config{
		Addr:           getenv("AUP_ADDR"),
		RedisURL:       getenv("AUP_REDIS_URL"),
		LogLevel:       slog.LevelInfo,
		RulesDir:       getenv("AUP_RULES_DIR"),
		LinearModel:    strings.TrimSpace(getenv("AUP_LINEAR_MODEL")),
		MaxTextBytes:   httpapi.DefaultMaxTextBytes,
		MaxUploadBytes: httpapi.DefaultMaxUploadBytes,
		UploadDir:      getenv("AUP_UPLOAD_DIR"),
		CacheTTL:       24 * time.Hour,
		CacheEntries:   20_000,
		Languages:      lingua.DefaultLanguages,
		Shutdown:       15 * time.Second,
		RateLimit:      defaultRateLimit,
		RateWindow:     httpapi.DefaultRateWindow,
		MaxInFlight:    httpapi.DefaultMaxInFlight(),

		Lease:           review.DefaultLease,
		StrikeThreshold: review.DefaultStrikeThreshold,
		StrikeWindow:    review.DefaultStrikeWindow,
		AppealWindow:    review.DefaultAppealWindow,
		ReportLimit:     review.DefaultReportLimit,
		ReportWindow:    review.DefaultReportWindow,
		UploadMemory:    review.DefaultUploadMemory,
		ConsoleSession:  console.DefaultSessionTTL,
		Retention: review.Retention{
			CaseContent: review.DefaultCaseContentRetention, Cases: review.DefaultCaseRetention,
			Reports: review.DefaultReportRetention, Decisions: review.DefaultDecisionRetention,
			Users: review.DefaultUserRetention, Audit: review.DefaultAuditRetention, Stats: review.DefaultStatsRetention,
		},
		PurgeInterval: time.Hour,
	}
	if c.Addr == "" {
		c.Addr, c.addrDefault = ":8080", true
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return nil, fmt.Errorf("AUP_ADDR=%q: want host:port such as :8080 or 127.0.0.1:8080", c.Addr)
	}
	keys, err := secretVar(getenv, "AUP_API_KEYS")
	if err != nil {
		return nil, err
	}
	keys = strings.Join(strings.Fields(strings.ReplaceAll(keys, ",", " ")), ",") // the file has one entry a line
	if c.RedisURL, err = secretVar(getenv, "AUP_REDIS_URL"); err != nil {
		return nil, err
	}
	c.RedisURL = strings.TrimSpace(c.RedisURL)
	if keys != "" {
		var err error
		if c.Keys, err = httpapi.ParseKeys(keys); err != nil {
			return nil, fmt.Errorf("AUP_API_KEYS: %w", err)
		}
	}
	if c.MaxTextBytes, err = intVar(getenv, "AUP_MAX_TEXT_BYTES", c.MaxTextBytes, 1, 16<<20); err != nil {
		return nil, err
	}
	if c.MaxUploadBytes, err = intVar(getenv, "AUP_MAX_UPLOAD_BYTES", c.MaxUploadBytes, 1, 1<<30); err != nil {
		return nil, err
	}
	if c.UploadDir != "" {
		if fi, err := os.Stat(c.UploadDir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("AUP_UPLOAD_DIR=%q: want an existing directory to spool uploads to", c.UploadDir)
		}
	}
	if c.CacheEntries, err = intVar(getenv, "AUP_CACHE_ENTRIES", c.CacheEntries, 0, 10_000_000); err != nil {
		return nil, err
	}
	if c.CacheTTL, err = durationVar(getenv, "AUP_CACHE_TTL", c.CacheTTL); err != nil {
		return nil, err
	}
	if c.Shutdown, err = durationVar(getenv, "AUP_SHUTDOWN_TIMEOUT", c.Shutdown); err != nil {
		return nil, err
	}
	if err := c.loadLimits(getenv); err != nil {
		return nil, err
	}
	if err := c.loadReview(getenv); err != nil {
		return nil, err
	}
	if err := c.Classifier.load(getenv); err != nil {
		return nil, err
	}
	if v := getenv("AUP_LANGUAGES"); v != "" {
		c.Languages = strings.Split(strings.ReplaceAll(v, " ", ""), ",")
	}
	// One order for one set, so that instances configured alike share
	// policy versions and so cache entries.
	c.Languages = slices.Compact(slices.Sorted(slices.Values(c.Languages)))
	if v := getenv("AUP_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return nil, fmt.Errorf("AUP_LOG_LEVEL=%q: want debug, info, warn or error", v)
		}
	}
	return c, nil
}

// loadReview reads the review desk's settings.
func (c *config) loadReview(getenv func(string) string) error {
	var err error
	for _, d := range []struct {
		name string
		v    *time.Duration
	}{
		{"AUP_LEASE", &c.Lease}, {"AUP_STRIKE_WINDOW", &c.StrikeWindow},
		{"AUP_APPEAL_WINDOW", &c.AppealWindow}, {"AUP_REPORT_WINDOW", &c.ReportWindow},
		{"AUP_UPLOAD_MEMORY", &c.UploadMemory}, {"AUP_CONSOLE_SESSION", &c.ConsoleSession},
	} {
		if *d.v, err = durationVar(getenv, d.name, *d.v); err != nil {
			return err
		}
	}
	if err := c.loadPrivacy(getenv); err != nil {
		return err
	}
	if c.StrikeThreshold, err = intVar(getenv, "AUP_STRIKE_THRESHOLD", c.StrikeThreshold, 1, 1000); err != nil {
		return err
	}
	if c.ReportLimit, err = intVar(getenv, "AUP_REPORT_LIMIT", c.ReportLimit, 1, 1_000_000); err != nil {
		return err
	}
	c.WebhookURL = strings.TrimSpace(getenv("AUP_WEBHOOK_URL"))
	if c.WebhookSecret, err = secretVar(getenv, "AUP_WEBHOOK_SECRET"); err != nil {
		return err
	}
	switch {
	case c.WebhookURL == "" && c.WebhookSecret != "":
		return fmt.Errorf("AUP_WEBHOOK_SECRET is set but AUP_WEBHOOK_URL is not; set both or neither")
	case c.WebhookURL != "" && len(c.WebhookSecret) < 16:
		return fmt.Errorf("AUP_WEBHOOK_URL is set: AUP_WEBHOOK_SECRET (or AUP_WEBHOOK_SECRET_FILE) must be at least 16 characters, to sign deliveries")
	case c.WebhookURL != "":
		u, err := url.Parse(c.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("AUP_WEBHOOK_URL=%q: want an absolute http or https URL", endpointOnly(c.WebhookURL))
		}
	}
	return nil
}

// minPseudonymKey is the shortest AUP_PSEUDONYM_KEY: 32 characters, such as
// openssl rand -hex 16 prints (128 bits).
const minPseudonymKey = 32

// loadPrivacy reads the pseudonym key, the retentions and the purge
// interval.
func (c *config) loadPrivacy(getenv func(string) string) error {
	var err error
	if c.PseudonymKey, err = secretVar(getenv, "AUP_PSEUDONYM_KEY"); err != nil {
		return err
	}
	switch {
	case c.PseudonymKey == "" && c.RedisURL != "":
		return fmt.Errorf("AUP_REDIS_URL is set: AUP_PSEUDONYM_KEY (or AUP_PSEUDONYM_KEY_FILE) is required, a secret of at least %d characters that never changes, such as `openssl rand -hex 32` prints; it keys the pseudonyms that replace people's ids in the audit log and in what an erasure keeps", minPseudonymKey)
	case c.PseudonymKey != "" && len(c.PseudonymKey) < minPseudonymKey:
		return fmt.Errorf("AUP_PSEUDONYM_KEY must be at least %d characters (such as `openssl rand -hex 32` prints), not %d", minPseudonymKey, len(c.PseudonymKey))
	}
	r := &c.Retention
	for _, d := range []struct {
		name string
		v    *time.Duration
	}{
		{"AUP_RETENTION_CASE_CONTENT", &r.CaseContent}, {"AUP_RETENTION_CASES", &r.Cases},
		{"AUP_RETENTION_REPORTS", &r.Reports}, {"AUP_RETENTION_DECISIONS", &r.Decisions},
		{"AUP_RETENTION_USERS", &r.Users}, {"AUP_RETENTION_AUDIT", &r.Audit},
		{"AUP_RETENTION_STATS", &r.Stats}, {"AUP_PURGE_INTERVAL", &c.PurgeInterval},
	} {
		if *d.v, err = durationVar(getenv, d.name, *d.v); err != nil {
			return err
		}
	}
	for name, v := range map[string]time.Duration{
		"AUP_RETENTION_CASE_CONTENT": r.CaseContent, "AUP_RETENTION_CASES": r.Cases, "AUP_RETENTION_REPORTS": r.Reports,
		"AUP_RETENTION_DECISIONS": r.Decisions, "AUP_RETENTION_USERS": r.Users, "AUP_RETENTION_AUDIT": r.Audit,
		"AUP_RETENTION_STATS": r.Stats, "AUP_CACHE_TTL": c.CacheTTL, "AUP_UPLOAD_MEMORY": c.UploadMemory,
	} {
		if v > review.MaxRetention {
			return fmt.Errorf("%s=%s: records may be kept at most 2190d (six years, as the privacy policy promises)", name, getenv(name))
		}
	}
	switch {
	case r.Decisions < c.AppealWindow:
		return fmt.Errorf("AUP_RETENTION_DECISIONS (%s) is shorter than AUP_APPEAL_WINDOW (%s): a decision must be kept while it may be appealed", r.Decisions, c.AppealWindow)
	case r.CaseContent < c.AppealWindow:
		return fmt.Errorf("AUP_RETENTION_CASE_CONTENT (%s) is shorter than AUP_APPEAL_WINDOW (%s): an appeal is decided on the content", r.CaseContent, c.AppealWindow)
	case r.Users < c.StrikeWindow:
		return fmt.Errorf("AUP_RETENTION_USERS (%s) is shorter than AUP_STRIKE_WINDOW (%s): strikes count within the window", r.Users, c.StrikeWindow)
	case r.Cases < r.CaseContent:
		return fmt.Errorf("AUP_RETENTION_CASES (%s) is shorter than AUP_RETENTION_CASE_CONTENT (%s): a case outlives its content", r.Cases, r.CaseContent)
	}
	return nil
}

// load reads the classifier's settings. Without AUP_CLASSIFIER the others
// must not be set: a key with no mode to use it is a mistake to point out.
func (c *classifierConfig) load(getenv func(string) string) error {
	c.Mode = strings.TrimSpace(getenv("AUP_CLASSIFIER"))
	var err error
	if c.APIKey, err = secretVar(getenv, "AUP_OPENAI_API_KEY"); err != nil {
		return err
	}
	c.BaseURL = strings.TrimSpace(getenv("AUP_OPENAI_BASE_URL"))
	c.Model = strings.TrimSpace(getenv("AUP_OPENAI_MODEL"))
	c.When = strings.TrimSpace(getenv("AUP_CLASSIFIER_WHEN"))
	c.Dir = getenv("AUP_CLASSIFIER_DIR")
	switch c.Mode {
	case "", "off":
		c.Mode = ""
		if c.APIKey != "" || c.BaseURL != "" || c.Model != "" || c.When != "" {
			return fmt.Errorf("AUP_OPENAI_* or AUP_CLASSIFIER_WHEN is set but AUP_CLASSIFIER is not: set AUP_CLASSIFIER to %s or %s", openai.ModeModeration, openai.ModeChat)
		}
		return nil
	case openai.ModeModeration, openai.ModeChat:
	default:
		return fmt.Errorf("AUP_CLASSIFIER=%q: want %s, %s or off", c.Mode, openai.ModeModeration, openai.ModeChat)
	}
	switch c.When {
	case "":
		c.When = engine.ClassifyAlways
	case engine.ClassifyAlways, engine.ClassifyUnsure:
	default:
		return fmt.Errorf("AUP_CLASSIFIER_WHEN=%q: want %s or %s", c.When, engine.ClassifyAlways, engine.ClassifyUnsure)
	}
	if c.BaseURL == "" {
		c.BaseURL = openai.DefaultBaseURL
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("AUP_OPENAI_BASE_URL=%q: want an absolute http or https URL such as https://api.openai.com/v1", endpointOnly(c.BaseURL))
	}
	if c.Mode == openai.ModeChat && c.Model == "" {
		return fmt.Errorf("AUP_CLASSIFIER=chat needs AUP_OPENAI_MODEL: the model the server serves, such as llama-guard3:8b or gpt-4o-mini")
	}
	if c.Mode == openai.ModeModeration && c.APIKey == "" && c.BaseURL == openai.DefaultBaseURL {
		return fmt.Errorf("AUP_CLASSIFIER=%s calls api.openai.com: set AUP_OPENAI_API_KEY or AUP_OPENAI_API_KEY_FILE", c.Mode)
	}
	if c.Dir != "" {
		if fi, err := os.Stat(c.Dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("AUP_CLASSIFIER_DIR=%q: want a folder holding openai-moderation.json or chat.json (see models/)", c.Dir)
		}
	}
	c.Timeout, c.Budget, c.Retries, c.Breaker, c.Cooldown = openai.DefaultTimeout, openai.DefaultBudget, openai.DefaultRetries, openai.DefaultBreakerFailures, openai.DefaultBreakerCooldown
	for _, d := range []struct {
		name string
		v    *time.Duration
	}{{"AUP_CLASSIFIER_TIMEOUT", &c.Timeout}, {"AUP_CLASSIFIER_BUDGET", &c.Budget}, {"AUP_CLASSIFIER_COOLDOWN", &c.Cooldown}} {
		if *d.v, err = durationVar(getenv, d.name, *d.v); err != nil {
			return err
		}
	}
	if c.Budget < c.Timeout {
		return fmt.Errorf("AUP_CLASSIFIER_BUDGET (%s) is shorter than AUP_CLASSIFIER_TIMEOUT (%s): the budget bounds a call with all its retries", c.Budget, c.Timeout)
	}
	for _, n := range []struct {
		name   string
		v      *int
		lo, hi int
	}{{"AUP_CLASSIFIER_RETRIES", &c.Retries, 0, 10}, {"AUP_CLASSIFIER_MAX_PER_MINUTE", &c.PerMinute, 0, 1_000_000}, {"AUP_CLASSIFIER_BREAKER", &c.Breaker, 1, 1000}} {
		if *n.v, err = intVar(getenv, n.name, *n.v, n.lo, n.hi); err != nil {
			return err
		}
	}
	return nil
}

// LogValue prints the classifier's settings without its key.
func (c classifierConfig) LogValue() slog.Value {
	if c.Mode == "" {
		return slog.StringValue("off (rules and the built-in model only)")
	}
	key := "none"
	if c.APIKey != "" {
		key = "****"
	}
	perMinute := "no cap"
	if c.PerMinute > 0 {
		perMinute = strconv.Itoa(c.PerMinute)
	}
	return slog.GroupValue(
		slog.String("mode", c.Mode), slog.String("when", c.When), slog.String("config", orBundled(c.Dir)),
		slog.String("base_url", endpointOnly(c.BaseURL)), slog.String("model", c.Model), slog.String("api_key", key),
		slog.String("timeout", c.Timeout.String()), slog.String("budget", c.Budget.String()), slog.Int("retries", c.Retries),
		slog.String("max_per_minute", perMinute), slog.String("breaker", fmt.Sprintf("%d failures, %s cooldown", c.Breaker, c.Cooldown)),
	)
}

// secretVar reads NAME or the file named by NAME_FILE, not both.
func secretVar(getenv func(string) string, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	if file == "" {
		return v, nil
	}
	if v != "" {
		return "", fmt.Errorf("set %s or %s_FILE, not both", name, name)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(data)), nil
}

func intVar(getenv func(string) string, name string, def, lo, hi int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: want a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

func durationVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if days, ok := strings.CutSuffix(v, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
		if n > 100*365 {
			err = errors.New("too long")
		}
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 30s, 24h or 183d", name, v)
	}
	return d, nil
}

// listenAddr is where serve listens. Without API keys aup only listens on
// loopback: it refuses a non-loopback AUP_ADDR rather than open an
// unauthenticated service to the network.
func (c *config) listenAddr() (string, error) {
	if len(c.Keys) > 0 {
		return c.Addr, nil
	}
	host, port, _ := net.SplitHostPort(c.Addr)
	if host == "localhost" {
		return c.Addr, nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return c.Addr, nil
	}
	if c.addrDefault {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	return "", fmt.Errorf("AUP_ADDR=%q is not a loopback address and no API keys are set: set AUP_API_KEYS (name:role:key,...) or listen on 127.0.0.1", c.Addr)
}

// LogValue prints the configuration with secrets masked.
func (c *config) LogValue() slog.Value {
	redis := "embedded in-memory store (NOT durable)"
	if c.RedisURL != "" {
		redis = maskURL(c.RedisURL)
	}
	rulesDir := orBundled(c.RulesDir)
	webhook := "off (no events recorded)"
	if c.WebhookURL != "" {
		webhook = endpointOnly(c.WebhookURL)
	}
	keys := make([]string, len(c.Keys))
	for i, k := range c.Keys {
		keys[i] = k.Name + ":" + k.Role
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("store", redis),
		slog.String("rules", rulesDir),
		slog.String("linear_model", orBundled(c.LinearModel)),
		slog.Any("keys", keys),
		slog.Int("max_text_bytes", c.MaxTextBytes),
		slog.Int("max_upload_bytes", c.MaxUploadBytes),
		slog.String("cache_ttl", c.CacheTTL.String()),
		slog.Int("cache_entries", c.CacheEntries),
		slog.String("languages", strings.Join(c.Languages, ",")),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("shutdown_timeout", c.Shutdown.String()),
		slog.String("rate_limit", c.rateLimitString()),
		slog.Int("max_inflight", c.MaxInFlight),
		slog.String("lease", c.Lease.String()),
		slog.String("strikes", fmt.Sprintf("%d within %s", c.StrikeThreshold, c.StrikeWindow)),
		slog.String("appeal_window", c.AppealWindow.String()),
		slog.String("report_limit", fmt.Sprintf("%d per %s", c.ReportLimit, c.ReportWindow)),
		slog.String("upload_memory", c.UploadMemory.String()),
		slog.String("console_session", c.ConsoleSession.String()),
		slog.String("webhook", webhook),
		slog.String("retention", fmt.Sprintf("case content %s, cases %s, reports %s, decisions %s, users %s, audit %s, stats %s; purged every %s",
			days(c.Retention.CaseContent), days(c.Retention.Cases), days(c.Retention.Reports), days(c.Retention.Decisions),
			days(c.Retention.Users), days(c.Retention.Audit), days(c.Retention.Stats), c.PurgeInterval)),
		slog.Any("classifier", c.Classifier),
	)
}

// days prints a retention in days when it is whole days.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

func orBundled(s string) string {
	if s == "" {
		return "bundled"
	}
	return s
}

// endpointOnly prints a URL without user information or query, either of
// which may hold a token.
func endpointOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	out := u.Scheme + "://" + u.Host + u.Path
	if u.RawQuery != "" {
		out += "?****"
	}
	return out
}

// maskURL hides the credentials of a Redis URL: the user information and
// every query parameter that names a password (a Sentinel master's).
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User("****")
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "pass") {
			q.Set(k, "****")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
