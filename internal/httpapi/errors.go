package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
)

// Error codes that only exist at the HTTP edge, next to the moderation codes.
const (
	codeMethodNotAllowed     = "method_not_allowed"
	codeUnsupportedMediaType = "unsupported_media_type"
)

// statusByCode is the one table from error code to HTTP status.
var statusByCode = map[string]int{
	moderation.EINVALID:       http.StatusBadRequest,
	moderation.EUNAUTHORIZED:  http.StatusUnauthorized,
	moderation.EFORBIDDEN:     http.StatusForbidden,
	moderation.ENOTFOUND:      http.StatusNotFound,
	codeMethodNotAllowed:      http.StatusMethodNotAllowed,
	moderation.ECONFLICT:      http.StatusConflict,
	moderation.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	codeUnsupportedMediaType:  http.StatusUnsupportedMediaType,
	moderation.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	moderation.ERATELIMIT:     http.StatusTooManyRequests,
	moderation.EUNAVAILABLE:   http.StatusServiceUnavailable,
	moderation.EINTERNAL:      http.StatusInternalServerError,
}

// Status is the HTTP status of an error code (500 for one it does not
// know): the console answers with the same statuses as the API.
func Status(code string) int {
	if status, ok := statusByCode[code]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// codeByStatus is statusByCode inverted, for errors raised by Echo itself.
var codeByStatus = func() map[int]string {
	m := make(map[int]string, len(statusByCode))
	for code, status := range statusByCode {
		m[status] = code
	}
	return m
}()

const internalMessage = "internal error"

type errorResponse struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// panicError is a recovered panic, turned into an error so that it reaches
// the error handler like any other.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// handleError is the Echo HTTPErrorHandler: the only place that writes an
// error body.
func (s *Server) handleError(err error, c echo.Context) {
	ctx := c.Request().Context()
	if c.Response().Committed {
		s.log.ErrorContext(ctx, "error after the response was sent", moderation.ErrorAttrs(err)...)
		return
	}
	code, message := s.classify(ctx, c, err)
	status, ok := statusByCode[code]
	if !ok {
		s.log.ErrorContext(ctx, "error with an unknown code", moderation.ErrorAttrs(err)...)
		code, message, status = moderation.EINTERNAL, internalMessage, http.StatusInternalServerError
	}
	if status == http.StatusTooManyRequests {
		retryAfter(c, err)
	}
	if status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", "Bearer")
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, errorResponse{Error: errorBody{Code: code, Message: message}})
	}
	if err != nil {
		s.log.WarnContext(ctx, "write error response", "error", err.Error())
	}
}

// classify turns err into a code and a message that is safe to send, and
// logs the errors whose details are not sent.
func (s *Server) classify(ctx context.Context, c echo.Context, err error) (code, message string) {
	var me *moderation.Error
	var he *echo.HTTPError
	var pe *panicError
	switch {
	case errors.As(err, &me):
		if me.Code == moderation.EINTERNAL {
			s.log.ErrorContext(ctx, "request failed", moderation.ErrorAttrs(err)...)
			return moderation.EINTERNAL, internalMessage
		}
		return me.Code, me.Message
	case errors.As(err, &he):
		return s.classifyEcho(ctx, c, he)
	case errors.As(err, &pe):
		s.log.ErrorContext(ctx, "panic", append(panicAttrs(pe.value), "stack", string(pe.stack))...)
		return moderation.EINTERNAL, internalMessage
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		s.log.InfoContext(ctx, "request canceled by the client")
		return moderation.EUNAVAILABLE, "request canceled"
	}
	s.log.ErrorContext(ctx, "request failed", moderation.ErrorAttrs(err)...)
	return moderation.EINTERNAL, internalMessage
}

// classifyEcho maps an error raised by Echo (router, middleware) onto the
// same codes. Echo's messages are replaced by ours.
func (s *Server) classifyEcho(ctx context.Context, c echo.Context, he *echo.HTTPError) (code, message string) {
	switch he.Code {
	case http.StatusNotFound:
		return moderation.ENOTFOUND, "no such endpoint"
	case http.StatusMethodNotAllowed:
		msg := fmt.Sprintf("method %s is not allowed here", c.Request().Method)
		if allow := c.Response().Header().Get(echo.HeaderAllow); allow != "" {
			msg += "; allowed: " + allow
		}
		return codeMethodNotAllowed, msg
	}
	code, ok := codeByStatus[he.Code]
	if !ok || code == moderation.EINTERNAL {
		s.log.ErrorContext(ctx, "request failed", append([]any{"status", he.Code}, moderation.ErrorAttrs(he)...)...)
		return moderation.EINTERNAL, internalMessage
	}
	if m, ok := he.Message.(string); ok && m != "" {
		return code, m
	}
	return code, http.StatusText(he.Code)
}

// panicAttrs is what may be logged of a panic's value. A runtime error
// ("index out of range [3] with length 3") names no data; any other value
// is whatever the code that panicked put in it, so only its type (or, for
// an error, what ErrorAttrs keeps) is logged. The stack says where.
func panicAttrs(v any) []any {
	switch v := v.(type) {
	case runtime.Error:
		return []any{"error", v.Error()}
	case error:
		return moderation.ErrorAttrs(v)
	}
	return []any{"panic_type", fmt.Sprintf("%T", v)}
}
