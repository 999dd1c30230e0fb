package httpapi

import (
	"net/http"
	"runtime"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
)

// DefaultMaxInFlightPerCPU times GOMAXPROCS is the default of
// Config.MaxInFlight. Screening is CPU work with a few store round trips:
// a 300-byte note costs about 0.5 ms of a core, so 64 checks waiting per
// core are some 30 ms of queue, enough to keep the cores busy while some
// wait on Redis, and little next to a client's timeout. A long text costs
// 20 ms, so a queue of long texts answers slowly but still answers.
const DefaultMaxInFlightPerCPU = 64

// DefaultMaxInFlight is the default of Config.MaxInFlight on this machine.
func DefaultMaxInFlight() int { return DefaultMaxInFlightPerCPU * runtime.GOMAXPROCS(0) }

// gate bounds how many requests of a kind run at once. A request that finds
// it full is refused at once with 503 and Retry-After: 1 rather than
// queued: a server that queues past what it can do answers everyone late,
// and clients time out and retry into a queue that only grows.
type gate struct {
	slots chan struct{}
	what  string // what a slot holds, for the message: "checks"
}

func newGate(n int, what string) *gate { return &gate{slots: make(chan struct{}, n), what: what} }

// enter takes a slot, or answers Retry-After and returns the error to send.
// The caller calls leave when it entered.
func (g *gate) enter(c echo.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
		c.Response().Header().Set("Retry-After", "1")
		return moderation.Errorf(moderation.EUNAVAILABLE, "overloaded: %d %s are in progress already, the most this instance takes at once; retry shortly", cap(g.slots), g.what)
	}
}

func (g *gate) leave() { <-g.slots }

// shed is the middleware of the check endpoints: at most MaxInFlight of
// them are served at once. It runs after authentication and rate limits,
// so refused callers take no slot. A slot is held while the body is read
// too, which also bounds the memory bodies take. Uploads have a gate of
// their own (Config.UploadsInProgress), taken in their handler: an upload
// may take minutes to arrive and must not hold a check's slot meanwhile.
func (s *Server) shed(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.inFlight.enter(c); err != nil {
			return err
		}
		defer s.inFlight.leave()
		return next(c)
	}
}

// bodyLimits returns the body limit of each route that reads a body, by
// method and route ("POST /v1/check"). Every other route gets
// maxBodyBytes. The handlers enforce the same limits as they decode, with
// messages that say which part is too large; this table is the backstop
// for routes that read no body and the early refusal of a declared length.
func (s *Server) bodyLimits() map[string]int64 {
	return map[string]int64{
		"POST /v1/check":        s.checkLimit,
		"POST /v1/check/batch":  s.batchLimit,
		"POST /v1/moderations":  s.batchLimit,
		"POST /v1/check/upload": s.maxUpload + multipartOverhead,
		"POST /v1/reports":      s.checkLimit + maxBodyBytes,
	}
}

// limitBody refuses a request whose declared length is over its route's
// limit with 413 before anything reads it (or authenticates it), and caps
// what the handler can read of a body sent without a length. The console
// bounds its own forms and answers in HTML, so it is left alone.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		route := c.Path()
		if route == "/console" || strings.HasPrefix(route, "/console/") {
			return next(c)
		}
		limit, ok := s.bodyLimit[r.Method+" "+route]
		if !ok {
			limit = maxBodyBytes
		}
		if r.ContentLength > limit {
			return moderation.Errorf(moderation.ETOOLARGE, "request body is %d bytes; the limit for this endpoint is %d", r.ContentLength, limit)
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(c.Response().Writer, r.Body, limit)
		}
		return next(c)
	}
}
