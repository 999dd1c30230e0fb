package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/moderation"
)

// A person's rights over what aup keeps about them (GDPR Art. 15, 17, 18
// and 20) are served from idxSubject, which lists every case about their
// content or account, every decision about them, every report they filed
// and every upload of theirs that is remembered.

// subjectPage is how many members of a subject index are read at a time.
const subjectPage = 200

// Restrict marks the user id as restricted (GDPR Art. 18) or lifts the
// mark. While restricted, the user's cases, decisions, reports and records
// are not purged (the audit and statistics logs age as always, and so do
// remembered uploads), and no suspension is proposed from their strikes; reports about their content
// are still reviewed, which protects the rights of others (Art. 18(2)).
func (d *Desk) Restrict(ctx context.Context, actor, id string, restricted bool, reason string) (moderation.UserStatus, error) {
	reason = strings.TrimSpace(reason)
	if id == "" || restricted && reason == "" {
		return moderation.UserStatus{}, moderation.Errorf(moderation.EINVALID, "a restriction needs the user id and a reason (the user's request, for the record)")
	}
	if n := utf8.RuneCountInString(reason); n > MaxReason {
		return moderation.UserStatus{}, moderation.Errorf(moderation.EINVALID, "reason is %d characters; the limit is %d", n, MaxReason)
	}
	err := d.update(ctx, func(t *txn) error {
		action := "privacy.restricted"
		if restricted {
			t.put(keyRestricted+id, moderation.Restriction{Since: t.now, Reason: reason, By: actor}, 0)
		} else {
			action = "privacy.unrestricted"
			t.tx.Delete(keyRestricted + id)
		}
		// The reason stays in the restriction, which an erasure deletes,
		// not in the audit log, which outlives it.
		t.audit(moderation.AuditEntry{Actor: actor, Action: action, TargetType: moderation.TargetUser, TargetID: id})
		return nil
	})
	if err != nil {
		return moderation.UserStatus{}, err
	}
	return d.UserStatus(ctx, id)
}

// keyRestricted marks a user whose processing is restricted; a key of its
// own, as every purge step reads it.
const keyRestricted = "restricted:"

// restricted reports whether the user id's processing is restricted.
func restricted(t *txn, id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	_, ok, err := t.tx.Get(keyRestricted + id)
	return ok, err
}

// Export is everything aup keeps about a person, as author and as
// reporter, for access and portability requests. Other people are left
// out: moderators appear as "moderator", and other reporters' reports are
// not included.
type Export struct {
	UserID      string    `json:"user_id"`
	Pseudonym   string    `json:"pseudonym"` // how the audit log names them
	GeneratedAt time.Time `json:"generated_at"`
	Account     struct {
		Suspension  *moderation.Suspension  `json:"suspension,omitempty"` // the latest, in force or not
		Earlier     []moderation.Suspension `json:"earlier_suspensions"`
		Strikes     []moderation.Strike     `json:"strikes"`
		Restriction *moderation.Restriction `json:"restriction,omitempty"`
	} `json:"account"`
	Reporter  *moderation.Reporter  `json:"reporter,omitempty"` // their track record as a reporter
	Cases     []moderation.Case     `json:"cases"`              // about their content or account, appeals included
	Decisions []moderation.Decision `json:"decisions"`          // about their content or account
	Reports   []moderation.Report   `json:"reports"`            // filed by them
	Uploads   []ExportUpload        `json:"uploads"`            // their uploads' details kept for reports
	Notes     []string              `json:"notes"`
}

// ExportUpload is a remembered upload: hashes and media details, no
// content.
type ExportUpload struct {
	ContentID string              `json:"content_id"`
	File      moderation.FileInfo `json:"file"`
}

// exportNotes say what an export leaves out, and why.
var exportNotes = []string{
	"The audit log records actions by and about this person under the pseudonym above; administrators can list them with GET /v1/audit?actor=user:<id> or ?target_id=<id>.",
	"Screening verdicts are cached under a hash of the text, not of the person, for at most AUP_CACHE_TTL; they cannot be found by person.",
	"Moderators are named \"moderator\" and other people's reports are left out: they are other people's data.",
}

// Export returns everything kept about the person id, for actor; the
// export is audited.
func (d *Desk) Export(ctx context.Context, actor, id string) (Export, error) {
	if id == "" {
		return Export{}, moderation.Errorf(moderation.EINVALID, "the user id is required")
	}
	x := Export{UserID: id, Pseudonym: d.psn.of(id), GeneratedAt: d.now(), Cases: []moderation.Case{}, Decisions: []moderation.Decision{}, Reports: []moderation.Report{}, Uploads: []ExportUpload{}, Notes: exportNotes}
	var u user
	if _, err := d.load(ctx, keyUser+id, &u); err != nil {
		return x, fmt.Errorf("load user: %w", err)
	}
	x.Account.Suspension = u.Suspension
	x.Account.Earlier = append([]moderation.Suspension{}, u.Earlier...)
	x.Account.Strikes = append([]moderation.Strike{}, u.Strikes...)
	var rs moderation.Restriction
	if ok, err := d.load(ctx, keyRestricted+id, &rs); err != nil {
		return x, fmt.Errorf("load restriction: %w", err)
	} else if ok {
		x.Account.Restriction = &rs
	}
	var rec moderation.Reporter
	if ok, err := d.load(ctx, keyRep+id, &rec); err != nil {
		return x, fmt.Errorf("load reporter: %w", err)
	} else if ok {
		x.Reporter = &rec
	}
	for offset := 0; ; offset += subjectPage {
		page, err := d.cfg.Store.Range(ctx, idxSubject(id), RangeQuery{Min: math.Inf(-1), Max: math.Inf(1), Offset: offset, Limit: subjectPage})
		if err != nil {
			return x, fmt.Errorf("read subject index: %w", err)
		}
		byKind := map[string][]string{}
		for _, m := range page {
			kind, rest, _ := strings.Cut(m.Member, ":")
			byKind[kind+":"] = append(byKind[kind+":"], rest)
		}
		if err := x.add(ctx, d, byKind); err != nil {
			return x, err
		}
		if len(page) < subjectPage {
			break
		}
	}
	x.redact()
	err := d.update(ctx, func(t *txn) error {
		t.audit(moderation.AuditEntry{Actor: actor, Action: "privacy.exported", TargetType: moderation.TargetUser, TargetID: id})
		return nil
	})
	return x, err
}

// add loads one page of a subject's records into x.
func (x *Export) add(ctx context.Context, d *Desk, byKind map[string][]string) error {
	cases, err := loadMany[moderation.Case](ctx, d, keyCase, byKind[keyCase])
	if err != nil {
		return err
	}
	decs, err := loadMany[moderation.Decision](ctx, d, keyDec, byKind[keyDec])
	if err != nil {
		return err
	}
	reps, err := loadMany[reportDoc](ctx, d, keyReport, byKind[keyReport])
	if err != nil {
		return err
	}
	ups, err := loadMany[uploadDoc](ctx, d, keyUploadFile, byKind[keyUploadFile])
	if err != nil {
		return err
	}
	for _, c := range cases {
		if c.ID != "" {
			x.Cases = append(x.Cases, c)
		}
	}
	for _, dec := range decs {
		if dec.ID != "" {
			x.Decisions = append(x.Decisions, dec)
		}
	}
	for _, r := range reps {
		if r.ID != "" {
			if r.Target.UserID != x.UserID { // the person they reported is another person
				r.Target.UserID = ""
				if r.Target.Type == moderation.TargetUser {
					r.Target.ID = ""
				}
			}
			x.Reports = append(x.Reports, r.Report)
		}
	}
	for i, u := range ups {
		if u.File.SHA256 != "" || u.File.MediaType != "" {
			x.Uploads = append(x.Uploads, ExportUpload{ContentID: byKind[keyUploadFile][i], File: u.File})
		}
	}
	return nil
}

// redact replaces moderators' names, which are other people's data.
func (x *Export) redact() {
	isModerator := func(actor string) bool {
		switch {
		case actor == "system", actor == "screening", actor == "reporter":
			return false
		case strings.HasPrefix(actor, "user:"), strings.HasPrefix(actor, "reporter:"):
			return false
		}
		return true
	}
	const mod = "moderator"
	for i := range x.Cases {
		c := &x.Cases[i]
		if c.Lease != nil {
			c.Lease.Moderator = mod
		}
		if c.OriginalDecider != "" {
			c.OriginalDecider = mod
		}
		for j := range c.History {
			if isModerator(c.History[j].Actor) {
				c.History[j].Actor = mod
			}
		}
	}
	for i := range x.Decisions {
		x.Decisions[i].Moderator = mod
	}
	if s := x.Account.Suspension; s != nil {
		s.By = mod
	}
	for i := range x.Account.Earlier {
		x.Account.Earlier[i].By = mod
	}
	if r := x.Account.Restriction; r != nil {
		r.By = "operator"
	}
}

// Erasure says what an erasure did: records deleted, and records kept for
// legal reasons with the person's ids replaced by the pseudonym.
type Erasure struct {
	Pseudonym string         `json:"pseudonym"`
	Deleted   map[string]int `json:"deleted"`
	Kept      map[string]int `json:"pseudonymised"`
}

// errStale makes an erasure or purge step read a case's reports again.
var errStale = errors.New("review: a case's reports changed")

// Erase erases the person id (GDPR Art. 17). Their text, uploads' details,
// contact e-mails, explanations and ids go. Decisions that acted against
// them and may still be appealed, and the cases they decided, are kept with the person's ids
// replaced by the keyed pseudonym and their content removed; the audit log
// names people only by pseudonym already. Reports they filed on cases still
// open are kept for those cases, without their id, e-mail or explanation.
// A user with open cases about their content or account is refused
// (ECONFLICT): moderation must finish first (Art. 17(3)(b) and (e)).
//
// Each record is erased in its own transaction, so an erasure interrupted
// by an outage is finished by calling Erase again.
func (d *Desk) Erase(ctx context.Context, actor, id string) (Erasure, error) {
	res := Erasure{Pseudonym: d.psn.of(id), Deleted: map[string]int{}, Kept: map[string]int{}}
	if id == "" || strings.HasPrefix(id, pseudonymPrefix) {
		return res, moderation.Errorf(moderation.EINVALID, "the user id is required, and must not be a pseudonym")
	}
	if err := d.refuseOpen(ctx, id); err != nil {
		return res, err
	}
	// A record written meanwhile (a report the user files) lands in the
	// subject index again: go round until it stays empty.
	for round := 0; ; round++ {
		if err := d.eraseSubject(ctx, id, &res); err != nil {
			return res, err
		}
		err := d.update(ctx, func(t *txn) error {
			t.tx.Delete(keyUser + id)
			t.tx.Delete(keyRep + id)
			t.tx.Delete(keyRestricted + id)
			t.tx.Remove(idxUsers, id)
			t.tx.Remove(idxReporters, id)
			return nil
		})
		if err != nil {
			return res, err
		}
		if n, err := d.cfg.Store.Count(ctx, idxSubject(id)); err != nil {
			return res, fmt.Errorf("read subject index: %w", err)
		} else if n == 0 {
			break
		} else if round == 2 {
			return res, moderation.Errorf(moderation.EUNAVAILABLE, "new records about user %s kept arriving during the erasure; stop the product's calls for the user and erase again", id)
		}
	}
	n, err := d.pseudonymiseEvents(ctx, id)
	if err != nil {
		return res, err
	}
	res.Kept["event"] = n
	err = d.update(ctx, func(t *txn) error {
		t.audit(moderation.AuditEntry{Actor: actor, Action: "privacy.erased", TargetType: moderation.TargetUser, TargetID: id})
		return nil
	})
	return res, err
}

// eraseSubject erases every member of id's subject index.
func (d *Desk) eraseSubject(ctx context.Context, id string, res *Erasure) error {
	for {
		page, err := d.cfg.Store.Range(ctx, idxSubject(id), RangeQuery{Min: math.Inf(-1), Max: math.Inf(1), Limit: subjectPage})
		if err != nil {
			return fmt.Errorf("read subject index: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		for _, m := range page {
			kind, kept, err := d.eraseOne(ctx, id, m.Member)
			if err != nil {
				return err
			}
			if kept {
				res.Kept[kind]++
			} else {
				res.Deleted[kind]++
			}
		}
	}
}

// pseudonymiseEvents replaces id by its pseudonym in the events waiting
// for the product's webhook, and returns how many it changed. Any string
// of an event's data that is the id is replaced: user_id, reporter_id, a
// target's user_id, or its id when the target is the account.
func (d *Desk) pseudonymiseEvents(ctx context.Context, id string) (int, error) {
	psn := d.psn.of(id)
	changed := 0
	for offset := 0; ; offset += subjectPage {
		page, err := d.cfg.Store.Range(ctx, idxOutbox, RangeQuery{Min: math.Inf(-1), Max: math.Inf(1), Offset: offset, Limit: subjectPage})
		if err != nil {
			return changed, fmt.Errorf("read the outbox: %w", err)
		}
		for _, m := range page {
			var done bool
			err := d.update(ctx, func(t *txn) error {
				done = false
				var ev outboxEvent
				if ok, err := t.get(keyEvent+m.Member, &ev); err != nil || !ok {
					return err
				}
				var data any
				if err := json.Unmarshal(ev.Data, &data); err != nil {
					return fmt.Errorf("decode event %s: %w", ev.ID, err)
				}
				if data, done = replaceString(data, id, psn); done {
					ev.Data, _ = json.Marshal(data)
					t.put(keyEvent+ev.ID, ev, 0)
				}
				return nil
			})
			if err != nil {
				return changed, err
			}
			if done {
				changed++
			}
		}
		if len(page) < subjectPage {
			return changed, nil
		}
	}
}

// replaceString replaces the strings equal to old in v, a decoded JSON
// value, by repl, and says whether it replaced any.
func replaceString(v any, old, repl string) (any, bool) {
	switch x := v.(type) {
	case string:
		if x == old {
			return repl, true
		}
	case []any:
		hit := false
		for i := range x {
			var ok bool
			x[i], ok = replaceString(x[i], old, repl)
			hit = hit || ok
		}
		return x, hit
	case map[string]any:
		hit := false
		for k := range x {
			var ok bool
			x[k], ok = replaceString(x[k], old, repl)
			hit = hit || ok
		}
		return x, hit
	}
	return v, false
}

// refuseOpen returns ECONFLICT when a case about the person id is open.
func (d *Desk) refuseOpen(ctx context.Context, id string) error {
	var open []string
	for offset := 0; ; offset += subjectPage {
		page, err := d.cfg.Store.Range(ctx, idxSubject(id), RangeQuery{Min: math.Inf(-1), Max: math.Inf(1), Offset: offset, Limit: subjectPage})
		if err != nil {
			return fmt.Errorf("read subject index: %w", err)
		}
		var ids []string
		for _, m := range page {
			if cid, ok := strings.CutPrefix(m.Member, keyCase); ok {
				ids = append(ids, cid)
			}
		}
		cases, err := loadMany[moderation.Case](ctx, d, keyCase, ids)
		if err != nil {
			return err
		}
		for _, c := range cases {
			if c.ID != "" && c.Status != moderation.CaseClosed {
				open = append(open, c.ID)
			}
		}
		if len(page) < subjectPage {
			break
		}
	}
	var u user
	if _, err := d.load(ctx, keyUser+id, &u); err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	if s := u.Suspension; s.Active(d.now()) {
		return moderation.Errorf(moderation.ECONFLICT, "user %s is suspended (decision %s), and the suspension is enforced through the record an erasure deletes: lift it first if the erasure may end it", id, s.DecisionID)
	}
	if len(open) > 0 {
		shown := open[:min(len(open), 10)]
		return moderation.Errorf(moderation.ECONFLICT, "user %s has %d open case(s) (%s): decide them first, then erase; moderation of reported content must finish before its author's data goes", id, len(open), strings.Join(shown, ", "))
	}
	return nil
}

// eraseOne erases one member of id's subject index, in one transaction that
// also takes it out of the index, and says which kind of record it was and
// whether it was kept under the pseudonym.
func (d *Desk) eraseOne(ctx context.Context, id, member string) (kind string, kept bool, err error) {
	kind, ref, _ := strings.Cut(member, ":")
	var reports []Scored // the reports of a case, read outside the transaction
	if kind+":" == keyCase {
		if reports, err = d.caseReports(ctx, ref); err != nil {
			return kind, false, err
		}
	}
	for range 3 {
		err = d.update(ctx, func(t *txn) error {
			t.tx.Remove(idxSubject(id), member)
			var err error
			switch kind + ":" {
			case keyCase:
				kept, err = d.eraseCase(t, id, ref, reports)
			case keyDec:
				kept, err = d.eraseDecision(t, id, ref)
			case keyReport:
				kept, err = d.eraseReport(t, id, ref)
			default: // a remembered upload, or a kind this version does not know
				t.tx.Delete(member)
				t.tx.Remove(idxUploads, uploadMember(id, ref))
			}
			return err
		})
		if !errors.Is(err, errStale) {
			return kind, kept, err
		}
		if reports, err = d.caseReports(ctx, ref); err != nil {
			return kind, false, err
		}
	}
	return kind, false, moderation.Errorf(moderation.EUNAVAILABLE, "case %s kept getting reports; try again", ref)
}

// caseReports returns the reports of a case, by their number in it.
func (d *Desk) caseReports(ctx context.Context, caseID string) ([]Scored, error) {
	rs, err := d.cfg.Store.Range(ctx, idxCaseReports(caseID), RangeQuery{Min: math.Inf(-1), Max: math.Inf(1)})
	if err != nil {
		return nil, fmt.Errorf("read a case's reports: %w", err)
	}
	return rs, nil
}

// withReports runs fn on each of c's reports, after checking that reports
// (read before the transaction) are all of them, and says whether one is
// still waiting for its resolution job.
func withReports(t *txn, c *moderation.Case, reports []Scored, fn func(r *reportDoc) error) (pending bool, err error) {
	if n := len(reports); c.ReportCount > 0 && (n == 0 || int(reports[n-1].Score) < c.ReportCount) {
		return false, errStale
	}
	for _, m := range reports {
		var r reportDoc
		if ok, err := t.get(keyReport+m.Member, &r); err != nil {
			return false, err
		} else if ok {
			pending = pending || r.Status != moderation.ReportResolved
			if err := fn(&r); err != nil {
				return false, err
			}
			t.put(keyReport+m.Member, r, 0)
		}
	}
	return pending, nil
}

// stripContent removes what a case holds of the content it is about, and
// its reports' texts, explanations and contact e-mails (but not those of a
// restricted reporter), running also on each report (a transaction's reads
// do not see its writes, so a report must be changed in one go). pending
// says whether a report still waits for its resolution, which reads the
// case's index of reports: the case must not be deleted yet.
func stripContent(t *txn, c *moderation.Case, reports []Scored, also func(r *reportDoc)) (pending bool, err error) {
	t.tx.Remove(idxContent, c.ID)
	pending, err = withReports(t, c, reports, func(r *reportDoc) error {
		rs, err := restricted(t, r.ReporterID)
		if !rs {
			r.Text, r.Explanation, r.ContactEmail = "", "", ""
		}
		also(r)
		return err
	})
	if err != nil {
		return false, err
	}
	c.Text, c.File, c.Verdict, c.Statement = "", nil, nil, ""
	return pending, nil
}

// eraseCase erases a decided case about id's content or account: kept
// while its decision may still be appealed, deleted otherwise.
func (d *Desk) eraseCase(t *txn, id, caseID string, reports []Scored) (bool, error) {
	var c moderation.Case
	if ok, err := t.get(keyCase+caseID, &c); err != nil || !ok {
		return false, err
	}
	if c.Status != moderation.CaseClosed {
		return false, moderation.Errorf(moderation.ECONFLICT, "case %s about user %s was opened during the erasure: decide it, then erase again", c.ID, id)
	}
	if err := deleteTargetKey(t, &c); err != nil {
		return false, err
	}
	psn := t.psn.of(id)
	pending, err := stripContent(t, &c, reports, func(r *reportDoc) { pseudonymiseTarget(&r.Target, id, psn) })
	if err != nil {
		return false, err
	}
	if pending {
		return false, moderation.Errorf(moderation.EUNAVAILABLE, "the reports on case %s are still being resolved; try the erasure again in a minute", c.ID)
	}
	var dec moderation.Decision
	if ok, err := t.get(keyDec+c.DecisionID, &dec); err != nil {
		return false, err
	} else if keep, err := d.appealable(t, dec); err != nil {
		return false, err
	} else if !ok || !keep {
		deleteCase(t, &c, reports)
		return false, nil
	}
	pseudonymiseTarget(&c.Target, id, psn)
	for i := range c.History {
		c.History[i].Actor = t.psn.actor(c.History[i].Actor)
	}
	c.History = append(c.History, moderation.CaseEvent{At: t.now, Actor: "system", Action: "erased", Detail: "the author's data was erased; the decision, which may still be appealed, is kept under a pseudonym"})
	t.put(keyCase+c.ID, c, 0)
	return true, nil
}

// deleteTargetKey deletes the pointer from c's target to c, if it is the
// target's latest case.
func deleteTargetKey(t *txn, c *moderation.Case) error {
	var latest string
	if ok, err := t.get(targetKey(c.Target), &latest); err != nil || !ok {
		return err
	}
	if latest == c.ID {
		t.tx.Delete(targetKey(c.Target))
	}
	return nil
}

// pseudonymiseTarget replaces id in tg by psn.
func pseudonymiseTarget(tg *moderation.Target, id, psn string) {
	if tg.UserID == id {
		tg.UserID = psn
	}
	if tg.Type == moderation.TargetUser && tg.ID == id {
		tg.ID = psn
	}
}

// eraseDecision erases a decision about id: kept under the pseudonym while
// it may be appealed, deleted otherwise.
func (d *Desk) eraseDecision(t *txn, id, decID string) (bool, error) {
	var dec moderation.Decision
	if ok, err := t.get(keyDec+decID, &dec); err != nil || !ok {
		return false, err
	}
	if keep, err := d.appealable(t, dec); err != nil {
		return false, err
	} else if !keep {
		deleteDecision(t, dec.ID)
		return false, nil
	}
	pseudonymiseTarget(&dec.Target, id, t.psn.of(id))
	t.put(keyDec+dec.ID, dec, 0)
	return true, nil
}

// appealable reports whether dec acted against the user and may still be
// appealed: within the appeal window, not reversed, and not appealed yet
// (an erasure waits for an open appeal; a decided one is final).
func (d *Desk) appealable(t *txn, dec moderation.Decision) (bool, error) {
	if !dec.ContentRemoved && dec.SuspensionID == "" || dec.ReversedBy != "" || t.now.Sub(dec.DecidedAt) > d.cfg.AppealWindow {
		return false, nil
	}
	_, appealed, err := t.tx.Get(keyAppeal + dec.ID)
	return !appealed, err
}

func deleteDecision(t *txn, id string) {
	t.tx.Delete(keyDec + id)
	t.tx.Delete(keyAppeal + id)
	t.tx.Remove(idxDecisions, id)
}

// eraseReport erases a report id filed: deleted once resolved; kept for
// its open case without the reporter's id, e-mail and explanation.
func (d *Desk) eraseReport(t *txn, id, reportID string) (bool, error) {
	var r reportDoc
	if ok, err := t.get(keyReport+reportID, &r); err != nil || !ok {
		return false, err
	}
	dedupe := keyReportBy + d.reportHash(id, r.Target)
	t.tx.Delete(dedupe)
	if r.Status == moderation.ReportResolved {
		deleteReport(t, r.Report)
		return false, nil
	}
	r.ReporterID, r.ContactEmail, r.Explanation = t.psn.of(id), "", ""
	t.put(keyReport+r.ID, r, 0)
	return true, nil
}

// deleteReport deletes a report. It stays in its case's index, whose
// numbering tells a transaction that it has seen all of a case's reports
// (withReports); deleteCase takes it out.
func deleteReport(t *txn, r moderation.Report) {
	t.tx.Delete(keyReport + r.ID)
	t.tx.Remove(idxReports, r.ID)
	t.tx.Remove(idxSubject(r.ReporterID), keyReport+r.ID)
}

// deleteCase deletes a decided case and its index of reports.
func deleteCase(t *txn, c *moderation.Case, reports []Scored) {
	t.tx.Delete(keyCase + c.ID)
	t.tx.Remove(idxClosed, c.ID)
	t.tx.Remove(idxContent, c.ID)
	if uid := c.Target.UserID; uid != "" {
		t.tx.Remove(idxSubject(uid), keyCase+c.ID)
	}
	for _, m := range reports {
		t.tx.Remove(idxCaseReports(c.ID), m.Member)
	}
}
