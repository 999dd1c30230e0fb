package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/review"
)

// fuzzRoutes are the JSON endpoints of the review desk, the hash banks and
// the privacy requests that FuzzReviewRequest posts to, with the key each
// takes.
var fuzzRoutes = []struct {
	method, path string
	key          httpapi.Key
}{
	{http.MethodPost, "/v1/reports", backendKey},
	{http.MethodPost, "/v1/appeals", backendKey},
	{http.MethodPost, "/v1/review/claim", moderatorKey},
	{http.MethodPost, "/v1/review/items/case_1/decision", moderatorKey},
	{http.MethodPost, "/v1/review/decisions", moderatorKey},
	{http.MethodPost, "/v1/users/u1/suspensions", moderatorKey},
	{http.MethodPost, "/v1/privacy/users/u1/restriction", adminKey},
	{http.MethodPost, "/v1/banks", adminKey},
	{http.MethodPost, "/v1/banks/b1/entries", adminKey},
}

// FuzzReviewRequest posts arbitrary bodies to the desk's JSON endpoints:
// whatever the body, the answer is a client error or a success, with a JSON
// body, never a 500.
func FuzzReviewRequest(f *testing.F) {
	for i, seed := range []string{
		`{"reporter_id":"r1","target_type":"note","target_id":"n1","target_user_id":"u1","category":"spam","text":"buy now","contact_email":"a@b.example"}`,
		`{"user_id":"u1","decision_id":"dec_1","statement":"please"}`,
		`{"lanes":["urgent"]}`,
		`{"action":"remove","categories":["spam"],"reason":"ads"}`,
		`{"ids":["case_1"],"action":"keep","reason":"fine"}`,
		`{"reason":"spam wave","days":3}`,
		`{"restricted":true,"reason":"asked"}`,
		`{"name":"b1","description":"known bad","kind":"sha256"}`,
		`{"hash":"` + string(bytes.Repeat([]byte("ab"), 32)) + `","label":"x"}`,
		`null`, `[]`, ``, `{"action":5}`, "{\"reason\":\"\xff\"}",
	} {
		f.Add(uint8(i), []byte(seed))
	}
	desk, err := review.New(review.Config{Store: memstore.NewRecords(), Screener: reviewScreener{}})
	if err != nil {
		f.Fatal(err)
	}
	h, _ := newHandler(f, func(c *httpapi.Config) {
		c.Desk = desk
		c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	})
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(r.method, r.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+r.key.Secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: status %d for body %q: %s", r.method, r.path, rec.Code, body, rec.Body)
		}
		if rec.Code != http.StatusNoContent && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: response %q is not JSON", r.method, r.path, rec.Body)
		}
	})
}

// FuzzUploadForm posts arbitrary multipart bodies to POST
// /v1/check/upload: the answer is a verdict or a client error, never a 500.
func FuzzUploadForm(f *testing.F) {
	const boundary = "fuzzboundary"
	for _, seed := range []string{
		"--fuzzboundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello there\r\n--fuzzboundary--\r\n",
		"--fuzzboundary\r\nContent-Disposition: form-data; name=\"content_id\"\r\n\r\nn1\r\n--fuzzboundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n\r\n\x00\x01PK\x03\x04\r\n--fuzzboundary--\r\n",
		"--fuzzboundary\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno filename\r\n--fuzzboundary--\r\n",
		"--fuzzboundary--\r\n",
		"",
		"--other\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	uploads, _ := withUploads(f)
	h, _ := newHandler(f, func(c *httpapi.Config) {
		uploads(c)
		c.MaxUploadBytes = 4096
		c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/v1/check/upload", bytes.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		req.Header.Set("Authorization", "Bearer "+backendKey.Secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("response %q is not JSON", rec.Body)
		}
	})
}
