package review

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// enqueue puts an open case in its lane's queue and age index.
func enqueue(t *txn, c *moderation.Case) {
	c.Status = moderation.CaseOpen
	c.Lease = nil
	t.tx.Add(idxQueue(c.Lane), c.ID, queueScore(c))
	t.tx.Add(idxAge(c.Lane), c.ID, float64(c.CreatedAt.UnixMilli()))
}

// dequeue takes a case out of every queue and age index and the lease
// index.
func dequeue(t *txn, c *moderation.Case) {
	for _, l := range moderation.Lanes {
		t.tx.Remove(idxQueue(l), c.ID)
		t.tx.Remove(idxAge(l), c.ID)
	}
	t.tx.Remove(idxLeases, c.ID)
}

// maxHistory is the most steps a case's history keeps.
const maxHistory = 100

// saveCase stores c, reassessed, and files it in the index of its status.
func saveCase(t *txn, c *moderation.Case) {
	c.UpdatedAt = t.now
	if n := len(c.History); n > maxHistory {
		// The opening and the latest steps; the audit log has them all.
		c.History = append(c.History[:1], c.History[n-maxHistory+1:]...)
	}
	dequeue(t, c)
	switch c.Status {
	case moderation.CaseOpen:
		assess(c, c.EscalatedTo)
		enqueue(t, c)
	case moderation.CaseClaimed:
		assess(c, c.EscalatedTo)
		t.tx.Add(idxLeases, c.ID, float64(c.Lease.Until.UnixMilli()))
	case moderation.CaseClosed:
		t.tx.Add(idxClosed, c.ID, float64(t.now.UnixMilli()))
		t.tx.Add(idxContent, c.ID, float64(t.now.UnixMilli()))
	}
	if uid := c.Target.UserID; uid != "" {
		t.tx.Add(idxSubject(uid), keyCase+c.ID, float64(c.CreatedAt.UnixMilli()))
	}
	t.put(keyCase+c.ID, c, 0)
}

// latestCaseFor returns the latest case about target, open or closed, if
// any.
func latestCaseFor(t *txn, target moderation.Target) (*moderation.Case, error) {
	var id string
	if ok, err := t.get(targetKey(target), &id); err != nil || !ok {
		return nil, err
	}
	c := new(moderation.Case)
	if ok, err := t.get(keyCase+id, c); err != nil || !ok {
		return nil, err
	}
	return c, nil
}

// newCase returns a new open case about target; the caller saves it.
func newCase(t *txn, kind moderation.CaseKind, target moderation.Target) *moderation.Case {
	c := &moderation.Case{
		ID:         newID("case", t.now),
		Kind:       kind,
		Status:     moderation.CaseOpen,
		Target:     target,
		Categories: []moderation.Category{},
		CreatedAt:  t.now,
	}
	if kind != moderation.KindAppeal && kind != moderation.KindSuspension {
		t.put(targetKey(target), c.ID, 0)
	}
	return c
}

// OpenScreeningCase opens a case for content that screening sent to review,
// or updates the open case about the same content with the new text and
// verdict (an edited note is screened again). Content with a File is an
// upload: the case is about the upload and keeps its hashes, for a removal
// to add to a hash bank. It returns the case id.
func (d *Desk) OpenScreeningCase(ctx context.Context, content moderation.Content, v moderation.Verdict) (string, error) {
	if content.ContentID == "" {
		return "", moderation.Errorf(moderation.EINVALID, "content_id is required to open a review case")
	}
	target := moderation.Target{Type: moderation.TargetNote, ID: content.ContentID, UserID: content.UserID}
	what := "text"
	var file *moderation.FileInfo
	if content.File != nil {
		target.Type, what = moderation.TargetUpload, "upload"
		f := *content.File
		f.Images = slices.Clone(f.Images)
		file = &f
	}
	var id string
	err := d.update(ctx, func(t *txn) error {
		c, err := latestCaseFor(t, target)
		if err != nil {
			return err
		}
		// The same content again (the product re-checks a note, or an
		// upload with the same bytes) changes nothing: not an open case,
		// and not a decided one, which a moderator has already judged.
		// Changed text or bytes are news.
		same := c != nil && c.Text == content.Text && fileSHA256(c.File) == fileSHA256(file)
		if same && (c.Status == moderation.CaseClosed || c.Verdict != nil && c.Verdict.PolicyVersion == v.PolicyVersion) {
			id = c.ID
			return nil
		}
		created := c == nil || c.Status == moderation.CaseClosed
		if created {
			c = newCase(t, moderation.KindScreening, target)
		}
		verdict := v
		verdict.Cached = false
		c.Verdict = &verdict
		c.AutomatedDetection = true
		for _, cs := range v.Categories {
			if cs.Category != moderation.Profanity {
				addCategories(c, cs.Category)
			}
		}
		action, detail := "screening.updated", "policy "+v.PolicyVersion
		if created {
			action = "case.opened"
		} else if c.Status == moderation.CaseClaimed && !same {
			// A moderator must not decide on content they have not seen.
			detail += "; the " + what + " changed while " + c.Lease.Moderator + " held the case, so it is back in the queue"
			c.Status, c.Lease = moderation.CaseOpen, nil
		}
		c.History = append(c.History, moderation.CaseEvent{At: t.now, Actor: "screening", Action: action, Detail: detail})
		c.Text, c.File = content.Text, file
		saveCase(t, c)
		t.audit(moderation.AuditEntry{Actor: "screening", Action: action, TargetType: target.Type, TargetID: target.ID, CaseID: c.ID})
		id = c.ID
		return nil
	})
	return id, err
}

// fileSHA256 is the SHA-256 of f, or "" for none.
func fileSHA256(f *moderation.FileInfo) string {
	if f == nil {
		return ""
	}
	return f.SHA256
}

// caseViewReports is how many reports a case view shows, the first ones
// filed; the case's report_count says how many there are.
const caseViewReports = 50

// CaseView is a case with what a moderator needs to decide it.
type CaseView struct {
	moderation.Case
	Reports  []ReportView           `json:"reports"`
	User     *moderation.UserStatus `json:"user,omitempty"` // the author's or account's history
	Appealed *moderation.Decision   `json:"appealed_decision,omitempty"`
}

// ReportView is a report as moderators see it, with its reporter's record.
type ReportView struct {
	moderation.Report
	Reporter ReporterView `json:"reporter"`
}

// ReporterView is a reporter's track record and whether it is flagged.
type ReporterView struct {
	moderation.Reporter
	Weight  float64 `json:"weight"`
	Flagged bool    `json:"flagged"`
}

func newReporterView(r moderation.Reporter) ReporterView {
	return ReporterView{Reporter: r, Weight: r.Weight(), Flagged: r.Flagged()}
}

// Case returns the case with its reports and the user's history.
func (d *Desk) Case(ctx context.Context, id string) (CaseView, error) {
	var v CaseView
	if ok, err := d.load(ctx, keyCase+id, &v.Case); err != nil {
		return v, fmt.Errorf("load case: %w", err)
	} else if !ok {
		return v, notFound("case", id)
	}
	page, err := d.cfg.Store.Range(ctx, idxCaseReports(id), RangeQuery{Min: math.Inf(-1), Max: math.Inf(1), Limit: caseViewReports})
	if err != nil {
		return v, fmt.Errorf("load the reports of case %s: %w", id, err)
	}
	ids := make([]string, len(page))
	for i, m := range page {
		ids[i] = m.Member
	}
	reports, err := loadMany[reportDoc](ctx, d, keyReport, ids)
	if err != nil {
		return v, err
	}
	// Reports purged or erased stay in the case's index (deleteReport).
	reports = slices.DeleteFunc(reports, func(r reportDoc) bool { return r.ID == "" })
	reporterIDs := make([]string, len(reports))
	for i, r := range reports {
		reporterIDs[i] = r.ReporterID
	}
	reporters, err := loadMany[moderation.Reporter](ctx, d, keyRep, reporterIDs)
	if err != nil {
		return v, err
	}
	v.Reports = make([]ReportView, len(reports))
	for i, r := range reports {
		rec := reporters[i]
		rec.ID = r.ReporterID
		v.Reports[i] = ReportView{Report: r.Report, Reporter: newReporterView(rec)}
	}
	if uid := v.Target.UserID; uid != "" {
		st, err := d.UserStatus(ctx, uid)
		if err != nil {
			return v, err
		}
		v.User = &st
	}
	if v.AppealOf != "" {
		var dec moderation.Decision
		if ok, err := d.load(ctx, keyDec+v.AppealOf, &dec); err != nil {
			return v, err
		} else if ok {
			v.Appealed = &dec
		}
	}
	return v, nil
}

// loadMany reads the documents prefix+id for ids; missing ones are zero.
func loadMany[T any](ctx context.Context, d *Desk, prefix string, ids []string) ([]T, error) {
	out := make([]T, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = prefix + id
	}
	docs, err := d.cfg.Store.GetMany(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", prefix, err)
	}
	for i, b := range docs {
		if b == nil {
			continue
		}
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("decode %s%s: %w", prefix, ids[i], err)
		}
	}
	return out, nil
}

// Filter selects cases to list. The zero Filter lists open cases in every
// lane, most urgent first.
type Filter struct {
	Status moderation.CaseStatus // default open
	Lane   moderation.Lane       // "" for all
	Kind   moderation.CaseKind   // "" for all
	// Offset is where to start: 0, or the next position an earlier List
	// returned.
	Offset int
	Limit  int // default and maximum 100
}

// MaxList is the most cases one List call returns.
const MaxList = 100

// maxListScan bounds the cases one filtered List call reads.
const maxListScan = 50 * MaxList

// List returns cases matching f: open ones in queue order (lane, then
// priority, then age), claimed ones by lease end, closed ones newest first;
// and the Offset to pass for the next page, or -1 at the end. Positions
// count every case of the status (and, for open cases, lane), whether or
// not it matches the other filters, so a filtered page is read from where
// the last one stopped; a page may come back short when the scan bound is
// reached before it is full, with a next position all the same.
func (d *Desk) List(ctx context.Context, f Filter) ([]moderation.Case, int, error) {
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = MaxList
	}
	if f.Status == "" {
		f.Status = moderation.CaseOpen
	}
	var indexes []string
	desc := false
	switch f.Status {
	case moderation.CaseOpen:
		for _, l := range moderation.Lanes {
			if f.Lane == "" || f.Lane == l {
				indexes = append(indexes, idxQueue(l))
			}
		}
	case moderation.CaseClaimed:
		indexes = []string{idxLeases}
	case moderation.CaseClosed:
		indexes, desc = []string{idxClosed}, true
	default:
		return nil, 0, moderation.Errorf(moderation.EINVALID, "status must be open, claimed or closed")
	}
	out := []moderation.Case{}
	pos, scanned := 0, 0 // pos: where idx starts in the indexes one after another
	for _, idx := range indexes {
		n, err := d.cfg.Store.Count(ctx, idx)
		if err != nil {
			return nil, 0, fmt.Errorf("list %s: %w", idx, err)
		}
		for start := max(0, f.Offset-pos); start < n; {
			if scanned >= maxListScan {
				return out, pos + start, nil
			}
			members, err := d.cfg.Store.Range(ctx, idx, RangeQuery{Min: math.Inf(-1), Max: math.Inf(1), Desc: desc, Offset: start, Limit: MaxList})
			if err != nil {
				return nil, 0, fmt.Errorf("list %s: %w", idx, err)
			}
			if len(members) == 0 {
				break // the index shrank meanwhile
			}
			scanned += len(members)
			ids := make([]string, len(members))
			for i, m := range members {
				ids[i] = m.Member
			}
			cases, err := loadMany[moderation.Case](ctx, d, keyCase, ids)
			if err != nil {
				return nil, 0, err
			}
			for i, c := range cases {
				if c.ID == "" || c.Status != f.Status || f.Lane != "" && c.Lane != f.Lane || f.Kind != "" && c.Kind != f.Kind {
					continue
				}
				out = append(out, c)
				if len(out) == f.Limit {
					return out, pos + start + i + 1, nil
				}
			}
			start += len(members)
		}
		pos += n
	}
	return out, -1, nil
}

// Claim leases the most urgent open case in lanes (all lanes when empty) to
// moderator and returns it; ok is false when there is none. Cases whose
// leases have run out go back to their queue first. A moderator is never
// handed an appeal against their own decision.
func (d *Desk) Claim(ctx context.Context, moderator string, lanes []moderation.Lane) (c moderation.Case, ok bool, err error) {
	if err := d.ExpireLeases(ctx); err != nil {
		return c, false, err
	}
	for _, l := range moderation.Lanes {
		if len(lanes) > 0 && !slices.Contains(lanes, l) {
			continue
		}
		// Cases claimed by others leave the queue while this loop runs; the
		// ones this moderator may not take stay, and are stepped over.
		// Claimers arriving together would all go for the same first case
		// and all but one lose a transaction over it, so each first marks
		// the case it tries (a counter that lapses in claimTry) and passes
		// over cases another claimer is trying, coming back to them only
		// after the rest of the page.
		for offset := 0; ; {
			members, err := d.cfg.Store.Range(ctx, idxQueue(l), RangeQuery{Min: math.Inf(-1), Max: math.Inf(1), Offset: offset, Limit: claimPage})
			if err != nil {
				return c, false, fmt.Errorf("claim: %w", err)
			}
			var contended []string
			try := func(id string) (bool, error) {
				got, taken, err := d.claimOne(ctx, id, moderator)
				if err == nil && taken {
					c = got
				} else if err == nil && got.Status == moderation.CaseOpen {
					offset++
				}
				return taken, err
			}
			for _, m := range members {
				if n, _, err := d.cfg.Store.Incr(ctx, ctrClaiming+m.Member, claimTry); err == nil && n > 1 {
					contended = append(contended, m.Member)
					continue
				}
				if taken, err := try(m.Member); err != nil || taken {
					return c, taken, err
				}
			}
			for _, id := range contended {
				if taken, err := try(id); err != nil || taken {
					return c, taken, err
				}
			}
			if len(members) < claimPage {
				break
			}
		}
	}
	return c, false, nil
}

const (
	claimPage = 20
	claimTry  = 250 * time.Millisecond // about one claim attempt: longer would let later cases jump a free one
)

// claimOne leases case id to moderator if it is still open and theirs to take.
func (d *Desk) claimOne(ctx context.Context, id, moderator string) (moderation.Case, bool, error) {
	var c moderation.Case
	taken := false
	err := d.update(ctx, func(t *txn) error {
		taken = false
		c = moderation.Case{}
		if ok, err := t.get(keyCase+id, &c); err != nil || !ok {
			return err
		}
		if c.Status != moderation.CaseOpen || c.OriginalDecider == moderator {
			return nil
		}
		d.lease(t, &c, moderator)
		taken = true
		return nil
	})
	return c, taken, err
}

// lease leases c to moderator for the configured time.
func (d *Desk) lease(t *txn, c *moderation.Case, moderator string) {
	c.Status = moderation.CaseClaimed
	c.Lease = &moderation.Lease{Moderator: moderator, Until: t.now.Add(d.cfg.Lease)}
	c.History = append(c.History, moderation.CaseEvent{At: t.now, Actor: moderator, Action: "claimed"})
	saveCase(t, c)
	t.audit(moderation.AuditEntry{Actor: moderator, Action: "case.claimed", TargetType: c.Target.Type, TargetID: c.Target.ID, CaseID: c.ID})
}

// ExpireLeases returns the cases whose leases have run out to their queues.
// Claim calls it; the service also runs it periodically so that listings
// stay current.
func (d *Desk) ExpireLeases(ctx context.Context) error {
	now := d.now()
	expired, err := d.cfg.Store.Range(ctx, idxLeases, RangeQuery{Min: math.Inf(-1), Max: float64(now.UnixMilli()), Limit: 100})
	if err != nil {
		return fmt.Errorf("expire leases: %w", err)
	}
	for _, m := range expired {
		err := d.update(ctx, func(t *txn) error {
			var c moderation.Case
			if ok, err := t.get(keyCase+m.Member, &c); err != nil || !ok {
				if !ok && err == nil {
					t.tx.Remove(idxLeases, m.Member) // a stale index entry
				}
				return err
			}
			if c.Status != moderation.CaseClaimed || c.Lease.Until.After(t.now) {
				return nil
			}
			who := c.Lease.Moderator
			c.Status = moderation.CaseOpen
			c.Lease = nil
			c.History = append(c.History, moderation.CaseEvent{At: t.now, Actor: "system", Action: "lease_expired", Detail: who})
			saveCase(t, &c)
			t.audit(moderation.AuditEntry{Actor: "system", Action: "case.lease_expired", TargetType: c.Target.Type, TargetID: c.Target.ID, CaseID: c.ID, Reason: "lease of " + who + " ran out"})
			return nil
		})
		if err != nil {
			return fmt.Errorf("expire lease of %s: %w", m.Member, err)
		}
	}
	return nil
}
