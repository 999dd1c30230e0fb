// Package review is the human side of aup: users' reports, the review queue
// with its priority lanes and leases, moderators' decisions and what they
// enforce (removals, strikes, suspensions), appeals, statements of reasons,
// the audit log and the outbox of events for the product's webhook.
//
// All state lives in a Store (Redis in production, memory for development)
// and every change is one Store transaction: a report, a claim or a decision
// is either wholly recorded, with its audit entries and events, or not at
// all, and nothing acknowledged to a caller depends on this process
// surviving.
package review

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// Screener screens a text to score a report; it is the engine.
type Screener interface {
	Screen(ctx context.Context, c moderation.Content) (moderation.Verdict, error)
}

// Defaults for the zero values of Config.
const (
	DefaultLease           = 10 * time.Minute
	DefaultStrikeWindow    = 90 * 24 * time.Hour
	DefaultStrikeThreshold = 3
	DefaultAppealWindow    = 183 * 24 * time.Hour // six months
	DefaultReportLimit     = 30
	DefaultReportWindow    = time.Hour
	idempotencyTTL         = 24 * time.Hour
)

// Config configures a Desk. Store is required.
type Config struct {
	Store Store
	// Screener scores the text of reports; without one, reports are
	// prioritised by category and reporters only.
	Screener Screener
	// Lease is how long a claim lasts (default 10 minutes).
	Lease time.Duration
	// StrikeThreshold strikes within StrikeWindow open a suspension
	// proposal (defaults 3 within 90 days).
	StrikeWindow    time.Duration
	StrikeThreshold int
	// AppealWindow is how long after a decision an appeal is accepted
	// (default six months).
	AppealWindow time.Duration
	// ReportLimit reports per ReportWindow per reporter (default 30 an hour).
	ReportLimit  int
	ReportWindow time.Duration
	// UploadMemory is how long RememberUpload keeps a screened upload's
	// hashes for a report about it (default DefaultUploadMemory, 90 days).
	UploadMemory time.Duration
	// Events turns on the outbox: decisions, removals, suspensions and
	// resolutions queue events for the product's webhook. Leave it off when
	// no webhook is configured, or the outbox only grows.
	Events bool
	// Notify is called after a transaction that queued events, to wake the
	// webhook dispatcher. It must not block.
	Notify func()
	// PseudonymKey keys the HMAC that replaces user and reporter ids in
	// the audit log, in what an erasure keeps, and in the hashes behind
	// report deduplication and rate limits (see Pseudonym). Without one,
	// New draws a random key, which suits only a store that does not
	// outlive the process: pseudonyms would change with every start.
	PseudonymKey []byte
	// Retention is how long each kind of record is kept (see Purge).
	Retention Retention
	Logger    *slog.Logger
	Now       func() time.Time
}

// Desk is the review desk. It is safe for concurrent use, and several
// instances may share one Store.
type Desk struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{} // follow-up work was queued
	psn  pseudonyms
	auto autoCounts // automated verdicts not yet in the statistics log (transparency.go)
}

// New returns a Desk, filling in Config's defaults.
func New(cfg Config) (*Desk, error) {
	if cfg.Store == nil {
		return nil, errors.New("review: Config.Store is required")
	}
	if cfg.Lease < 0 || cfg.StrikeWindow < 0 || cfg.StrikeThreshold < 0 || cfg.AppealWindow < 0 || cfg.ReportLimit < 0 || cfg.ReportWindow < 0 || cfg.UploadMemory < 0 {
		return nil, errors.New("review: durations and limits must not be negative")
	}
	cfg.Lease = orDefault(cfg.Lease, DefaultLease)
	cfg.StrikeWindow = orDefault(cfg.StrikeWindow, DefaultStrikeWindow)
	cfg.StrikeThreshold = orDefault(cfg.StrikeThreshold, DefaultStrikeThreshold)
	cfg.AppealWindow = orDefault(cfg.AppealWindow, DefaultAppealWindow)
	cfg.ReportLimit = orDefault(cfg.ReportLimit, DefaultReportLimit)
	cfg.ReportWindow = orDefault(cfg.ReportWindow, DefaultReportWindow)
	cfg.UploadMemory = orDefault(cfg.UploadMemory, DefaultUploadMemory)
	if err := cfg.Retention.fill(cfg.AppealWindow, cfg.StrikeWindow); err != nil {
		return nil, err
	}
	if len(cfg.PseudonymKey) == 0 {
		cfg.PseudonymKey = make([]byte, 32)
		_, _ = rand.Read(cfg.PseudonymKey)
	}
	if cfg.Notify == nil {
		cfg.Notify = func() {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Desk{cfg: cfg, log: log, wake: make(chan struct{}, 1), psn: newPseudonyms(cfg.PseudonymKey)}, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (d *Desk) now() time.Time { return d.cfg.Now().UTC() }

// Key layout, relative to the store's namespace. User-supplied ids appear
// only at the end of a key, after a fixed prefix, so they cannot collide with
// another kind of key.
const (
	idxClosed    = "closed"    // closed cases by decision time (ms)
	idxDecisions = "decisions" // decisions by decision time (ms)
	idxContent   = "content"   // decided cases that still have their content, by decision time (ms)
	idxReports   = "reports"   // reports by filing time (ms)
	idxUsers     = "users"     // users with a record, by the latest decision about them (ms)
	idxReporters = "reporters" // reporters with a track record, by their latest report (ms)
	idxLeases    = "leases"    // claimed cases by lease end (ms)
	idxOutbox    = "outbox"    // events by next attempt (ms)
	logAudit     = "audit"
	keyCase      = "case:"
	keyReport    = "report:"
	keyDec       = "decision:"
	keyUser      = "user:"
	keyRep       = "reporter:"
	keyEvent     = "event:"
	keyAppeal    = "appeal:"   // decision id → appeal case id
	keyTarget    = "target:"   // target type:id → the open case about it
	keyReportBy  = "reportby:" // hash of reporter and target → report id
	keyIdem      = "idem:"     // actor and idempotency key → decision id
	ctrReports   = "reports:"  // reporter's pseudonym → reports in the current window
	ctrClaiming  = "claiming:" // case id → claimers trying it right now
)

func idxQueue(l moderation.Lane) string { return "queue:" + string(l) }

// idxCaseReports indexes a case's reports by their number in the case.
func idxCaseReports(caseID string) string { return "case-reports:" + caseID }

// idxSubject indexes what is kept about a person, for access and erasure:
// members are "case:<id>" (about their content or account), "decision:<id>"
// (about them), "report:<id>" (filed by them) and "upload-file:<content id>"
// (remembered uploads of theirs), scored by time (ms).
func idxSubject(id string) string { return "subject:" + id }

func targetKey(t moderation.Target) string { return keyTarget + string(t.Type) + ":" + t.ID }

// newID returns a fresh id: prefix, the time in milliseconds (so ids sort by
// creation) and 64 random bits.
func newID(prefix string, now time.Time) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s_%011x%s", prefix, now.UnixMilli(), hex.EncodeToString(b[:]))
}

// txn wraps a Tx with JSON documents and collects the audit entries and
// events a change produces, written when it commits.
type txn struct {
	tx     Tx
	now    time.Time
	emitOn bool // Config.Events
	psn    pseudonyms
	events int
	jobs   int
}

// get decodes the document at key into v; ok is false when there is none.
func (t *txn) get(key string, v any) (bool, error) {
	b, ok, err := t.tx.Get(key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", key, err)
	}
	return true, nil
}

// put stores v at key as JSON.
func (t *txn) put(key string, v any, ttl time.Duration) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("review: encode %s: %v", key, err)) // only our own types are stored
	}
	t.tx.Put(key, b, ttl)
}

// audit appends an entry to the audit log, with the ids of users and
// reporters in it replaced by their pseudonyms: the log is kept longest and
// cannot be rewritten, so it never holds them.
func (t *txn) audit(e moderation.AuditEntry) {
	e.At = t.now
	e.Actor = t.psn.actor(e.Actor)
	if e.TargetType == moderation.TargetUser {
		e.TargetID = t.psn.of(e.TargetID)
	}
	b, _ := json.Marshal(e)
	t.tx.Append(logAudit, b)
}

// emit queues an event for the webhook, due now.
func (t *txn) emit(typ string, data any) {
	if !t.emitOn {
		return
	}
	raw, err := json.Marshal(data)
	if err != nil {
		panic(fmt.Sprintf("review: encode event %s: %v", typ, err))
	}
	ev := outboxEvent{Event: moderation.Event{ID: newID("evt", t.now), Type: typ, CreatedAt: t.now, Data: raw}, Due: t.now}
	t.put(keyEvent+ev.ID, ev, 0)
	t.tx.Add(idxOutbox, ev.ID, float64(t.now.UnixMilli()))
	t.events++
}

// update runs fn in a transaction and wakes the dispatcher and the job
// runner if it queued events or follow-up work.
func (d *Desk) update(ctx context.Context, fn func(t *txn) error) error {
	var events, jobs int
	err := d.cfg.Store.Update(ctx, func(tx Tx) error {
		t := &txn{tx: tx, now: d.now(), emitOn: d.cfg.Events, psn: d.psn}
		if err := fn(t); err != nil {
			return err
		}
		events, jobs = t.events, t.jobs
		return nil
	})
	if err == nil && events > 0 {
		d.cfg.Notify()
	}
	if err == nil && jobs > 0 {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
	return err
}

// load reads the document at key outside a transaction.
func (d *Desk) load(ctx context.Context, key string, v any) (bool, error) {
	b, ok, err := d.cfg.Store.Get(ctx, key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", key, err)
	}
	return true, nil
}

func notFound(what, id string) error {
	return moderation.Errorf(moderation.ENOTFOUND, "%s %s not found", what, id)
}
