package review

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// A decision on a case with reports leaves follow-up work: resolve each
// report, count it in its reporter's track record and tell the product
// (report.resolved). Done in the decision's own transaction, a case with
// thousands of reports could not be decided while reports kept arriving;
// instead the decision queues a job, in the same transaction, and Work
// carries it out report by report, each in a small transaction that is
// safe to repeat. A reversal on appeal queues the same job again.
type job struct {
	CaseID     string    `json:"case_id"`
	DecisionID string    `json:"decision_id"`
	Due        time.Time `json:"due"`
}

const (
	idxJobs  = "jobs" // jobs by next attempt (ms)
	keyJob   = "job:"
	jobLease = time.Minute // how long a worker holds a job before another may take it
	jobBatch = 100         // reports read at a time
)

// queueResolution queues the resolution of caseID's reports by decisionID.
func queueResolution(t *txn, caseID, decisionID string) {
	id := caseID + "/" + decisionID + "/" + newID("job", t.now)
	t.put(keyJob+id, job{CaseID: caseID, DecisionID: decisionID, Due: t.now}, 0)
	t.tx.Add(idxJobs, id, float64(t.now.UnixMilli()))
	t.jobs++
}

// RunJobs carries out queued follow-up work until ctx is done: at once when
// this instance queued some, and every interval for work queued by other
// instances or left by one that stopped. Every interval, and once more when
// ctx is done, it writes the automated verdicts counted (FlushStats).
func (d *Desk) RunJobs(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.Work(ctx); err != nil && ctx.Err() == nil {
			d.log.WarnContext(ctx, "review follow-up work failed; retrying", moderation.ErrorAttrs(err)...)
		}
		select {
		case <-ctx.Done():
			d.flushStats(ctx) // the automated verdicts counted since the last tick
			return
		case <-d.wake:
		case <-t.C:
			d.flushStats(ctx)
		}
	}
}

// Work carries out the follow-up work that is due and returns how many jobs
// it finished.
func (d *Desk) Work(ctx context.Context) (int, error) {
	done := 0
	for {
		due, err := d.cfg.Store.Range(ctx, idxJobs, RangeQuery{Min: math.Inf(-1), Max: float64(d.now().UnixMilli()), Limit: 10})
		if err != nil || len(due) == 0 {
			return done, err
		}
		progress := false
		for _, m := range due {
			j, ok, err := d.leaseJob(ctx, m.Member)
			if err != nil {
				return done, err
			}
			if !ok {
				continue
			}
			if err := d.resolveReports(ctx, j); err != nil {
				return done, fmt.Errorf("resolve the reports of case %s: %w", j.CaseID, err)
			}
			err = d.update(ctx, func(t *txn) error {
				t.tx.Delete(keyJob + m.Member)
				t.tx.Remove(idxJobs, m.Member)
				return nil
			})
			if err != nil {
				return done, err
			}
			done++
			progress = true
		}
		if !progress {
			return done, nil // all due jobs are held by other workers
		}
	}
}

// leaseJob takes job id for jobLease, unless another worker holds it.
func (d *Desk) leaseJob(ctx context.Context, id string) (job, bool, error) {
	var j job
	taken := false
	err := d.update(ctx, func(t *txn) error {
		taken = false
		if ok, err := t.get(keyJob+id, &j); err != nil || !ok {
			if err == nil {
				t.tx.Remove(idxJobs, id) // finished meanwhile
			}
			return err
		}
		if j.Due.After(t.now) {
			return nil
		}
		j.Due = t.now.Add(jobLease)
		t.put(keyJob+id, j, 0)
		t.tx.Add(idxJobs, id, float64(j.Due.UnixMilli()))
		taken = true
		return nil
	})
	return j, taken, err
}

// resolveReports applies j's decision to each report of j's case.
func (d *Desk) resolveReports(ctx context.Context, j job) error {
	var dec moderation.Decision
	if ok, err := d.load(ctx, keyDec+j.DecisionID, &dec); err != nil || !ok {
		return err
	}
	for offset := 0; ; offset += jobBatch {
		page, err := d.cfg.Store.Range(ctx, idxCaseReports(j.CaseID), RangeQuery{Min: math.Inf(-1), Max: math.Inf(1), Offset: offset, Limit: jobBatch})
		if err != nil {
			return err
		}
		for _, m := range page {
			if err := d.update(ctx, func(t *txn) error { return applyToReport(t, m.Member, dec) }); err != nil {
				return err
			}
		}
		if len(page) < jobBatch {
			return nil
		}
	}
}

// applyToReport resolves one report by dec (re-read), moves its reporter's track
// record from the report's previous outcome to the new one, and tells the
// product. A report dec was already applied to, in its current state
// (upheld, or reversed), is left alone.
func applyToReport(t *txn, id string, dec moderation.Decision) error {
	// The decision as it is now, read in this transaction: a job that
	// loaded it before a reversal must not apply the old state over the
	// reversal's.
	if ok, err := t.get(keyDec+dec.ID, &dec); err != nil || !ok {
		return err
	}
	var r reportDoc
	if ok, err := t.get(keyReport+id, &r); err != nil || !ok {
		return err
	}
	mark := dec.ID
	if dec.ReversedBy != "" {
		mark += "/reversed"
	}
	if slices.Contains(r.Applied, mark) {
		return nil
	}
	var rec moderation.Reporter
	if _, err := t.get(keyRep+r.ReporterID, &rec); err != nil {
		return err
	}
	rec.ID = r.ReporterID
	switch {
	case r.Status != moderation.ReportResolved:
	case r.Outcome == moderation.ReportUpheld:
		rec.Upheld = max(0, rec.Upheld-1)
	default:
		rec.Rejected = max(0, rec.Rejected-1)
	}
	revised := r.Status == moderation.ReportResolved
	resolve(&r.Report, dec)
	t.stat(Stat{Kind: StatReportResolved, Categories: []moderation.Category{r.Category}, Outcome: r.Outcome, Seconds: max(0, dec.DecidedAt.Sub(r.CreatedAt).Seconds()), Revised: revised})
	if r.Outcome == moderation.ReportUpheld {
		rec.Upheld++
	} else {
		rec.Rejected++
	}
	r.Applied = append(r.Applied, mark)
	t.put(keyReport+id, r, 0)
	if !strings.HasPrefix(r.ReporterID, pseudonymPrefix) { // an erased reporter has no track record
		t.put(keyRep+r.ReporterID, rec, 0)
	}
	emitResolved(t, r.Report, dec.ReversedBy != "")
	return nil
}
