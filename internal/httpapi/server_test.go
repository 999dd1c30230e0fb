package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/moderation"
)

func TestCheck(t *testing.T) {
	ts := startServer(t, nil)
	tests := []struct {
		name           string
		body           string
		wantAction     string
		wantMatch      bool
		classifierDown bool
	}{
		{"allowed", `{"text":"hello there","user_id":"u1","content_id":"n1"}`, "allow", false, false},
		{"blocked", `{"text":"you ` + flaggedWord + `"}`, "block", true, false},
		{"classifier unavailable", `{"text":"model down"}`, "allow", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.post(t, "/v1/check", backendKey.Secret, tc.body)
			if res.status != http.StatusOK {
				t.Fatalf("status = %d; body %s", res.status, res.body)
			}
			// Arrays, never null, even when empty.
			for _, field := range []string{`"categories":[`, `"matches":[`} {
				if !strings.Contains(string(res.body), field) {
					t.Errorf("body %s lacks %s", res.body, field)
				}
			}
			var v verdict
			decodeStrict(t, res.body, &v)
			if v.Action != tc.wantAction {
				t.Errorf("action = %q, want %q", v.Action, tc.wantAction)
			}
			if got := len(v.Matches) > 0; got != tc.wantMatch {
				t.Errorf("matches = %+v, want some: %v", v.Matches, tc.wantMatch)
			}
			if v.PolicyVersion == "" || v.Language.Code == "" || len(v.Sources) == 0 {
				t.Errorf("verdict lacks policy_version, language or sources: %s", res.body)
			}
			if tc.wantMatch && (len(v.Categories) == 0 || v.Categories[0].Action != "block") {
				t.Errorf("categories %+v: want each with the action it calls for", v.Categories)
			}
			if (v.Classifier != nil) != tc.classifierDown || tc.classifierDown && (v.Classifier.Status != "unavailable" || v.Classifier.Reason != "timeout") {
				t.Errorf("classifier %+v: want it only when the screener reports it", v.Classifier)
			}
		})
	}
}

func TestCheckBadInput(t *testing.T) {
	ts := startServer(t, nil)
	long := strings.Repeat("a", 70000)
	tests := []struct {
		name        string
		body        string
		contentType string
		status      int
		code        string
		msg         []string
	}{
		{"invalid JSON", `{"text": "a",}`, "", 400, "invalid", []string{"invalid JSON at offset 14"}},
		{"truncated JSON", `{"text":"a"`, "", 400, "invalid", []string{"invalid JSON", "unexpected end"}},
		{"empty body", ``, "", 400, "invalid", []string{"empty"}},
		{"unknown field", `{"text":"a","txt":"b"}`, "", 400, "invalid", []string{`unknown field "txt"`}},
		{"text wrong type", `{"text":5}`, "", 400, "invalid", []string{"text: expected string, got number"}},
		{"user_id wrong type", `{"text":"a","user_id":{}}`, "", 400, "invalid", []string{"user_id: expected string, got object"}},
		{"content_id wrong type", `{"text":"a","content_id":[1]}`, "", 400, "invalid", []string{"content_id: expected string, got array"}},
		{"not an object", `["text"]`, "", 400, "invalid", []string{"must be a JSON object"}},
		{"null body", `null`, "", 400, "invalid", []string{"text is required"}},
		{"missing text", `{"user_id":"u1"}`, "", 400, "invalid", []string{"text is required"}},
		{"empty text", `{"text":""}`, "", 400, "invalid", []string{"text is required"}},
		{"null text", `{"text":null}`, "", 400, "invalid", []string{"text is required"}},
		{"whitespace text", `{"text":" \t\n\u00a0 "}`, "", 400, "invalid", []string{"text is required"}},
		{"text too large", `{"text":"` + long + `"}`, "", 413, "too_large", []string{"text is 70000 bytes; the limit is 65536"}},
		{"invalid UTF-8", "{\"text\":\"caf\xe9\"}", "", 400, "invalid", []string{"not valid UTF-8", "byte 12"}},
		{"truncated UTF-8 at end", "{\"text\":\"a\"}\xc3", "", 400, "invalid", []string{"not valid UTF-8"}},
		{"trailing object", `{"text":"a"} {"text":"b"}`, "", 400, "invalid", []string{"after the JSON object"}},
		{"trailing garbage", `{"text":"a"}x`, "", 400, "invalid", []string{"invalid JSON at offset"}},
		{"user_id too long", `{"text":"a","user_id":"` + strings.Repeat("u", 257) + `"}`, "", 400, "invalid", []string{"user_id is 257 bytes; the limit is 256"}},
		{"content_id control char", `{"text":"a","content_id":"n\u00071"}`, "", 400, "invalid", []string{"content_id", "control"}},
		{"user_id newline", `{"text":"a","user_id":"u\n1"}`, "", 400, "invalid", []string{"user_id", "control"}},
		{"text/plain", `{"text":"a"}`, "text/plain", 415, "unsupported_media_type", []string{"application/json"}},
		{"no content type", `{"text":"a"}`, "-", 415, "unsupported_media_type", []string{"application/json"}},
		{"form", `text=a`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", []string{"application/json"}},
		{"latin1 charset", `{"text":"a"}`, "application/json; charset=iso-8859-1", 415, "unsupported_media_type", []string{"utf-8"}},
		{"whitespace body", " \r\n\t ", "", 400, "invalid", []string{"request body is empty"}},
		{"truncated JSON names the end", `{"text":"a"`, "", 400, "invalid", []string{"invalid JSON at offset 11: unexpected end of input"}},
		{"field name in capitals", `{"TEXT":"a"}`, "", 400, "invalid", []string{`unknown field "TEXT"; fields are case-sensitive`}},
		{"field name in another case", `{"text":"a","User_ID":"u1"}`, "", 400, "invalid", []string{`unknown field "User_ID"; fields are case-sensitive`}},
		{"field name with a folding letter", `{"text":"a","uſer_id":"u1"}`, "", 400, "invalid", []string{`unknown field "uſer_id"; fields are case-sensitive`}},
		{"duplicate field", `{"text":"a","text":"b"}`, "", 400, "invalid", []string{`duplicate field "text"`}},
		{"duplicate field set to null", `{"text":"a","user_id":"u1","user_id":null}`, "", 400, "invalid", []string{`duplicate field "user_id"`}},
		{"duplicate field through an escape", `{"text":"a","t\u0065xt":"b"}`, "", 400, "invalid", []string{`duplicate field "text"`}},
		{"text out of float range", `{"text":1e999}`, "", 400, "invalid", []string{"text: expected string, got number"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.do(t, request{method: http.MethodPost, path: "/v1/check", key: backendKey.Secret,
				contentType: tc.contentType, body: strings.NewReader(tc.body)})
			wantError(t, res, tc.status, tc.code, tc.msg...)
		})
	}
}

func TestCheckAcceptsCharsetAndEdgeIDs(t *testing.T) {
	ts := startServer(t, nil)
	tests := []struct{ name, contentType, body string }{
		{"charset utf-8", "application/json; charset=utf-8", `{"text":"a"}`},
		{"charset UTF-8", "application/json;charset=UTF-8", `{"text":"a"}`},
		{"ids at the limit", "", `{"text":"a","user_id":"` + strings.Repeat("u", 256) + `","content_id":"note 1 é"}`},
		{"text at the limit", "", `{"text":"` + strings.Repeat("a", 65536) + `"}`},
		{"escaped text", "", `{"text":"\u00e9\n\"quoted\""}  ` + "\n"},
		{"escaped field name", "", `{"t\u0065xt":"a"}`},
		{"whitespace everywhere", "", " {\n \"text\" : \"a\" ,\n\t\"user_id\":null\r} "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.do(t, request{method: http.MethodPost, path: "/v1/check", key: backendKey.Secret,
				contentType: tc.contentType, body: strings.NewReader(tc.body)})
			if res.status != http.StatusOK {
				t.Fatalf("status = %d; body %s", res.status, res.body)
			}
		})
	}
}

// onlyReader hides the length of a body, so the client sends it chunked.
type onlyReader struct{ io.Reader }

func TestBodyLimits(t *testing.T) {
	// MaxTextBytes 100: /v1/check takes 6*100+4096 = 4696 bytes, a batch of
	// 3 takes 3*4696 = 14088.
	ts := startServer(t, func(c *httpapi.Config) { c.MaxTextBytes = 100; c.MaxBatch = 3 })
	big := `{"text":"` + strings.Repeat("a", 10000) + `"}`
	bigBatch := `{"items":[{"text":"` + strings.Repeat("a", 20000) + `"}]}`
	tests := []struct {
		name string
		path string
		body io.Reader
		msg  string
	}{
		{"check with length", "/v1/check", strings.NewReader(big), "the limit for this endpoint is 4696"},
		{"check chunked", "/v1/check", onlyReader{strings.NewReader(big)}, "exceeds the limit of 4696 bytes"},
		{"batch with length", "/v1/check/batch", strings.NewReader(bigBatch), "the limit for this endpoint is 14088"},
		// Chunked, the body limit is not known up front; the item is refused
		// by the per-item budget before it is read whole.
		{"batch chunked", "/v1/check/batch", onlyReader{strings.NewReader(bigBatch)}, "items[0] is larger than 4696 bytes, the limit for one check"},
		{"batch, a later item too large", "/v1/check/batch", onlyReader{strings.NewReader(`{"items":[{"text":"a"},{"text":"b"},{"text":"` + strings.Repeat("c", 20000) + `"}]}`)}, "items[2] is larger than 4696 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.do(t, request{method: http.MethodPost, path: tc.path, key: backendKey.Secret, body: tc.body})
			wantError(t, res, http.StatusRequestEntityTooLarge, "too_large", tc.msg)
		})
	}
	t.Run("text over MaxTextBytes within the body limit", func(t *testing.T) {
		res := ts.post(t, "/v1/check", backendKey.Secret, `{"text":"`+strings.Repeat("a", 101)+`"}`)
		wantError(t, res, http.StatusRequestEntityTooLarge, "too_large", "text is 101 bytes; the limit is 100")
	})
}

// escapeAll quotes s as a JSON string with every character escaped as
// \uXXXX (a surrogate pair above U+FFFF). Python's json.dumps does this to
// every non-ASCII character by default; done to every character it gives
// the largest body a text can legally take, 6 bytes for each byte of \u0001.
func escapeAll(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r1, r2 := utf16.EncodeRune(r); r1 != unicode.ReplacementChar {
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		} else {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// escapedBatch is a batch of n items, each with text, userID and contentID
// sent through escapeAll.
func escapedBatch(n int, text, userID, contentID string) string {
	item := `{"text":` + escapeAll(text) + `,"user_id":` + escapeAll(userID) + `,"content_id":` + escapeAll(contentID) + `}`
	return `{"items":[` + strings.Repeat(item+",", n-1) + item + `]}`
}

func TestBatchBodyLimitFitsEscapedText(t *testing.T) {
	// The batch body limit is MaxBatch times the single-check limit, so a
	// batch of texts at MaxTextBytes is accepted however it is escaped.
	const maxText, maxBatch = 1 << 10, 10
	ts := startServer(t, func(c *httpapi.Config) { c.MaxTextBytes = maxText; c.MaxBatch = maxBatch })
	tests := []struct {
		name, text, id string
	}{
		{"2-byte characters", strings.Repeat("é", maxText/2), ""},
		{"3-byte characters", strings.Repeat("語", maxText/3), ""},
		{"4-byte characters as surrogate pairs", strings.Repeat("😀", maxText/4), ""},
		{"every byte escaped, ids at the limit", strings.Repeat("\x01", maxText), strings.Repeat("u", httpapi.MaxIDBytes)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.text) < maxText-3 {
				t.Fatalf("text is %d bytes, want near %d", len(tc.text), maxText)
			}
			body := escapedBatch(maxBatch, tc.text, tc.id, tc.id)
			res := ts.post(t, "/v1/check/batch", backendKey.Secret, body)
			if res.status != http.StatusOK {
				t.Fatalf("%d bytes of JSON: status = %d; body %s", len(body), res.status, res.body)
			}
			var got struct{ Results []verdict }
			decodeStrict(t, res.body, &got)
			if len(got.Results) != maxBatch {
				t.Errorf("got %d results, want %d", len(got.Results), maxBatch)
			}
		})
	}
}

func TestBatchOfEscapedTextAtTheDefaults(t *testing.T) {
	// A full batch at the default limits, as json.dumps sends it: 100 texts
	// of 64 KiB of "é" are 19.7 MB of JSON, over the 16 MiB the batch limit
	// once was.
	if testing.Short() {
		t.Skip("sends 20 MB")
	}
	ts := startServer(t, nil)
	body := escapedBatch(httpapi.DefaultMaxBatch, strings.Repeat("é", httpapi.DefaultMaxTextBytes/2), "u1", "n1")
	res := ts.post(t, "/v1/check/batch", backendKey.Secret, body)
	if res.status != http.StatusOK {
		t.Fatalf("%d bytes of JSON: status = %d; body %s", len(body), res.status, res.body)
	}
}

func TestBatch(t *testing.T) {
	// Later items finish first; the results must still be in order. The
	// wrapper stamps each verdict with the item's content id.
	var inFlight, peak atomic.Int64
	ts := startServer(t, func(c *httpapi.Config) {
		inner := c.Screener
		c.BatchConcurrency = 4
		c.Screener = screenerFunc(func(ctx context.Context, content moderation.Content) (moderation.Verdict, error) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			i, _ := strconv.Atoi(strings.TrimPrefix(content.ContentID, "n"))
			time.Sleep(time.Duration(20-i) * time.Millisecond)
			v, err := inner.Screen(ctx, content)
			v.PolicyVersion = content.ContentID
			return v, err
		})
	})
	var items []string
	for i := range 20 {
		text := "fine"
		if i%3 == 0 {
			text = "so " + flaggedWord
		}
		items = append(items, fmt.Sprintf(`{"text":%q,"content_id":"n%d"}`, text, i))
	}
	res := ts.post(t, "/v1/check/batch", backendKey.Secret, `{"items":[`+strings.Join(items, ",")+`]}`)
	if res.status != http.StatusOK {
		t.Fatalf("status = %d; body %s", res.status, res.body)
	}
	var got struct{ Results []verdict }
	decodeStrict(t, res.body, &got)
	if len(got.Results) != 20 {
		t.Fatalf("got %d results, want 20", len(got.Results))
	}
	for i, v := range got.Results {
		if want := fmt.Sprintf("n%d", i); v.PolicyVersion != want {
			t.Errorf("results[%d] is the verdict of %s", i, v.PolicyVersion)
		}
		if blocked := v.Action == "block"; blocked != (i%3 == 0) {
			t.Errorf("results[%d].action = %s", i, v.Action)
		}
	}
	if p := peak.Load(); p > 4 || p < 2 {
		t.Errorf("peak concurrency = %d, want 2..4", p)
	}
}

func TestBatchBadInput(t *testing.T) {
	ts := startServer(t, func(c *httpapi.Config) { c.MaxBatch = 5 })
	ok := `{"text":"a"}`
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		msg    string
	}{
		{"empty text in item 3", `{"items":[` + ok + `,` + ok + `,` + ok + `,{"text":" "}]}`, 400, "invalid", "items[3].text is required"},
		{"wrong type in item 2", `{"items":[` + ok + `,` + ok + `,{"text":true}]}`, 400, "invalid", "items[2].text: expected string, got bool"},
		{"unknown field in item 1", `{"items":[` + ok + `,{"text":"a","foo":1}]}`, 400, "invalid", `items[1]: unknown field "foo"`},
		{"item not an object", `{"items":[` + ok + `,"text"]}`, 400, "invalid", "items[1] must be a JSON object"},
		{"bad user_id in item 0", `{"items":[{"text":"a","user_id":"a\u0000"}]}`, 400, "invalid", "items[0].user_id"},
		{"text too large in item 1", `{"items":[` + ok + `,{"text":"` + strings.Repeat("a", 70000) + `"}]}`, 413, "too_large", "items[1].text is 70000 bytes; the limit is 65536"},
		{"syntax error in an item", `{"items":[` + ok + `,{"text" "a"}]}`, 400, "invalid", "invalid JSON at offset"},
		{"no items", `{"items":[]}`, 400, "invalid", "items is required"},
		{"null items", `{"items":null}`, 400, "invalid", "items is required"},
		{"missing items", `{}`, 400, "invalid", "items is required"},
		{"too many items", `{"items":[` + strings.Repeat(ok+",", 5) + ok + `]}`, 400, "invalid", "at most 5 items"},
		{"items not an array", `{"items":{"text":"a"}}`, 400, "invalid", "items: expected array, got object"},
		{"unknown top-level field", `{"item":[` + ok + `]}`, 400, "invalid", `unknown field "item"`},
		{"items twice", `{"items":[` + ok + `],"items":[` + ok + `]}`, 400, "invalid", "items appears twice"},
		{"not an object", `[` + ok + `]`, 400, "invalid", "must be a JSON object"},
		{"trailing data", `{"items":[` + ok + `]}{}`, 400, "invalid", "after the JSON object"},
		{"empty body", ``, 400, "invalid", "empty"},
		{"whitespace body", " \r\n\t ", 400, "invalid", "request body is empty"},
		{"truncated after an item", `{"items":[{"text":"a"}`, 400, "invalid", "invalid JSON at offset 22: unexpected end of input"},
		{"truncated after the array", `{"items":[{"text":"a"}]`, 400, "invalid", "invalid JSON at offset 23: unexpected end of input"},
		{"truncated in an item", `{"items":[{"text":"a"`, 400, "invalid", "invalid JSON at offset 21: unexpected end of input"},
		{"truncated at the array", `{"items":[`, 400, "invalid", "invalid JSON at offset 10: unexpected end of input"},
		{"truncated after the key", `{"items"`, 400, "invalid", "invalid JSON at offset 8: unexpected end of input"},
		{"only a brace", `{`, 400, "invalid", "invalid JSON at offset 1: unexpected end of input"},
		{"null item", `{"items":[null]}`, 400, "invalid", "items[0].text is required"},
		{"field name in another case in item 1", `{"items":[` + ok + `,{"Text":"a"}]}`, 400, "invalid", `items[1]: unknown field "Text"; fields are case-sensitive`},
		{"duplicate field in item 0", `{"items":[{"text":"a","content_id":"n1","content_id":"n2"}]}`, 400, "invalid", `items[0]: duplicate field "content_id"`},
		{"items in another case", `{"Items":[` + ok + `]}`, 400, "invalid", `unknown field "Items"; fields are case-sensitive`},
		{"items out of float range", `{"items":1e999}`, 400, "invalid", "items: expected array, got number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.post(t, "/v1/check/batch", backendKey.Secret, tc.body)
			wantError(t, res, tc.status, tc.code, tc.msg)
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		res := ts.do(t, request{method: http.MethodPost, path: "/v1/check/batch", key: backendKey.Secret,
			contentType: "text/plain", body: strings.NewReader(`{"items":[` + ok + `]}`)})
		wantError(t, res, http.StatusUnsupportedMediaType, "unsupported_media_type")
	})
}

func TestBatchScreenerErrors(t *testing.T) {
	ts := startServer(t, func(c *httpapi.Config) {
		c.Screener = screenerFunc(func(ctx context.Context, content moderation.Content) (moderation.Verdict, error) {
			switch content.ContentID {
			case "down":
				return moderation.Verdict{}, moderation.Errorf(moderation.EUNAVAILABLE, "language detector unavailable")
			case "panic":
				panic("engine bug: secret-panic-detail")
			}
			return moderation.Verdict{Action: moderation.Allow}, nil
		})
	})
	body := func(id string) string {
		return `{"items":[{"text":"a"},{"text":"b","content_id":"` + id + `"}]}`
	}
	res := ts.post(t, "/v1/check/batch", backendKey.Secret, body("down"))
	wantError(t, res, http.StatusServiceUnavailable, "unavailable", "items[1]: language detector unavailable")

	res = ts.post(t, "/v1/check/batch", backendKey.Secret, body("panic"))
	eb := wantError(t, res, http.StatusInternalServerError, "internal")
	if eb.Error.Message != "internal error" || strings.Contains(string(res.body), "secret-panic-detail") {
		t.Errorf("panic leaked: %s", res.body)
	}
}

func TestPanicIsInternalError(t *testing.T) {
	const note = "PRIVATE-NOTE-TEXT-1f3a"
	ts := startServer(t, func(c *httpapi.Config) {
		c.Screener = screenerFunc(func(_ context.Context, content moderation.Content) (moderation.Verdict, error) {
			var offsets []int
			return moderation.Verdict{}, fmt.Errorf("offset %d", offsets[len(content.Text)]) // index out of range
		})
	})
	res := ts.post(t, "/v1/check", backendKey.Secret, `{"text":"`+note+`"}`)
	eb := wantError(t, res, http.StatusInternalServerError, "internal")
	if eb.Error.Message != "internal error" {
		t.Errorf("message = %q, want the generic one", eb.Error.Message)
	}
	if strings.Contains(string(res.body), "index out of range") || strings.Contains(string(res.body), "goroutine") {
		t.Errorf("response leaks the panic: %s", res.body)
	}
	reqID := res.header.Get("X-Request-ID")
	ts.Close() // waits for the access log line
	logs := ts.logs.String()
	if strings.Contains(logs, note) {
		t.Errorf("logs contain the note text:\n%s", logs)
	}
	var panics int
	for _, l := range logLines(t, logs) {
		if l["msg"] == "panic" {
			panics++
			if l["request_id"] != reqID || !strings.Contains(fmt.Sprint(l["error"]), "index out of range") || l["stack"] == nil {
				t.Errorf("panic line lacks request id, error or stack: %v", l)
			}
		}
	}
	if panics != 1 {
		t.Errorf("panic logged %d times, want once:\n%s", panics, logs)
	}
}

func TestInternalErrorIsNotSent(t *testing.T) {
	ts := startServer(t, func(c *httpapi.Config) {
		// The system's reason is logged; the error's own text, which here
		// quotes the note, is not.
		c.Screener = screenerFunc(func(_ context.Context, content moderation.Content) (moderation.Verdict, error) {
			return moderation.Verdict{}, fmt.Errorf("cache get %q: %w", content.Text,
				&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "redis-internal"}})
		})
	})
	const note = "PRIVATE-NOTE-TEXT-7c2e"
	res := ts.post(t, "/v1/check", backendKey.Secret, `{"text":"`+note+`"}`)
	eb := wantError(t, res, http.StatusInternalServerError, "internal")
	if eb.Error.Message != "internal error" || strings.Contains(string(res.body), "redis-internal") {
		t.Errorf("internal error leaked: %s", res.body)
	}
	ts.Close()
	if n := strings.Count(ts.logs.String(), "redis-internal"); n != 1 || strings.Contains(ts.logs.String(), note) {
		t.Errorf("internal error logged %d times, want once without the note:\n%s", n, ts.logs.String())
	}
}

func TestScreenerErrorCodes(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{moderation.Errorf(moderation.EUNAVAILABLE, "store down"), 503, "unavailable"},
		{moderation.Errorf(moderation.ERATELIMIT, "slow down"), 429, "rate_limited"},
		{moderation.Errorf(moderation.ECONFLICT, "busy"), 409, "conflict"},
		{fmt.Errorf("wrapped: %w", moderation.Errorf(moderation.EINVALID, "unsupported script")), 400, "invalid"},
		{moderation.Errorf("made_up", "secret"), 500, "internal"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			ts := startServer(t, func(c *httpapi.Config) {
				c.Screener = screenerFunc(func(context.Context, moderation.Content) (moderation.Verdict, error) {
					return moderation.Verdict{}, tc.err
				})
			})
			res := ts.post(t, "/v1/check", backendKey.Secret, `{"text":"a"}`)
			wantError(t, res, tc.status, tc.code)
		})
	}
}

func TestReload(t *testing.T) {
	var calls atomic.Int32
	ts := startServer(t, func(c *httpapi.Config) {
		c.Reloader = reloaderFunc(func(context.Context) (string, error) {
			if calls.Add(1) == 1 {
				return "", moderation.Errorf(moderation.EINVALID, "rules/en/hate.txt:12: unterminated group in pattern")
			}
			return "2024-06-01.3", nil
		})
	})
	res := ts.do(t, request{method: http.MethodPost, path: "/v1/admin/rules/reload", key: adminKey.Secret})
	wantError(t, res, http.StatusBadRequest, "invalid", "rules/en/hate.txt:12: unterminated group")

	res = ts.do(t, request{method: http.MethodPost, path: "/v1/admin/rules/reload", key: adminKey.Secret})
	if res.status != http.StatusOK {
		t.Fatalf("status = %d; body %s", res.status, res.body)
	}
	var got struct {
		PolicyVersion string `json:"policy_version"`
	}
	decodeStrict(t, res.body, &got)
	if got.PolicyVersion != "2024-06-01.3" {
		t.Errorf("policy_version = %q", got.PolicyVersion)
	}

	// Each request is logged at info with who asked and how it went; the
	// Reloader logs what it loaded.
	ts.Close()
	var lines []map[string]any
	for _, l := range logLines(t, ts.logs.String()) {
		if l["msg"] == "rules reloaded" {
			t.Errorf("the API logs %q, which is the Reloader's line: %v", l["msg"], l)
		}
		if l["msg"] == "rules reload requested" {
			lines = append(lines, l)
		}
	}
	want := []map[string]any{
		{"level": "INFO", "key": "ops", "outcome": "failed", "code": "invalid"},
		{"level": "INFO", "key": "ops", "outcome": "reloaded", "policy_version": "2024-06-01.3"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d \"rules reload requested\" lines, want %d:\n%s", len(lines), len(want), ts.logs.String())
	}
	for i, w := range want {
		for k, v := range w {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, lines[i][k], v)
			}
		}
		if lines[i]["request_id"] == nil {
			t.Errorf("line %d has no request_id: %v", i, lines[i])
		}
	}
}

func TestAuth(t *testing.T) {
	ts := startServer(t, nil)
	const checkBody = `{"text":"a"}`
	tests := []struct {
		name   string
		path   string
		header map[string]string
		key    string
		status int
		code   string
		msg    string
	}{
		{"no key", "/v1/check", nil, "", 401, "unauthorized", "missing API key"},
		{"wrong key", "/v1/check", nil, "not-a-key-0123456789", 401, "unauthorized", "invalid API key"},
		{"key prefix", "/v1/check", nil, backendKey.Secret[:16], 401, "unauthorized", "invalid API key"},
		{"basic scheme", "/v1/check", map[string]string{"Authorization": "Basic " + backendKey.Secret}, "", 401, "unauthorized", "Bearer"},
		{"lowercase bearer", "/v1/check", map[string]string{"Authorization": "bearer " + backendKey.Secret}, "", 200, "", ""},
		{"backend checks", "/v1/check", nil, backendKey.Secret, 200, "", ""},
		{"backend checks batches", "/v1/check/batch", nil, backendKey.Secret, 200, "", ""},
		{"admin checks", "/v1/check", nil, adminKey.Secret, 200, "", ""},
		{"admin reloads", "/v1/admin/rules/reload", nil, adminKey.Secret, 200, "", ""},
		{"backend may not reload", "/v1/admin/rules/reload", nil, backendKey.Secret, 403, "forbidden",
			"key 'backend-svc' (role backend) may not call POST /v1/admin/rules/reload"},
		{"moderator may not check", "/v1/check", nil, moderatorKey.Secret, 403, "forbidden",
			"key 'mod-tool' (role moderator) may not call POST /v1/check"},
		{"moderator may not reload", "/v1/admin/rules/reload", nil, moderatorKey.Secret, 403, "forbidden", "mod-tool"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := checkBody
			if strings.HasSuffix(tc.path, "batch") {
				body = `{"items":[` + checkBody + `]}`
			}
			res := ts.do(t, request{method: http.MethodPost, path: tc.path, key: tc.key, header: tc.header, body: strings.NewReader(body)})
			if tc.status == http.StatusOK {
				if res.status != http.StatusOK {
					t.Fatalf("status = %d; body %s", res.status, res.body)
				}
				return
			}
			wantError(t, res, tc.status, tc.code, tc.msg)
			if tc.status == http.StatusUnauthorized && res.header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("WWW-Authenticate = %q, want Bearer", res.header.Get("WWW-Authenticate"))
			}
			for _, k := range []httpapi.Key{backendKey, moderatorKey, adminKey} {
				if strings.Contains(string(res.body), k.Secret) {
					t.Errorf("response contains a secret: %s", res.body)
				}
			}
		})
	}
	t.Run("probes need no key", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if res := ts.do(t, request{method: http.MethodGet, path: path}); res.status != http.StatusOK {
				t.Errorf("GET %s = %d; body %s", path, res.status, res.body)
			}
		}
	})
}

func TestDevMode(t *testing.T) {
	noKeys := func(c *httpapi.Config) { c.Keys = nil }
	t.Run("loopback is admin", func(t *testing.T) {
		ts := startServer(t, noKeys)
		if res := ts.post(t, "/v1/check", "", `{"text":"a"}`); res.status != http.StatusOK {
			t.Errorf("check = %d; body %s", res.status, res.body)
		}
		if res := ts.do(t, request{method: http.MethodPost, path: "/v1/admin/rules/reload"}); res.status != http.StatusOK {
			t.Errorf("reload = %d; body %s", res.status, res.body)
		}
	})
	t.Run("loopback through a proxy is refused", func(t *testing.T) {
		ts := startServer(t, noKeys)
		for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-IP"} {
			res := ts.do(t, request{method: http.MethodPost, path: "/v1/check",
				header: map[string]string{h: "198.51.100.4"}, body: strings.NewReader(`{"text":"a"}`)})
			wantError(t, res, http.StatusUnauthorized, "unauthorized", "came through a proxy", "set AUP_API_KEYS")
		}
	})
	t.Run("another site's name rebound to loopback is refused", func(t *testing.T) {
		ts := startServer(t, noKeys)
		for host, ok := range map[string]bool{"evil.example": false, "evil.example:8080": false, "localhost:8080": true, "[::1]:8080": true, "127.0.0.1": true} {
			res := ts.do(t, request{method: http.MethodPost, path: "/v1/check", header: map[string]string{"Host": host}, body: strings.NewReader(`{"text":"a"}`)})
			if (res.status == http.StatusOK) != ok {
				t.Errorf("Host %s: %d", host, res.status)
			}
		}
	})
	t.Run("other addresses are refused", func(t *testing.T) {
		// The test cannot own a non-loopback address, so the request is
		// relabelled as coming from one on its way into the handler.
		h, logs := newHandler(t, noKeys)
		ts := &testServer{Server: httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.RemoteAddr = "203.0.113.7:51234"
			h.ServeHTTP(w, r)
		})), logs: logs}
		defer ts.Close()
		res := ts.do(t, request{method: http.MethodPost, path: "/v1/check", key: "anything-0123456789",
			header: map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"},
			body:   strings.NewReader(`{"text":"a"}`)})
		wantError(t, res, http.StatusUnauthorized, "unauthorized",
			"aup runs without API keys; only loopback clients are accepted; set AUP_API_KEYS")
	})
}

func TestRoutingErrors(t *testing.T) {
	ts := startServer(t, nil)
	res := ts.do(t, request{method: http.MethodGet, path: "/v1/nope", key: backendKey.Secret})
	wantError(t, res, http.StatusNotFound, "not_found")

	res = ts.do(t, request{method: http.MethodGet, path: "/v1/check", key: backendKey.Secret})
	wantError(t, res, http.StatusMethodNotAllowed, "method_not_allowed", "GET", "POST")
	if allow := res.header.Get("Allow"); !strings.Contains(allow, "POST") {
		t.Errorf("Allow = %q, want POST in it", allow)
	}

	res = ts.do(t, request{method: http.MethodDelete, path: "/healthz"})
	wantError(t, res, http.StatusMethodNotAllowed, "method_not_allowed", "DELETE")
}

func TestProbes(t *testing.T) {
	ts := startServer(t, func(c *httpapi.Config) {
		c.ReadyTimeout = 50 * time.Millisecond
		c.Ready = map[string]httpapi.Checker{
			"rules": checkerFunc(func(context.Context) error { return nil }),
			"store": checkerFunc(func(context.Context) error { return errors.New("dial tcp 10.1.2.3:6379: connection refused") }),
			"slow": checkerFunc(func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			}),
		}
	})
	res := ts.do(t, request{method: http.MethodGet, path: "/healthz"})
	if res.status != http.StatusOK || strings.TrimSpace(string(res.body)) != `{"status":"ok"}` {
		t.Errorf("healthz = %d %s", res.status, res.body)
	}
	res = ts.do(t, request{method: http.MethodGet, path: "/readyz"})
	eb := wantError(t, res, http.StatusServiceUnavailable, "unavailable", "slow", "store")
	if strings.Contains(eb.Error.Message, "rules") || strings.Contains(eb.Error.Message, "10.1.2.3") {
		t.Errorf("readyz message %q names a passing check or leaks internals", eb.Error.Message)
	}
	ts.Close()
	if !strings.Contains(ts.logs.String(), "10.1.2.3") {
		t.Errorf("the failing check's error is not logged:\n%s", ts.logs.String())
	}

	ok := startServer(t, nil)
	res = ok.do(t, request{method: http.MethodGet, path: "/readyz"})
	if res.status != http.StatusOK || strings.TrimSpace(string(res.body)) != `{"status":"ok"}` {
		t.Errorf("readyz = %d %s", res.status, res.body)
	}
}

func TestRequestID(t *testing.T) {
	var seen atomic.Value
	ts := startServer(t, func(c *httpapi.Config) {
		inner := c.Screener
		c.Screener = screenerFunc(func(ctx context.Context, content moderation.Content) (moderation.Verdict, error) {
			seen.Store(httpapi.RequestID(ctx))
			return inner.Screen(ctx, content)
		})
	})
	tests := []struct {
		name, incoming string
		kept           bool
	}{
		{"sane id is kept", "req-42_abc", true},
		{"64 chars are kept", strings.Repeat("a", 64), true},
		{"65 chars are replaced", strings.Repeat("a", 65), false},
		{"odd characters are replaced", "abc def<script>", false},
		{"none is generated", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.do(t, request{method: http.MethodPost, path: "/v1/check", key: backendKey.Secret,
				header: map[string]string{"X-Request-ID": tc.incoming}, body: strings.NewReader(`{"text":"a"}`)})
			if res.status != http.StatusOK {
				t.Fatalf("status = %d; body %s", res.status, res.body)
			}
			id := res.header.Get("X-Request-ID")
			if tc.kept && id != tc.incoming {
				t.Errorf("X-Request-ID = %q, want %q", id, tc.incoming)
			}
			if !tc.kept && (id == "" || id == tc.incoming || len(id) > 64) {
				t.Errorf("X-Request-ID = %q, want a fresh id", id)
			}
			if got := seen.Load(); got != id {
				t.Errorf("the screener saw request id %q, the response says %q", got, id)
			}
		})
	}
	t.Run("errors carry the id too", func(t *testing.T) {
		res := ts.do(t, request{method: http.MethodGet, path: "/nope", header: map[string]string{"X-Request-ID": "err-1"}})
		if res.header.Get("X-Request-ID") != "err-1" {
			t.Errorf("X-Request-ID = %q on a 404", res.header.Get("X-Request-ID"))
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	ts := startServer(t, nil)
	for _, r := range []request{
		{method: http.MethodPost, path: "/v1/check", key: backendKey.Secret, body: strings.NewReader(`{"text":"a"}`)},
		{method: http.MethodPost, path: "/v1/check", body: strings.NewReader(`{"text":"a"}`)},
		{method: http.MethodGet, path: "/nope"},
		{method: http.MethodGet, path: "/healthz"},
	} {
		res := ts.do(t, r)
		if res.header.Get("X-Content-Type-Options") != "nosniff" || res.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s (%d): headers %v", r.method, r.path, res.status, res.header)
		}
	}
}

func TestAccessLogNeverHasText(t *testing.T) {
	const note = "PRIVATE-NOTE-TEXT-8c2e"
	ts := startServer(t, nil)
	bodies := []struct{ path, body string }{
		{"/v1/check", `{"text":"` + note + `","user_id":"u1"}`},
		{"/v1/check", `{"text":"` + note + ` ` + flaggedWord + `"}`},
		{"/v1/check", `{"text":"` + note + `","extra":1}`},
		{"/v1/check", `{"text":"` + note + `"} trailing`},
		{"/v1/check", `{"text":"` + note + `",}`},
		{"/v1/check/batch", `{"items":[{"text":"` + note + `"},{"text":""}]}`},
		{"/v1/check/batch", `{"items":[{"text":"` + note + `"}]}`},
	}
	for _, b := range bodies {
		ts.post(t, b.path, backendKey.Secret, b.body)
	}
	ts.do(t, request{method: http.MethodGet, path: "/v1/" + note})
	ts.Close()
	logs := ts.logs.String()
	if strings.Contains(logs, note) {
		t.Fatalf("logs contain the note text:\n%s", logs)
	}
	var access []map[string]any
	for _, l := range logLines(t, logs) {
		if l["msg"] == "request" {
			access = append(access, l)
		}
	}
	if len(access) != len(bodies)+1 {
		t.Fatalf("%d access lines, want %d:\n%s", len(access), len(bodies)+1, logs)
	}
	first := access[0]
	for k, want := range map[string]any{"method": "POST", "route": "/v1/check", "status": float64(200), "key": "backend-svc"} {
		if first[k] != want {
			t.Errorf("access line %s = %v, want %v", k, first[k], want)
		}
	}
	for _, k := range []string{"request_id", "latency_ms", "bytes"} {
		if first[k] == nil || first[k] == "" {
			t.Errorf("access line lacks %s: %v", k, first)
		}
	}
}

func TestLogHandlerAddsRequestID(t *testing.T) {
	// The engine logs with the request's context through a logger wrapped
	// by LogHandler, without knowing about request ids.
	engineLogs := &syncBuffer{}
	ts := startServer(t, func(c *httpapi.Config) {
		engineLog := slog.New(httpapi.LogHandler(slog.NewJSONHandler(engineLogs, nil)))
		inner := c.Screener
		c.Screener = screenerFunc(func(ctx context.Context, content moderation.Content) (moderation.Verdict, error) {
			engineLog.InfoContext(ctx, "screened")
			return inner.Screen(ctx, content)
		})
	})
	res := ts.do(t, request{method: http.MethodPost, path: "/v1/check", key: backendKey.Secret,
		header: map[string]string{"X-Request-ID": "engine-1"}, body: strings.NewReader(`{"text":"a"}`)})
	if res.status != http.StatusOK {
		t.Fatalf("status = %d", res.status)
	}
	lines := logLines(t, engineLogs.String())
	if len(lines) != 1 || lines[0]["request_id"] != "engine-1" {
		t.Errorf("engine log lines = %v, want one with request_id engine-1", lines)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*httpapi.Config)
		want string
	}{
		{"no screener", func(c *httpapi.Config) { c.Screener = nil }, "Screener"},
		{"no reloader", func(c *httpapi.Config) { c.Reloader = nil }, "Reloader"},
		{"nil check", func(c *httpapi.Config) { c.Ready = map[string]httpapi.Checker{"store": nil} }, "store"},
		{"negative limit", func(c *httpapi.Config) { c.MaxTextBytes = -1 }, "negative"},
		{"short secret", func(c *httpapi.Config) { c.Keys = []httpapi.Key{{Name: "a", Role: "admin", Secret: "short"}} }, "at least 16"},
		{"duplicate key", func(c *httpapi.Config) { c.Keys = []httpapi.Key{adminKey, adminKey} }, "already used"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := newConfig(t, io.Discard)
			tc.edit(&cfg)
			_, err := httpapi.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
