package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/httpapi"
)

// FuzzCheckRequest posts arbitrary bodies to POST /v1/check: whatever the
// body, the answer is 200, 400, 413 or 415 with a JSON body. Minimizing a
// new input can stall the progress line for a minute; -fuzzminimizetime=5s
// keeps it moving.
func FuzzCheckRequest(f *testing.F) {
	for _, seed := range []string{
		`{"text":"hello"}`,
		`{"text":"you ` + flaggedWord + `","user_id":"u1","content_id":"n1"}`,
		`{"text":""}`,
		`{"text":"a","extra":1}`,
		`{"text":5}`,
		`{"text":"a"} {}`,
		`{"text":"\ud800"}`,
		"{\"text\":\"\xff\"}",
		`[]`,
		`null`,
		``,
		`{"text":"` + strings.Repeat("a", 200) + `"}`,
		`{"text":"a","user_id":"\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	// A small text limit lets the fuzzer reach the size errors.
	h, _ := newHandler(f, func(c *httpapi.Config) {
		c.MaxTextBytes = 128
		c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/v1/check", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+backendKey.Secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("response %q is not JSON", rec.Body)
		}
	})
}
