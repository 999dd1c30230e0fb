package review

import (
	"encoding/json"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// The statistics log holds one entry per event a transparency report
// counts: a report filed or resolved, a decision, a suspension, an appeal
// received or decided, automated verdicts. Its entries carry no personal
// data (no user, reporter, content or case ids, no text, no reasons), so
// they may outlive the records they count: the numbers for a period stay
// publishable after that period's cases, reports and decisions have been
// purged or erased. An entry's time is its log id's.
const logStats = "stats"

// Kinds of statistics entries.
const (
	StatReport         = "report"          // a report was filed
	StatReportResolved = "report.resolved" // a report was resolved, or its outcome revised on appeal
	StatDecision       = "decision"        // a moderator decided a case, or suspended a user directly
	StatSuspension     = "suspension"      // an account was suspended
	StatAppeal         = "appeal"          // a user appealed a decision
	StatAppealDecided  = "appeal.decided"  // an appeal was decided
	StatAutomated      = "automated"       // Count automated verdicts of one action; with one category, those of them that named it
)

// Sources of a decision, in the DSA's terms (Art. 17(3)(b), Art. 24).
const (
	SourceNotice        = "notice"         // a user's report (Art. 16 notice) led to it
	SourceOwnInitiative = "own_initiative" // the provider's own screening, strikes or a moderator's initiative
	SourceAppeal        = "appeal"         // a decision on an appeal (internal complaint, Art. 20)
)

// Bases of a suspension.
const (
	BasisDecision = "decision" // decided on a case about content or an account
	BasisStrikes  = "strikes"  // decided on a proposal after repeated strikes
	BasisDirect   = "direct"   // a moderator suspended the user without a case
)

// Stat is one entry of the statistics log. Only the fields that its Kind
// uses are set.
type Stat struct {
	Kind       string                    `json:"kind"`
	At         time.Time                 `json:"-"` // the log id's time, set when read
	Categories []moderation.Category     `json:"categories,omitempty"`
	Action     moderation.DecisionAction `json:"action,omitempty"`     // decision, automated: block or review
	Outcome    string                    `json:"outcome,omitempty"`    // report.resolved: upheld|rejected; appeal.decided: reversed|confirmed
	Source     string                    `json:"source,omitempty"`     // decision: Source*
	Basis      string                    `json:"basis,omitempty"`      // suspension: Basis*
	Indefinite bool                      `json:"indefinite,omitempty"` // suspension without an end
	// AutomatedDetection: screening flagged the content; AutomatedDecision:
	// no human decided (automated verdicts; every decision on a case is a
	// moderator's).
	AutomatedDetection bool `json:"automated_detection,omitempty"`
	AutomatedDecision  bool `json:"automated_decision,omitempty"`
	ContentRemoved     bool `json:"content_removed,omitempty"`
	// Seconds: report.resolved, from the report to the decision that
	// resolved it; appeal.decided, from the appeal to its decision.
	Seconds float64 `json:"seconds,omitempty"`
	// Existing: a report.resolved at once by a decision made before the
	// report (content already removed); Revised: a report.resolved that
	// replaces an earlier outcome after an appeal. Neither is a new
	// decision to time.
	Existing bool `json:"existing,omitempty"`
	Revised  bool `json:"revised,omitempty"`
	Count    int  `json:"count,omitempty"` // automated: how many verdicts; otherwise 1
}

// stat appends s to the statistics log.
func (t *txn) stat(s Stat) {
	b, err := json.Marshal(s)
	if err != nil {
		panic("review: encode stat: " + err.Error())
	}
	t.tx.Append(logStats, b)
}

// decisionSource is where a decision came from, for the statistics.
func decisionSource(dec *moderation.Decision) string {
	switch {
	case dec.AppealOf != "":
		return SourceAppeal
	case dec.Notice:
		return SourceNotice
	default:
		return SourceOwnInitiative
	}
}
