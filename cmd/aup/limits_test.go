package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/redistest"
)

// TestRateLimitSharedThroughRedis runs two instances on one Redis: a key's
// rate limit is theirs together.
func TestRateLimitSharedThroughRedis(t *testing.T) {
	srv := redistest.Start(t)
	env := func() map[string]string {
		return map[string]string{
			"AUP_REDIS_URL":     srv.URL(),
			"AUP_PSEUDONYM_KEY": testPseudonymKey,
			"AUP_API_KEYS":      "product:backend:" + backendKey + ",ops:admin:" + adminKey,
			"AUP_RATE_LIMIT":    "3",
			"AUP_RATE_WINDOW":   "1h",
		}
	}
	a, logs := service(t, env())
	b, _ := service(t, env())
	if !strings.Contains(logs.String(), `"rate_limit":"3 requests per key per 1h0m0s"`) {
		t.Errorf("the start-up line does not show the rate limit:\n%s", logs)
	}
	const note = `{"text": "see you at the garden project on Friday"}`
	for i, base := range []string{a, b, a} {
		if code := post(t, base+"/v1/check", backendKey, note, nil); code != http.StatusOK {
			t.Fatalf("check %d: status %d", i+1, code)
		}
	}
	for _, base := range []string{b, a} {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/check", strings.NewReader(note))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+backendKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		if res.StatusCode != http.StatusTooManyRequests || secs < 1 || secs > 3600 || !strings.Contains(string(body), "rate limit of 3 requests per 1h0m0s") {
			t.Errorf("fourth check: %d, Retry-After %q, %s", res.StatusCode, res.Header.Get("Retry-After"), body)
		}
	}
	if code := post(t, a+"/v1/check", adminKey, note, nil); code != http.StatusOK {
		t.Errorf("another key: status %d", code)
	}
}

func TestLimitsConfig(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AUP_RATE_LIMIT": "-1"}, "AUP_RATE_LIMIT"},
		{map[string]string{"AUP_RATE_WINDOW": "0s"}, "AUP_RATE_WINDOW"},
		{map[string]string{"AUP_MAX_INFLIGHT": "0"}, "AUP_MAX_INFLIGHT"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			err := run(context.Background(), []string{"check", "hello"}, func(k string) string { return tc.env[k] }, nil, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %s", err, tc.want)
			}
		})
	}
	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.RateLimit != 1000 || c.RateWindow.String() != "1s" || c.MaxInFlight < 64 {
		t.Errorf("defaults: rate limit %d per %s, max in flight %d", c.RateLimit, c.RateWindow, c.MaxInFlight)
	}
	c, err = loadConfig(func(k string) string { return map[string]string{"AUP_RATE_LIMIT": "0", "AUP_MAX_INFLIGHT": "7"}[k] })
	if err != nil || c.RateLimit != 0 || c.MaxInFlight != 7 || c.rateLimitString() != "off" {
		t.Errorf("AUP_RATE_LIMIT=0, AUP_MAX_INFLIGHT=7: %+v, %v", c, err)
	}
}
