package main

import "time"

// The Redis client's circuit breaker (redisstore.Breaker): it opens after
// this many commands in a row failed to reach Redis, and then lets one probe
// through per cooldown, so that a Redis that comes back is used again within
// about a cooldown, without a restart.
const (
	redisBreakerFailures = 3
	redisBreakerCooldown = time.Second
)
