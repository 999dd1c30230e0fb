package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// queueData is the queue page: the lanes, the filtered cases, the filters.
type queueData struct {
	Lanes      []laneRow
	Cases      []moderation.Case
	Next       template.URL // the next page, "" at the end
	Kind       string
	Category   string
	Lane       string
	Status     string
	Kinds      []moderation.CaseKind
	Categories []moderation.Category
	LaneNames  []moderation.Lane
	Statuses   []moderation.CaseStatus
}

type laneRow struct {
	Lane   moderation.Lane
	Open   int
	Oldest string // its age, "—" for none
}

var caseKinds = []moderation.CaseKind{moderation.KindScreening, moderation.KindReport, moderation.KindSuspension, moderation.KindAppeal}

func (c *Console) queue(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	q := r.URL.Query()
	d := queueData{
		Kind: q.Get("kind"), Category: q.Get("category"), Lane: q.Get("lane"), Status: q.Get("status"),
		Kinds: caseKinds, Categories: moderation.Categories, LaneNames: moderation.Lanes,
		Statuses: []moderation.CaseStatus{moderation.CaseClaimed, moderation.CaseClosed}, // "" is open
	}
	f := review.Filter{Status: moderation.CaseStatus(d.Status), Lane: moderation.Lane(d.Lane), Kind: moderation.CaseKind(d.Kind), Limit: 50}
	switch {
	case d.Status != "" && f.Status != moderation.CaseOpen && !slices.Contains(d.Statuses, f.Status),
		d.Lane != "" && f.Lane.Rank() < 0,
		d.Kind != "" && !slices.Contains(caseKinds, f.Kind),
		d.Category != "" && !moderation.Category(d.Category).Valid():
		c.fail(w, r, s, moderation.Errorf(moderation.EINVALID, "unknown filter value: pick one from the lists"))
		return
	}
	if off := q.Get("offset"); off != "" {
		n, err := strconv.Atoi(off)
		if err != nil || n < 0 {
			c.fail(w, r, s, moderation.Errorf(moderation.EINVALID, "offset must be a position from a previous page"))
			return
		}
		f.Offset = n
	}
	stats, err := c.cfg.Desk.Queues(ctx)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	now := c.cfg.Now()
	for _, st := range stats {
		row := laneRow{Lane: st.Lane, Open: st.Open, Oldest: "—"}
		if !st.Oldest.IsZero() {
			row.Oldest = age(now.Sub(st.Oldest))
		}
		d.Lanes = append(d.Lanes, row)
	}
	cases, next, err := c.cfg.Desk.List(ctx, f)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	for _, cs := range cases {
		// The desk lists by status, lane and kind; category is filtered
		// here, so a page may come back short.
		if d.Category == "" || slices.Contains(cs.Categories, moderation.Category(d.Category)) {
			d.Cases = append(d.Cases, cs)
		}
	}
	if next >= 0 {
		nq := url.Values{}
		for k, v := range map[string]string{"kind": d.Kind, "category": d.Category, "lane": d.Lane, "status": d.Status} {
			if v != "" {
				nq.Set(k, v)
			}
		}
		nq.Set("offset", strconv.Itoa(next))
		d.Next = template.URL("/console/?" + nq.Encode()) //nolint:gosec // built here from checked values, encoded
	}
	c.render(w, r, http.StatusOK, "queue", page{Title: "Queue", Session: s, Flash: flash(q), Data: d})
}

// claimNext opens the case the moderator holds, or claims the most urgent
// one they may take: pressing "claim next" twice never strands a case.
func (c *Console) claimNext(w http.ResponseWriter, r *http.Request, s *session) {
	c.openNext(w, r, s, url.Values{})
}

// openNext opens the moderator's next case and redirects to it, or to the
// queue with a note that it is empty; q says what was just done.
func (c *Console) openNext(w http.ResponseWriter, r *http.Request, s *session, q url.Values) {
	cs, ok, err := c.held(r, s)
	if err == nil && !ok {
		cs, ok, err = c.cfg.Desk.Claim(r.Context(), s.Name, nil)
	}
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	path := "/console/cases/" + url.PathEscape(cs.ID)
	if !ok {
		q.Set("empty", "1")
		path = "/console/"
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	redirect(w, r, path)
}

// held returns a case the moderator holds the lease of, if any.
func (c *Console) held(r *http.Request, s *session) (moderation.Case, bool, error) {
	cases, _, err := c.cfg.Desk.List(r.Context(), review.Filter{Status: moderation.CaseClaimed})
	for _, cs := range cases {
		if cs.Lease != nil && cs.Lease.Moderator == s.Name {
			return cs, true, nil
		}
	}
	return moderation.Case{}, false, err
}

// idRE is the form of the ids aup makes ("case_1a2b...").
var idRE = regexp.MustCompile(`^[a-z]+_[0-9a-z]{1,40}$`)

// flash is the message a redirect asked the next page to show, built from
// what it names (an action on a case), never from text in the URL.
func flash(q url.Values) string {
	var parts []string
	if a, id := moderation.DecisionAction(q.Get("done")), q.Get("case"); shortcuts[a] != "" && idRE.MatchString(id) {
		msg := "Case " + id + ": " + string(a)
		if q.Get("replayed") != "" {
			msg += " (already done)"
		}
		parts = append(parts, msg+".")
	}
	if q.Get("empty") != "" {
		parts = append(parts, "No case is waiting for you: the queue is empty (appeals against your own decisions go to others).")
	}
	return strings.Join(parts, " ")
}

// caseData is the case page.
type caseData struct {
	review.CaseView
	Segments    []segment // the text, cut at the matches
	Distressing bool
	Mine        bool // claimed by the signed-in moderator
	Claimable   bool
	OwnAppeal   bool
	Actions     []actionButton
	Chosen      map[moderation.Category]bool
	Policy      []moderation.Category // every category, for the decision form
	Upsetting   []moderation.Category // the case's distressing categories
	LeaseLeft   string
	// Content is the text shown: the case's, or for an appeal the text of
	// the case the appealed decision closed.
	Content string
	Reason  string // as typed, when a decision was refused
}

type actionButton struct {
	Action moderation.DecisionAction
	Key    string
	Label  string
}

// shortcuts are the keys of the decision buttons.
var shortcuts = map[moderation.DecisionAction]string{
	moderation.ActionKeep: "k", moderation.ActionRemove: "r", moderation.ActionSuspend: "s",
	moderation.ActionDismiss: "d", moderation.ActionEscalate: "e", moderation.ActionReverse: "v",
}

// distressing are the categories whose cases are blurred until revealed.
var distressing = []moderation.Category{moderation.ChildSafety, moderation.Sexual, moderation.Violence, moderation.SelfHarm}

func (c *Console) casePage(w http.ResponseWriter, r *http.Request, s *session) {
	c.showCase(w, r, s, http.StatusOK, "", "")
}

func (c *Console) showCase(w http.ResponseWriter, r *http.Request, s *session, status int, errMsg, reason string) {
	id := r.PathValue("id")
	cv, err := c.cfg.Desk.Case(r.Context(), id)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	d := caseData{CaseView: cv, Policy: moderation.Categories, Chosen: map[moderation.Category]bool{}, Reason: reason, Content: cv.Text}
	for _, cat := range cv.Categories {
		d.Chosen[cat] = true
		if slices.Contains(distressing, cat) {
			d.Upsetting = append(d.Upsetting, cat)
		}
	}
	verdict := cv.Verdict
	if cv.Kind == moderation.KindAppeal && cv.Appealed != nil && cv.Text == "" {
		if orig, err := c.cfg.Desk.Case(r.Context(), cv.Appealed.CaseID); err == nil {
			d.Content, verdict = orig.Text, orig.Verdict
			d.Verdict = orig.Verdict // the tables too, as the text is the original's
			for _, cat := range orig.Categories {
				if slices.Contains(distressing, cat) && !slices.Contains(d.Upsetting, cat) {
					d.Upsetting = append(d.Upsetting, cat)
				}
			}
		}
	}
	d.Distressing = len(d.Upsetting) > 0
	if verdict != nil {
		d.Segments = segments(d.Content, verdict.Matches)
	} else {
		d.Segments = []segment{{Text: d.Content}}
	}
	d.OwnAppeal = cv.Kind == moderation.KindAppeal && cv.OriginalDecider == s.Name
	d.Mine = cv.Status == moderation.CaseClaimed && cv.Lease != nil && cv.Lease.Moderator == s.Name && !d.OwnAppeal
	d.Claimable = cv.Status == moderation.CaseOpen && !d.OwnAppeal
	if cv.Lease != nil {
		d.LeaseLeft = age(cv.Lease.Until.Sub(c.cfg.Now()))
	}
	for _, a := range review.Allowed(&cv.Case) {
		d.Actions = append(d.Actions, actionButton{Action: a, Key: shortcuts[a], Label: strings.ToUpper(string(a[:1])) + string(a[1:])})
	}
	title := "Case " + cv.ID
	c.render(w, r, status, "case", page{Title: title, Session: s, Flash: flash(r.URL.Query()), Error: errMsg, Data: d})
}

func (c *Console) claim(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if _, err := c.cfg.Desk.ClaimCase(r.Context(), s.Name, id); err != nil {
		c.showCase(w, r, s, errStatus(err), moderation.ErrorMessage(err), "")
		return
	}
	redirect(w, r, "/console/cases/"+url.PathEscape(id))
}

// decide carries out the moderator's decision and opens the next case.
func (c *Console) decide(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	f := r.PostForm
	var action string
	for _, a := range f["action"] { // the chosen-by-key field, then the button pressed
		if a != "" {
			action = a
		}
	}
	req := review.DecisionRequest{
		Action: moderation.DecisionAction(action),
		Reason: strings.TrimSpace(f.Get("reason")),
		// One decision per form: a resubmitted form (back button, double
		// click) returns the first result instead of deciding twice.
		IdempotencyKey: "console:" + f.Get("form_id"),
	}
	if f.Get("form_id") == "" || len(f.Get("form_id")) > 64 {
		req.IdempotencyKey = ""
	}
	for _, cat := range f["category"] {
		if !moderation.Category(cat).Valid() {
			c.showCase(w, r, s, http.StatusBadRequest, fmt.Sprintf("%q is not a policy category", cat), req.Reason)
			return
		}
		req.Categories = append(req.Categories, moderation.Category(cat))
	}
	if req.Action == moderation.ActionSuspend {
		days, err := strconv.Atoi(f.Get("suspend_days"))
		if err != nil || days < 0 {
			c.showCase(w, r, s, http.StatusBadRequest, "suspend_days must be a number of days (0 for indefinite)", req.Reason)
			return
		}
		req.SuspendDays = days
	}
	out, err := c.cfg.Desk.Decide(r.Context(), s.Name, id, req)
	if err != nil {
		c.showCase(w, r, s, errStatus(err), moderation.ErrorMessage(err), req.Reason)
		return
	}
	q := url.Values{"done": {string(req.Action)}, "case": {id}}
	if out.Replayed {
		// A form sent again (back button, double click): show the case as
		// it is rather than take another one.
		q.Set("replayed", "1")
		redirect(w, r, "/console/cases/"+url.PathEscape(id)+"?"+q.Encode())
		return
	}
	c.log.InfoContext(r.Context(), "console decision", "key", s.Name, "case", id, "action", string(req.Action))
	c.openNext(w, r, s, q)
}

func errStatus(err error) int {
	status, _ := statusOf(err)
	return status
}

// playgroundData is the rules playground: the text tried and its verdict.
type playgroundData struct {
	Text     string
	Verdict  *moderation.Verdict
	Segments []segment
}

func (c *Console) playground(w http.ResponseWriter, r *http.Request, s *session) {
	d := playgroundData{}
	if r.Method == http.MethodPost {
		d.Text = r.PostForm.Get("text")
		switch {
		case strings.TrimSpace(d.Text) == "":
			c.render(w, r, http.StatusBadRequest, "playground", page{Title: "Playground", Session: s, Error: "paste a text to try", Data: d})
			return
		case len(d.Text) > c.cfg.MaxTextBytes:
			c.render(w, r, http.StatusRequestEntityTooLarge, "playground", page{Title: "Playground", Session: s,
				Error: "the text is " + strconv.Itoa(len(d.Text)) + " bytes; the limit is " + strconv.Itoa(c.cfg.MaxTextBytes), Data: d})
			return
		}
		v, err := c.cfg.Screener.Screen(r.Context(), moderation.Content{Text: d.Text})
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		d.Verdict, d.Segments = &v, segments(d.Text, v.Matches)
	}
	c.render(w, r, http.StatusOK, "playground", page{Title: "Playground", Session: s, Data: d})
}

// auditData is a page of the audit log.
type auditData struct {
	Entries []moderation.AuditEntry
	Actor   string
	Target  string
	Next    template.URL
}

func (c *Console) audit(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := auditData{Actor: q.Get("actor"), Target: q.Get("target")}
	entries, cursor, err := c.cfg.Desk.Audit(r.Context(), review.AuditQuery{After: q.Get("after"), Actor: d.Actor, TargetID: d.Target, Limit: 100})
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	d.Entries = entries
	// The desk stops a filtered read after a bounded scan: a page may be
	// short and still have later entries, so the link follows the cursor.
	if cursor != "" && cursor != q.Get("after") {
		nq := url.Values{"after": {cursor}}
		if d.Actor != "" {
			nq.Set("actor", d.Actor)
		}
		if d.Target != "" {
			nq.Set("target", d.Target)
		}
		d.Next = template.URL("/console/audit?" + nq.Encode()) //nolint:gosec // built here, encoded
	}
	c.render(w, r, http.StatusOK, "audit", page{Title: "Audit log", Session: s, Data: d})
}

// userData is the user lookup page.
type userData struct {
	ID     string
	Status *moderation.UserStatus
	Active bool
}

func (c *Console) users(w http.ResponseWriter, r *http.Request, s *session) {
	d := userData{ID: strings.TrimSpace(r.URL.Query().Get("id"))}
	if d.ID != "" {
		st, err := c.cfg.Desk.UserStatus(r.Context(), d.ID)
		if err != nil {
			c.render(w, r, errStatus(err), "users", page{Title: "Users", Session: s, Error: moderation.ErrorMessage(err), Data: d})
			return
		}
		d.Status, d.Active = &st, st.Suspension.Active(c.cfg.Now())
	}
	c.render(w, r, http.StatusOK, "users", page{Title: "Users", Session: s, Data: d})
}

// age prints a duration as a moderator reads it: 45s, 12m, 3h, 2d.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "expired"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}
