package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// routeTransparency mounts the DSA transparency endpoints (admin only).
func (s *Server) routeTransparency(e *echo.Echo) {
	admin := s.require(RoleAdmin)
	e.GET("/v1/transparency", s.transparency, admin)
	e.GET("/v1/transparency/statements", s.transparencyStatements, admin)
}

// transparency handles GET /v1/transparency?from=&to=: the figures of
// review.Transparency for the period.
func (s *Server) transparency(c echo.Context) error {
	from, to, err := periodParams(c)
	if err != nil {
		return err
	}
	tr, err := s.desk.Transparency(c.Request().Context(), from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tr)
}

// Streaming of the statements export.
const (
	statementsFlush = 100              // lines written between flushes
	statementsWrite = 30 * time.Second // how long one batch may take to reach the client
)

// transparencyStatements handles GET /v1/transparency/statements?from=&to=:
// the statements of reasons of the period's restricting decisions as JSON
// lines (application/x-ndjson), one review.Statement a line, for the DSA
// Transparency Database. An empty period answers 200 with an empty body.
//
// The lines are streamed, flushed every statementsFlush lines, and each
// batch has its own write deadline, so a long export is not cut off by the
// server's write timeout while it makes progress. Errors before the first
// line are answered as usual. Once a line is sent the status can no longer
// change: an error then is logged as a warning, and the connection is cut
// without ending the response properly (no final chunk), so that the
// client sees a failed download rather than a complete-looking export with
// statements missing.
func (s *Server) transparencyStatements(c echo.Context) error {
	from, to, err := periodParams(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	w := c.Response()
	rc := http.NewResponseController(w.Writer)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	lines, started := 0, false
	start := func() {
		started = true
		w.Header().Set(echo.HeaderContentType, "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
		_ = rc.SetWriteDeadline(time.Now().Add(statementsWrite))
	}
	err = s.desk.Statements(ctx, from, to, func(st review.Statement) error {
		if !started {
			start()
		}
		if err := enc.Encode(st); err != nil {
			return err
		}
		if lines++; lines%statementsFlush == 0 {
			if err := rc.Flush(); err != nil {
				return err
			}
			_ = rc.SetWriteDeadline(time.Now().Add(statementsWrite))
		}
		return nil
	})
	switch {
	case err != nil && !started:
		return err
	case err != nil:
		s.log.WarnContext(ctx, "statements export failed after it started; cutting the response short",
			append([]any{"lines", lines}, moderation.ErrorAttrs(err)...)...)
		panic(http.ErrAbortHandler)
	case !started:
		start()
	}
	return rc.Flush()
}

// periodParams reads the from and to query parameters of the transparency
// endpoints: RFC 3339 times, or YYYY-MM-DD dates meaning midnight UTC; a
// date as to means the end of that day (the next midnight, excluded), so
// from=2025-01-01&to=2025-12-31 is the year 2025. The review desk checks
// the period itself.
func periodParams(c echo.Context) (from, to time.Time, err error) {
	if err := onlyParams(c, "from", "to"); err != nil {
		return from, to, err
	}
	if from, err = timeParam(c, "from", false); err != nil {
		return from, to, err
	}
	to, err = timeParam(c, "to", true)
	return from, to, err
}

// timeParam parses one bound of a period; endOfDay makes a date mean the
// following midnight. A query string decodes an unescaped "+" of a time
// zone offset to a space, which is taken back: RFC 3339 times as parsed
// here hold no spaces.
func timeParam(c echo.Context, name string, endOfDay bool) (time.Time, error) {
	const formats = "an RFC 3339 time such as 2025-01-01T00:00:00Z or a date such as 2025-01-01"
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, moderation.Errorf(moderation.EINVALID, "%s is required: %s", name, formats)
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if endOfDay {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, strings.ReplaceAll(v, " ", "+"))
	if err != nil {
		return time.Time{}, moderation.Errorf(moderation.EINVALID, "%s must be %s", name, formats)
	}
	return t, nil
}
