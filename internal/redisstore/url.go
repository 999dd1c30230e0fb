package redisstore

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// ParseURL returns a client for a Redis URL (the value of AUP_REDIS_URL).
// It supports, all through go-redis's own URL parsers:
//
//	redis://[user:password@]host[:port][/db][?option=value...]   single node
//	rediss://...                                                  the same over TLS
//	unix://[user:password@]/path/to/socket[?db=N...]              single node on a socket
//	redis://host:port?addr=host2:port2&addr=host3:port3           Cluster (seed nodes)
//	redis://sentinel:26379?master_name=mymaster&addr=sentinel2:26379
//	                                                              Sentinel (failover)
//
// Options are go-redis's field names in snake case, for example
// dial_timeout=1s, read_timeout=500ms, max_retries=1, pool_size=20. With an
// addr parameter the URL names a Cluster; with master_name, a Sentinel
// master (user and password in the URL are the Sentinel's; the master's go
// in username= and password= parameters).
//
// A store that is down must cost a request little, since callers carry on
// without it, so the client differs from go-redis's defaults: it honours the
// deadline of each call's context (ContextTimeoutEnabled), dials once per
// attempt (DialerRetries 1, not 5 at 100 ms intervals), and unless the URL
// says otherwise retries a command once (max_retries=1, not 3) and gives up
// dialling after dial_timeout=1s (not 5s).
//
// The caller closes the client. The error never contains the URL, which may
// hold a password.
func ParseURL(rawURL string) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: parse redis url: %w", redact(err))
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		o, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("redisstore: parse redis sentinel url: %w", redact(err))
		}
		failFast(q, &o.ContextTimeoutEnabled, &o.DialerRetries, &o.MaxRetries, &o.DialTimeout)
		return redis.NewFailoverClient(o), nil
	case q.Has("addr"):
		o, err := redis.ParseClusterURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("redisstore: parse redis cluster url: %w", redact(err))
		}
		failFast(q, &o.ContextTimeoutEnabled, &o.DialerRetries, &o.MaxRetries, &o.DialTimeout)
		return redis.NewClusterClient(o), nil
	default:
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("redisstore: parse redis url: %w", redact(err))
		}
		failFast(q, &o.ContextTimeoutEnabled, &o.DialerRetries, &o.MaxRetries, &o.DialTimeout)
		return redis.NewClient(o), nil
	}
}

// failFast sets the options ParseURL documents, leaving those the URL's
// query q sets.
func failFast(q url.Values, ctxTimeout *bool, dialerRetries, maxRetries *int, dialTimeout *time.Duration) {
	*ctxTimeout = true
	*dialerRetries = 1
	if !q.Has("max_retries") {
		*maxRetries = 1
	}
	if !q.Has("dial_timeout") {
		*dialTimeout = time.Second
	}
}

// redact strips the URL, and with it any password, from a *url.Error.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
