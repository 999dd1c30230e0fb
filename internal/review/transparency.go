package review

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// MaxTransparencyPeriod is the longest period one transparency report or
// statements export covers: a year and some slack, which is what the DSA
// asks an operator to publish at once. A longer period is refused rather
// than read, to bound the work of one request.
const MaxTransparencyPeriod = 400 * 24 * time.Hour

// Pages in which the statistics log and the index of decisions are read.
const (
	statsPage      = 500
	statementsPage = 100
)

// Transparency holds the figures an operator publishes under the EU Digital
// Services Act (Art. 15 and 24) for a period: what was reported, decided,
// suspended and appealed. It is computed from the statistics log, whose
// entries carry no personal data and outlive the records they count, so a
// period's figures stay the same after its cases and decisions have been
// purged.
//
// Every map is present, empty when nothing was counted; a key with no
// events is absent. Categories are policy categories (moderation.Category).
type Transparency struct {
	Period      Period           `json:"period"`
	Reports     ReportCounts     `json:"reports"`
	Decisions   DecisionCounts   `json:"decisions"`
	Automated   AutomatedCounts  `json:"automated"`
	Suspensions SuspensionCounts `json:"suspensions"`
	Appeals     AppealCounts     `json:"appeals"`
	// Reversals is how many appeals were decided by reversing the
	// decision appealed (appeals.by_outcome.reversed).
	Reversals int `json:"reversals"`
}

// Period is the time range a report covers: From inclusive, To exclusive.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// ReportCounts are users' reports (notices under Art. 16).
type ReportCounts struct {
	// Total reports filed in the period, and ByCategory the category each
	// reporter chose.
	Total      int            `json:"total"`
	ByCategory map[string]int `json:"by_category"`
	// ByOutcome counts the reports resolved in the period by their first
	// outcome (upheld or rejected), whenever they were filed. A report
	// about content already removed is resolved at once, upheld.
	ByOutcome map[string]int `json:"by_outcome"`
	// RevisedOnAppeal counts the outcomes revised in the period because
	// the decision that resolved the report was reversed on appeal; they
	// are not in ByOutcome again.
	RevisedOnAppeal int `json:"revised_on_appeal"`
	// MedianSecondsToDecision is the median time from a report to the
	// decision that first resolved it, over the reports resolved in the
	// period by a new decision (not those answered at once by an earlier
	// removal); null when there were none.
	MedianSecondsToDecision *float64 `json:"median_seconds_to_decision"`
}

// DecisionCounts are moderators' decisions (Art. 15(1)(c) and 17).
type DecisionCounts struct {
	Total int `json:"total"`
	// ByCategory counts a decision once for each category it names, so it
	// may add up to more than Total; decisions that name none (keep,
	// dismiss, reverse, often) are in no category.
	ByCategory map[string]int `json:"by_category"`
	ByAction   map[string]int `json:"by_action"`
	// BySource is what led to the decision: a user's report ("notice"),
	// the provider's own screening, strikes or a moderator's initiative
	// ("own_initiative"), or an appeal ("appeal").
	BySource map[string]int `json:"by_source"`
	// AutomatedDetection counts the decisions on content that automated
	// screening flagged; AutomatedDecision those that no human took
	// (always 0 here: a moderator makes every decision on a case; the
	// verdicts that block on their own are in Automated).
	AutomatedDetection int `json:"automated_detection"`
	AutomatedDecision  int `json:"automated_decision"`
	ContentRemoved     int `json:"content_removed"`
}

// AutomatedCounts are the verdicts of automated screening that the product
// was given (by /v1/check, /v1/check/batch, /v1/check/upload and
// /v1/moderations), as counted by CountVerdict: "block" verdicts are
// decisions taken by automated means, "review" verdicts detections that a
// human should look at. Allow verdicts are not counted.
type AutomatedCounts struct {
	Total    int            `json:"total"`
	ByAction map[string]int `json:"by_action"`
	// ByCategory counts a verdict once for each category that called for
	// its action (see CountVerdict), so it may add up to more than Total;
	// ByActionAndCategory splits the same counts by action.
	ByCategory          map[string]int            `json:"by_category"`
	ByActionAndCategory map[string]map[string]int `json:"by_action_and_category"`
}

// SuspensionCounts are account suspensions (Art. 15(1)(c), 23 and 24(1)(b)).
type SuspensionCounts struct {
	Total int `json:"total"`
	// ByBasis: "decision" on a case about content or an account, "strikes"
	// on a proposal after repeated strikes, "direct" by a moderator
	// without a case.
	ByBasis map[string]int `json:"by_basis"`
	// ByCategory counts a suspension once for each category it names.
	ByCategory map[string]int `json:"by_category"`
	Indefinite int            `json:"indefinite"`
}

// AppealCounts are appeals, the internal complaints of Art. 20 (Art.
// 15(1)(d)).
type AppealCounts struct {
	// Received in the period, by the categories of the decision appealed
	// (once per category).
	Received   int            `json:"received"`
	ByCategory map[string]int `json:"by_category"`
	// Decided in the period, whenever received, by outcome: "reversed" or
	// "confirmed".
	Decided   int            `json:"decided"`
	ByOutcome map[string]int `json:"by_outcome"`
	// MedianHandlingSeconds is the median time from an appeal to its
	// decision over the appeals decided in the period; null when none
	// were.
	MedianHandlingSeconds *float64 `json:"median_handling_seconds"`
}

func newTransparency(from, to time.Time) Transparency {
	return Transparency{
		Period:      Period{From: from.UTC(), To: to.UTC()},
		Reports:     ReportCounts{ByCategory: map[string]int{}, ByOutcome: map[string]int{}},
		Decisions:   DecisionCounts{ByCategory: map[string]int{}, ByAction: map[string]int{}, BySource: map[string]int{}},
		Automated:   AutomatedCounts{ByAction: map[string]int{}, ByCategory: map[string]int{}, ByActionAndCategory: map[string]map[string]int{}},
		Suspensions: SuspensionCounts{ByBasis: map[string]int{}, ByCategory: map[string]int{}},
		Appeals:     AppealCounts{ByCategory: map[string]int{}, ByOutcome: map[string]int{}},
	}
}

// checkPeriod validates a report's period.
func checkPeriod(from, to time.Time) error {
	switch {
	case from.IsZero() || to.IsZero():
		return moderation.Errorf(moderation.EINVALID, "from and to are both required")
	case !to.After(from):
		return moderation.Errorf(moderation.EINVALID, "to (%s) must be after from (%s)", to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	case to.Sub(from) > MaxTransparencyPeriod:
		return moderation.Errorf(moderation.EINVALID, "the period from %s to %s is longer than %d days; ask for shorter periods",
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), int(MaxTransparencyPeriod.Hours()/24))
	}
	return nil
}

// Transparency returns the figures for the period [from, to), read from
// the statistics log. An entry's time is the store's when it was written
// (its log id), to the millisecond. Medians are exact: the durations of the
// period's resolved reports and decided appeals are held in memory, eight
// bytes each, so the memory used is bounded by the entries in the period.
// A period that is empty, inverted or longer than MaxTransparencyPeriod is
// EINVALID.
func (d *Desk) Transparency(ctx context.Context, from, to time.Time) (Transparency, error) {
	if err := checkPeriod(from, to); err != nil {
		return Transparency{}, err
	}
	tr := newTransparency(from, to)
	var reportSecs, appealSecs []float64
	done := func() (Transparency, error) {
		tr.Reports.MedianSecondsToDecision = median(reportSecs)
		tr.Appeals.MedianHandlingSeconds = median(appealSecs)
		return tr, nil
	}
	after := logCursorBefore(from)
	for {
		page, err := d.cfg.Store.ReadLog(ctx, logStats, after, statsPage)
		if err != nil {
			return Transparency{}, fmt.Errorf("read the statistics log: %w", err)
		}
		for _, e := range page {
			at, err := logTime(e.ID)
			if err != nil {
				return Transparency{}, err
			}
			if !at.Before(to) {
				return done()
			}
			var s Stat
			if err := json.Unmarshal(e.Data, &s); err != nil {
				return Transparency{}, fmt.Errorf("decode statistics entry %s: %w", e.ID, err)
			}
			s.At = at
			tr.add(s)
			switch {
			case s.Kind == StatReportResolved && !s.Revised && !s.Existing:
				reportSecs = append(reportSecs, s.Seconds)
			case s.Kind == StatAppealDecided:
				appealSecs = append(appealSecs, s.Seconds)
			}
		}
		if len(page) < statsPage {
			return done()
		}
		after = page[len(page)-1].ID
	}
}

// add counts s; the caller collects the durations for the medians.
func (tr *Transparency) add(s Stat) {
	n := 1
	if s.Count > 0 {
		n = s.Count
	}
	switch s.Kind {
	case StatReport:
		tr.Reports.Total++
		countCategories(tr.Reports.ByCategory, s.Categories, 1)
	case StatReportResolved:
		if s.Revised {
			tr.Reports.RevisedOnAppeal++
		} else {
			tr.Reports.ByOutcome[s.Outcome]++
		}
	case StatDecision:
		dc := &tr.Decisions
		dc.Total++
		countCategories(dc.ByCategory, s.Categories, 1)
		dc.ByAction[string(s.Action)]++
		dc.BySource[s.Source]++
		dc.AutomatedDetection += b2i(s.AutomatedDetection)
		dc.AutomatedDecision += b2i(s.AutomatedDecision)
		dc.ContentRemoved += b2i(s.ContentRemoved)
	case StatSuspension:
		sc := &tr.Suspensions
		sc.Total++
		sc.ByBasis[s.Basis]++
		countCategories(sc.ByCategory, s.Categories, 1)
		sc.Indefinite += b2i(s.Indefinite)
	case StatAppeal:
		tr.Appeals.Received++
		countCategories(tr.Appeals.ByCategory, s.Categories, 1)
	case StatAppealDecided:
		tr.Appeals.Decided++
		tr.Appeals.ByOutcome[s.Outcome]++
		if s.Outcome == outcomeReversed {
			tr.Reversals++
		}
	case StatAutomated:
		ac := &tr.Automated
		action := string(s.Action)
		if len(s.Categories) == 0 {
			ac.Total += n
			ac.ByAction[action] += n
			break
		}
		countCategories(ac.ByCategory, s.Categories, n)
		if ac.ByActionAndCategory[action] == nil {
			ac.ByActionAndCategory[action] = map[string]int{}
		}
		countCategories(ac.ByActionAndCategory[action], s.Categories, n)
	}
	// Kinds this version does not know are left out: a newer instance
	// sharing the store may write them.
}

// outcomeReversed is the outcome of an appeal that reversed the decision.
const outcomeReversed = "reversed"

func countCategories(m map[string]int, cats []moderation.Category, n int) {
	for _, c := range cats {
		m[string(c)] += n
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// median returns the median of xs, which it sorts, or nil for none.
func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	m := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		m = (xs[len(xs)/2-1] + m) / 2
	}
	return &m
}

// logCursorBefore returns the ReadLog cursor from which the entries written
// at or after t are read: the last id there can be in the millisecond
// before t's first whole one.
func logCursorBefore(t time.Time) string {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++ // entries in t's own millisecond are before t
	}
	if ms <= 0 {
		return ""
	}
	return strconv.FormatInt(ms-1, 10) + "-" + strconv.FormatUint(math.MaxUint64, 10)
}

// logTime is the time of the log entry with id "<ms>-<seq>".
func logTime(id string) (time.Time, error) {
	msText, _, _ := strings.Cut(id, "-")
	ms, err := strconv.ParseInt(msText, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("statistics entry id %q is not <ms>-<seq>", id)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// Statements calls fn with the statement of reasons of every decision made
// in [from, to) that restricted something (removed content or suspended an
// account), in the order of decision time, as the operator submits them to
// the DSA Transparency Database. Decisions that restrict nothing (keep,
// dismiss, reverse) have no statement to submit. A decision reversed on
// appeal since is still there, marked aup_reversed.
//
// The statements hold no personal data (Art. 24(5)): their decision facts
// are rebuilt from what the decision did, without the content's id or the
// moderator's free-text reason, which may name or quote people (see
// databaseStatement). fn's error stops the export and is returned as is. A
// period that is empty, inverted or longer than MaxTransparencyPeriod is
// EINVALID.
func (d *Desk) Statements(ctx context.Context, from, to time.Time, fn func(Statement) error) error {
	if err := checkPeriod(from, to); err != nil {
		return err
	}
	// Decisions are indexed by decision time in milliseconds; the bounds
	// take in the whole milliseconds of from and to, and the decision
	// times themselves decide.
	q := RangeQuery{Min: float64(from.UnixMilli()), Max: float64(to.UnixMilli()), Limit: statementsPage}
	for {
		page, err := d.cfg.Store.Range(ctx, idxDecisions, q)
		if err != nil {
			return fmt.Errorf("range decisions: %w", err)
		}
		ids := make([]string, len(page))
		for i, m := range page {
			ids[i] = m.Member
		}
		decs, err := loadMany[moderation.Decision](ctx, d, keyDec, ids)
		if err != nil {
			return err
		}
		for _, dec := range decs {
			if dec.ID == "" || dec.DecidedAt.Before(from) || !dec.DecidedAt.Before(to) || !dec.ContentRemoved && dec.SuspensionID == "" {
				continue // purged meanwhile, just outside the period, or no restriction
			}
			if err := fn(databaseStatement(dec)); err != nil {
				return err
			}
		}
		if len(page) < statementsPage {
			return nil
		}
		// The next page starts at the last score read, past the members
		// with that score already read (members of equal score come in
		// byte order), rather than at an offset from the start, which
		// decisions purged meanwhile would shift.
		last := page[len(page)-1].Score
		if last != q.Min {
			q.Min, q.Offset = last, 0
		}
		for _, m := range page {
			if m.Score == last {
				q.Offset++
			}
		}
	}
}

// databaseStatement is dec's statement of reasons for the Transparency
// Database, which must hold no personal data: NewStatement's, with the
// decision facts rebuilt from what the decision did. NewStatement's facts,
// which the user affected reads, name the content's id (which the product
// can tie to its author) and quote the moderator's free-text reason (which
// may name or quote anyone); the database's category and ground fields
// already say why.
func databaseStatement(dec moderation.Decision) Statement {
	s := NewStatement(dec)
	var facts []string
	if dec.ContentRemoved {
		facts = append(facts, "The "+string(dec.Target.Type)+" was removed.")
	}
	if dec.SuspensionID != "" {
		if s.EndDateAccountRestriction != "" {
			facts = append(facts, "The account was suspended until "+s.EndDateAccountRestriction+".")
		} else {
			facts = append(facts, "The account was suspended indefinitely.")
		}
	}
	if dec.Notice {
		facts = append(facts, "A user's notice led to the review.")
	}
	if dec.AutomatedDetection {
		facts = append(facts, "Automated screening flagged the content; a moderator decided.")
	}
	if dec.ReversedBy != "" {
		facts = append(facts, "The decision was reversed on appeal.")
	}
	s.DecisionFacts = strings.Join(facts, " ")
	return s
}

// autoCounts counts automated verdicts in memory between flushes to the
// statistics log. Its zero value is ready to use.
type autoCounts struct {
	mu sync.Mutex
	n  map[autoKey]int
	// flushing is held by FlushStats, so that two flushes never write the
	// same counts.
	flushing sync.Mutex
}

// autoKey is an action and a category; the category "" counts every
// verdict of the action.
type autoKey struct {
	action   moderation.Action
	category moderation.Category
}

// CountVerdict counts a verdict of automated screening that the product was
// given, for the transparency report: a block or review verdict counts once
// for its action, and once for each category that called for that action
// (whose own action is the verdict's or stricter). A category whose action
// the screener left unset is taken to have called for it; one that was only
// reported (allow) did not. Allow verdicts are not counted. A cached
// verdict counts: the product enforces it all the same.
//
// Counts are kept in memory until FlushStats writes them (RunJobs does, at
// each tick and when it stops), so at most one interval's are lost if the
// process dies. It is safe for concurrent use and does no I/O.
func (d *Desk) CountVerdict(v moderation.Verdict) {
	rank := actionRank(v.Action)
	if rank == 0 {
		return
	}
	var cats []moderation.Category
	for _, cs := range v.Categories {
		if (cs.Action == "" || actionRank(cs.Action) >= rank) && !slices.Contains(cats, cs.Category) {
			cats = append(cats, cs.Category)
		}
	}
	a := &d.auto
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == nil {
		a.n = map[autoKey]int{}
	}
	a.n[autoKey{action: v.Action}]++
	for _, c := range cats {
		a.n[autoKey{action: v.Action, category: c}]++
	}
}

// actionRank orders actions by severity: 0 for allow (or unknown), 1 for
// review, 2 for block.
func actionRank(a moderation.Action) int {
	switch a {
	case moderation.Review:
		return 1
	case moderation.Block:
		return 2
	}
	return 0
}

// FlushStats writes the automated verdicts counted since the last flush to
// the statistics log, in one transaction: for each action, an entry with
// the number of verdicts, and one for each category with the number that
// named it. Block verdicts are recorded as detected and decided by
// automated means, review verdicts as detected only. The counts are reset
// only when the transaction succeeds; otherwise they are kept for the next
// flush (a write that failed after Redis applied it is then counted twice).
func (d *Desk) FlushStats(ctx context.Context) error {
	a := &d.auto
	a.flushing.Lock()
	defer a.flushing.Unlock()
	a.mu.Lock()
	snap := make(map[autoKey]int, len(a.n))
	for k, n := range a.n {
		if n > 0 {
			snap[k] = n
		}
	}
	a.mu.Unlock()
	if len(snap) == 0 {
		return nil
	}
	keys := make([]autoKey, 0, len(snap))
	for k := range snap {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y autoKey) int {
		if r := actionRank(y.action) - actionRank(x.action); r != 0 {
			return r // block first
		}
		if r := categoryIndex(x.category) - categoryIndex(y.category); r != 0 {
			return r
		}
		return strings.Compare(string(x.category), string(y.category))
	})
	err := d.update(ctx, func(t *txn) error {
		for _, k := range keys {
			s := Stat{
				Kind:               StatAutomated,
				Action:             moderation.DecisionAction(k.action),
				Count:              snap[k],
				AutomatedDetection: true,
				AutomatedDecision:  k.action == moderation.Block,
			}
			if k.category != "" {
				s.Categories = []moderation.Category{k.category}
			}
			t.stat(s)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("flush the automated verdict counts: %w", err)
	}
	// Verdicts counted while the transaction ran stay for the next flush.
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, n := range snap {
		if a.n[k] -= n; a.n[k] <= 0 {
			delete(a.n, k)
		}
	}
	return nil
}

// categoryIndex is c's place in the policy's order: -1 for "" (every
// verdict), and after the known ones for an unknown category.
func categoryIndex(c moderation.Category) int {
	if c == "" {
		return -1
	}
	if i := slices.Index(moderation.Categories, c); i >= 0 {
		return i
	}
	return len(moderation.Categories)
}

// finalFlushTimeout bounds the last flush when RunJobs stops.
const finalFlushTimeout = 5 * time.Second

// flushStats runs FlushStats for RunJobs and logs a failure (the counts
// are kept for the next try). With ctx done it makes a last attempt on a
// context of its own, so that the counts since the last tick are written
// when the service stops.
func (d *Desk) flushStats(ctx context.Context) {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
		defer cancel()
	}
	if err := d.FlushStats(ctx); err != nil {
		d.log.WarnContext(ctx, "writing the automated verdict counts failed; keeping them for the next try", moderation.ErrorAttrs(err)...)
	}
}
