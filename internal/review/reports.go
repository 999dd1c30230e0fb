package review

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// RateLimitError is ERATELIMIT with the time until the caller may retry.
type RateLimitError struct {
	Err        *moderation.Error
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string { return e.Err.Error() }
func (e *RateLimitError) Unwrap() error { return e.Err }

// Submit files a report. The same reporter reporting the same target while
// its case is still open gets the report already on file (created false).
// Reports about one target gather into one case, whose priority rises with
// each reporter, weighted by their track record. A case about an upload
// that has no file gets the one RememberUpload kept, so that a removal can
// add its hashes to a hash bank. A reporter over the rate limit gets a
// *RateLimitError.
func (d *Desk) Submit(ctx context.Context, r moderation.Report) (report moderation.Report, created bool, err error) {
	if !r.Target.Type.Valid() || r.Target.ID == "" || r.ReporterID == "" || !r.Category.Valid() {
		return r, false, moderation.Errorf(moderation.EINVALID, "a report needs reporter_id, target_type, target_id and a valid category")
	}
	if r.Target.Type == moderation.TargetUser {
		r.Target.UserID = r.Target.ID // the account is its own user
	}
	dedupe := keyReportBy + d.reportHash(r.ReporterID, r.Target)
	if existing, ok, err := d.pendingReport(ctx, dedupe); err != nil || ok {
		return existing, false, err
	}
	n, left, err := d.cfg.Store.Incr(ctx, ctrReports+d.psn.of(r.ReporterID), d.cfg.ReportWindow)
	if err != nil {
		return r, false, fmt.Errorf("rate limit: %w", err)
	}
	if n > int64(d.cfg.ReportLimit) {
		return r, false, &RateLimitError{
			Err:        moderation.Errorf(moderation.ERATELIMIT, "reporter %s has filed %d reports within %s; try again later", r.ReporterID, d.cfg.ReportLimit, d.cfg.ReportWindow),
			RetryAfter: left,
		}
	}
	// Score the text outside the transaction, which may run more than once.
	var verdict *moderation.Verdict
	if r.Text != "" && d.cfg.Screener != nil {
		v, err := d.cfg.Screener.Screen(ctx, moderation.Content{Text: r.Text, UserID: r.Target.UserID})
		if err != nil {
			d.log.WarnContext(ctx, "screening a report's text failed; prioritising without it", "code", moderation.ErrorCode(err))
		} else {
			v.Cached = false
			verdict = &v
		}
	}
	err = d.update(ctx, func(t *txn) error {
		created = false
		latest, err := latestCaseFor(t, r.Target)
		if err != nil {
			return err
		}
		// The same reporter about the same target while the case they
		// reported is still the latest about it, open or decided: the
		// same report.
		var id string
		if ok, err := t.get(dedupe, &id); err != nil {
			return err
		} else if ok && latest != nil {
			var prev moderation.Report
			if ok, err := t.get(keyReport+id, &prev); err != nil {
				return err
			} else if ok && prev.CaseID == latest.ID {
				report = prev
				return nil
			}
		}
		var rec moderation.Reporter
		if _, err := t.get(keyRep+r.ReporterID, &rec); err != nil {
			return err
		}
		rec.ID = r.ReporterID
		rec.Reports++
		report = r
		report.ID = newID("rpt", t.now)
		report.Status = moderation.ReportReceived
		report.CreatedAt = t.now
		var applied []string
		seq := 0 // the report's number in its case, which orders the case's reports
		defer func() {
			if created {
				t.put(keyReport+report.ID, reportDoc{Report: report, Applied: applied}, 0)
				t.put(dedupe, report.ID, 0)
				t.put(keyRep+r.ReporterID, rec, 0)
				t.tx.Add(idxCaseReports(report.CaseID), report.ID, float64(seq))
				t.tx.Add(idxReports, report.ID, float64(t.now.UnixMilli()))
				t.tx.Add(idxReporters, r.ReporterID, float64(t.now.UnixMilli()))
				t.tx.Add(idxSubject(r.ReporterID), keyReport+report.ID, float64(t.now.UnixMilli()))
				t.audit(moderation.AuditEntry{Actor: "reporter:" + r.ReporterID, Action: "report.received", TargetType: r.Target.Type, TargetID: r.Target.ID, CaseID: report.CaseID})
				t.stat(Stat{Kind: StatReport, Categories: []moderation.Category{r.Category}})
			}
		}()

		// Content already removed, and not restored: the decision that
		// removed it answers the report at once.
		if latest != nil && latest.Status == moderation.CaseClosed {
			var dec moderation.Decision
			if ok, err := t.get(keyDec+latest.DecisionID, &dec); err != nil {
				return err
			} else if ok && dec.ContentRemoved && dec.ReversedBy == "" {
				report.CaseID = latest.ID
				// The report's text and e-mail go with the case's content.
				t.tx.Add(idxContent, latest.ID, float64(dec.DecidedAt.UnixMilli()))
				resolve(&report, dec)
				rec.Upheld++
				applied = []string{dec.ID}
				latest.ReportCount++
				seq = latest.ReportCount
				t.put(keyCase+latest.ID, latest, 0) // not saveCase: its place among closed cases stays
				emitResolved(t, report, false)
				t.stat(Stat{Kind: StatReportResolved, Categories: []moderation.Category{r.Category}, Outcome: report.Outcome, Existing: true})
				created = true
				return nil
			}
		}

		c := latest
		if c == nil || c.Status == moderation.CaseClosed {
			c = newCase(t, moderation.KindReport, r.Target)
			c.History = append(c.History, moderation.CaseEvent{At: t.now, Actor: "reporter", Action: "reported", Detail: report.ID + " (" + string(r.Category) + ")"})
		}
		report.CaseID = c.ID
		if c.Target.UserID == "" {
			c.Target.UserID = r.Target.UserID
		}
		if err := attachUpload(t, c); err != nil {
			return err
		}
		if c.Text == "" {
			c.Text = r.Text
		}
		if verdict != nil && (c.Verdict == nil || !c.AutomatedDetection && maxScore(*verdict) > maxScore(*c.Verdict)) {
			c.Verdict = verdict
		}
		addCategories(c, r.Category)
		// A reporter has at most one report in an open case (the dedupe
		// key), so the count is of distinct reporters.
		c.ReportCount++
		seq = c.ReportCount
		c.Reporters = math.Round((c.Reporters+rec.Weight())*1000) / 1000
		saveCase(t, c)
		created = true
		return nil
	})
	return report, created, err
}

// pendingReport returns the report filed under dedupe if its case is still
// the latest about its target.
func (d *Desk) pendingReport(ctx context.Context, dedupe string) (moderation.Report, bool, error) {
	var r moderation.Report
	var id, latest string
	if ok, err := d.load(ctx, dedupe, &id); err != nil || !ok {
		return r, false, err
	}
	if ok, err := d.load(ctx, keyReport+id, &r); err != nil || !ok {
		return r, false, err
	}
	if _, err := d.load(ctx, targetKey(r.Target), &latest); err != nil {
		return r, false, err
	}
	return r, latest == r.CaseID, nil
}

func maxScore(v moderation.Verdict) float64 {
	s := 0.0
	for _, cs := range v.Categories {
		s = max(s, cs.Score)
	}
	return s
}

// reportHash is the keyed hash of a reporter and a target that finds a
// reporter's pending report about the target without putting either id in
// a key.
func (d *Desk) reportHash(reporter string, t moderation.Target) string {
	return d.psn.sum("report", reporter, string(t.Type), t.ID)
}

// reportDoc is a report as stored: with the decisions already applied to
// it and its reporter's track record, so that resolving it again changes
// nothing.
type reportDoc struct {
	moderation.Report
	Applied []string `json:"applied,omitempty"`
}

// Report returns a report. Once its case is decided it carries the outcome
// and the moderator's reason.
func (d *Desk) Report(ctx context.Context, id string) (moderation.Report, error) {
	var r reportDoc
	if ok, err := d.load(ctx, keyReport+id, &r); err != nil {
		return r.Report, fmt.Errorf("load report: %w", err)
	} else if !ok {
		return r.Report, notFound("report", id)
	}
	// The decision on the case is the truth: the follow-up work that
	// resolves each report (and a reversal on appeal) lags it a little.
	var c moderation.Case
	if ok, err := d.load(ctx, keyCase+r.CaseID, &c); err != nil || !ok || c.DecisionID == "" {
		return r.Report, err
	}
	var dec moderation.Decision
	if ok, err := d.load(ctx, keyDec+c.DecisionID, &dec); err != nil || !ok {
		return r.Report, err
	}
	resolve(&r.Report, dec)
	return r.Report, nil
}

// emitResolved tells the product a report is resolved. Events are not
// ordered: "decision_reversed" tells the final word (a reversal on appeal)
// from the first.
func emitResolved(t *txn, r moderation.Report, reversed bool) {
	t.emit(moderation.EventReportResolved, map[string]any{"report_id": r.ID, "reporter_id": r.ReporterID, "case_id": r.CaseID, "target": r.Target, "outcome": r.Outcome, "reason": r.Reason, "decision_id": r.DecisionID, "decision_reversed": reversed})
}

// resolve fills in a report's outcome from the decision on its case.
func resolve(r *moderation.Report, dec moderation.Decision) {
	r.Status = moderation.ReportResolved
	r.Outcome = moderation.ReportRejected
	r.Reason = dec.Reason
	switch {
	case dec.ReversedBy != "":
		r.Reason = "the decision was reversed on appeal (" + dec.ReversedBy + ")"
	case dec.ContentRemoved || dec.SuspensionID != "":
		r.Outcome = moderation.ReportUpheld
	}
	r.DecisionID = dec.ID
	at := dec.DecidedAt
	r.ResolvedAt = &at
}
