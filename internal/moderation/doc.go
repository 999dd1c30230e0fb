// Package moderation is aup's domain: the categories of the acceptable-use
// policy, the verdict the screening pipeline produces, the one error type, and
// the small interfaces the pipeline needs from its adapters (language detection,
// the verdict cache, the spam-wave counter). It imports only the standard
// library; adapters (memstore, redisstore, lingua, httpapi) talk to each other
// through these types.
package moderation
