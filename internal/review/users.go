package review

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// user is a user's record: the suspension in force, strikes and the
// decisions about them.
type user struct {
	Suspension *moderation.Suspension `json:"suspension,omitempty"`
	// Earlier are suspensions a longer one replaced while they were in
	// force; reversing the longer one on appeal brings back the latest of
	// them still running.
	Earlier   []moderation.Suspension `json:"earlier,omitempty"`
	Strikes   []moderation.Strike     `json:"strikes,omitempty"`
	Decisions []string                `json:"decisions,omitempty"`
	// Proposal is the open suspension proposal case, if any.
	Proposal string `json:"proposal,omitempty"`
}

const maxUserDecisions = 200 // the newest decision ids kept on a user's record

// UserStatus returns a user's standing: the suspension in force, the strikes
// within the strike window and the decisions about them.
func (d *Desk) UserStatus(ctx context.Context, id string) (moderation.UserStatus, error) {
	var u user
	if _, err := d.load(ctx, keyUser+id, &u); err != nil {
		return moderation.UserStatus{}, fmt.Errorf("load user: %w", err)
	}
	st := d.status(id, u, d.now())
	var rs moderation.Restriction
	if ok, err := d.load(ctx, keyRestricted+id, &rs); err != nil {
		return st, fmt.Errorf("load restriction: %w", err)
	} else if ok {
		st.Restriction = &rs
	}
	return st, nil
}

func (d *Desk) status(id string, u user, now time.Time) moderation.UserStatus {
	st := moderation.UserStatus{UserID: id, Strikes: d.recentStrikes(u, now), Decisions: u.Decisions}
	if u.Suspension.Active(now) {
		st.Suspension = u.Suspension
	}
	if st.Decisions == nil {
		st.Decisions = []string{}
	}
	return st
}

// recentStrikes returns u's strikes within the strike window.
func (d *Desk) recentStrikes(u user, now time.Time) []moderation.Strike {
	out := []moderation.Strike{}
	for _, s := range u.Strikes {
		if now.Sub(s.At) < d.cfg.StrikeWindow {
			out = append(out, s)
		}
	}
	return out
}

// Suspended returns the suspension in force for user id, or nil. It is on
// the check path: one read.
func (d *Desk) Suspended(ctx context.Context, id string) (*moderation.Suspension, error) {
	var u user
	if _, err := d.load(ctx, keyUser+id, &u); err != nil {
		return nil, err
	}
	if !u.Suspension.Active(d.now()) {
		return nil, nil
	}
	return u.Suspension, nil
}

// SuspendRequest is a moderator's direct suspension of a user.
type SuspendRequest struct {
	Reason     string
	Days       int // 0: indefinitely
	Categories []moderation.Category
	// IdempotencyKey makes a retried request return the first one's
	// decision (replayed true) instead of suspending twice.
	IdempotencyKey string
}

// Suspend suspends user id directly. It is a decision like any other, with a
// statement of reasons, and can be appealed.
func (d *Desk) Suspend(ctx context.Context, moderator, id string, req SuspendRequest) (dec moderation.Decision, replayed bool, err error) {
	if id == "" || strings.TrimSpace(req.Reason) == "" {
		return dec, false, moderation.Errorf(moderation.EINVALID, "a suspension needs the user id and a reason, for the record and the statement of reasons")
	}
	if err := checkSuspendDays(req.Days); err != nil {
		return dec, false, err
	}
	err = d.update(ctx, func(t *txn) error {
		replayed = false
		idem := ""
		if req.IdempotencyKey != "" {
			idem = keyIdem + moderator + "\x00" + req.IdempotencyKey
			var done idemRecord
			if ok, err := t.get(idem, &done); err != nil {
				return err
			} else if ok {
				if _, err := t.get(keyDec+done.DecisionID, &dec); err != nil {
					return err
				}
				if done.CaseID != "" || dec.Target.ID != id {
					return moderation.Errorf(moderation.ECONFLICT, "the idempotency key was already used for another request")
				}
				replayed = true
				return nil
			}
		}
		dec = moderation.Decision{
			ID:         newID("dec", t.now),
			Action:     moderation.ActionSuspend,
			Categories: dedupe(req.Categories),
			Reason:     req.Reason,
			Moderator:  moderator,
			Target:     moderation.Target{Type: moderation.TargetUser, ID: id, UserID: id},
			DecidedAt:  t.now,
		}
		u, err := loadUser(t, id)
		if err != nil {
			return err
		}
		if err := d.suspend(t, &u, &dec, req.Days); err != nil {
			return err
		}
		d.record(t, &u, &dec)
		if idem != "" {
			t.put(idem, idemRecord{DecisionID: dec.ID}, idempotencyTTL)
		}
		return nil
	})
	return dec, replayed, err
}

// dedupe returns cats without repeats, in the policy's order, never nil.
func dedupe(cats []moderation.Category) []moderation.Category {
	out := []moderation.Category{}
	for _, c := range moderation.Categories {
		if slices.Contains(cats, c) {
			out = append(out, c)
		}
	}
	return out
}

// MaxSuspendDays is the longest suspension with an end; longer is
// indefinite (0 days).
const MaxSuspendDays = 3650

func checkSuspendDays(days int) error {
	if days < 0 || days > MaxSuspendDays {
		return moderation.Errorf(moderation.EINVALID, "suspend_days must be 1 to %d days, or 0 to suspend indefinitely", MaxSuspendDays)
	}
	return nil
}

func loadUser(t *txn, id string) (user, error) {
	var u user
	_, err := t.get(keyUser+id, &u)
	return u, err
}

// suspend puts a suspension for days (0: indefinitely) on u and dec.
func (d *Desk) suspend(t *txn, u *user, dec *moderation.Decision, days int) error {
	uid := dec.Target.UserID
	if uid == "" {
		return moderation.Errorf(moderation.EINVALID, "the case does not name the content's author (target_user_id), so there is no one to suspend")
	}
	s := &moderation.Suspension{ID: newID("sus", t.now), UserID: uid, Reason: dec.Reason, By: dec.Moderator, DecisionID: dec.ID, Since: t.now}
	if days > 0 {
		until := t.now.Add(time.Duration(days) * 24 * time.Hour)
		s.Until = &until
	}
	// A suspension replaces the one in force, so it must not end sooner: a
	// stale proposal decided for seven days would free an account banned
	// indefinitely.
	if old := u.Suspension; old.Active(t.now) && (old.Until == nil || s.Until != nil && old.Until.After(*s.Until)) {
		until := "indefinitely"
		if old.Until != nil {
			until = "until " + old.Until.Format("2006-01-02 15:04Z")
		}
		return moderation.Errorf(moderation.ECONFLICT, "user %s is already suspended %s (decision %s); a new suspension may not shorten it: lift it first, or decide without suspending", uid, until, old.DecisionID)
	}
	if old := u.Suspension; old.Active(t.now) {
		u.Earlier = append(u.Earlier, *old)
	}
	u.Suspension = s
	dec.SuspensionID = s.ID
	dec.SuspendedUntil = s.Until
	t.emit(moderation.EventUserSuspended, map[string]any{"user_id": uid, "suspension_id": s.ID, "until": s.Until, "reason": s.Reason, "decision_id": dec.ID})
	t.audit(moderation.AuditEntry{Actor: dec.Moderator, Action: "user.suspended", TargetType: moderation.TargetUser, TargetID: uid, DecisionID: dec.ID, Reason: dec.Reason})
	basis := BasisDecision
	switch dec.CaseKind {
	case "":
		basis = BasisDirect
	case moderation.KindSuspension:
		basis = BasisStrikes
	}
	t.stat(Stat{Kind: StatSuspension, Categories: dec.Categories, Basis: basis, Indefinite: s.Until == nil})
	return nil
}

// Lift ends the suspension in force for user id.
func (d *Desk) Lift(ctx context.Context, moderator, id, reason string) (moderation.Suspension, error) {
	var lifted moderation.Suspension
	err := d.update(ctx, func(t *txn) error {
		u, err := loadUser(t, id)
		if err != nil {
			return err
		}
		if !u.Suspension.Active(t.now) {
			return moderation.Errorf(moderation.ENOTFOUND, "user %s is not suspended", id)
		}
		lifted = *u.Suspension
		u.Earlier = nil // lifting frees the user of every suspension
		liftSuspension(t, &u, id, moderator, reason, "")
		t.put(keyUser+id, u, 0)
		return nil
	})
	return lifted, err
}

// reverseSuspension undoes suspension id on appeal: the one in force is
// lifted, or the latest earlier one still running takes its place (the
// product is told the user is suspended until then); a replaced one is
// forgotten.
func reverseSuspension(t *txn, u *user, uid, id string, dec *moderation.Decision) {
	u.Earlier = slices.DeleteFunc(u.Earlier, func(s moderation.Suspension) bool { return s.ID == id || !s.Active(t.now) })
	if u.Suspension == nil || u.Suspension.ID != id {
		return
	}
	if n := len(u.Earlier); n > 0 {
		restored := u.Earlier[n-1]
		u.Earlier = u.Earlier[:n-1]
		u.Suspension = &restored
		t.emit(moderation.EventUserSuspended, map[string]any{"user_id": uid, "suspension_id": restored.ID, "until": restored.Until, "reason": restored.Reason, "decision_id": restored.DecisionID})
		t.audit(moderation.AuditEntry{Actor: dec.Moderator, Action: "user.suspension_restored", TargetType: moderation.TargetUser, TargetID: uid, DecisionID: dec.ID, Reason: "the suspension that replaced it was reversed on appeal"})
		return
	}
	liftSuspension(t, u, uid, dec.Moderator, dec.Reason, dec.ID)
}

// liftSuspension ends u's suspension and tells the product.
func liftSuspension(t *txn, u *user, id, actor, reason, decisionID string) {
	s := u.Suspension
	u.Suspension = nil
	t.emit(moderation.EventUserReinstated, map[string]any{"user_id": id, "suspension_id": s.ID, "reason": reason, "decision_id": decisionID})
	t.audit(moderation.AuditEntry{Actor: actor, Action: "user.reinstated", TargetType: moderation.TargetUser, TargetID: id, DecisionID: decisionID, Reason: reason})
}

// record stores dec, adds it to the user's record and tells the product.
func (d *Desk) record(t *txn, u *user, dec *moderation.Decision) {
	if uid := dec.Target.UserID; uid != "" {
		u.Decisions = append(u.Decisions, dec.ID)
		if n := len(u.Decisions); n > maxUserDecisions {
			u.Decisions = slices.Clone(u.Decisions[n-maxUserDecisions:])
		}
		t.put(keyUser+uid, u, 0)
		t.tx.Add(idxUsers, uid, float64(dec.DecidedAt.UnixMilli()))
		t.tx.Add(idxSubject(uid), keyDec+dec.ID, float64(dec.DecidedAt.UnixMilli()))
	}
	t.put(keyDec+dec.ID, dec, 0)
	t.tx.Add(idxDecisions, dec.ID, float64(dec.DecidedAt.UnixMilli()))
	t.stat(Stat{Kind: StatDecision, Action: dec.Action, Categories: dec.Categories, Source: decisionSource(dec), AutomatedDetection: dec.AutomatedDetection, ContentRemoved: dec.ContentRemoved})
	t.emit(moderation.EventDecisionMade, decisionEvent(dec))
	t.audit(moderation.AuditEntry{Actor: dec.Moderator, Action: "decision." + string(dec.Action), TargetType: dec.Target.Type, TargetID: dec.Target.ID, CaseID: dec.CaseID, DecisionID: dec.ID, Reason: dec.Reason})
}

// decisionEvent is the data of a decision.made event.
func decisionEvent(dec *moderation.Decision) map[string]any {
	return map[string]any{
		"decision_id": dec.ID, "case_id": dec.CaseID, "action": dec.Action, "categories": dec.Categories,
		"target": dec.Target, "reason": dec.Reason, "content_removed": dec.ContentRemoved,
		"suspension_id": dec.SuspensionID, "appeal_of": dec.AppealOf, "decided_at": dec.DecidedAt,
	}
}
