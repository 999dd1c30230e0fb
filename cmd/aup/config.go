package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/lingua"
)

// config is every setting of aup, read once from AUP_* variables.
type config struct {
	Addr         string
	addrDefault  bool // Addr was not set: in development mode it becomes loopback
	RedisURL     string
	RulesDir     string // "" means the bundled rules
	Keys         []httpapi.Key
	MaxTextBytes int
	CacheTTL     time.Duration
	CacheEntries int
	Languages    []string
	LogLevel     slog.Level
	Shutdown     time.Duration
}

func loadConfig(getenv func(string) string) (*config, error) {
	c := &config{
		Addr:         getenv("AUP_ADDR"),
		RedisURL:     getenv("AUP_REDIS_URL"),
		LogLevel:     slog.LevelInfo,
		RulesDir:     getenv("AUP_RULES_DIR"),
		MaxTextBytes: httpapi.DefaultMaxTextBytes,
		CacheTTL:     24 * time.Hour,
		CacheEntries: 20_000,
		Languages:    lingua.DefaultLanguages,
		Shutdown:     15 * time.Second,
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
	if c.CacheEntries, err = intVar(getenv, "AUP_CACHE_ENTRIES", c.CacheEntries, 0, 10_000_000); err != nil {
		return nil, err
	}
	if c.CacheTTL, err = durationVar(getenv, "AUP_CACHE_TTL", c.CacheTTL); err != nil {
		return nil, err
	}
	if c.Shutdown, err = durationVar(getenv, "AUP_SHUTDOWN_TIMEOUT", c.Shutdown); err != nil {
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
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 30s or 24h", name, v)
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
	rulesDir := c.RulesDir
	if rulesDir == "" {
		rulesDir = "bundled"
	}
	keys := make([]string, len(c.Keys))
	for i, k := range c.Keys {
		keys[i] = k.Name + ":" + k.Role
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("store", redis),
		slog.String("rules", rulesDir),
		slog.Any("keys", keys),
		slog.Int("max_text_bytes", c.MaxTextBytes),
		slog.String("cache_ttl", c.CacheTTL.String()),
		slog.Int("cache_entries", c.CacheEntries),
		slog.String("languages", strings.Join(c.Languages, ",")),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("shutdown_timeout", c.Shutdown.String()),
	)
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
