package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/moderation"
)

// flaggedWord is a word the test screener blocks. When the real engine
// replaces newTestScreener, use a phrase the engine's rules block.
const flaggedWord = "BADWORD"

// newTestScreener returns the screener the tests run against: deterministic,
// it blocks texts containing flaggedWord as harassment and allows the rest.
// This is the one place to swap in the real engine.
func newTestScreener(t testing.TB) httpapi.Screener {
	t.Helper()
	return markerScreener{}
}

type markerScreener struct{}

func (markerScreener) Screen(ctx context.Context, c moderation.Content) (moderation.Verdict, error) {
	if err := ctx.Err(); err != nil {
		return moderation.Verdict{}, err
	}
	v := moderation.Verdict{
		Action:        moderation.Allow,
		Language:      moderation.Language{Code: moderation.Undetermined},
		PolicyVersion: "test-1",
		Sources:       []string{moderation.SourceRules},
	}
	if strings.Contains(c.Text, "model down") {
		v.Classifier = &moderation.ClassifierStatus{Status: moderation.ClassifierUnavailable, Reason: moderation.UnavailableTimeout}
	}
	if i := strings.Index(c.Text, flaggedWord); i >= 0 {
		v.Action = moderation.Block
		v.Categories = []moderation.CategoryScore{{Category: moderation.Harassment, Score: 0.9, Action: moderation.Block}}
		v.Matches = []moderation.Match{{Rule: "test.badword", Category: moderation.Harassment, Start: i, End: i + len(flaggedWord), Score: 0.9}}
	}
	return v, nil
}

type screenerFunc func(ctx context.Context, c moderation.Content) (moderation.Verdict, error)

func (f screenerFunc) Screen(ctx context.Context, c moderation.Content) (moderation.Verdict, error) {
	return f(ctx, c)
}

type reloaderFunc func(ctx context.Context) (string, error)

func (f reloaderFunc) Reload(ctx context.Context) (string, error) { return f(ctx) }

type checkerFunc func(ctx context.Context) error

func (f checkerFunc) Check(ctx context.Context) error { return f(ctx) }

// Keys of the test server, one per role.
var (
	backendKey   = httpapi.Key{Name: "backend-svc", Role: httpapi.RoleBackend, Secret: "backend-secret-0123456789"}
	moderatorKey = httpapi.Key{Name: "mod-tool", Role: httpapi.RoleModerator, Secret: "moderator-secret-0123456789"}
	adminKey     = httpapi.Key{Name: "ops", Role: httpapi.RoleAdmin, Secret: "admin-secret-0123456789"}
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is the API on a real loopback listener.
type testServer struct {
	*httptest.Server
	logs *syncBuffer
}

// newConfig returns a Config with the test screener, three keys and one
// passing readiness check.
func newConfig(t testing.TB, logs io.Writer) httpapi.Config {
	return httpapi.Config{
		Screener: newTestScreener(t),
		Reloader: reloaderFunc(func(context.Context) (string, error) { return "test-2", nil }),
		Ready:    map[string]httpapi.Checker{"rules": checkerFunc(func(context.Context) error { return nil })},
		Keys:     []httpapi.Key{backendKey, moderatorKey, adminKey},
		Logger:   slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// newHandler builds the API from newConfig as changed by edit, and returns
// its handler and its log output.
func newHandler(t testing.TB, edit func(*httpapi.Config)) (http.Handler, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := newConfig(t, logs)
	if edit != nil {
		edit(&cfg)
	}
	s, err := httpapi.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s.Handler(), logs
}

// startServer starts the API built by newHandler on a loopback listener.
func startServer(t *testing.T, edit func(*httpapi.Config)) *testServer {
	t.Helper()
	h, logs := newHandler(t, edit)
	ts := &testServer{Server: httptest.NewServer(h), logs: logs}
	t.Cleanup(ts.Close)
	return ts
}

// request is one call to the test server.
type request struct {
	method      string
	path        string
	key         string            // Bearer secret; "" sends no Authorization
	contentType string            // defaults to application/json when there is a body
	body        io.Reader         // nil for none
	header      map[string]string // extra headers
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// errorBody is the error shape every error response must have.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (ts *testServer) do(t *testing.T, r request) response {
	t.Helper()
	req, err := http.NewRequest(r.method, ts.URL+r.path, r.body)
	if err != nil {
		t.Fatal(err)
	}
	if r.body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		if ct != "-" {
			req.Header.Set("Content-Type", ct)
		}
	}
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	for k, v := range r.header {
		if k == "Host" { // the client sends req.Host, not the header
			req.Host = v
		}
		req.Header.Set(k, v)
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return response{status: res.StatusCode, header: res.Header, body: body}
}

// post sends body as JSON with key.
func (ts *testServer) post(t *testing.T, path, key, body string) response {
	t.Helper()
	return ts.do(t, request{method: http.MethodPost, path: path, key: key, body: strings.NewReader(body)})
}

// wantError checks that res is an error response with status, code and a
// message containing each of msgParts.
func wantError(t *testing.T, res response, status int, code string, msgParts ...string) errorBody {
	t.Helper()
	if res.status != status {
		t.Errorf("status = %d, want %d; body %s", res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var eb errorBody
	dec := json.NewDecoder(bytes.NewReader(res.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&eb); err != nil {
		t.Fatalf("error body %s is not {\"error\":{\"code\",\"message\"}}: %v", res.body, err)
	}
	if eb.Error.Code != code {
		t.Errorf("code = %q, want %q (message %q)", eb.Error.Code, code, eb.Error.Message)
	}
	for _, p := range msgParts {
		if !strings.Contains(eb.Error.Message, p) {
			t.Errorf("message %q does not contain %q", eb.Error.Message, p)
		}
	}
	return eb
}

// verdict is the wire form of a verdict, decoded strictly.
type verdict struct {
	Action     string `json:"action"`
	Categories []struct {
		Category string  `json:"category"`
		Score    float64 `json:"score"`
		Action   string  `json:"action"`
	} `json:"categories"`
	Language struct {
		Code       string  `json:"code"`
		Confidence float64 `json:"confidence"`
	} `json:"language"`
	Matches []struct {
		Rule     string  `json:"rule"`
		Category string  `json:"category"`
		Start    int     `json:"start"`
		End      int     `json:"end"`
		Score    float64 `json:"score"`
	} `json:"matches"`
	Signals       []json.RawMessage `json:"signals"`
	Cached        bool              `json:"cached"`
	PolicyVersion string            `json:"policy_version"`
	Sources       []string          `json:"sources"`
	Classifier    *struct {
		Status string `json:"status"`
		Model  string `json:"model"`
		Reason string `json:"reason"`
	} `json:"classifier"`
}

func decodeStrict(t *testing.T, body []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}

// logLines parses the JSON log lines.
func logLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(logs) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		lines = append(lines, m)
	}
	return lines
}
