package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/fixture"
	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/redisstore"
	"github.com/aup-dev/aup/internal/redistest"
	"github.com/aup-dev/aup/internal/review"
	"github.com/aup-dev/aup/internal/upload"
)

// markerFiles screens each part of a file with the test screener and keeps
// the strongest verdict, as the engine does.
type markerFiles struct{}

func (markerFiles) ScreenFile(ctx context.Context, f engine.File) (moderation.Verdict, error) {
	out := moderation.Verdict{Action: moderation.Allow, Language: moderation.Language{Code: moderation.Undetermined}, PolicyVersion: "test-1"}
	for _, p := range f.Parts {
		v, err := markerScreener{}.Screen(ctx, moderation.Content{Text: p.Text})
		if err != nil {
			return out, err
		}
		if v.Action == moderation.Block {
			out.Action, out.Categories = v.Action, v.Categories
			for _, m := range v.Matches {
				m.Source = p.Source
				out.Matches = append(out.Matches, m)
			}
		}
	}
	for _, fd := range f.Findings {
		out.Signals = append(out.Signals, moderation.Signal{Name: fd.Detector, Detail: fd.Detail, Source: fd.Source})
	}
	return out, nil
}

// withUploads gives the API a real upload scanner spooling to a directory
// of its own, returned so tests can see that nothing is left.
func withUploads(t testing.TB) (func(*httpapi.Config), string) {
	t.Helper()
	dir := t.TempDir()
	sc, err := upload.New(upload.Config{Screener: markerFiles{}, TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return func(c *httpapi.Config) { c.Uploads, c.UploadDir = sc, dir }, dir
}

// uploadServer starts the API with a real upload scanner.
func uploadServer(t *testing.T, edit func(*httpapi.Config)) (*testServer, string) {
	t.Helper()
	uploads, dir := withUploads(t)
	ts := startServer(t, func(c *httpapi.Config) {
		uploads(c)
		if edit != nil {
			edit(c)
		}
	})
	return ts, dir
}

// part is one field of a multipart body; a file when filename is set.
type part struct{ name, filename, contentType, value string }

func multipartBody(t *testing.T, parts ...part) (body *bytes.Buffer, contentType string) {
	t.Helper()
	body = new(bytes.Buffer)
	w := multipart.NewWriter(body)
	for _, p := range parts {
		h := make(map[string][]string)
		disp := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h["Content-Disposition"] = []string{disp}
		if p.contentType != "" {
			h["Content-Type"] = []string{p.contentType}
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(pw, p.value); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return body, w.FormDataContentType()
}

func (ts *testServer) upload(t *testing.T, key string, parts ...part) response {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	return ts.do(t, request{method: http.MethodPost, path: "/v1/check/upload", key: key, body: body, contentType: ct})
}

// uploadVerdict is the wire form of an upload's verdict, decoded strictly.
type uploadVerdict struct {
	Action     string            `json:"action"`
	Categories []json.RawMessage `json:"categories"`
	Language   json.RawMessage   `json:"language"`
	Matches    []struct {
		Rule     string  `json:"rule"`
		Category string  `json:"category"`
		Start    int     `json:"start"`
		End      int     `json:"end"`
		Score    float64 `json:"score"`
		Source   string  `json:"source"`
	} `json:"matches"`
	Signals []struct {
		Name     string  `json:"name"`
		Category string  `json:"category"`
		Score    float64 `json:"score"`
		Detail   string  `json:"detail"`
		Source   string  `json:"source"`
	} `json:"signals"`
	Cached        bool     `json:"cached"`
	PolicyVersion string   `json:"policy_version"`
	Sources       []string `json:"sources"`
	File          struct {
		SHA256        string            `json:"sha256"`
		MediaType     string            `json:"media_type"`
		Size          int64             `json:"size"`
		Images        []json.RawMessage `json:"images"`
		Members       int               `json:"members"`
		TextBytes     int               `json:"text_bytes"`
		TextTruncated bool              `json:"text_truncated"`
	} `json:"file"`
}

func TestCheckUpload(t *testing.T) {
	ts, dir := uploadServer(t, nil)
	key := backendKey.Secret
	secretName := "diary-of-alice.txt"
	text := "dear diary, today someone wrote " + flaggedWord + " on my wall"

	res := ts.upload(t, key, part{name: "file", filename: secretName, contentType: "text/plain", value: text}, part{name: "user_id", value: "u1"})
	if res.status != http.StatusOK {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	var v uploadVerdict
	decodeStrict(t, res.body, &v)
	sum := sha256.Sum256([]byte(text))
	if v.File.SHA256 != hex.EncodeToString(sum[:]) || v.File.Size != int64(len(text)) || v.File.MediaType != "text/plain" || v.File.TextBytes != len(text) {
		t.Errorf("file = %+v", v.File)
	}
	if v.Action != "block" || len(v.Matches) != 1 || v.Matches[0].Source != secretName || text[v.Matches[0].Start:v.Matches[0].End] != flaggedWord {
		t.Errorf("verdict = %s", res.body)
	}
	if v.File.Images == nil || v.Matches == nil {
		t.Errorf("images and matches must be arrays: %s", res.body)
	}

	res = ts.upload(t, key, part{name: "file", filename: "notes.zip", value: string(fixture.Zip(t, fixture.File{Name: "a/clean.txt", Data: []byte("hello")}, fixture.File{Name: "a/b.txt", Data: []byte(flaggedWord)}))})
	decodeStrict(t, res.body, &v)
	if v.Action != "block" || v.File.MediaType != "application/zip" || v.File.Members != 2 || len(v.Matches) != 1 || v.Matches[0].Source != "notes.zip/a/b.txt" {
		t.Errorf("zip verdict = %s", res.body)
	}

	res = ts.upload(t, key, part{name: "file", filename: "invoice.pdf", contentType: "application/pdf", value: "MZ\x90\x00" + strings.Repeat("\x00", 60)})
	decodeStrict(t, res.body, &v)
	if !hasSignal(v, "type_mismatch") {
		t.Errorf("an executable named .pdf has no type_mismatch signal: %s", res.body)
	}

	res = ts.upload(t, key, part{name: "file", value: ""})
	decodeStrict(t, res.body, &v)
	if res.status != http.StatusOK || v.Action != "allow" || v.File.Size != 0 {
		t.Errorf("empty file: %d %s", res.status, res.body)
	}

	if logs := ts.logs.String(); strings.Contains(logs, "diary") || strings.Contains(logs, "dear") || strings.Contains(logs, "notes.zip") {
		t.Errorf("the log holds a file name or text:\n%s", logs)
	}
	wantEmptyDir(t, dir)
}

func hasSignal(v uploadVerdict, name string) bool {
	for _, s := range v.Signals {
		if s.Name == name {
			return true
		}
	}
	return false
}

func wantEmptyDir(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("%d spooled files left in %s, e.g. %s", len(left), dir, left[0].Name())
	}
}

func TestCheckUploadRefused(t *testing.T) {
	ts, dir := uploadServer(t, func(c *httpapi.Config) { c.MaxUploadBytes = 4 << 10 })
	key := backendKey.Secret
	file := part{name: "file", filename: "a.txt", value: "hello"}
	// A ZIP member of 3 MB of zeros: deflate makes it a few kilobytes, a
	// ratio far over the limit of 200 once 1 MB has come out.
	bomb := string(fixture.Zip(t, fixture.File{Name: "zeros.txt", Data: make([]byte, 3<<20)}))
	if len(bomb) > 4<<10 {
		t.Fatalf("the bomb is %d bytes; raise MaxUploadBytes", len(bomb))
	}
	tests := []struct {
		name   string
		parts  []part
		status int
		code   string
		msg    []string
	}{
		{"no file", []part{{name: "user_id", value: "u1"}}, 400, "invalid", []string{"file is required"}},
		{"two files", []part{file, file}, 400, "invalid", []string{`"file" appears twice`}},
		{"unknown field", []part{file, {name: "category", value: "x"}}, 400, "invalid", []string{`unknown field "category"`}},
		{"long user_id", []part{file, {name: "user_id", value: strings.Repeat("u", httpapi.MaxIDBytes+1)}}, 400, "invalid", []string{"user_id", "limit"}},
		{"file over the limit", []part{{name: "file", filename: "big.txt", value: strings.Repeat("a", 5<<10)}}, 413, "too_large", []string{"4096 bytes"}},
		{"zip bomb", []part{{name: "file", filename: "z.zip", value: bomb}}, 422, "unprocessable", []string{"zeros.txt", "MaxRatio"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ts.upload(t, key, tc.parts...), tc.status, tc.code, tc.msg...)
		})
	}

	t.Run("not multipart", func(t *testing.T) {
		wantError(t, ts.post(t, "/v1/check/upload", key, `{"text":"hi"}`), 415, "unsupported_media_type", "multipart/form-data")
	})
	t.Run("truncated body", func(t *testing.T) {
		body, ct := multipartBody(t, file)
		cut := strings.NewReader(body.String()[:body.Len()-10])
		wantError(t, ts.do(t, request{method: http.MethodPost, path: "/v1/check/upload", key: key, body: cut, contentType: ct}), 400, "invalid", "closing boundary")
	})
	t.Run("chunked body over the limit", func(t *testing.T) {
		body, ct := multipartBody(t, part{name: "file", filename: "big.txt", value: strings.Repeat("a", 200<<10)})
		// An io.Reader that is not a *bytes.Reader is sent chunked, with no
		// Content-Length to refuse it up front.
		res := ts.do(t, request{method: http.MethodPost, path: "/v1/check/upload", key: key, body: io.MultiReader(body), contentType: ct})
		wantError(t, res, 413, "too_large")
	})
	t.Run("roles", func(t *testing.T) {
		wantError(t, ts.upload(t, moderatorKey.Secret, file), 403, "forbidden")
		wantError(t, ts.upload(t, "", file), 401, "unauthorized")
	})
	wantEmptyDir(t, dir)
}

func TestCheckUploadInProgressLimit(t *testing.T) {
	ts, dir := uploadServer(t, func(c *httpapi.Config) { c.UploadsInProgress = 1 })
	key := backendKey.Secret
	body, ct := multipartBody(t, part{name: "file", filename: "a.txt", value: "hello"})

	// The first upload stalls halfway through its body.
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/check/upload", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+key)
	first := make(chan *http.Response, 1)
	go func() {
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Error(err)
			res = nil
		}
		first <- res
	}()
	if _, err := pw.Write(body.Bytes()[:body.Len()/2]); err != nil { // returns once the server reads it
		t.Fatal(err)
	}

	res := ts.upload(t, key, part{name: "file", filename: "b.txt", value: "hi"})
	wantError(t, res, 503, "unavailable", "1 uploads are in progress", "retry")
	if got := res.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}

	if _, err := pw.Write(body.Bytes()[body.Len()/2:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if r := <-first; r == nil || r.StatusCode != http.StatusOK {
		t.Fatalf("the stalled upload did not succeed: %+v", r)
	} else {
		r.Body.Close()
	}
	if res := ts.upload(t, key, part{name: "file", filename: "c.txt", value: "hi"}); res.status != http.StatusOK {
		t.Errorf("after the first finished: %d %s", res.status, res.body)
	}
	wantEmptyDir(t, dir)
}

// uploadDesk starts the API with a review desk and a real upload scanner.
func uploadDesk(t *testing.T, editDesk func(*review.Config)) (*deskServer, string) {
	t.Helper()
	uploads, dir := withUploads(t)
	return startDesk(t, editDesk, uploads), dir
}

func TestReportAboutCheckedUpload(t *testing.T) {
	ds, dir := uploadDesk(t, nil)
	secretName := "holiday-of-alice.txt"
	text := "a picture of the beach"
	sum := sha256.Sum256([]byte(text))
	sha := hex.EncodeToString(sum[:])

	// Screening allows the upload; no case is opened.
	res := ds.upload(t, backendKey.Secret, part{name: "file", filename: secretName, value: text}, part{name: "user_id", value: "author-1"}, part{name: "content_id", value: "up-1"})
	var v struct {
		Action string `json:"action"`
		File   struct {
			SHA256 string `json:"sha256"`
		} `json:"file"`
	}
	if err := json.Unmarshal(res.body, &v); err != nil || res.status != http.StatusOK || v.Action != "allow" || v.File.SHA256 != sha {
		t.Fatalf("upload: %d %s", res.status, res.body)
	}

	// Later a user reports it.
	var rc receiptBody
	wantJSON(t, ds.post(t, "/v1/reports", backendKey.Secret, `{"reporter_id":"r1","target_type":"upload","target_id":"up-1","target_user_id":"author-1","category":"sexual"}`), http.StatusAccepted, &rc)
	var c struct {
		Target targetWire `json:"target"`
		File   *struct {
			SHA256 string `json:"sha256"`
			Size   int64  `json:"size"`
		} `json:"file"`
	}
	wantJSON(t, ds.get(t, "/v1/review/items/"+rc.CaseID, aliceKey.Secret), http.StatusOK, &c)
	if c.File == nil || c.File.SHA256 != sha || c.File.Size != int64(len(text)) || c.Target.UserID != "author-1" {
		t.Fatalf("case about the reported upload: target %+v, file %+v; want sha256 %s", c.Target, c.File, sha)
	}

	// Removing it adds the file's hash to a bank.
	wantJSON(t, ds.call(t, http.MethodPut, "/v1/hashbanks/removed", adminKey.Secret, `{"category":"sexual","action":"block"}`, nil), http.StatusCreated, &moderation.Bank{})
	ds.claim(t, aliceKey, rc.CaseID)
	out := ds.decide(t, aliceKey, rc.CaseID, `{"action":"remove","categories":["sexual"],"reason":"nude image","add_to_bank":"removed"}`)
	var list struct {
		Entries []moderation.BankEntry `json:"entries"`
	}
	wantJSON(t, ds.get(t, "/v1/hashbanks/removed/entries", adminKey.Secret), http.StatusOK, &list)
	if out.Decision == nil || len(out.Decision.BankEntries) != 1 || len(list.Entries) != 1 || list.Entries[0].Hash != sha {
		t.Errorf("decision %+v; bank entries %+v", out.Decision, list.Entries)
	}

	// A report about an upload never checked with a content_id: no file.
	wantJSON(t, ds.post(t, "/v1/reports", backendKey.Secret, `{"reporter_id":"r1","target_type":"upload","target_id":"up-2","target_user_id":"author-1","category":"sexual"}`), http.StatusAccepted, &rc)
	c.File = nil
	wantJSON(t, ds.get(t, "/v1/review/items/"+rc.CaseID, aliceKey.Secret), http.StatusOK, &c)
	if c.File != nil {
		t.Errorf("case about an unknown upload has file %+v", c.File)
	}

	if strings.Contains(ds.logs.String(), secretName) {
		t.Errorf("the log holds the file name:\n%s", ds.logs.String())
	}
	wantEmptyDir(t, dir)
}

func TestCheckUploadStoreDown(t *testing.T) {
	srv := redistest.Start(t)
	// No retries: the store is down for good.
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { client.Close() })
	ds, dir := uploadDesk(t, func(c *review.Config) { c.Store = redisstore.NewRecords(client, "aup:review:") })
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	// The upload cannot be remembered; the verdict comes all the same.
	secretName := "holiday-of-alice.txt"
	res := ds.upload(t, backendKey.Secret, part{name: "file", filename: secretName, value: "a picture of the beach"}, part{name: "content_id", value: "up-1"})
	var v uploadVerdict
	decodeStrict(t, res.body, &v) // no "user": the upload names none
	if res.status != http.StatusOK || v.Action != "allow" {
		t.Fatalf("upload with the store down: %d %s", res.status, res.body)
	}
	warned := false
	for _, l := range logLines(t, ds.logs.String()) {
		if l["msg"] == "remember upload for reports" {
			warned = l["level"] == "WARN" && l["code"] == moderation.EUNAVAILABLE
		}
	}
	if !warned {
		t.Errorf("no warning with code %s in the log:\n%s", moderation.EUNAVAILABLE, ds.logs.String())
	}
	if strings.Contains(ds.logs.String(), secretName) {
		t.Errorf("the log holds the file name:\n%s", ds.logs.String())
	}
	wantEmptyDir(t, dir)
}
