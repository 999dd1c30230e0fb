package review

import (
	"context"

	"github.com/aup-dev/aup/internal/moderation"
)

// ClaimCase leases one case, by id, to moderator: for a moderator who picks
// a case from a listing rather than taking the next one. A case the same
// moderator already holds has its lease renewed.
func (d *Desk) ClaimCase(ctx context.Context, moderator, id string) (moderation.Case, error) {
	if err := d.ExpireLeases(ctx); err != nil {
		return moderation.Case{}, err
	}
	var c moderation.Case
	err := d.update(ctx, func(t *txn) error {
		c = moderation.Case{}
		if ok, err := t.get(keyCase+id, &c); err != nil {
			return err
		} else if !ok {
			return notFound("case", id)
		}
		switch {
		case c.Status == moderation.CaseClosed:
			return moderation.Errorf(moderation.ECONFLICT, "case %s is already decided", id)
		case c.Status == moderation.CaseClaimed && c.Lease.Moderator != moderator:
			return moderation.Errorf(moderation.ECONFLICT, "case %s is claimed by %s until %s", id, c.Lease.Moderator, c.Lease.Until.Format("15:04:05Z"))
		case c.OriginalDecider == moderator:
			return moderation.Errorf(moderation.EFORBIDDEN, "case %s is an appeal against your own decision; another moderator must decide it", id)
		}
		d.lease(t, &c, moderator)
		return nil
	})
	return c, err
}
