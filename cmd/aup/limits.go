package main

import "fmt"

// defaultRateLimit is AUP_RATE_LIMIT's default: requests per key per
// AUP_RATE_WINDOW (1s). One limit for every key: a product's backend
// checking 1,000 notes a second is a large one, and will have read this;
// a moderator's tool or Prometheus never comes near it, so a key that does
// is a runaway, which the limit keeps from starving the other keys.
const defaultRateLimit = 1000

// loadLimits reads the per-key rate limit and the bound on checks in
// flight.
func (c *config) loadLimits(getenv func(string) string) error {
	var err error
	if c.RateLimit, err = intVar(getenv, "AUP_RATE_LIMIT", c.RateLimit, 0, 100_000_000); err != nil {
		return err
	}
	if c.RateWindow, err = durationVar(getenv, "AUP_RATE_WINDOW", c.RateWindow); err != nil {
		return err
	}
	if c.MaxInFlight, err = intVar(getenv, "AUP_MAX_INFLIGHT", c.MaxInFlight, 1, 1_000_000); err != nil {
		return err
	}
	return nil
}

// rateLimitString prints the rate limit for the start-up line.
func (c *config) rateLimitString() string {
	if c.RateLimit == 0 {
		return "off"
	}
	return fmt.Sprintf("%d requests per key per %s", c.RateLimit, c.RateWindow)
}
