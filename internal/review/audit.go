package review

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aup-dev/aup/internal/moderation"
)

// AuditQuery selects audit entries: after a cursor (an entry id, or "" from
// the start), optionally only those by one actor or about one target.
type AuditQuery struct {
	After    string
	Actor    string
	TargetID string
	Limit    int // default and maximum 500
}

// MaxAudit is the most entries one Audit call returns.
const MaxAudit = 500

// Audit returns audit entries, oldest first, and the cursor to pass as
// After for the next page: the id of the last entry read, so that polling
// with it returns only what was logged since.
func (d *Desk) Audit(ctx context.Context, q AuditQuery) ([]moderation.AuditEntry, string, error) {
	if q.Limit <= 0 || q.Limit > MaxAudit {
		q.Limit = MaxAudit
	}
	out := []moderation.AuditEntry{}
	cursor := q.After
	// The log names users and reporters by pseudonym; a query may name
	// them by id.
	actor, target := d.psn.actor(q.Actor), d.psn.of(q.TargetID)
	// Filters are applied to pages read in order; scanning is bounded so
	// that a rare filter cannot make one request read the whole log.
	for scanned := 0; len(out) < q.Limit && scanned < 20*MaxAudit; {
		entries, err := d.cfg.Store.ReadLog(ctx, logAudit, cursor, MaxAudit)
		if err != nil {
			return nil, "", fmt.Errorf("read audit log: %w", err)
		}
		for _, le := range entries {
			cursor = le.ID
			scanned++
			var e moderation.AuditEntry
			if err := json.Unmarshal(le.Data, &e); err != nil {
				return nil, "", fmt.Errorf("decode audit entry %s: %w", le.ID, err)
			}
			e.ID = le.ID
			if q.Actor != "" && e.Actor != q.Actor && e.Actor != actor || q.TargetID != "" && e.TargetID != q.TargetID && e.TargetID != target {
				continue
			}
			out = append(out, e)
			if len(out) == q.Limit {
				return out, cursor, nil
			}
		}
		if len(entries) < MaxAudit {
			break
		}
	}
	return out, cursor, nil
}
