// Package memstore is aup's embedded, in-process store: a bounded LRU verdict
// cache and a sliding-window spam-wave counter. It is what aup uses when no
// Redis is configured, and its Cache doubles as the in-process hot tier in
// front of Redis. Nothing here survives a restart or is shared between
// instances; use redisstore for that.
package memstore
