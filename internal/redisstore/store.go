package redisstore

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/moderation"
)

// DefaultMaxWaveUsers is how many distinct users a Store counts per text key
// unless told otherwise with WithMaxWaveUsers.
const DefaultMaxWaveUsers = 1000

// Store is the verdict cache and wave counter on Redis. It implements
// moderation.VerdictCache, moderation.WaveCounter and moderation.Pinger and is
// safe for concurrent use.
//
// Keys, under the prefix given to New:
//
//	<prefix>verdict:{<key>}    string: verdict JSON, expiring after the TTL
//	<prefix>wave:{<textKey>}   sorted set: keyed hash of user id → last seen (Unix ms),
//	                           expiring one window after the last observation
//
// The braces make each key its own Cluster hash tag.
type Store struct {
	client       redis.UniversalClient
	prefix       string
	maxWaveUsers int
	userKey      []byte // keys the HMAC of user ids in wave counts
}

// New returns a Store that keeps its keys under prefix (for example "aup:")
// on client. The caller owns client and closes it.
func New(client redis.UniversalClient, prefix string) *Store {
	return &Store{client: client, prefix: prefix, maxWaveUsers: DefaultMaxWaveUsers}
}

// WithMaxWaveUsers returns a copy of s that counts at most n distinct users
// per text key. It panics if n is not positive.
func (s *Store) WithMaxWaveUsers(n int) *Store {
	if n <= 0 {
		panic("redisstore: WithMaxWaveUsers: n must be positive")
	}
	c := *s
	c.maxWaveUsers = n
	return &c
}

// Get returns the verdict stored under key; ok is false on a miss. An
// EUNAVAILABLE error means Redis could not be asked, and an EINTERNAL one
// that the stored value could not be decoded; callers treat both as a miss.
func (s *Store) Get(ctx context.Context, key string) (moderation.Verdict, bool, error) {
	var v moderation.Verdict
	b, err := s.client.Get(ctx, s.verdictKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return v, false, nil
	} else if err != nil {
		return v, false, unavailable("cache get", err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return moderation.Verdict{}, false, fmt.Errorf("redisstore: cache get: %w: %w",
			moderation.Errorf(moderation.EINTERNAL, "cached verdict unreadable"), err)
	}
	return v, true, nil
}

// Set stores v as JSON under key for ttl, rounded up to whole milliseconds.
// A ttl that is not positive is EINVALID; Redis errors are EUNAVAILABLE.
func (s *Store) Set(ctx context.Context, key string, v moderation.Verdict, ttl time.Duration) error {
	if ttl <= 0 {
		return moderation.Errorf(moderation.EINVALID, "cache ttl must be positive")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("redisstore: cache set: %w", err)
	}
	ttl = time.Duration(millis(ttl)) * time.Millisecond
	if err := s.client.Set(ctx, s.verdictKey(key), b, ttl).Err(); err != nil {
		return unavailable("cache set", err)
	}
	return nil
}

// observeScript updates one wave set in a single round trip. It drops the
// sightings that are window old or older, records the member at now unless
// it was already seen later, trims the set to the cap by dropping the oldest
// sightings, renews the key's expiry to one window and returns the count.
//
// KEYS[1] the wave set; ARGV: now (Unix ms), window (ms), member, cap.
var observeScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cap = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local seen = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not seen or tonumber(seen) < now then
	redis.call('ZADD', KEYS[1], now, ARGV[3])
end
local n = redis.call('ZCARD', KEYS[1])
if n > cap then
	redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - cap - 1)
	n = cap
end
redis.call('PEXPIRE', KEYS[1], window)
return n
`)

// Observe records that user sent the text identified by textKey at now and
// returns the number of distinct users, at most the cap, seen for textKey in
// the window ending at now: a sighting counts while it is less than window
// old. Times are taken from now at millisecond resolution, so instances
// agree as far as their clocks do. The user id is hashed before it is sent.
// A window that is not positive is EINVALID; Redis errors are EUNAVAILABLE.
func (s *Store) Observe(ctx context.Context, textKey, user string, now time.Time, window time.Duration) (int, error) {
	if window <= 0 {
		return 0, moderation.Errorf(moderation.EINVALID, "wave window must be positive")
	}
	n, err := observeScript.Run(ctx, s.client, []string{s.waveKey(textKey)},
		now.UnixMilli(), millis(window), s.hashUser(user), s.maxWaveUsers).Int()
	if err != nil {
		return 0, unavailable("wave observe", err)
	}
	return n, nil
}

// Ping reports whether Redis answers; errors are EUNAVAILABLE.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// WithUserKey returns a copy of s that stores user ids in wave counts as
// their HMAC-SHA256 under key, so that the counts cannot be tied to users by
// hashing candidate ids. Without a key they are stored as their SHA-256.
func (s *Store) WithUserKey(key []byte) *Store {
	c := *s
	c.userKey = key
	return &c
}

// hashUser returns the form in which a user id is stored: the first 16 bytes
// of its HMAC-SHA256 (or SHA-256 without a key), in hex.
func (s *Store) hashUser(user string) string {
	var sum []byte
	if len(s.userKey) > 0 {
		mac := hmac.New(sha256.New, s.userKey)
		mac.Write([]byte(user))
		sum = mac.Sum(nil)
	} else {
		h := sha256.Sum256([]byte(user))
		sum = h[:]
	}
	return hex.EncodeToString(sum[:16])
}

func (s *Store) verdictKey(key string) string { return s.prefix + "verdict:{" + key + "}" }

func (s *Store) waveKey(textKey string) string { return s.prefix + "wave:{" + textKey + "}" }

// millis rounds d up to whole milliseconds, the resolution of PX and of the
// wave scores.
func millis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// unavailable joins the EUNAVAILABLE error callers see with the cause, which
// is kept for the log.
func unavailable(op string, err error) error {
	return fmt.Errorf("redisstore: %s: %w: %w", op,
		moderation.Errorf(moderation.EUNAVAILABLE, "store unavailable"), err)
}

var (
	_ moderation.VerdictCache = (*Store)(nil)
	_ moderation.WaveCounter  = (*Store)(nil)
	_ moderation.Pinger       = (*Store)(nil)
)
