package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderRequestID carries the request id in requests and responses.
const HeaderRequestID = "X-Request-ID"

const maxRequestIDLen = 64

type requestIDKey struct{}

// RequestID returns the id of the HTTP request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID returns ctx carrying the request id.
func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// LogHandler wraps h so that every record logged with a context carrying a
// request id (logger.InfoContext(ctx, ...)) gets a "request_id" attribute.
// New applies it to Config.Logger; cmd can wrap the logger it gives the
// engine the same way, so that the engine's lines carry the id without
// importing this package.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// requestID takes a well-formed incoming X-Request-ID or makes one, puts it
// into the request context and echoes it in the response.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		id := r.Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			id = rand.Text()
		}
		c.SetRequest(r.WithContext(withRequestID(r.Context(), id)))
		c.Response().Header().Set(HeaderRequestID, id)
		return next(c)
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isIDByte(id[i]) {
			return false
		}
	}
	return true
}

// securityHeaders marks every response as not to be sniffed or cached.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

// accessLog writes one line per request once the response is written. It
// hands errors to the error handler itself so that it can log the status
// actually sent. It never logs bodies, query strings or raw paths: the route
// template stands for the path.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		res := c.Response()
		keyName, _ := c.Get(keyNameKey).(string)
		s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
			slog.String("method", c.Request().Method),
			slog.String("route", c.Path()),
			slog.Int("status", res.Status),
			slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
			slog.Int64("bytes", res.Size),
			slog.String("key", keyName),
		)
		return nil
	}
}

// recoverPanics turns a panic in a handler into an error for the error
// handler, which answers 500 and logs it with the stack.
func recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				err = &panicError{value: v, stack: debug.Stack()}
			}
		}()
		return next(c)
	}
}
