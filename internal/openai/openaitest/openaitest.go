// Package openaitest is a local OpenAI API for tests: an HTTP server on a
// loopback listener that speaks OpenAI's wire protocol, so that the real
// clients (go-openai, the official JS client) run against it unchanged.
//
// It implements POST /v1/moderations (string, array-of-strings and
// multi-modal input; omni and text moderation models) and POST
// /v1/chat/completions (text and image parts, response_format), with bearer
// key auth, OpenAI's validation errors and error body, and the x-request-id,
// openai-processing-ms and rate-limit headers. Tests choose the scores and
// the answers (Options.Moderate, Options.Chat) and inject faults: error
// statuses, Retry-After, delays and truncated bodies (Enqueue, SetDelay).
//
// It does not implement streaming, tools or function calls, audio, other
// endpoints, or any model: it never fetches image URLs (images must be
// base64 data: URLs), and every score and answer comes from Options.
package openaitest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	maxBody  = 64 << 20 // room for a base64 image at OpenAI's 20 MB limit
	maxImage = 20 << 20 // "Image files are limited to 20 MB" (moderation guide)
	baseline = 1e-6     // the score of a category Moderate does not return
)

// Options configures a Server. The callbacks run on the server's
// goroutines, one call per request, possibly concurrently.
type Options struct {
	// Key is the bearer key the server accepts; default "sk-test".
	Key string
	// Moderate scores one moderation input: its text parts joined with "\n"
	// and its images (the decoded bytes of data: URLs). It returns scores
	// keyed by OpenAI category name; a missing category scores 1e-6.
	// nil: every category scores 1e-6.
	Moderate func(text string, images [][]byte) map[string]float64
	// Chat answers a chat completion with the assistant message content.
	// nil: every answer is {"scores":{}}.
	Chat func(r ChatRequest) string
	// ModerationModels maps each model name /v1/moderations accepts to the
	// name its response reports. nil: omni-moderation-latest and
	// omni-moderation-2024-09-26 (both answer omni-moderation-2024-09-26),
	// text-moderation-latest and text-moderation-stable (text-moderation-007).
	// A model whose name or resolved name starts with "text-moderation"
	// refuses images and answers without the illicit categories.
	ModerationModels map[string]string
	// ChatModels are the models /v1/chat/completions accepts. nil: any.
	ChatModels []string
}

// ChatRequest is a decoded chat completion request, as Options.Chat sees it.
type ChatRequest struct {
	Model          string
	Messages       []ChatMessage
	ResponseFormat json.RawMessage // the response_format object as sent, or nil
	MaxTokens      int             // max_completion_tokens, else max_tokens; 0 if neither
	Temperature    *float64
}

// ChatMessage is one message of a ChatRequest.
type ChatMessage struct {
	Role   string
	Text   string   // the text parts joined with "\n"
	Images [][]byte // the decoded data: URL images
}

// Fault changes the answer to one request.
type Fault struct {
	Status     int           // HTTP status (429, 500, 503...) answered with OpenAI's error body for it; 0: answer normally
	RetryAfter string        // the Retry-After header ("1", "0.2" or an HTTP date), if set
	Delay      time.Duration // wait before answering; the wait ends if the client goes away
	Malformed  bool          // cut the body in half, and answer 200 unless Status is set
	Body       string        // the body to send instead of the one the server would
}

// Request is a request the server received.
type Request struct {
	Path   string
	Header http.Header
	Body   []byte
	Status int // the status answered; 0 if the client went away first
}

// Server is a running local OpenAI API.
type Server struct {
	URL string // the base URL, including /v1: give it to the client as its base URL

	opts    Options
	ts      *httptest.Server
	closing chan struct{}

	mu     sync.Mutex
	faults []Fault
	delay  time.Duration
	reqs   []Request
	active int // requests being handled
}

// New starts a Server on a loopback port; it is closed when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	opts.Key = cmp.Or(opts.Key, "sk-test")
	opts.ModerationModels = maps.Clone(opts.ModerationModels)
	if opts.ModerationModels == nil {
		opts.ModerationModels = map[string]string{
			"omni-moderation-latest":     "omni-moderation-2024-09-26",
			"omni-moderation-2024-09-26": "omni-moderation-2024-09-26",
			"text-moderation-latest":     "text-moderation-007",
			"text-moderation-stable":     "text-moderation-007",
		}
	}
	s := &Server{opts: opts, closing: make(chan struct{})}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.ts.URL + "/v1"
	t.Cleanup(func() {
		close(s.closing)
		s.ts.Close()
	})
	return s
}

// Enqueue gives the next requests, on any path, one fault each, in order.
// A fault's Status answers before the key and the body are checked.
func (s *Server) Enqueue(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// SetDelay makes every answer wait d, on top of a Fault's Delay; 0 stops it.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = Request{Path: r.Path, Header: r.Header.Clone(), Body: slices.Clone(r.Body), Status: r.Status}
	}
	return out
}

// Count returns the number of requests received on path, such as "/v1/moderations".
func (s *Server) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if r.Path == path {
			n++
		}
	}
	return n
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))

	s.mu.Lock()
	idx := len(s.reqs)
	s.reqs = append(s.reqs, Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	var f Fault
	if len(s.faults) > 0 {
		f, s.faults = s.faults[0], s.faults[1:]
	}
	delay := s.delay + f.Delay
	s.active++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
	}()

	if !s.wait(r.Context(), delay) {
		return
	}
	h := w.Header()
	var v any
	var e *apiError
	if f.Status != 0 {
		e = faultError(f, h, body)
	} else {
		v, e = s.route(r, h, body, readErr)
	}
	status := http.StatusOK
	if e != nil {
		status, v = e.status, e.body()
	}
	out, err := json.Marshal(v)
	if err != nil {
		panic(err) // the server's own values always marshal
	}
	if f.Body != "" {
		out = []byte(f.Body)
	}
	if f.Malformed {
		out = out[:len(out)/2]
		status = cmp.Or(f.Status, http.StatusOK)
	}
	if f.RetryAfter != "" {
		h.Set("Retry-After", f.RetryAfter)
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Request-Id", "req_"+randomHex(16))
	h.Set("Openai-Version", "2020-10-01")
	h.Set("Openai-Processing-Ms", strconv.FormatInt(time.Since(start).Milliseconds(), 10))
	w.WriteHeader(status)
	_, _ = w.Write(out)

	s.mu.Lock()
	s.reqs[idx].Status = status
	s.mu.Unlock()
}

// wait waits d, and reports false if the client or the server went away first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

func (s *Server) route(r *http.Request, h http.Header, body []byte, readErr error) (any, *apiError) {
	if e := s.auth(r.Header.Get("Authorization")); e != nil {
		return nil, e
	}
	var handle func([]byte) (any, *apiError)
	switch r.URL.Path {
	case "/v1/moderations":
		handle = s.moderate
	case "/v1/chat/completions":
		handle = s.chat
	default:
		return nil, &apiError{status: http.StatusNotFound, typ: "invalid_request_error",
			message: fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path)}
	}
	if r.Method != http.MethodPost {
		h.Set("Allow", http.MethodPost)
		return nil, &apiError{status: http.StatusMethodNotAllowed, typ: "invalid_request_error",
			message: fmt.Sprintf("Invalid method for URL (%s %s)", r.Method, r.URL.Path)}
	}
	if readErr != nil {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, typ: "invalid_request_error",
			message: fmt.Sprintf("Request body too large: the limit is %d bytes.", maxBody)}
	}
	return handle(body)
}

func (s *Server) auth(header string) *apiError {
	key, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || key == "" {
		return &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error",
			message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys."}
	}
	if key == s.opts.Key {
		return nil
	}
	masked := strings.Repeat("*", len(key))
	if len(key) >= 12 {
		masked = key[:3] + strings.Repeat("*", len(key)-7) + key[len(key)-4:]
	}
	return &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error", code: "invalid_api_key",
		message: "Incorrect API key provided: " + masked + ". You can find your API key at https://platform.openai.com/account/api-keys."}
}

// apiError is an answer in OpenAI's error format; an empty param or code is sent as null.
type apiError struct {
	status                    int
	message, typ, param, code string
}

func (e *apiError) body() any {
	orNull := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	return map[string]any{"error": map[string]any{
		"message": e.message, "type": e.typ, "param": orNull(e.param), "code": orNull(e.code),
	}}
}

func invalid(param, code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", param: param, code: code,
		message: fmt.Sprintf(format, args...)}
}

func missing(param string) *apiError {
	return invalid(param, "missing_required_parameter", "Missing required parameter: '%s'.", param)
}

func badValue(param, got string, allowed ...string) *apiError {
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = "'" + a + "'"
	}
	last := len(quoted) - 1
	return invalid(param, "invalid_value", "Invalid value for '%s': '%s'. Supported values are: %s and %s.",
		param, got, strings.Join(quoted[:last], ", "), quoted[last])
}

func modelNotFound(model string) *apiError {
	return &apiError{status: http.StatusNotFound, typ: "invalid_request_error", param: "model", code: "model_not_found",
		message: fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model)}
}

func wrongType(param, want string) *apiError {
	return invalid(param, "invalid_type", "Invalid type for '%s': expected %s.", param, want)
}

func badJSON() *apiError {
	return invalid("", "", "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)")
}

// decodeError turns a json.Unmarshal error into OpenAI's answer to it.
func decodeError(err error) *apiError {
	if ute, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && ute.Field != "" {
		want := map[reflect.Kind]string{reflect.Float64: "a number", reflect.Int: "an integer", reflect.Int64: "an integer",
			reflect.String: "a string", reflect.Bool: "a boolean", reflect.Slice: "an array", reflect.Struct: "an object"}
		return wrongType(ute.Field, cmp.Or(want[ute.Type.Kind()], ute.Type.String()))
	}
	return badJSON()
}

// faultError is OpenAI's answer for an injected status; it sets the headers that go with it.
func faultError(f Fault, h http.Header, body []byte) *apiError {
	switch f.Status {
	case http.StatusTooManyRequests:
		var req struct {
			Model string `json:"model"`
		}
		_ = json.Unmarshal(body, &req)
		wait := "1s"
		if secs, err := strconv.ParseFloat(f.RetryAfter, 64); err == nil {
			wait = strconv.FormatFloat(secs, 'f', -1, 64) + "s"
		}
		h.Set("X-Ratelimit-Limit-Requests", "60")
		h.Set("X-Ratelimit-Remaining-Requests", "0")
		h.Set("X-Ratelimit-Reset-Requests", wait)
		return &apiError{status: f.Status, typ: "requests", code: "rate_limit_exceeded", message: fmt.Sprintf(
			"Rate limit reached for %s in organization org-test on requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in %s. Visit https://platform.openai.com/account/rate-limits to learn more.",
			cmp.Or(req.Model, "this model"), wait)}
	case http.StatusInternalServerError:
		return &apiError{status: f.Status, typ: "server_error",
			message: "The server had an error while processing your request. Sorry about that!"}
	case http.StatusServiceUnavailable:
		return &apiError{status: f.Status, typ: "server_error",
			message: "The engine is currently overloaded, please try again later."}
	}
	typ := "invalid_request_error"
	if f.Status >= 500 {
		typ = "server_error"
	}
	return &apiError{status: f.Status, typ: typ, message: http.StatusText(f.Status)}
}

// decodeImage reads an image URL, which must be a base64 data: URL.
func decodeImage(param, url string) ([]byte, *apiError) {
	if strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://") {
		return nil, invalid(param, "invalid_image_url",
			"Invalid '%s': image URLs cannot be fetched by this test server; send a data: URL.", param)
	}
	meta, data, ok := strings.Cut(url, ",")
	mime, isData := strings.CutPrefix(meta, "data:")
	if !ok || !isData || !strings.HasPrefix(mime, "image/") || !strings.HasSuffix(mime, ";base64") {
		return nil, invalid(param, "invalid_image_url",
			"Invalid '%s': expected an https URL or a base64 data URL such as data:image/png;base64,...", param)
	}
	img, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, invalid(param, "invalid_image_url", "Invalid '%s': the data URL is not valid base64.", param)
	}
	if len(img) > maxImage {
		return nil, invalid(param, "image_too_large", "Invalid '%s': image files are limited to 20 MB.", param)
	}
	return img, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// tokens estimates the tokens of n bytes of text as OpenAI's rule of thumb: 4 bytes each.
func tokens(n int) int { return (n + 3) / 4 }
