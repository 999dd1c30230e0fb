package redisstore

import (
	"strings"

	"github.com/redis/go-redis/v9"
)

// recordsLayout returns the prefix Records keeps its keys under on client,
// and the keys its transactions name to go-redis before they read anything.
//
// A Redis Cluster runs a transaction, an MGET or a script only over keys in
// one hash slot, and go-redis must be told a key to pick the node that
// WATCHes. So on a Cluster client every key of the records carries one hash
// tag: the prefix is put in braces ("aup:" becomes "{aup}:") unless it
// already holds a tag, and Update names the key <prefix>slot, which is never
// written. A single server and Sentinel keep the prefix as given, so the keys
// of an existing deployment stay where they are.
func recordsLayout(client redis.UniversalClient, prefix string) (string, []string) {
	if _, ok := client.(*redis.ClusterClient); !ok {
		return prefix, nil
	}
	if !hasHashTag(prefix) {
		tag := strings.TrimSuffix(prefix, ":")
		if tag == "" {
			tag = "records"
		}
		prefix = "{" + tag + "}:"
	}
	return prefix, []string{prefix + "slot"}
}

// hasHashTag reports whether every key that starts with prefix hashes by a
// tag within prefix: a "{" followed, later in prefix, by a "}" with at least
// one byte between them.
func hasHashTag(prefix string) bool {
	open := strings.IndexByte(prefix, '{')
	if open < 0 {
		return false
	}
	return strings.IndexByte(prefix[open+1:], '}') > 0
}
