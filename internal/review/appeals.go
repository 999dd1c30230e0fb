package review

import (
	"context"
	"slices"

	"github.com/aup-dev/aup/internal/moderation"
)

// Appeal opens an appeal case against a decision, on behalf of the user it
// was about, within the appeal window. Appealing the same decision again
// returns the case already open (created false). The appeal must be decided
// by another moderator than the original decider.
func (d *Desk) Appeal(ctx context.Context, userID, decisionID, statement string) (c moderation.Case, created bool, err error) {
	err = d.update(ctx, func(t *txn) error {
		created = false
		var dec moderation.Decision
		if ok, err := t.get(keyDec+decisionID, &dec); err != nil {
			return err
		} else if !ok {
			return notFound("decision", decisionID)
		}
		if userID == "" || dec.Target.UserID != userID {
			return moderation.Errorf(moderation.EFORBIDDEN, "decision %s is not about user %s; only the user it affected may appeal", decisionID, userID)
		}
		var caseID string
		if ok, err := t.get(keyAppeal+decisionID, &caseID); err != nil {
			return err
		} else if ok {
			if ok, err := t.get(keyCase+caseID, &c); err != nil {
				return err
			} else if !ok {
				return moderation.Errorf(moderation.ECONFLICT, "decision %s was appealed, and the appeal decided; a decision is appealed once", decisionID)
			}
			return nil
		}
		if !dec.ContentRemoved && dec.SuspensionID == "" {
			return moderation.Errorf(moderation.EINVALID, "decision %s did not act against the user (%s); there is nothing to appeal", decisionID, dec.Action)
		}
		if dec.ReversedBy != "" {
			return moderation.Errorf(moderation.ECONFLICT, "decision %s was already reversed", decisionID)
		}
		if t.now.Sub(dec.DecidedAt) > d.cfg.AppealWindow {
			return moderation.Errorf(moderation.EINVALID, "appeals are accepted for %d days after a decision; decision %s was made on %s", int(d.cfg.AppealWindow.Hours()/24), decisionID, dec.DecidedAt.Format("2006-01-02"))
		}
		nc := newCase(t, moderation.KindAppeal, dec.Target)
		nc.AppealOf = dec.ID
		nc.Statement = statement
		nc.OriginalDecider = dec.Moderator
		addCategories(nc, dec.Categories...)
		nc.History = append(nc.History, moderation.CaseEvent{At: t.now, Actor: "user:" + userID, Action: "appealed", Detail: dec.ID})
		saveCase(t, nc)
		t.put(keyAppeal+decisionID, nc.ID, 0)
		t.audit(moderation.AuditEntry{Actor: "user:" + userID, Action: "appeal.received", TargetType: dec.Target.Type, TargetID: dec.Target.ID, CaseID: nc.ID, DecisionID: dec.ID})
		t.stat(Stat{Kind: StatAppeal, Categories: dec.Categories})
		c, created = *nc, true
		return nil
	})
	return c, created, err
}

// applyAppeal decides an appeal: reverse undoes the original decision's
// removal, strike, suspension and hash bank entries; dismiss confirms it.
// unbanked reports whether bank entries were deleted.
func (d *Desk) applyAppeal(t *txn, c *moderation.Case, u *user, dec *moderation.Decision) (unbanked bool, err error) {
	var orig moderation.Decision
	if ok, err := t.get(keyDec+c.AppealOf, &orig); err != nil {
		return false, err
	} else if !ok {
		return false, notFound("decision", c.AppealOf)
	}
	outcome := "confirmed"
	if dec.Action == moderation.ActionReverse {
		outcome = "reversed"
		orig.ReversedBy = dec.ID
		t.put(keyDec+orig.ID, orig, 0)
		if orig.ContentRemoved {
			t.emit(moderation.EventContentRestored, map[string]any{"target": orig.Target, "decision_id": orig.ID, "appeal_decision_id": dec.ID})
			t.audit(moderation.AuditEntry{Actor: dec.Moderator, Action: "content.restored", TargetType: orig.Target.Type, TargetID: orig.Target.ID, CaseID: c.ID, DecisionID: dec.ID, Reason: dec.Reason})
			u.Strikes = slices.DeleteFunc(u.Strikes, func(s moderation.Strike) bool { return s.DecisionID == orig.ID })
		}
		if orig.SuspensionID != "" {
			reverseSuspension(t, u, orig.Target.UserID, orig.SuspensionID, dec)
		}
		if unbanked, err = unbank(t, &orig, dec); err != nil {
			return false, err
		}
		if orig.CaseID != "" {
			queueResolution(t, orig.CaseID, orig.ID) // its reports were not founded after all
		}
	}
	t.stat(Stat{Kind: StatAppealDecided, Categories: orig.Categories, Outcome: outcome, Seconds: max(0, t.now.Sub(c.CreatedAt).Seconds())})
	t.emit(moderation.EventAppealResolved, map[string]any{"case_id": c.ID, "user_id": orig.Target.UserID, "decision_id": orig.ID, "appeal_decision_id": dec.ID, "outcome": outcome, "reason": dec.Reason})
	return unbanked, nil
}
