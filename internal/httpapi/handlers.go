package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
)

// verdictResponse is a moderation.Verdict as the API sends it: categories and
// matches are always arrays.
type verdictResponse struct {
	Action        moderation.Action `json:"action"`
	Categories    []categoryScore   `json:"categories"`
	Language      language          `json:"language"`
	Matches       []match           `json:"matches"`
	Signals       []signal          `json:"signals,omitempty"`
	Cached        bool              `json:"cached"`
	PolicyVersion string            `json:"policy_version"`
	Sources       []string          `json:"sources"`
	// Classifier is the hosted classifier's part, when one is configured.
	Classifier *moderation.ClassifierStatus `json:"classifier,omitempty"`
	// User is the author's standing, when the request names a user_id and
	// it could be read; CaseID is the review case a review verdict with a
	// content_id opened.
	User   *userFlag `json:"user,omitempty"`
	CaseID string    `json:"case_id,omitempty"`
	// Degraded lists what a backing store took no part in (see
	// moderation.Verdict.Degraded), user_standing when User could not be
	// read.
	Degraded []string `json:"degraded,omitempty"`
	// File describes an upload (POST /v1/check/upload only).
	File *fileResponse `json:"file,omitempty"`
}

type userFlag struct {
	Suspended bool       `json:"suspended"`
	Until     *time.Time `json:"until,omitempty"`
}

type categoryScore struct {
	Category moderation.Category `json:"category"`
	Score    float64             `json:"score"`
	Action   moderation.Action   `json:"action,omitempty"`
}

type language struct {
	Code       string  `json:"code"`
	Confidence float64 `json:"confidence"`
}

// match is a rule that matched; for an upload, Source names the part of the
// file (a member path, a page) that Start and End are byte offsets into.
type match struct {
	Rule     string              `json:"rule"`
	Category moderation.Category `json:"category"`
	Start    int                 `json:"start"`
	End      int                 `json:"end"`
	Score    float64             `json:"score"`
	Source   string              `json:"source,omitempty"`
}

// signal is evidence other than a rule match. One without a category is
// information that scored nothing, such as content that was not inspected.
type signal struct {
	Name     string              `json:"name"`
	Category moderation.Category `json:"category,omitempty"`
	Score    float64             `json:"score"`
	Detail   string              `json:"detail,omitempty"`
	Source   string              `json:"source,omitempty"`
}

// newVerdictResponse converts a domain verdict to its wire form.
func newVerdictResponse(v moderation.Verdict) verdictResponse {
	r := verdictResponse{
		Action:        v.Action,
		Categories:    make([]categoryScore, 0, len(v.Categories)),
		Language:      language{Code: v.Language.Code, Confidence: v.Language.Confidence},
		Matches:       make([]match, 0, len(v.Matches)),
		Cached:        v.Cached,
		PolicyVersion: v.PolicyVersion,
		Sources:       v.Sources,
		Classifier:    v.Classifier,
		Degraded:      v.Degraded,
	}
	if r.Sources == nil {
		r.Sources = []string{}
	}
	for _, c := range v.Categories {
		r.Categories = append(r.Categories, categoryScore{Category: c.Category, Score: c.Score, Action: c.Action})
	}
	for _, m := range v.Matches {
		r.Matches = append(r.Matches, match{Rule: m.Rule, Category: m.Category, Start: m.Start, End: m.End, Score: m.Score, Source: m.Source})
	}
	for _, sg := range v.Signals {
		r.Signals = append(r.Signals, signal{Name: sg.Name, Category: sg.Category, Score: sg.Score, Detail: sg.Detail, Source: sg.Source})
	}
	return r
}

type batchResponse struct {
	Results []verdictResponse `json:"results"`
}

type reloadResponse struct {
	PolicyVersion string `json:"policy_version"`
}

type statusResponse struct {
	Status string `json:"status"`
}

// check handles POST /v1/check.
func (s *Server) check(c echo.Context) error {
	var body strictCheck
	err := decodeJSON(c, s.checkLimit, func(dec *json.Decoder, _ *itemBudget) error { return dec.Decode(&body) })
	if err != nil {
		return err
	}
	req := body.req
	if err := req.Validate(s.maxText); err != nil {
		return err
	}
	res, v, err := s.checkOne(c.Request().Context(), req.content())
	if err != nil {
		return err
	}
	s.countVerdicts(v)
	return c.JSON(http.StatusOK, res)
}

// checkBatch handles POST /v1/check/batch.
func (s *Server) checkBatch(c echo.Context) error {
	var req batchRequest
	err := decodeJSON(c, s.batchLimit, func(dec *json.Decoder, budget *itemBudget) (err error) {
		req, err = decodeBatch(dec, budget, s.checkLimit, s.maxBatch, s.maxText)
		return err
	})
	if err != nil {
		return err
	}
	results, err := s.screenAll(c.Request().Context(), req.Items)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, batchResponse{Results: results})
}

// checkOne screens content and, with a review desk, adds the author's
// standing and opens a review case for a review verdict about identified
// content. A case that cannot be opened fails the check (503), so that the
// product retries rather than believing the content is queued; the author's
// standing is only omitted when it cannot be read.
func (s *Server) checkOne(ctx context.Context, content moderation.Content) (verdictResponse, moderation.Verdict, error) {
	v, err := s.screen(ctx, content)
	if err != nil {
		return verdictResponse{}, v, err
	}
	res, err := s.annotate(ctx, content, v)
	return res, v, err
}

// countVerdicts counts the verdicts the product is about to get: for the
// observer, and with a review desk for the transparency report. Handlers
// call it once the whole response is ready, so that a request that fails
// (and is retried) counts nothing.
func (s *Server) countVerdicts(vs ...moderation.Verdict) {
	s.observeVerdicts(vs)
	if s.desk == nil {
		return
	}
	for _, v := range vs {
		s.desk.CountVerdict(v)
	}
}

// annotate returns v's wire form with the author's standing and the review
// case it opened, as checkOne describes.
func (s *Server) annotate(ctx context.Context, content moderation.Content, v moderation.Verdict) (verdictResponse, error) {
	res := newVerdictResponse(v)
	if s.desk == nil {
		return res, nil
	}
	if content.UserID != "" {
		sus, err := s.desk.Suspended(ctx, content.UserID)
		if err != nil {
			s.log.WarnContext(ctx, "user standing unavailable for a check", moderation.ErrorAttrs(err)...)
			res.Degraded = append(slices.Clip(res.Degraded), moderation.DegradedUserStanding)
		} else {
			res.User = &userFlag{Suspended: sus != nil}
			if sus != nil {
				res.User.Until = sus.Until
			}
		}
	}
	if v.Action == moderation.Review && content.ContentID != "" {
		var err error
		stored := v
		stored.Degraded = nil // how this request was served, not what the case is about
		if res.CaseID, err = s.desk.OpenScreeningCase(ctx, content, stored); err != nil {
			return verdictResponse{}, fmt.Errorf("open review case: %w", err)
		}
	}
	return res, nil
}

// screen calls the Screener, turning a panic into an error: batch items are
// screened on goroutines the recover middleware does not cover.
func (s *Server) screen(ctx context.Context, content moderation.Content) (v moderation.Verdict, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{value: p, stack: debug.Stack()}
		}
	}()
	return s.screener.Screen(ctx, content)
}

// screenAll screens items with at most s.concurrency at once and returns the
// verdicts in the items' order. The first error cancels the rest.
func (s *Server) screenAll(ctx context.Context, items []checkRequest) ([]verdictResponse, error) {
	verdicts := make([]verdictResponse, len(items))
	screened := make([]moderation.Verdict, len(items))
	err := forEach(ctx, len(items), s.concurrency, func(ctx context.Context, i int) error {
		res, v, err := s.checkOne(ctx, items[i].content())
		if err != nil {
			return prefixError(fmt.Sprintf("items[%d]: ", i), fmt.Errorf("screen items[%d]: %w", i, err))
		}
		verdicts[i], screened[i] = res, v
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.countVerdicts(screened...)
	return verdicts, nil
}

// forEach calls fn for each i in [0, n), at most limit at once, and returns
// the first error, which cancels the ctx of the calls still running and
// stops the rest; a ctx canceled from outside (the client went away)
// returns its cause. fn must be safe for concurrent use.
func forEach(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(max(limit, 1), n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// reload handles POST /v1/admin/rules/reload. The body is ignored. The
// Reloader logs what it loaded or why it refused; this logs who asked and
// how it went, with the error's code but not its text, which the Reloader
// (or, for an internal error, the error handler) logs.
func (s *Server) reload(c echo.Context) error {
	ctx := c.Request().Context()
	keyName, _ := c.Get(keyNameKey).(string)
	version, err := s.reloader.Reload(ctx)
	if err != nil {
		s.log.InfoContext(ctx, "rules reload requested", "key", keyName, "outcome", "failed", "code", moderation.ErrorCode(err))
		return err
	}
	s.log.InfoContext(ctx, "rules reload requested", "key", keyName, "outcome", "reloaded", "policy_version", version)
	return c.JSON(http.StatusOK, reloadResponse{PolicyVersion: version})
}

// healthz handles GET /healthz: the process is up and serving.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, statusResponse{Status: "ok"})
}

// readyz handles GET /readyz: every readiness check passes. The checks run
// concurrently, each with its own timeout; failures are logged and only the
// names are sent.
func (s *Server) readyz(c echo.Context) error {
	ctx := c.Request().Context()
	var (
		mu     sync.Mutex
		failed []string
		wg     sync.WaitGroup
	)
	for name, checker := range s.ready {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, s.readyTimeout)
			defer cancel()
			if err := s.runCheck(cctx, checker); err != nil {
				s.log.WarnContext(ctx, "readiness check failed", "check", name, "error", err.Error())
				mu.Lock()
				failed = append(failed, name)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(failed) > 0 {
		slices.Sort(failed)
		return moderation.Errorf(moderation.EUNAVAILABLE, "not ready: %s failed", strings.Join(failed, ", "))
	}
	return c.JSON(http.StatusOK, statusResponse{Status: "ok"})
}

func (s *Server) runCheck(ctx context.Context, c Checker) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return c.Check(ctx)
}
