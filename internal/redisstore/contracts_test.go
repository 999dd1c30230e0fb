package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
	"github.com/aup-dev/aup/internal/review"
	"github.com/aup-dev/aup/internal/storetest"
)

// testContracts runs the store contracts (records, verdict cache, wave
// counter) through client: a Cluster's, a Sentinel's.
func testContracts(t *testing.T, client redis.UniversalClient) {
	t.Run("records contract", func(t *testing.T) {
		storetest.TestRecords(t, func(*testing.T) review.Store {
			return redisstore.NewRecords(client, redistest.Prefix())
		})
	})
	t.Run("cache contract", func(t *testing.T) {
		storetest.TestVerdictCache(t, func(*testing.T) moderation.VerdictCache {
			return redisstore.New(client, redistest.Prefix())
		})
	})
	t.Run("wave counter contract", func(t *testing.T) {
		storetest.TestWaveCounter(t, func(_ *testing.T, maxUsers int) moderation.WaveCounter {
			return redisstore.New(client, redistest.Prefix()).WithMaxWaveUsers(maxUsers)
		})
	})
}
