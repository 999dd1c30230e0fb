package review_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
	"github.com/aup-dev/aup/internal/review"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// backend builds a fresh, empty review.Store.
type backend struct {
	name string
	new  func(tb testing.TB) review.Store
}

// backends are the stores every test runs against: the desk must behave the
// same on both.
var backends = []backend{
	{"memory", func(testing.TB) review.Store { return memstore.NewRecords() }},
	{"redis", func(tb testing.TB) review.Store {
		return redisstore.NewRecords(redistest.Shared(tb).Client(tb), redistest.Prefix())
	}},
}

// epoch is where the test clocks start.
var epoch = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// clock is a test clock that moves only when told to.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is a desk on one backend with a clock of its own.
type harness struct {
	t     *testing.T
	desk  *review.Desk
	store review.Store
	clock *clock
}

// eachStore runs fn as a subtest on every backend.
func eachStore(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	eachStoreConfig(t, review.Config{}, fn)
}

// eachStoreConfig runs fn as a subtest on every backend with a desk built
// from cfg (its Store and Now are filled in, and Events turned on).
func eachStoreConfig(t *testing.T, cfg review.Config, fn func(t *testing.T, h *harness)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newHarness(t, b.new(t), cfg))
		})
	}
}

func newHarness(t *testing.T, store review.Store, cfg review.Config) *harness {
	t.Helper()
	clk := &clock{now: epoch}
	cfg.Events = true
	cfg.Store = store
	cfg.Now = clk.Now
	d, err := review.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, desk: d, store: store, clock: clk}
}

// report files a report of cat by reporter about the note id by author and
// fails the test on error.
func (h *harness) report(reporter, note, author string, cat moderation.Category) moderation.Report {
	h.t.Helper()
	r, _ := h.submit(moderation.Report{ReporterID: reporter, Target: noteOf(note, author), Category: cat, Text: "the text of " + note})
	return r
}

func (h *harness) submit(r moderation.Report) (moderation.Report, bool) {
	h.t.Helper()
	got, created, err := h.desk.Submit(h.t.Context(), r)
	if err != nil {
		h.t.Fatalf("Submit(%s about %s): %v", r.ReporterID, r.Target.ID, err)
	}
	return got, created
}

func noteOf(id, author string) moderation.Target {
	return moderation.Target{Type: moderation.TargetNote, ID: id, UserID: author}
}

func (h *harness) caseOf(id string) review.CaseView {
	h.t.Helper()
	c, err := h.desk.Case(h.t.Context(), id)
	if err != nil {
		h.t.Fatalf("Case(%s): %v", id, err)
	}
	return c
}

// claim claims the next case for moderator and fails the test if there is
// none.
func (h *harness) claim(moderator string, lanes ...moderation.Lane) moderation.Case {
	h.t.Helper()
	c, ok, err := h.desk.Claim(h.t.Context(), moderator, lanes)
	if err != nil {
		h.t.Fatalf("Claim(%s): %v", moderator, err)
	}
	if !ok {
		h.t.Fatalf("Claim(%s, %v): no case", moderator, lanes)
	}
	return c
}

// noClaim fails the test if moderator can claim a case.
func (h *harness) noClaim(moderator string, lanes ...moderation.Lane) {
	h.t.Helper()
	c, ok, err := h.desk.Claim(h.t.Context(), moderator, lanes)
	if err != nil {
		h.t.Fatalf("Claim(%s): %v", moderator, err)
	}
	if ok {
		h.t.Fatalf("Claim(%s, %v) = case %s (%s), want none", moderator, lanes, c.ID, c.Kind)
	}
}

// claimCase claims until moderator holds case id, which must be the next
// case they are handed.
func (h *harness) claimCase(moderator, id string) {
	h.t.Helper()
	if c := h.claim(moderator); c.ID != id {
		h.t.Fatalf("Claim(%s) = %s (%s, %s), want %s", moderator, c.ID, c.Kind, c.Lane, id)
	}
}

func (h *harness) decide(moderator, caseID string, req review.DecisionRequest) review.Outcome {
	h.t.Helper()
	if req.Reason == "" {
		req.Reason = "reason for " + string(req.Action)
	}
	o, err := h.desk.Decide(h.t.Context(), moderator, caseID, req)
	if err != nil {
		h.t.Fatalf("Decide(%s, %s, %s): %v", moderator, caseID, req.Action, err)
	}
	h.work()
	return o
}

// work carries out the follow-up work decisions queued (the service runs
// it in the background).
func (h *harness) work() {
	h.t.Helper()
	if _, err := h.desk.Work(h.t.Context()); err != nil {
		h.t.Fatalf("Work: %v", err)
	}
}

// claimDecide claims case id for moderator and decides it.
func (h *harness) claimDecide(moderator, caseID string, req review.DecisionRequest) review.Outcome {
	h.t.Helper()
	h.claimCase(moderator, caseID)
	return h.decide(moderator, caseID, req)
}

func remove(cats ...moderation.Category) review.DecisionRequest {
	return review.DecisionRequest{Action: moderation.ActionRemove, Categories: cats}
}

var keep = review.DecisionRequest{Action: moderation.ActionKeep}

// events takes every event due now out of the outbox, after the follow-up
// work that queues some.
func (h *harness) events() []moderation.Event {
	h.t.Helper()
	h.work()
	ctx := h.t.Context()
	ob := h.desk.Outbox()
	evs, err := ob.Due(ctx, h.clock.Now(), time.Minute, 0)
	if err != nil {
		h.t.Fatalf("Outbox.Due: %v", err)
	}
	for _, ev := range evs {
		if err := ob.Delivered(ctx, ev.ID); err != nil {
			h.t.Fatalf("Outbox.Delivered: %v", err)
		}
	}
	return evs
}

// eventTypes returns the types of evs.
func eventTypes(evs []moderation.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// hasEvent fails the test unless evs hold an event of type typ.
func hasEvent(t *testing.T, evs []moderation.Event, typ string) moderation.Event {
	t.Helper()
	for _, ev := range evs {
		if ev.Type == typ {
			return ev
		}
	}
	t.Fatalf("no %s event among %v", typ, eventTypes(evs))
	return moderation.Event{}
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := moderation.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	var me *moderation.Error
	if !errors.As(err, &me) {
		t.Fatalf("error %v is not a *moderation.Error", err)
	}
}

func contains[T comparable](s []T, v T) bool { return slices.Contains(s, v) }

// reportIDs and reporterIDs list the reports a case view shows.
func reportIDs(c review.CaseView) []string {
	var ids []string
	for _, r := range c.Reports {
		ids = append(ids, r.ID)
	}
	return ids
}

func reporterIDs(c review.CaseView) []string {
	var ids []string
	for _, r := range c.Reports {
		ids = append(ids, r.ReporterID)
	}
	return ids
}
