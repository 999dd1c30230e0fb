package moderation

import (
	"encoding/json"
	"time"
)

// TargetType is the kind of thing a report, case or decision is about.
type TargetType string

// Target types.
const (
	TargetNote   TargetType = "note"
	TargetUpload TargetType = "upload"
	TargetUser   TargetType = "user"
)

// Valid reports whether t is one of the target types.
func (t TargetType) Valid() bool { return t == TargetNote || t == TargetUpload || t == TargetUser }

// Target is the content or account a case is about. UserID is the author of
// the content, or the account itself for a user target.
type Target struct {
	Type   TargetType `json:"type"`
	ID     string     `json:"id"`
	UserID string     `json:"user_id,omitempty"`
}

// Report is a user's notice that a target breaks the policy.
type Report struct {
	ID           string       `json:"id"`
	CaseID       string       `json:"case_id"`
	ReporterID   string       `json:"reporter_id"`
	Target       Target       `json:"target"`
	Text         string       `json:"text,omitempty"` // what the reporter saw
	Category     Category     `json:"category"`
	Explanation  string       `json:"explanation,omitempty"`
	ContactEmail string       `json:"contact_email,omitempty"`
	Status       ReportStatus `json:"status"`
	Outcome      string       `json:"outcome,omitempty"` // ReportUpheld or ReportRejected once resolved
	Reason       string       `json:"reason,omitempty"`
	DecisionID   string       `json:"decision_id,omitempty"`
	CreatedAt    time.Time    `json:"created_at"`
	ResolvedAt   *time.Time   `json:"resolved_at,omitempty"`
}

// ReportStatus is where a report is in its life.
type ReportStatus string

// Report statuses and outcomes.
const (
	ReportReceived ReportStatus = "received"
	ReportResolved ReportStatus = "resolved"

	ReportUpheld   = "upheld"   // the decision acted on the target
	ReportRejected = "rejected" // the decision found nothing to act on
)

// Lane is a review queue. Moderators work the lanes in order: every urgent
// case before any high one, and so on.
type Lane string

// Lanes, most urgent first.
const (
	LaneUrgent Lane = "urgent" // child safety, credible threats, self-harm
	LaneHigh   Lane = "high"
	LaneNormal Lane = "normal"
	LaneLow    Lane = "low"
)

// Lanes lists the lanes, most urgent first.
var Lanes = []Lane{LaneUrgent, LaneHigh, LaneNormal, LaneLow}

// Rank returns the lane's position in Lanes (0 is most urgent), or -1.
func (l Lane) Rank() int {
	for i, k := range Lanes {
		if l == k {
			return i
		}
	}
	return -1
}

// CaseKind says what opened a case.
type CaseKind string

// Case kinds.
const (
	KindScreening  CaseKind = "screening"  // a review verdict from /v1/check
	KindReport     CaseKind = "report"     // a user's report
	KindSuspension CaseKind = "suspension" // a suspension proposal after repeated strikes
	KindAppeal     CaseKind = "appeal"     // a user's appeal against a decision
)

// CaseStatus is where a case is in the queue.
type CaseStatus string

// Case statuses.
const (
	CaseOpen    CaseStatus = "open"    // waiting in its lane
	CaseClaimed CaseStatus = "claimed" // leased to a moderator
	CaseClosed  CaseStatus = "closed"  // decided
)

// Case is one item of human review: a target, the evidence, and in the end a
// decision.
type Case struct {
	ID       string     `json:"id"`
	Kind     CaseKind   `json:"kind"`
	Status   CaseStatus `json:"status"`
	Lane     Lane       `json:"lane"`
	Priority float64    `json:"priority"` // 0 to 100 within the lane, higher first
	Target   Target     `json:"target"`
	// Text is the content under review, as screened or as reported; for an
	// upload, excerpts of its text around what screening matched.
	Text string `json:"text,omitempty"`
	// File describes the upload a screening case is about: its hashes, so
	// that a decision to remove it can add them to a hash bank.
	File       *FileInfo  `json:"file,omitempty"`
	Verdict    *Verdict   `json:"verdict,omitempty"` // the screening verdict, if any
	Categories []Category `json:"categories"`        // suspected
	// ReportCount is the number of reports gathered into the case, one per
	// reporter.
	ReportCount int `json:"report_count"`
	// Reporters is the weight of the distinct reporters: each counts by
	// their track record, between 0 and 1.
	Reporters float64 `json:"reporters"`
	// AutomatedDetection is true when screening, not a person, found it.
	AutomatedDetection bool `json:"automated_detection"`
	// Appeal: the decision appealed against, the user's statement and the
	// moderator who made the decision, who may not decide the appeal.
	AppealOf        string `json:"appeal_of,omitempty"`
	Statement       string `json:"statement,omitempty"`
	OriginalDecider string `json:"original_decider,omitempty"`
	// Strikes that led to a suspension proposal.
	Strikes []Strike `json:"strikes,omitempty"`
	// EscalatedTo is the lane a moderator escalated the case to; it never
	// goes below it again.
	EscalatedTo Lane        `json:"escalated_to,omitempty"`
	Lease       *Lease      `json:"lease,omitempty"`
	DecisionID  string      `json:"decision_id,omitempty"`
	History     []CaseEvent `json:"history"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// Lease is a moderator's claim on a case until a time.
type Lease struct {
	Moderator string    `json:"moderator"`
	Until     time.Time `json:"until"`
}

// CaseEvent is one step in a case's history.
type CaseEvent struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
}

// DecisionAction is what a moderator decided.
type DecisionAction string

// Decision actions. Escalate is not a decision: it moves a case up a lane.
const (
	ActionKeep     DecisionAction = "keep"     // the content stays
	ActionRemove   DecisionAction = "remove"   // the content goes; its author gets a strike
	ActionSuspend  DecisionAction = "suspend"  // the account is suspended (and reported content removed)
	ActionDismiss  DecisionAction = "dismiss"  // nothing to act on (or, for an appeal, the original stands)
	ActionReverse  DecisionAction = "reverse"  // an appeal is upheld: the original decision is undone
	ActionEscalate DecisionAction = "escalate" // move the case to a more urgent lane
)

// Decision is a moderator's final decision on a case.
type Decision struct {
	ID                 string         `json:"id"`
	CaseID             string         `json:"case_id"`
	CaseKind           CaseKind       `json:"case_kind"`
	Action             DecisionAction `json:"action"`
	Categories         []Category     `json:"categories"`
	Reason             string         `json:"reason"`
	Moderator          string         `json:"moderator"`
	Target             Target         `json:"target"`
	AutomatedDetection bool           `json:"automated_detection"`
	Notice             bool           `json:"notice"` // a user's report led to it
	// ContentRemoved and SuspensionID say what the decision enforced.
	ContentRemoved bool       `json:"content_removed"`
	SuspensionID   string     `json:"suspension_id,omitempty"`
	SuspendedUntil *time.Time `json:"suspended_until,omitempty"` // nil with a suspension: indefinite
	AppealOf       string     `json:"appeal_of,omitempty"`       // for a decision on an appeal
	ReversedBy     string     `json:"reversed_by,omitempty"`     // the appeal decision that undid it
	DecidedAt      time.Time  `json:"decided_at"`
	// BankEntries are the hash bank entries the decision added for the
	// upload it removed; reversing the decision on appeal deletes them.
	BankEntries []string `json:"bank_entries,omitempty"`
}

// Strike is a removal counted against a user.
type Strike struct {
	DecisionID string     `json:"decision_id"`
	Categories []Category `json:"categories"`
	At         time.Time  `json:"at"`
}

// Suspension is an account suspension. Until nil means indefinitely.
type Suspension struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Reason     string     `json:"reason"`
	By         string     `json:"by"`
	DecisionID string     `json:"decision_id,omitempty"`
	Since      time.Time  `json:"since"`
	Until      *time.Time `json:"until,omitempty"`
}

// Active reports whether s is in force at now.
func (s *Suspension) Active(now time.Time) bool {
	return s != nil && (s.Until == nil || now.Before(*s.Until))
}

// UserStatus is a user's standing: suspension and recent strikes.
type UserStatus struct {
	UserID      string       `json:"user_id"`
	Suspension  *Suspension  `json:"suspension,omitempty"`  // the one in force, if any
	Strikes     []Strike     `json:"strikes"`               // within the strike window
	Decisions   []string     `json:"decisions"`             // ids of decisions about the user's content or account, newest last
	Restriction *Restriction `json:"restriction,omitempty"` // processing restricted at the user's request
}

// Restriction marks a user whose data may be stored but not processed
// further (GDPR Art. 18): it is kept past its retention and used for no new
// automated measure until the restriction is lifted.
type Restriction struct {
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
}

// Reporter is a reporter's track record. Reports whose cases were decided
// without action count against them; they lose weight, and a reporter with
// many unfounded reports is flagged to moderators (DSA Art. 23).
type Reporter struct {
	ID       string `json:"id"`
	Reports  int    `json:"reports"`
	Upheld   int    `json:"upheld"`
	Rejected int    `json:"rejected"`
}

// Weight is how much a report by r counts, from 0.1 to 1: the share of r's
// decided reports that were upheld, smoothed so that a new reporter counts
// fully.
func (r Reporter) Weight() float64 {
	w := float64(r.Upheld+2) / float64(r.Upheld+r.Rejected+2)
	return max(0.1, min(1, w))
}

// Flagged reports whether r's reports are mostly unfounded: at least five
// rejected and under a quarter upheld.
func (r Reporter) Flagged() bool {
	return r.Rejected >= 5 && float64(r.Upheld) < 0.25*float64(r.Upheld+r.Rejected)
}

// AuditEntry is one state change, as kept in the append-only audit log. It
// holds ids and the actor's reason, never user content.
type AuditEntry struct {
	ID         string     `json:"id"`
	At         time.Time  `json:"at"`
	Actor      string     `json:"actor"`
	Action     string     `json:"action"`
	TargetType TargetType `json:"target_type,omitempty"`
	TargetID   string     `json:"target_id,omitempty"`
	CaseID     string     `json:"case_id,omitempty"`
	DecisionID string     `json:"decision_id,omitempty"`
	Reason     string     `json:"reason,omitempty"`
}

// Event is a notification for the product, delivered by webhook.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
	// Attempts is how many deliveries have failed so far.
	Attempts int `json:"attempts"`
}

// Event types.
const (
	EventDecisionMade    = "decision.made"
	EventContentRemoved  = "content.removed"
	EventUserSuspended   = "user.suspended"
	EventUserReinstated  = "user.reinstated"
	EventReportResolved  = "report.resolved"
	EventAppealResolved  = "appeal.resolved"
	EventContentRestored = "content.restored"
)
