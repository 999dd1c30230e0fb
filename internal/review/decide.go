package review

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/moderation"
)

// DecisionRequest is what a moderator decides about a case.
type DecisionRequest struct {
	Action     moderation.DecisionAction
	Categories []moderation.Category
	Reason     string
	// SuspendDays is the length of a suspension in days; 0 is indefinite.
	SuspendDays int
	// Bank, with remove or suspend on a case about an upload, names the
	// hash bank to add the upload's hashes to, so that the same file or
	// images are caught when uploaded again. The decision lists the entries
	// it added, and a reversal on appeal deletes them.
	Bank string
	// IdempotencyKey makes a retried request return the first one's result.
	IdempotencyKey string
}

// Outcome is the result of a decision request: the case as it now is, and
// the decision unless the request escalated the case.
type Outcome struct {
	Case     moderation.Case      `json:"case"`
	Decision *moderation.Decision `json:"decision,omitempty"`
	// Replayed is true when the request repeated one already carried out,
	// which was not carried out again.
	Replayed bool `json:"replayed"`
	// BanksChanged is true when the decision added hash bank entries or,
	// reversing a decision on appeal, deleted some.
	BanksChanged bool `json:"-"`
}

// Allowed lists the actions a case accepts, by its kind and target.
func Allowed(c *moderation.Case) []moderation.DecisionAction {
	switch {
	case c.Kind == moderation.KindAppeal:
		return []moderation.DecisionAction{moderation.ActionReverse, moderation.ActionDismiss, moderation.ActionEscalate}
	case c.Kind == moderation.KindSuspension, c.Target.Type == moderation.TargetUser:
		return []moderation.DecisionAction{moderation.ActionSuspend, moderation.ActionDismiss, moderation.ActionKeep, moderation.ActionEscalate}
	}
	return []moderation.DecisionAction{moderation.ActionKeep, moderation.ActionRemove, moderation.ActionSuspend, moderation.ActionDismiss, moderation.ActionEscalate}
}

// validate checks req against the case it decides.
func (req DecisionRequest) validate(c *moderation.Case) error {
	acts := Allowed(c)
	if !slices.Contains(acts, req.Action) {
		names := make([]string, len(acts))
		for i, a := range acts {
			names[i] = string(a)
		}
		return moderation.Errorf(moderation.EINVALID, "action must be one of %s for %s cases about a %s", strings.Join(names, ", "), c.Kind, c.Target.Type)
	}
	if req.Action == moderation.ActionRemove || req.Action == moderation.ActionSuspend {
		if len(req.Categories) == 0 {
			return moderation.Errorf(moderation.EINVALID, "categories is required for %s: the policy categories the content or account breaks", req.Action)
		}
		if err := checkSuspendDays(req.SuspendDays); err != nil {
			return err
		}
	}
	if req.Bank != "" && (c.File == nil || req.Action != moderation.ActionRemove && req.Action != moderation.ActionSuspend) {
		return moderation.Errorf(moderation.EINVALID, "add_to_bank applies to removing an upload: action remove or suspend on a case about an upload")
	}
	return nil
}

// MaxReason is the most characters a decision's reason may have: it goes
// into the audit log, the statement of reasons and the product's events.
const MaxReason = 2000

// Decide carries out a moderator's decision on a case they hold the lease
// of. A retried request (the same idempotency key, or the same action on a
// case the same moderator already decided) returns the first result with
// Replayed set. Escalate moves the case to the next more urgent lane and
// gives up the lease. Removing an upload may add its hashes to a hash bank
// (req.Bank) in the same transaction.
func (d *Desk) Decide(ctx context.Context, moderator, caseID string, req DecisionRequest) (Outcome, error) {
	return d.decide(ctx, moderator, caseID, req, false)
}

// BulkResult is one case's result in a bulk decision.
type BulkResult struct {
	CaseID  string   `json:"case_id"`
	Outcome *Outcome `json:"outcome,omitempty"`
	Err     error    `json:"-"`
}

// MaxBulk is the most cases in one bulk decision.
const MaxBulk = 100

// DecideBulk applies one decision to several cases, for floods. Unlike
// Decide it takes cases that nobody holds as well as the caller's own; each
// case succeeds or fails on its own.
func (d *Desk) DecideBulk(ctx context.Context, moderator string, ids []string, req DecisionRequest) []BulkResult {
	out := make([]BulkResult, len(ids))
	if req.Action == moderation.ActionEscalate {
		// Escalation releases the case, so a retried bulk request would
		// escalate every case a second time.
		err := moderation.Errorf(moderation.EINVALID, "escalate cases one at a time, not in bulk")
		for i, id := range ids {
			out[i] = BulkResult{CaseID: id, Err: err}
		}
		return out
	}
	for i, id := range ids {
		r := req
		if r.IdempotencyKey != "" {
			r.IdempotencyKey += ":" + id
		}
		o, err := d.decide(ctx, moderator, id, r, true)
		out[i] = BulkResult{CaseID: id, Err: err}
		if err == nil {
			out[i].Outcome = &o
		}
	}
	return out
}

func (d *Desk) decide(ctx context.Context, moderator, caseID string, req DecisionRequest, unclaimed bool) (Outcome, error) {
	if strings.TrimSpace(req.Reason) == "" {
		return Outcome{}, moderation.Errorf(moderation.EINVALID, "reason is required: say why, for the record and the statement of reasons")
	}
	if n := utf8.RuneCountInString(req.Reason); n > MaxReason {
		return Outcome{}, moderation.Errorf(moderation.EINVALID, "reason is %d characters; the limit is %d", n, MaxReason)
	}
	var out Outcome
	err := d.update(ctx, func(t *txn) error {
		out = Outcome{}
		idem := ""
		if req.IdempotencyKey != "" {
			idem = keyIdem + moderator + "\x00" + req.IdempotencyKey
			var done idemRecord
			if ok, err := t.get(idem, &done); err != nil {
				return err
			} else if ok {
				return replay(t, &out, caseID, done)
			}
		}
		c := &out.Case
		if ok, err := t.get(keyCase+caseID, c); err != nil {
			return err
		} else if !ok {
			return notFound("case", caseID)
		}
		if c.Status == moderation.CaseClosed {
			var dec moderation.Decision
			if _, err := t.get(keyDec+c.DecisionID, &dec); err != nil {
				return err
			}
			if dec.Moderator == moderator && dec.Action == req.Action {
				out.Decision, out.Replayed = &dec, true
				return nil
			}
			return moderation.Errorf(moderation.ECONFLICT, "case %s was already decided (%s by %s)", caseID, dec.Action, dec.Moderator)
		}
		// Before the lease: the original decider can never claim the appeal,
		// so "claim it first" would send them in circles.
		if c.Kind == moderation.KindAppeal && c.OriginalDecider == moderator {
			return moderation.Errorf(moderation.EFORBIDDEN, "an appeal must be decided by a different moderator than the one who made the decision")
		}
		if err := checkLease(c, moderator, unclaimed, t.now); err != nil {
			return err
		}
		if err := req.validate(c); err != nil {
			return err
		}
		if req.Action == moderation.ActionEscalate {
			if err := escalate(t, c, moderator, req.Reason); err != nil {
				return err
			}
			if idem != "" {
				t.put(idem, idemRecord{CaseID: c.ID}, idempotencyTTL)
			}
			return nil
		}
		dec, banks, err := d.apply(t, c, moderator, req)
		if err != nil {
			return err
		}
		out.Decision, out.BanksChanged = dec, banks
		if idem != "" {
			t.put(idem, idemRecord{CaseID: c.ID, DecisionID: dec.ID}, idempotencyTTL)
		}
		return nil
	})
	return out, err
}

// idemRecord is what an idempotency key did: the case, and the decision
// unless the request escalated the case.
type idemRecord struct {
	CaseID     string `json:"case_id"`
	DecisionID string `json:"decision_id,omitempty"`
}

// replay fills out with the result of an earlier request.
func replay(t *txn, out *Outcome, caseID string, done idemRecord) error {
	if done.CaseID != caseID {
		return moderation.Errorf(moderation.ECONFLICT, "the idempotency key was already used for case %s", done.CaseID)
	}
	out.Replayed = true
	if _, err := t.get(keyCase+caseID, &out.Case); err != nil {
		return err
	}
	if done.DecisionID == "" {
		return nil
	}
	dec := new(moderation.Decision)
	if _, err := t.get(keyDec+done.DecisionID, dec); err != nil {
		return err
	}
	out.Decision = dec
	return nil
}

// checkLease allows a decision by the moderator holding c's lease, or, with
// unclaimed, on a case nobody holds. A lease that has run out holds nobody
// off, though the case stays claimed until ExpireLeases requeues it.
func checkLease(c *moderation.Case, moderator string, unclaimed bool, now time.Time) error {
	switch {
	case c.Status == moderation.CaseClaimed && c.Lease.Moderator == moderator:
		return nil
	case c.Status == moderation.CaseClaimed && c.Lease.Until.After(now):
		return moderation.Errorf(moderation.ECONFLICT, "case %s is claimed by %s until %s", c.ID, c.Lease.Moderator, c.Lease.Until.Format("15:04:05Z"))
	case unclaimed:
		return nil
	}
	return moderation.Errorf(moderation.ECONFLICT, "case %s is not claimed by you; claim it first (your lease may have run out)", c.ID)
}

// escalate moves c to the next more urgent lane and back into the queue.
func escalate(t *txn, c *moderation.Case, moderator, reason string) error {
	r := c.Lane.Rank()
	if r <= 0 {
		return moderation.Errorf(moderation.EINVALID, "case %s is already in the most urgent lane", c.ID)
	}
	from := c.Lane
	c.EscalatedTo = moderation.Lanes[r-1]
	c.Status = moderation.CaseOpen
	c.Lease = nil
	c.History = append(c.History, moderation.CaseEvent{At: t.now, Actor: moderator, Action: "escalated", Detail: fmt.Sprintf("%s → %s: %s", from, c.EscalatedTo, reason)})
	saveCase(t, c)
	t.audit(moderation.AuditEntry{Actor: moderator, Action: "case.escalated", TargetType: c.Target.Type, TargetID: c.Target.ID, CaseID: c.ID, Reason: reason})
	return nil
}

// apply records a final decision on c and everything it enforces, and
// reports whether that changed the hash banks.
func (d *Desk) apply(t *txn, c *moderation.Case, moderator string, req DecisionRequest) (*moderation.Decision, bool, error) {
	dec := &moderation.Decision{
		ID:                 newID("dec", t.now),
		CaseID:             c.ID,
		CaseKind:           c.Kind,
		Action:             req.Action,
		Categories:         dedupe(req.Categories),
		Reason:             req.Reason,
		Moderator:          moderator,
		Target:             c.Target,
		AutomatedDetection: c.AutomatedDetection,
		Notice:             c.ReportCount > 0,
		AppealOf:           c.AppealOf,
		DecidedAt:          t.now,
	}
	var u user
	if uid := c.Target.UserID; uid != "" {
		var err error
		if u, err = loadUser(t, uid); err != nil {
			return nil, false, err
		}
	}
	var err error
	banks := false
	switch c.Kind {
	case moderation.KindAppeal:
		banks, err = d.applyAppeal(t, c, &u, dec)
	case moderation.KindSuspension:
		u.Proposal = ""
		if dec.Action == moderation.ActionSuspend {
			err = d.suspend(t, &u, dec, req.SuspendDays)
		}
	default:
		err = d.applyContent(t, c, &u, dec, req)
		banks = len(dec.BankEntries) > 0
	}
	if err != nil {
		return nil, false, err
	}
	d.record(t, &u, dec)
	c.Status = moderation.CaseClosed
	c.Lease = nil
	c.DecisionID = dec.ID
	c.History = append(c.History, moderation.CaseEvent{At: t.now, Actor: moderator, Action: "decided", Detail: string(dec.Action) + " (" + dec.ID + ")"})
	saveCase(t, c)
	return dec, banks, nil
}

// applyContent enforces a decision on a case about content or an account,
// with the hash bank entries req asks for, and resolves its reports.
func (d *Desk) applyContent(t *txn, c *moderation.Case, u *user, dec *moderation.Decision, req DecisionRequest) error {
	content := c.Target.Type != moderation.TargetUser
	if content && (dec.Action == moderation.ActionRemove || dec.Action == moderation.ActionSuspend) {
		dec.ContentRemoved = true
		t.emit(moderation.EventContentRemoved, map[string]any{"target": c.Target, "decision_id": dec.ID, "categories": dec.Categories})
		t.audit(moderation.AuditEntry{Actor: dec.Moderator, Action: "content.removed", TargetType: c.Target.Type, TargetID: c.Target.ID, CaseID: c.ID, DecisionID: dec.ID, Reason: dec.Reason})
		if c.Target.UserID != "" {
			u.Strikes = append(d.recentStrikes(*u, t.now), moderation.Strike{DecisionID: dec.ID, Categories: dec.Categories, At: t.now})
		}
		if req.Bank != "" {
			if err := addToBank(t, req.Bank, c, dec); err != nil {
				return err
			}
		}
	}
	if dec.Action == moderation.ActionSuspend {
		if err := d.suspend(t, u, dec, req.SuspendDays); err != nil {
			return err
		}
	} else if dec.ContentRemoved {
		if err := d.proposeSuspension(t, u, c.Target.UserID); err != nil {
			return err
		}
	}
	if c.ReportCount > 0 {
		queueResolution(t, c.ID, dec.ID)
	}
	return nil
}

// proposeSuspension opens a suspension proposal case when u has reached the
// strike threshold and none is open, unless the user's processing is
// restricted. A suspension always needs a human.
func (d *Desk) proposeSuspension(t *txn, u *user, uid string) error {
	if uid == "" || u.Proposal != "" || u.Suspension.Active(t.now) || len(u.Strikes) < d.cfg.StrikeThreshold {
		return nil
	}
	if r, err := restricted(t, uid); err != nil || r {
		return err
	}
	c := newCase(t, moderation.KindSuspension, moderation.Target{Type: moderation.TargetUser, ID: uid, UserID: uid})
	c.Strikes = slices.Clone(u.Strikes)
	for _, s := range u.Strikes {
		addCategories(c, s.Categories...)
	}
	c.History = append(c.History, moderation.CaseEvent{At: t.now, Actor: "system", Action: "proposed", Detail: fmt.Sprintf("%d strikes within %s", len(u.Strikes), d.cfg.StrikeWindow)})
	saveCase(t, c)
	u.Proposal = c.ID
	t.audit(moderation.AuditEntry{Actor: "system", Action: "case.opened", TargetType: moderation.TargetUser, TargetID: uid, CaseID: c.ID, Reason: "suspension proposal after repeated strikes"})
	return nil
}
