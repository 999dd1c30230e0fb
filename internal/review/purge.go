package review

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// purgeBatch is how many members of an index one purge step reads at a
// time.
const purgeBatch = 100

// Purge deletes what has outlived its retention (Config.Retention) and
// returns how many records of each kind it deleted or, for case content,
// stripped. Each record goes in its own transaction, so Purge may be
// stopped at any point and run again, by any instance, even by two at once.
// Records about a restricted user are skipped, and so is what an open
// appeal still needs.
func (d *Desk) Purge(ctx context.Context) (map[string]int64, error) {
	now, r := d.now(), d.cfg.Retention
	counts := map[string]int64{}
	steps := []struct {
		kind, index string
		keep        time.Duration
		purge       func(ctx context.Context, member string) (bool, error)
	}{
		{"case_content", idxContent, r.CaseContent, d.purgeContent},
		{"cases", idxClosed, r.Cases, d.purgeCase},
		{"reports", idxReports, r.Reports, d.purgeReport},
		{"decisions", idxDecisions, r.Decisions, d.purgeDecision},
		{"users", idxUsers, r.Users, d.purgeUser},
		{"reporters", idxReporters, r.Reports, d.purgeReporter},
		{"uploads", idxUploads, d.cfg.UploadMemory, d.purgeUpload},
	}
	for _, s := range steps {
		cutoff := float64(now.Add(-s.keep).UnixMilli())
		for skipped := 0; ; {
			page, err := d.cfg.Store.Range(ctx, s.index, RangeQuery{Min: math.Inf(-1), Max: cutoff, Offset: skipped, Limit: purgeBatch})
			if err != nil {
				return counts, fmt.Errorf("purge %s: %w", s.kind, err)
			}
			for _, m := range page {
				done, err := s.purge(ctx, m.Member)
				if errors.Is(err, errStale) {
					err = nil // a report came in meanwhile: the next run
				}
				if err != nil {
					return counts, fmt.Errorf("purge %s: %w", s.kind, err)
				}
				if done {
					counts[s.kind]++
				} else {
					skipped++
				}
			}
			if len(page) < purgeBatch {
				break
			}
		}
	}
	for _, l := range []struct {
		kind, log string
		keep      time.Duration
	}{{"audit", logAudit, r.Audit}, {"stats", logStats, r.Stats}} {
		n, err := d.cfg.Store.TrimLog(ctx, l.log, now.Add(-l.keep))
		if err != nil {
			return counts, fmt.Errorf("purge %s: %w", l.kind, err)
		}
		counts[l.kind] += n
	}
	return counts, nil
}

// RunPurge purges every interval until ctx is done, logging what it
// deleted.
func (d *Desk) RunPurge(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		counts, err := d.Purge(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.WarnContext(ctx, "purge failed; retrying at the next interval", moderation.ErrorAttrs(err)...)
		}
		var attrs []any
		for _, k := range slices.Sorted(maps.Keys(counts)) {
			if counts[k] > 0 {
				attrs = append(attrs, k, counts[k])
			}
		}
		if len(attrs) > 0 {
			d.log.InfoContext(ctx, "purged records past their retention", attrs...)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// purgeStep runs fn in a transaction that takes member out of index when
// fn reports it done.
func (d *Desk) purgeStep(ctx context.Context, index, member string, fn func(t *txn) (bool, error)) (done bool, err error) {
	err = d.update(ctx, func(t *txn) error {
		var err error
		if done, err = fn(t); err == nil && done {
			t.tx.Remove(index, member)
		}
		return err
	})
	return done, err
}

// appealOpen reports whether an appeal against the decision is open.
func appealOpen(t *txn, decisionID string) (bool, error) {
	var caseID string
	if ok, err := t.get(keyAppeal+decisionID, &caseID); err != nil || !ok {
		return false, err
	}
	var c moderation.Case
	if ok, err := t.get(keyCase+caseID, &c); err != nil || !ok {
		return false, err
	}
	return c.Status != moderation.CaseClosed, nil
}

// loadCase reads a case to purge; ok is false when it is gone, which
// leaves nothing to do.
func loadCase(t *txn, id string) (c moderation.Case, ok bool, err error) {
	ok, err = t.get(keyCase+id, &c)
	return c, ok, err
}

// keepCase reports whether a case must be kept for now: its author is
// restricted, or an appeal against its decision is open.
func keepCase(t *txn, c *moderation.Case) (bool, error) {
	if r, err := restricted(t, c.Target.UserID); err != nil || r {
		return true, err
	}
	return appealOpen(t, c.DecisionID)
}

func (d *Desk) purgeContent(ctx context.Context, id string) (bool, error) {
	reports, err := d.caseReports(ctx, id)
	if err != nil {
		return false, err
	}
	return d.purgeStep(ctx, idxContent, id, func(t *txn) (bool, error) {
		c, ok, err := loadCase(t, id)
		if err != nil || !ok {
			return !ok, err
		}
		if keep, err := keepCase(t, &c); err != nil || keep {
			return false, err
		}
		if _, err := stripContent(t, &c, reports, func(*reportDoc) {}); err != nil {
			return false, err
		}
		c.History = append(c.History, moderation.CaseEvent{At: t.now, Actor: "system", Action: "content_purged", Detail: "retention of case content ran out"})
		t.put(keyCase+c.ID, c, 0)
		return true, nil
	})
}

func (d *Desk) purgeCase(ctx context.Context, id string) (bool, error) {
	reports, err := d.caseReports(ctx, id)
	if err != nil {
		return false, err
	}
	return d.purgeStep(ctx, idxClosed, id, func(t *txn) (bool, error) {
		c, ok, err := loadCase(t, id)
		if err != nil || !ok {
			return !ok, err
		}
		if keep, err := keepCase(t, &c); err != nil || keep {
			return false, err
		}
		if pending, err := withReports(t, &c, reports, func(*reportDoc) error { return nil }); err != nil || pending {
			return false, err // a report waits for its resolution, which reads the case's reports
		}
		if err := deleteTargetKey(t, &c); err != nil {
			return false, err
		}
		deleteCase(t, &c, reports)
		return true, nil
	})
}

func (d *Desk) purgeReport(ctx context.Context, id string) (bool, error) {
	return d.purgeStep(ctx, idxReports, id, func(t *txn) (bool, error) {
		var r reportDoc
		if ok, err := t.get(keyReport+id, &r); err != nil || !ok {
			return !ok, err
		}
		if r.Status != moderation.ReportResolved {
			// Its case is still open, or its resolution pending; unless
			// the case is gone, and with it what could resolve it.
			if _, ok, err := t.tx.Get(keyCase + r.CaseID); err != nil || ok {
				return false, err
			}
		}
		for _, who := range []string{r.ReporterID, r.Target.UserID} {
			if rs, err := restricted(t, who); err != nil || rs {
				return false, err
			}
		}
		var pending string
		dedupe := keyReportBy + d.reportHash(r.ReporterID, r.Target)
		if ok, err := t.get(dedupe, &pending); err != nil {
			return false, err
		} else if ok && pending == r.ID {
			t.tx.Delete(dedupe)
		}
		deleteReport(t, r.Report)
		return true, nil
	})
}

func (d *Desk) purgeDecision(ctx context.Context, id string) (bool, error) {
	return d.purgeStep(ctx, idxDecisions, id, func(t *txn) (bool, error) {
		var dec moderation.Decision
		if ok, err := t.get(keyDec+id, &dec); err != nil || !ok {
			return !ok, err
		}
		if r, err := restricted(t, dec.Target.UserID); err != nil || r {
			return false, err
		}
		if open, err := appealOpen(t, id); err != nil || open {
			return false, err
		}
		deleteDecision(t, id)
		if uid := dec.Target.UserID; uid != "" {
			t.tx.Remove(idxSubject(uid), keyDec+id)
		}
		return true, nil
	})
}

func (d *Desk) purgeUser(ctx context.Context, id string) (bool, error) {
	return d.purgeStep(ctx, idxUsers, id, func(t *txn) (bool, error) {
		u, err := loadUser(t, id)
		if err != nil {
			return false, err
		}
		if r, err := restricted(t, id); err != nil || r || u.Proposal != "" || u.Suspension.Active(t.now) {
			return false, err
		}
		t.tx.Delete(keyUser + id)
		return true, nil
	})
}

func (d *Desk) purgeReporter(ctx context.Context, id string) (bool, error) {
	return d.purgeStep(ctx, idxReporters, id, func(t *txn) (bool, error) {
		if r, err := restricted(t, id); err != nil || r {
			return false, err
		}
		t.tx.Delete(keyRep + id)
		return true, nil
	})
}

// purgeUpload takes an upload whose memory expired (the store deleted it)
// out of its author's subject index.
func (d *Desk) purgeUpload(ctx context.Context, member string) (bool, error) {
	return d.purgeStep(ctx, idxUploads, member, func(t *txn) (bool, error) {
		uid, cid, _ := strings.Cut(member, "\x00")
		t.tx.Remove(idxSubject(uid), keyUploadFile+cid)
		return true, nil
	})
}
