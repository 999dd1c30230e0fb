// Package redisstore keeps aup's verdict cache and spam-wave counter in
// Redis, so that every instance of aup shares them. It implements the same
// contracts as memstore (both pass the storetest suite) on a go-redis
// UniversalClient, so a single node, Sentinel or Cluster can back it.
//
// Only verdict JSON, hashed user ids and timestamps are written to Redis;
// raw text and raw user ids never are.
//
// Errors from Redis are returned as a *moderation.Error with code
// EUNAVAILABLE and the safe message "store unavailable", joined with the
// underlying error: moderation.ErrorCode and ErrorMessage see the code and
// the safe message, errors.Is sees the cause (context.DeadlineExceeded, a
// net error), and Error() carries both for the log line.
package redisstore
