package review

import (
	"fmt"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// MaxRetention is the longest any record may be kept: the privacy policy
// promises "as long as necessary, up to 6 years".
const MaxRetention = 6 * 365 * 24 * time.Hour

// Default retentions, for the zero fields of Retention.
const (
	DefaultCaseContentRetention = DefaultAppealWindow // an appeal needs what was decided on
	DefaultCaseRetention        = 3 * 365 * 24 * time.Hour
	DefaultReportRetention      = 365 * 24 * time.Hour
	DefaultDecisionRetention    = 3 * 365 * 24 * time.Hour
	DefaultUserRetention        = 365 * 24 * time.Hour
	DefaultAuditRetention       = MaxRetention
	DefaultStatsRetention       = MaxRetention
)

// Retention says how long each kind of record is kept; Purge deletes what
// has outlived it. Records about a user whose processing is restricted are
// kept until the restriction is lifted.
type Retention struct {
	// CaseContent: the text, file details, screening verdict and appeal
	// statement of a decided case, and the text, explanation and contact
	// e-mail of its reports, counted from the decision. Open cases keep
	// theirs.
	CaseContent time.Duration
	// Cases: decided cases (what is left of them), from the decision.
	Cases time.Duration
	// Reports: resolved reports, from their filing, and reporters' track
	// records, from their latest report.
	Reports time.Duration
	// Decisions, from the decision; never less than the appeal window.
	Decisions time.Duration
	// Users: a user's strikes, suspensions and decision list, from the
	// latest decision about them; a suspension in force keeps them.
	Users time.Duration
	// Audit: the audit log. Stats: the statistics log, which holds no
	// personal data.
	Audit time.Duration
	Stats time.Duration
}

// fill sets the defaults and checks the bounds.
func (r *Retention) fill(appealWindow, strikeWindow time.Duration) error {
	for _, f := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"case content", &r.CaseContent, max(DefaultCaseContentRetention, appealWindow)},
		{"cases", &r.Cases, DefaultCaseRetention},
		{"reports", &r.Reports, DefaultReportRetention},
		{"decisions", &r.Decisions, max(DefaultDecisionRetention, appealWindow)},
		{"users", &r.Users, max(DefaultUserRetention, strikeWindow)},
		{"audit", &r.Audit, DefaultAuditRetention},
		{"stats", &r.Stats, DefaultStatsRetention},
	} {
		*f.v = orDefault(*f.v, f.def)
		if *f.v < 0 || *f.v > MaxRetention {
			return moderation.Errorf(moderation.EINVALID, "review: the retention of %s must be between 0 and %s (six years), not %s", f.name, MaxRetention, *f.v)
		}
	}
	if r.Decisions < appealWindow {
		return moderation.Errorf(moderation.EINVALID, "review: decisions must be kept at least as long as the appeal window (%s), not %s", appealWindow, r.Decisions)
	}
	if r.CaseContent < appealWindow {
		return moderation.Errorf(moderation.EINVALID, "review: case content must be kept at least as long as the appeal window (%s), not %s: an appeal is decided on the content", appealWindow, r.CaseContent)
	}
	if r.Users < strikeWindow {
		return moderation.Errorf(moderation.EINVALID, "review: user records must be kept at least as long as the strike window (%s), not %s: strikes count within it", strikeWindow, r.Users)
	}
	if r.Cases < r.CaseContent {
		return fmt.Errorf("review: cases must be kept at least as long as their content (%s), not %s", r.CaseContent, r.Cases)
	}
	return nil
}
