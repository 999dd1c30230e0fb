package httpapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// Limits on the free text of the review endpoints, in characters.
const (
	maxExplanation = 4000
	maxStatement   = 5000
)

// routeReview mounts the review desk's endpoints.
func (s *Server) routeReview(e *echo.Echo) {
	backend, moderator, admin := s.require(RoleBackend), s.require(RoleModerator), s.require(RoleAdmin)
	either := s.require(RoleBackend, RoleModerator)
	e.POST("/v1/reports", s.submitReport, backend)
	e.GET("/v1/reports/:id", getByID(s.desk.Report), backend)
	e.POST("/v1/appeals", s.submitAppeal, backend)
	e.GET("/v1/review/items", s.listCases, moderator)
	e.GET("/v1/review/items/:id", getByID(s.desk.Case), moderator)
	e.POST("/v1/review/claim", s.claimNext, moderator)
	e.POST("/v1/review/items/:id/claim", s.claimCase, moderator)
	e.POST("/v1/review/items/:id/decision", s.decide, moderator)
	e.POST("/v1/review/decisions", s.decideBulk, moderator)
	e.POST("/v1/users/:id/suspensions", s.suspend, moderator)
	e.DELETE("/v1/users/:id/suspensions/current", s.lift, moderator)
	e.GET("/v1/users/:id/status", s.userStatus, either)
	e.GET("/v1/decisions/:id/statement", getByID(s.desk.Statement), either)
	e.GET("/v1/audit", s.audit, admin)
	e.GET("/v1/privacy/users/:id/export", s.exportUser, admin)
	e.DELETE("/v1/privacy/users/:id", s.eraseUser, admin)
	e.POST("/v1/privacy/users/:id/restriction", s.restrictUser, admin)
}

// getByID handles the GET of one thing by the :id in its path.
func getByID[T any](get func(context.Context, string) (T, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		v, err := get(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, v)
	}
}

// actor is the name of the caller's key: the moderator of record.
func actor(c echo.Context) string {
	name, _ := c.Get(keyNameKey).(string)
	return name
}

// pathID returns the :id path parameter, unescaped and validated like any
// other id. Echo routes on the escaped path when the request's escaping
// differs from Go's default (an id holding "/" arrives as %2F) and then hands
// out parameters still escaped.
func pathID(c echo.Context) (string, error) {
	id := c.Param("id")
	if c.Request().URL.RawPath != "" {
		var err error
		if id, err = url.PathUnescape(id); err != nil {
			return "", moderation.Errorf(moderation.EINVALID, "the id in the path is not properly %%-escaped")
		}
	}
	if id == "" {
		return "", moderation.Errorf(moderation.EINVALID, "the id in the path is empty")
	}
	return id, validateID("id", id)
}

// checkText validates an optional free-text field of at most max characters.
func checkText(field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return moderation.Errorf(moderation.EINVALID, "%s is required", field)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return moderation.Errorf(moderation.EINVALID, "%s is %d characters; the limit is %d", field, n, max)
	}
	return nil
}

// checkRequired validates a required id: blank is missing.
func checkRequired(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return moderation.Errorf(moderation.EINVALID, "%s is required", field)
	}
	return validateID(field, v)
}

// reportRequest is the body of POST /v1/reports.
type reportRequest struct {
	ReporterID   string `json:"reporter_id"`
	TargetType   string `json:"target_type"`
	TargetID     string `json:"target_id"`
	TargetUserID string `json:"target_user_id"`
	Text         string `json:"text"`
	Category     string `json:"category"`
	Explanation  string `json:"explanation"`
	ContactEmail string `json:"contact_email"`
}

// Validate checks the request; maxText is the longest text in bytes.
func (r reportRequest) Validate(maxText int) error {
	if err := checkRequired("reporter_id", r.ReporterID); err != nil {
		return err
	}
	if !moderation.TargetType(r.TargetType).Valid() {
		return moderation.Errorf(moderation.EINVALID, "target_type must be note, upload or user")
	}
	if err := checkRequired("target_id", r.TargetID); err != nil {
		return err
	}
	// The author is needed to count a strike, suspend and let them appeal.
	if r.TargetType != string(moderation.TargetUser) {
		if err := checkRequired("target_user_id", r.TargetUserID); err != nil {
			return moderation.Errorf(moderation.EINVALID, "%s: the author of the %s", moderation.ErrorMessage(err), r.TargetType)
		}
	} else if err := validateID("target_user_id", r.TargetUserID); err != nil {
		return err
	}
	// A user target is its own author: another target_user_id would point a
	// suspension at the wrong account.
	if r.TargetType == string(moderation.TargetUser) && r.TargetUserID != "" && r.TargetUserID != r.TargetID {
		return moderation.Errorf(moderation.EINVALID, "target_user_id must be empty or equal to target_id when target_type is user")
	}
	if len(r.Text) > maxText {
		return moderation.Errorf(moderation.ETOOLARGE, "text is %d bytes; the limit is %d", len(r.Text), maxText)
	}
	if cat := moderation.Category(r.Category); !cat.Valid() || cat == moderation.Profanity {
		return moderation.Errorf(moderation.EINVALID, "category must be one of the policy's categories: %s", reportableCategories())
	}
	if err := checkText("explanation", r.Explanation, maxExplanation, false); err != nil {
		return err
	}
	if r.ContactEmail != "" {
		if a, err := mail.ParseAddress(r.ContactEmail); err != nil || a.Address != r.ContactEmail || len(r.ContactEmail) > 254 {
			return moderation.Errorf(moderation.EINVALID, "contact_email must be a plain e-mail address such as name@example.org")
		}
	}
	return nil
}

func reportableCategories() string {
	var names []string
	for _, c := range moderation.Categories {
		if c != moderation.Profanity {
			names = append(names, string(c))
		}
	}
	return strings.Join(names, ", ")
}

func (r reportRequest) report() moderation.Report {
	return moderation.Report{
		ReporterID:   r.ReporterID,
		Target:       moderation.Target{Type: moderation.TargetType(r.TargetType), ID: r.TargetID, UserID: r.TargetUserID},
		Text:         r.Text,
		Category:     moderation.Category(r.Category),
		Explanation:  r.Explanation,
		ContactEmail: r.ContactEmail,
	}
}

// receiptStatus is 202 for something new, 200 for one already on file.
func receiptStatus(created bool) int {
	if created {
		return http.StatusAccepted
	}
	return http.StatusOK
}

type receipt struct {
	ID     string `json:"id"`
	CaseID string `json:"case_id"`
	Status string `json:"status"`
}

// submitReport handles POST /v1/reports: 202 for a new report, 200 for one
// already on file.
func (s *Server) submitReport(c echo.Context) error {
	var req reportRequest
	if err := decodeBody(c, s.checkLimit+maxBodyBytes, &req, false); err != nil {
		return err
	}
	if err := req.Validate(s.maxText); err != nil {
		return err
	}
	r, created, err := s.desk.Submit(c.Request().Context(), req.report())
	if err != nil {
		return err
	}
	return c.JSON(receiptStatus(created), receipt{ID: r.ID, CaseID: r.CaseID, Status: string(moderation.ReportReceived)})
}

// appealRequest is the body of POST /v1/appeals.
type appealRequest struct {
	UserID     string `json:"user_id"`
	DecisionID string `json:"decision_id"`
	Statement  string `json:"statement"`
}

func (r appealRequest) Validate() error {
	if err := checkRequired("user_id", r.UserID); err != nil {
		return err
	}
	if err := checkRequired("decision_id", r.DecisionID); err != nil {
		return err
	}
	return checkText("statement", r.Statement, maxStatement, true)
}

// submitAppeal handles POST /v1/appeals: 202 for a new appeal, 200 for one
// already open.
func (s *Server) submitAppeal(c echo.Context) error {
	var req appealRequest
	if err := decodeBody(c, maxBodyBytes, &req, false); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return err
	}
	cs, created, err := s.desk.Appeal(c.Request().Context(), req.UserID, req.DecisionID, req.Statement)
	if err != nil {
		return err
	}
	return c.JSON(receiptStatus(created), receipt{ID: cs.ID, CaseID: cs.ID, Status: string(moderation.ReportReceived)})
}

type casesResponse struct {
	Items      []moderation.Case `json:"items"`
	NextOffset *int              `json:"next_offset"`
}

// listCases handles GET /v1/review/items?lane=&status=&kind=&offset=&limit=.
func (s *Server) listCases(c echo.Context) error {
	if err := onlyParams(c, "lane", "status", "kind", "offset", "limit"); err != nil {
		return err
	}
	f := review.Filter{
		Status: moderation.CaseStatus(c.QueryParam("status")),
		Lane:   moderation.Lane(c.QueryParam("lane")),
		Kind:   moderation.CaseKind(c.QueryParam("kind")),
	}
	if f.Lane != "" && f.Lane.Rank() < 0 {
		return moderation.Errorf(moderation.EINVALID, "lane must be urgent, high, normal or low")
	}
	switch f.Kind {
	case "", moderation.KindScreening, moderation.KindReport, moderation.KindSuspension, moderation.KindAppeal:
	default:
		return moderation.Errorf(moderation.EINVALID, "kind must be screening, report, suspension or appeal")
	}
	var err error
	if f.Offset, err = intParam(c, "offset", 0, 0, math.MaxInt32); err != nil {
		return err
	}
	if f.Limit, err = intParam(c, "limit", 50, 1, review.MaxList); err != nil {
		return err
	}
	items, next, err := s.desk.List(c.Request().Context(), f)
	if err != nil {
		return err
	}
	res := casesResponse{Items: items}
	if next >= 0 {
		res.NextOffset = &next
	}
	return c.JSON(http.StatusOK, res)
}

// onlyParams refuses query parameters other than names, so that a typo does
// not silently widen a query, and parameters given more than once, of which
// only the first would count.
func onlyParams(c echo.Context, names ...string) error {
	for k, vs := range c.QueryParams() {
		if !slices.Contains(names, k) {
			return moderation.Errorf(moderation.EINVALID, "unknown query parameter %s; known: %s", quoteField(k), strings.Join(names, ", "))
		}
		if len(vs) > 1 {
			return moderation.Errorf(moderation.EINVALID, "query parameter %s is given %d times; give it once", quoteField(k), len(vs))
		}
	}
	return nil
}

func intParam(c echo.Context, name string, def, lo, hi int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, moderation.Errorf(moderation.EINVALID, "%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}

type claimRequest struct {
	Lanes []string `json:"lanes"`
}

// claimNext handles POST /v1/review/claim: 200 with the leased case, 204
// when the queue is empty.
func (s *Server) claimNext(c echo.Context) error {
	var req claimRequest
	if err := decodeBody(c, maxBodyBytes, &req, true); err != nil {
		return err
	}
	lanes := make([]moderation.Lane, 0, len(req.Lanes))
	for i, l := range req.Lanes {
		if moderation.Lane(l).Rank() < 0 {
			return moderation.Errorf(moderation.EINVALID, "lanes[%d] must be urgent, high, normal or low", i)
		}
		lanes = append(lanes, moderation.Lane(l))
	}
	cs, ok, err := s.desk.Claim(c.Request().Context(), actor(c), lanes)
	if err != nil {
		return err
	}
	if !ok {
		return c.NoContent(http.StatusNoContent)
	}
	return c.JSON(http.StatusOK, cs)
}

// claimCase handles POST /v1/review/items/:id/claim: one case, by id.
func (s *Server) claimCase(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cs, err := s.desk.ClaimCase(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cs)
}

// decisionFields are the fields of a decision, alone or in bulk. AddToBank
// names a hash bank to add a removed upload's hashes to.
type decisionFields struct {
	Action      string   `json:"action"`
	Categories  []string `json:"categories"`
	Reason      string   `json:"reason"`
	SuspendDays *int     `json:"suspend_days"`
	AddToBank   string   `json:"add_to_bank"`
}

func (r decisionFields) request(idemKey string) (review.DecisionRequest, error) {
	req := review.DecisionRequest{Action: moderation.DecisionAction(r.Action), Reason: r.Reason, Bank: r.AddToBank, IdempotencyKey: idemKey}
	switch req.Action {
	case moderation.ActionKeep, moderation.ActionRemove, moderation.ActionSuspend, moderation.ActionDismiss, moderation.ActionReverse, moderation.ActionEscalate:
	default:
		return req, moderation.Errorf(moderation.EINVALID, "action must be keep, remove, suspend, dismiss, escalate, or for appeals reverse or dismiss")
	}
	var err error
	if req.Categories, err = parseCategories(r.Categories); err != nil {
		return req, err
	}
	if err := checkText("reason", r.Reason, review.MaxReason, true); err != nil {
		return req, err
	}
	if req.Action == moderation.ActionSuspend {
		if r.SuspendDays == nil {
			return req, moderation.Errorf(moderation.EINVALID, "suspend_days is required to suspend: a number of days, or 0 to suspend indefinitely")
		}
		req.SuspendDays = *r.SuspendDays
	} else if r.SuspendDays != nil {
		return req, moderation.Errorf(moderation.EINVALID, "suspend_days only goes with action suspend")
	}
	return req, validateID("add_to_bank", r.AddToBank)
}

// parseCategories converts the categories of a request, naming the first
// one that is not a policy category.
func parseCategories(names []string) ([]moderation.Category, error) {
	cats := make([]moderation.Category, 0, len(names))
	for i, name := range names {
		if !moderation.Category(name).Valid() {
			return nil, moderation.Errorf(moderation.EINVALID, "categories[%d]: %q is not a policy category", i, shorten(name))
		}
		cats = append(cats, moderation.Category(name))
	}
	return cats, nil
}

// idempotencyKey returns the Idempotency-Key header, validated.
func idempotencyKey(c echo.Context) (string, error) {
	k := c.Request().Header.Get("Idempotency-Key")
	if len(k) > 128 {
		return "", moderation.Errorf(moderation.EINVALID, "Idempotency-Key is %d bytes; the limit is 128", len(k))
	}
	return k, validateID("Idempotency-Key", k)
}

// decide handles POST /v1/review/items/:id/decision. A decision that
// changed a hash bank (add_to_bank, or a reversal deleting what one added)
// is announced with banksChanged, as the bank endpoints do.
func (s *Server) decide(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	var body decisionFields
	if err := decodeBody(c, maxBodyBytes, &body, false); err != nil {
		return err
	}
	req, err := body.request(key)
	if err != nil {
		return err
	}
	out, err := s.desk.Decide(c.Request().Context(), actor(c), id, req)
	if err != nil {
		return err
	}
	if out.BanksChanged {
		s.banksChanged()
	}
	return c.JSON(http.StatusOK, out)
}

type bulkRequest struct {
	IDs         []string `json:"ids"`
	Action      string   `json:"action"`
	Categories  []string `json:"categories"`
	Reason      string   `json:"reason"`
	SuspendDays *int     `json:"suspend_days"`
	AddToBank   string   `json:"add_to_bank"`
}

type bulkItem struct {
	CaseID  string          `json:"case_id"`
	Outcome *review.Outcome `json:"outcome,omitempty"`
	Error   *errorBody      `json:"error,omitempty"`
}

// decideBulk handles POST /v1/review/decisions: one decision for up to
// review.MaxBulk cases, each succeeding or failing on its own.
func (s *Server) decideBulk(c echo.Context) error {
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	var body bulkRequest
	if err := decodeBody(c, maxBodyBytes, &body, false); err != nil {
		return err
	}
	if len(body.IDs) == 0 || len(body.IDs) > review.MaxBulk {
		return moderation.Errorf(moderation.EINVALID, "ids must list 1 to %d case ids", review.MaxBulk)
	}
	for i, id := range body.IDs {
		if err := checkRequired(fmt.Sprintf("ids[%d]", i), id); err != nil {
			return err
		}
	}
	req, err := decisionFields{Action: body.Action, Categories: body.Categories, Reason: body.Reason, SuspendDays: body.SuspendDays, AddToBank: body.AddToBank}.request(key)
	if err != nil {
		return err
	}
	results := s.desk.DecideBulk(c.Request().Context(), actor(c), body.IDs, req)
	items := make([]bulkItem, len(results))
	banks := false
	for i, r := range results {
		items[i] = bulkItem{CaseID: r.CaseID, Outcome: r.Outcome}
		if r.Err != nil {
			code, msg := s.classify(c.Request().Context(), c, r.Err)
			items[i].Error = &errorBody{Code: code, Message: msg}
		} else if r.Outcome.BanksChanged {
			banks = true
		}
	}
	if banks {
		s.banksChanged()
	}
	return c.JSON(http.StatusOK, map[string][]bulkItem{"results": items})
}

type suspensionRequest struct {
	Reason     string   `json:"reason"`
	Days       *int     `json:"days"`
	Categories []string `json:"categories"`
}

// suspend handles POST /v1/users/:id/suspensions.
func (s *Server) suspend(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	var body suspensionRequest
	if err := decodeBody(c, maxBodyBytes, &body, false); err != nil {
		return err
	}
	if err := checkText("reason", body.Reason, review.MaxReason, true); err != nil {
		return err
	}
	if body.Days == nil {
		return moderation.Errorf(moderation.EINVALID, "days is required: a number of days, or 0 to suspend indefinitely")
	}
	// The desk checks the same range, but names its own field, suspend_days.
	if *body.Days < 0 || *body.Days > review.MaxSuspendDays {
		return moderation.Errorf(moderation.EINVALID, "days must be 1 to %d, or 0 to suspend indefinitely", review.MaxSuspendDays)
	}
	cats, err := parseCategories(body.Categories)
	if err != nil {
		return err
	}
	dec, replayed, err := s.desk.Suspend(c.Request().Context(), actor(c), id, review.SuspendRequest{Reason: body.Reason, Days: *body.Days, Categories: cats, IdempotencyKey: key})
	if err != nil {
		return err
	}
	if replayed {
		return c.JSON(http.StatusOK, dec)
	}
	return c.JSON(http.StatusCreated, dec)
}

// lift handles DELETE /v1/users/:id/suspensions/current?reason=.
func (s *Server) lift(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := onlyParams(c, "reason"); err != nil {
		return err
	}
	reason := c.QueryParam("reason")
	if err := checkText("reason", reason, review.MaxReason, false); err != nil {
		return err
	}
	if reason == "" {
		reason = "lifted by a moderator"
	}
	sus, err := s.desk.Lift(c.Request().Context(), actor(c), id, reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"lifted": sus})
}

type userStatusResponse struct {
	UserID       string     `json:"user_id"`
	Suspended    bool       `json:"suspended"`
	Until        *time.Time `json:"until"`
	Reason       string     `json:"reason,omitempty"`
	SuspensionID string     `json:"suspension_id,omitempty"`
	Strikes      int        `json:"strikes"`
	Decisions    []string   `json:"decisions"`
}

// userStatus handles GET /v1/users/:id/status.
func (s *Server) userStatus(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	st, err := s.desk.UserStatus(c.Request().Context(), id)
	if err != nil {
		return err
	}
	res := userStatusResponse{UserID: id, Strikes: len(st.Strikes), Decisions: st.Decisions}
	if sus := st.Suspension; sus != nil {
		res.Suspended, res.Until, res.Reason, res.SuspensionID = true, sus.Until, sus.Reason, sus.ID
	}
	return c.JSON(http.StatusOK, res)
}

// audit handles GET /v1/audit?after=&actor=&target_id=&limit=.
func (s *Server) audit(c echo.Context) error {
	if err := onlyParams(c, "after", "actor", "target_id", "limit"); err != nil {
		return err
	}
	q := review.AuditQuery{After: c.QueryParam("after"), Actor: c.QueryParam("actor"), TargetID: c.QueryParam("target_id")}
	if q.After != "" && !validLogID(q.After) {
		return moderation.Errorf(moderation.EINVALID, "after must be an audit entry id such as 1700000000000-0")
	}
	for _, p := range []struct{ name, v string }{{"actor", q.Actor}, {"target_id", q.TargetID}} {
		if err := validateID(p.name, p.v); err != nil {
			return err
		}
	}
	var err error
	if q.Limit, err = intParam(c, "limit", 100, 1, review.MaxAudit); err != nil {
		return err
	}
	entries, next, err := s.desk.Audit(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": entries, "next": next})
}

// validLogID reports whether s looks like "<ms>-<seq>".
func validLogID(s string) bool {
	ms, seq, ok := strings.Cut(s, "-")
	_, err1 := strconv.ParseUint(ms, 10, 64)
	_, err2 := strconv.ParseUint(seq, 10, 64)
	return ok && err1 == nil && err2 == nil
}

// retryAfter sets Retry-After for a rate-limited request.
func retryAfter(c echo.Context, err error) {
	var rl *review.RateLimitError
	if errors.As(err, &rl) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(rl.RetryAfter.Seconds(), 1)))))
	}
}
