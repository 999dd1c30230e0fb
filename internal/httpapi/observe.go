package httpapi

import (
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
)

// Observer receives what the API serves, for metrics (cmd wires it to
// Prometheus). Its methods are called on the request path: they must be
// safe for concurrent use and must not block.
type Observer interface {
	// Request reports one request once its response is written: its
	// method as sent, its route template ("/v1/reports/:id", never the
	// raw path; "" when no route matched), the status sent and how long
	// it took.
	Request(method, route string, status int, elapsed time.Duration)
	// Verdict reports one verdict a response carries (a check, an item of
	// a batch, an input of /v1/moderations, an upload), once the whole
	// response is ready, so that a request that fails counts nothing.
	Verdict(v moderation.Verdict)
}

// observeRequests reports every request to s.observer. It is the outermost
// middleware, so the status it reports is the one the error handler sent.
// A route is reported only if it is one of e's route templates, read at
// the first request, when every route has been added.
func (s *Server) observeRequests(e *echo.Echo) echo.MiddlewareFunc {
	routes := sync.OnceValue(func() map[string]bool {
		m := map[string]bool{}
		for _, r := range e.Routes() {
			m[r.Path] = true
		}
		return m
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			route := c.Path()
			if !routes()[route] {
				route = ""
			}
			s.observer.Request(c.Request().Method, route, c.Response().Status, time.Since(start))
			return err
		}
	}
}

// observeVerdicts reports vs to s.observer, if any.
func (s *Server) observeVerdicts(vs []moderation.Verdict) {
	if s.observer == nil {
		return
	}
	for _, v := range vs {
		s.observer.Verdict(v)
	}
}
