package review

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// idxAge indexes a lane's open cases by creation time (ms). enqueue and
// dequeue keep it beside idxQueue, so it holds the same members, except
// cases queued before it existed: it holds a subset of the queue.
func idxAge(l moderation.Lane) string { return "queue-age:" + string(l) }

// LaneStats is one review lane's queue: how many open cases wait in it and
// since when the oldest has waited.
type LaneStats struct {
	Lane   moderation.Lane `json:"lane"`
	Open   int             `json:"open"`
	Oldest time.Time       `json:"oldest,omitzero"` // creation time of the oldest open case; zero when empty
}

// maxAgeScan bounds the queue members Queues reads for a lane whose age
// index is incomplete: cases queued before the index existed (or, for a
// moment, a case moving between the two counts). Those members are the
// lane's most urgent, so beyond the bound an older, less urgent case may be
// missed.
const maxAgeScan = 10_000

// Queues returns the stats of every lane, most urgent first (moderation.Lanes
// order). It costs a few store calls per lane whatever the queues' lengths.
func (d *Desk) Queues(ctx context.Context) ([]LaneStats, error) {
	all := RangeQuery{Min: math.Inf(-1), Max: math.Inf(1)}
	first := all
	first.Limit = 1
	out := make([]LaneStats, 0, len(moderation.Lanes))
	for _, l := range moderation.Lanes {
		s := LaneStats{Lane: l}
		n, err := d.cfg.Store.Count(ctx, idxQueue(l))
		if err != nil {
			return nil, fmt.Errorf("count the %s queue: %w", l, err)
		}
		s.Open = n
		if n == 0 {
			out = append(out, s)
			continue
		}
		aged, err := d.cfg.Store.Count(ctx, idxAge(l))
		if err != nil {
			return nil, fmt.Errorf("count the %s queue by age: %w", l, err)
		}
		oldest, err := d.cfg.Store.Range(ctx, idxAge(l), first)
		if err != nil {
			return nil, fmt.Errorf("the oldest case of the %s queue: %w", l, err)
		}
		if len(oldest) > 0 {
			s.Oldest = time.UnixMilli(int64(oldest[0].Score)).UTC()
		}
		if aged != n {
			// Some cases are missing from the age index: take the creation
			// second from the queue scores of the first maxAgeScan.
			q := all
			q.Limit = maxAgeScan
			members, err := d.cfg.Store.Range(ctx, idxQueue(l), q)
			if err != nil {
				return nil, fmt.Errorf("scan the %s queue: %w", l, err)
			}
			for _, m := range members {
				if t := queueCreated(m.Score); s.Oldest.IsZero() || t.Before(s.Oldest) {
					s.Oldest = t
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// queueCreated is the creation second a queueScore holds in its low digits.
func queueCreated(score float64) time.Time {
	sec := math.Mod(score, 1e10)
	if sec < 0 {
		sec += 1e10
	}
	return time.Unix(int64(sec), 0).UTC()
}
