package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

func TestReportSubmit(t *testing.T) {
	ds := startDesk(t, nil, nil)
	body := reportBody("r1", "note", "n1", "author-1", "harassment")
	res := ds.post(t, "/v1/reports", backendKey.Secret, body)
	var first receiptBody
	wantJSON(t, res, http.StatusAccepted, &first)
	if !strings.HasPrefix(first.ID, "rpt_") || !strings.HasPrefix(first.CaseID, "case_") || first.Status != "received" {
		t.Errorf("receipt = %+v", first)
	}

	t.Run("the same report again", func(t *testing.T) {
		var again receiptBody
		wantJSON(t, ds.post(t, "/v1/reports", backendKey.Secret, body), http.StatusOK, &again)
		if again != first {
			t.Errorf("repeat = %+v, want %+v", again, first)
		}
	})
	t.Run("another reporter joins the case", func(t *testing.T) {
		var other receiptBody
		wantJSON(t, ds.post(t, "/v1/reports", backendKey.Secret, reportBody("r2", "note", "n1", "author-1", "hate")), http.StatusAccepted, &other)
		if other.ID == first.ID || other.CaseID != first.CaseID {
			t.Errorf("second reporter's receipt = %+v, want a new report in case %s", other, first.CaseID)
		}
	})
	t.Run("a user target needs no target_user_id", func(t *testing.T) {
		res := ds.post(t, "/v1/reports", backendKey.Secret, `{"reporter_id":"r1","target_type":"user","target_id":"u-7","category":"spam"}`)
		var rc receiptBody
		wantJSON(t, res, http.StatusAccepted, &rc)
		c := ds.caseView(t, rc.CaseID)
		if c.Target.UserID != "u-7" {
			t.Errorf("target = %+v, want user_id u-7", c.Target)
		}
	})
	t.Run("GET the report", func(t *testing.T) {
		var r reportWire
		wantJSON(t, ds.get(t, "/v1/reports/"+first.ID, backendKey.Secret), http.StatusOK, &r)
		if r.ID != first.ID || r.CaseID != first.CaseID || r.Status != "received" || r.Outcome != "" || r.ReporterID != "r1" ||
			r.Target.Type != "note" || r.Target.ID != "n1" || r.Target.UserID != "author-1" || r.Category != "harassment" {
			t.Errorf("report = %+v", r)
		}
	})
	t.Run("GET an unknown report", func(t *testing.T) {
		wantError(t, ds.get(t, "/v1/reports/rpt_nope", backendKey.Secret), http.StatusNotFound, "not_found", "report rpt_nope not found")
	})
}

func TestReportBadInput(t *testing.T) {
	ds := startDesk(t, nil, func(c *httpapi.Config) { c.MaxTextBytes = 100 })
	const rest = `"target_type":"note","target_id":"n1","target_user_id":"a1","category":"spam"`
	tests := []struct {
		name        string
		body        string
		contentType string
		status      int
		code        string
		msg         []string
	}{
		{"missing reporter_id", `{` + rest + `}`, "", 400, "invalid", []string{"reporter_id is required"}},
		{"blank reporter_id", `{"reporter_id":"  ",` + rest + `}`, "", 400, "invalid", []string{"reporter_id is required"}},
		{"missing target_id", `{"reporter_id":"r1","target_type":"note","category":"spam"}`, "", 400, "invalid", []string{"target_id is required"}},
		{"missing target_user_id", `{"reporter_id":"r1","target_type":"note","target_id":"n1","category":"spam"}`, "", 400, "invalid", []string{"target_user_id is required: the author of the note"}},
		{"missing target_type", `{"reporter_id":"r1","target_id":"n1","target_user_id":"a1","category":"spam"}`, "", 400, "invalid", []string{"target_type must be note, upload or user"}},
		{"bad target_type", `{"reporter_id":"r1","target_type":"comment","target_id":"n1","target_user_id":"a1","category":"spam"}`, "", 400, "invalid", []string{"target_type must be note, upload or user"}},
		{"target_type in capitals", `{"reporter_id":"r1","target_type":"NOTE","target_id":"n1","target_user_id":"a1","category":"spam"}`, "", 400, "invalid", []string{"target_type"}},
		{"missing category", `{"reporter_id":"r1","target_type":"note","target_id":"n1","target_user_id":"a1"}`, "", 400, "invalid", []string{"category must be one of", "harassment"}},
		{"unknown category", `{"reporter_id":"r1","target_type":"note","target_id":"n1","target_user_id":"a1","category":"rude"}`, "", 400, "invalid", []string{"category must be one of", "spam"}},
		{"profanity is not reportable", `{"reporter_id":"r1","target_type":"note","target_id":"n1","target_user_id":"a1","category":"profanity"}`, "", 400, "invalid", []string{"category must be one of"}},
		{"bad contact_email", `{"reporter_id":"r1",` + rest + `,"contact_email":"not-an-address"}`, "", 400, "invalid", []string{"contact_email"}},
		{"contact_email with a display name", `{"reporter_id":"r1",` + rest + `,"contact_email":"Bob <bob@example.org>"}`, "", 400, "invalid", []string{"contact_email"}},
		{"explanation over 4000 characters", `{"reporter_id":"r1",` + rest + `,"explanation":"` + strings.Repeat("é", 4001) + `"}`, "", 400, "invalid", []string{"explanation is 4001 characters; the limit is 4000"}},
		{"reporter_id with a control character", `{"reporter_id":"r\u00071",` + rest + `}`, "", 400, "invalid", []string{"reporter_id", "control"}},
		{"target_user_id too long", `{"reporter_id":"r1","target_type":"note","target_id":"n1","category":"spam","target_user_id":"` + strings.Repeat("u", 257) + `"}`, "", 400, "invalid", []string{"target_user_id is 257 bytes"}},
		{"user target naming another user", `{"reporter_id":"r1","target_type":"user","target_id":"u1","target_user_id":"u2","category":"spam"}`, "", 400, "invalid", []string{"target_user_id must be empty or equal to target_id"}},
		{"unknown field", `{"reporter_id":"r1",` + rest + `,"reason":"x"}`, "", 400, "invalid", []string{`unknown field "reason"`}},
		{"field name in another case", `{"Reporter_ID":"r1",` + rest + `}`, "", 400, "invalid", []string{`unknown field "Reporter_ID"; fields are case-sensitive`}},
		{"duplicate field", `{"reporter_id":"r1","reporter_id":"r2",` + rest + `}`, "", 400, "invalid", []string{`duplicate field "reporter_id"`}},
		{"duplicate field through an escape", `{"reporter_id":"r1","reporter\u005fid":"r2",` + rest + `}`, "", 400, "invalid", []string{`duplicate field "reporter_id"`}},
		{"reporter_id a number", `{"reporter_id":5,` + rest + `}`, "", 400, "invalid", []string{"reporter_id: expected string, got number"}},
		{"target_id an object", `{"reporter_id":"r1","target_type":"note","target_id":{},"category":"spam"}`, "", 400, "invalid", []string{"target_id: expected string, got object"}},
		{"text an array", `{"reporter_id":"r1",` + rest + `,"text":["a"]}`, "", 400, "invalid", []string{"text: expected string, got array"}},
		{"category a bool", `{"reporter_id":"r1","target_type":"note","target_id":"n1","target_user_id":"a1","category":true}`, "", 400, "invalid", []string{"category: expected string, got bool"}},
		{"not an object", `["r1"]`, "", 400, "invalid", []string{"request body must be a JSON object"}},
		{"empty body", ``, "", 400, "invalid", []string{"request body is empty"}},
		{"invalid JSON", `{"reporter_id":"r1",}`, "", 400, "invalid", []string{"invalid JSON at offset"}},
		{"trailing data", `{"reporter_id":"r1",` + rest + `}{}`, "", 400, "invalid", []string{"after the JSON object"}},
		{"invalid UTF-8", "{\"reporter_id\":\"r1\"," + rest + ",\"text\":\"caf\xe9\"}", "", 400, "invalid", []string{"not valid UTF-8"}},
		{"text over the limit", `{"reporter_id":"r1",` + rest + `,"text":"` + strings.Repeat("a", 101) + `"}`, "", 413, "too_large", []string{"text is 101 bytes; the limit is 100"}},
		{"body over the limit", `{"reporter_id":"r1",` + rest + `,"explanation":"` + strings.Repeat("a", 80000) + `"}`, "", 413, "too_large", []string{"the limit for this endpoint"}},
		{"text/plain", `{"reporter_id":"r1",` + rest + `}`, "text/plain", 415, "unsupported_media_type", []string{"application/json"}},
		{"no content type", `{"reporter_id":"r1",` + rest + `}`, "-", 415, "unsupported_media_type", []string{"application/json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ds.do(t, request{method: http.MethodPost, path: "/v1/reports", key: backendKey.Secret,
				contentType: tc.contentType, body: strings.NewReader(tc.body)})
			eb := wantError(t, res, tc.status, tc.code, tc.msg...)
			if strings.Contains(eb.Error.Message, "profanity") {
				t.Errorf("message %q offers profanity, which cannot be reported", eb.Error.Message)
			}
		})
	}

	accepted := []struct{ name, body string }{
		{"explanation at the limit", `{"reporter_id":"r1",` + rest + `,"explanation":"` + strings.Repeat("é", 4000) + `"}`},
		{"text at the limit", `{"reporter_id":"r2",` + rest + `,"text":"` + strings.Repeat("a", 100) + `"}`},
		{"plain contact_email", `{"reporter_id":"r3",` + rest + `,"contact_email":"bob@example.org"}`},
		{"user target naming itself", `{"reporter_id":"r5","target_type":"user","target_id":"u1","target_user_id":"u1","category":"spam"}`},
		{"null optional fields", `{"reporter_id":"r4",` + rest + `,"text":null,"explanation":null,"contact_email":null}`},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			wantJSON(t, ds.post(t, "/v1/reports", backendKey.Secret, tc.body), http.StatusAccepted, &receiptBody{})
		})
	}
}

func TestReportRateLimit(t *testing.T) {
	ds := startDesk(t, func(c *review.Config) { c.ReportLimit = 2 }, nil)
	for _, target := range []string{"n1", "n2"} {
		wantJSON(t, ds.post(t, "/v1/reports", backendKey.Secret, reportBody("r1", "note", target, "a1", "spam")), http.StatusAccepted, &receiptBody{})
	}
	res := ds.post(t, "/v1/reports", backendKey.Secret, reportBody("r1", "note", "n3", "a1", "spam"))
	wantError(t, res, http.StatusTooManyRequests, "rate_limited", "reporter r1 has filed 2 reports")
	secs, err := strconv.Atoi(res.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 3600 {
		t.Errorf("Retry-After = %q, want 1 to 3600 seconds", res.header.Get("Retry-After"))
	}
	// A report already on file is returned, not counted; other reporters
	// have their own limit.
	wantJSON(t, ds.post(t, "/v1/reports", backendKey.Secret, reportBody("r1", "note", "n1", "a1", "spam")), http.StatusOK, &receiptBody{})
	wantJSON(t, ds.post(t, "/v1/reports", backendKey.Secret, reportBody("r2", "note", "n3", "a1", "spam")), http.StatusAccepted, &receiptBody{})
	// Only a rate-limited answer carries Retry-After.
	if h := ds.post(t, "/v1/reports", backendKey.Secret, reportBody("r2", "note", "n4", "a1", "spam")).header.Get("Retry-After"); h != "" {
		t.Errorf("Retry-After %q on an accepted report", h)
	}
}

func TestReviewRoles(t *testing.T) {
	ds := startDesk(t, nil, nil)
	report := reportBody("r1", "note", "n1", "a1", "spam")
	tests := []struct {
		name         string
		method, path string
		key          string
		body         string
		status       int
	}{
		{"moderator files a report", "POST", "/v1/reports", aliceKey.Secret, report, 403},
		{"moderator reads a report", "GET", "/v1/reports/rpt_x", aliceKey.Secret, "", 403},
		{"moderator files an appeal", "POST", "/v1/appeals", aliceKey.Secret, `{}`, 403},
		{"backend lists review items", "GET", "/v1/review/items", backendKey.Secret, "", 403},
		{"backend reads a case", "GET", "/v1/review/items/case_x", backendKey.Secret, "", 403},
		{"backend claims", "POST", "/v1/review/claim", backendKey.Secret, "", 403},
		{"backend decides", "POST", "/v1/review/items/case_x/decision", backendKey.Secret, `{}`, 403},
		{"backend decides in bulk", "POST", "/v1/review/decisions", backendKey.Secret, `{}`, 403},
		{"backend suspends", "POST", "/v1/users/u1/suspensions", backendKey.Secret, `{}`, 403},
		{"backend lifts", "DELETE", "/v1/users/u1/suspensions/current", backendKey.Secret, "", 403},
		{"backend reads the audit log", "GET", "/v1/audit", backendKey.Secret, "", 403},
		{"moderator reads the audit log", "GET", "/v1/audit", aliceKey.Secret, "", 403},
		{"admin reads the audit log", "GET", "/v1/audit", adminKey.Secret, "", 200},
		{"admin lists review items", "GET", "/v1/review/items", adminKey.Secret, "", 200},
		{"admin files a report", "POST", "/v1/reports", adminKey.Secret, report, 202},
		{"backend reads a user's status", "GET", "/v1/users/u1/status", backendKey.Secret, "", 200},
		{"moderator reads a user's status", "GET", "/v1/users/u1/status", aliceKey.Secret, "", 200},
		{"no key", "GET", "/v1/review/items", "", "", 401},
		{"wrong key", "GET", "/v1/review/items", "not-a-key-0123456789", "", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ds.call(t, tc.method, tc.path, tc.key, tc.body, nil)
			switch tc.status {
			case 401:
				wantError(t, res, 401, "unauthorized")
			case 403:
				wantError(t, res, 403, "forbidden", "may not call "+tc.method)
			default:
				if res.status != tc.status {
					t.Errorf("status = %d, want %d; body %s", res.status, tc.status, res.body)
				}
			}
		})
	}
}

func TestReviewNotMountedWithoutDesk(t *testing.T) {
	ts := startServer(t, nil)
	res := ts.do(t, request{method: http.MethodGet, path: "/v1/review/items", key: moderatorKey.Secret})
	wantError(t, res, http.StatusNotFound, "not_found", "no such endpoint")
	// Nor does a check report a user's standing or open cases.
	res = ts.post(t, "/v1/check", backendKey.Secret, `{"text":"fine","user_id":"u1","content_id":"n1"}`)
	var v map[string]any
	wantJSON(t, res, http.StatusOK, &v)
	if _, ok := v["user"]; ok {
		t.Errorf("check without a desk reports the user: %s", res.body)
	}
}

func TestListCases(t *testing.T) {
	ds := startDesk(t, nil, nil)
	ids := map[string]string{}
	for _, r := range []struct{ target, category string }{
		{"n-urgent", "child_safety"}, {"n-high", "harassment"}, {"n-normal", "sexual"},
		{"n-low1", "spam"}, {"n-low2", "spam"}, {"n-low3", "spam"},
	} {
		ids[r.target] = ds.report(t, "r1", r.target, "author-1", r.category).CaseID
	}

	t.Run("everything open, most urgent first", func(t *testing.T) {
		page := ds.list(t, "")
		if got := lanes(page.Items); !slices.Equal(got, []string{"urgent", "high", "normal", "low", "low", "low"}) {
			t.Errorf("lanes = %v", got)
		}
		if page.NextOffset != nil {
			t.Errorf("next_offset = %d on the only page", *page.NextOffset)
		}
		if page.Items[0].ID != ids["n-urgent"] || page.Items[0].Status != "open" || page.Items[0].Kind != "report" {
			t.Errorf("first item = %+v", page.Items[0])
		}
	})
	t.Run("one lane", func(t *testing.T) {
		page := ds.list(t, "lane=low")
		if got := lanes(page.Items); !slices.Equal(got, []string{"low", "low", "low"}) {
			t.Errorf("lanes = %v", got)
		}
	})
	t.Run("paging", func(t *testing.T) {
		var seen []string
		first := ds.list(t, "lane=low&limit=2")
		if len(first.Items) != 2 || first.NextOffset == nil || *first.NextOffset != 2 {
			t.Fatalf("first page: %d items, next_offset %v", len(first.Items), first.NextOffset)
		}
		second := ds.list(t, "lane=low&limit=2&offset=2")
		if len(second.Items) != 1 || second.NextOffset != nil {
			t.Fatalf("second page: %d items, next_offset %v", len(second.Items), second.NextOffset)
		}
		for _, c := range append(first.Items, second.Items...) {
			seen = append(seen, c.ID)
		}
		slices.Sort(seen)
		want := []string{ids["n-low1"], ids["n-low2"], ids["n-low3"]}
		slices.Sort(want)
		if !slices.Equal(seen, want) {
			t.Errorf("pages hold %v, want %v", seen, want)
		}
	})
	t.Run("kind", func(t *testing.T) {
		if n := len(ds.list(t, "kind=report").Items); n != 6 {
			t.Errorf("%d report cases, want 6", n)
		}
		res := ds.get(t, "/v1/review/items?kind=screening", aliceKey.Secret)
		if res.status != http.StatusOK || !strings.Contains(string(res.body), `"items":[]`) {
			t.Errorf("no screening cases: status %d, body %s; want items []", res.status, res.body)
		}
	})
	t.Run("status", func(t *testing.T) {
		ds.claim(t, aliceKey, ids["n-high"])
		claimed := ds.list(t, "status=claimed")
		if len(claimed.Items) != 1 || claimed.Items[0].ID != ids["n-high"] || claimed.Items[0].Lease == nil || claimed.Items[0].Lease.Moderator != "alice" {
			t.Errorf("claimed = %+v", claimed.Items)
		}
		if n := len(ds.list(t, "").Items); n != 5 {
			t.Errorf("%d open cases after a claim, want 5", n)
		}
		if n := len(ds.list(t, "status=closed").Items); n != 0 {
			t.Errorf("%d closed cases, want 0", n)
		}
	})

	bad := []struct{ name, query, msg string }{
		{"bad lane", "lane=asap", "lane must be urgent, high, normal or low"},
		{"bad status", "status=pending", "status must be open, claimed or closed"},
		{"bad kind", "kind=complaint", "kind must be screening, report, suspension or appeal"},
		{"limit 0", "limit=0", "limit must be a whole number from 1 to 100"},
		{"limit over the maximum", "limit=101", "limit must be a whole number from 1 to 100"},
		{"limit not a number", "limit=ten", "limit must be a whole number"},
		{"negative offset", "offset=-1", "offset must be a whole number"},
		{"unknown parameter", "lanes=low", `unknown query parameter "lanes"`},
		{"parameter in capitals", "Lane=low", `unknown query parameter "Lane"`},
		{"parameter twice", "lane=low&lane=urgent", `query parameter "lane" is given 2 times`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ds.get(t, "/v1/review/items?"+tc.query, aliceKey.Secret), http.StatusBadRequest, "invalid", tc.msg)
		})
	}
}

func TestGetCase(t *testing.T) {
	ds := startDesk(t, nil, nil)
	wantError(t, ds.get(t, "/v1/review/items/case_nope", aliceKey.Secret), http.StatusNotFound, "not_found", "case case_nope not found")

	// An earlier removal gives the author a strike and r1 an upheld report.
	earlier := ds.report(t, "r1", "n-old", "author-1", "harassment")
	ds.claim(t, aliceKey, earlier.CaseID)
	removed := ds.decide(t, aliceKey, earlier.CaseID, `{"action":"remove","categories":["harassment"],"reason":"insults"}`)

	first := ds.report(t, "r1", "n-new", "author-1", "harassment")
	ds.report(t, "r2", "n-new", "author-1", "hate")
	v := ds.caseView(t, first.CaseID)
	if v.ID != first.CaseID || v.Kind != "report" || v.Status != "open" || v.Lane != "high" {
		t.Errorf("case = %+v", v.caseWire)
	}
	if !slices.Equal(v.Categories, []string{"harassment", "hate"}) || v.ReportCount != 2 {
		t.Errorf("categories %v, %d reports", v.Categories, v.ReportCount)
	}
	if !strings.Contains(v.Text, private) {
		t.Errorf("case text %q, want the reported text", v.Text)
	}
	if len(v.Reports) != 2 {
		t.Fatalf("%d reports in the view, want 2", len(v.Reports))
	}
	r1 := v.Reports[0]
	if r1.ID != first.ID || r1.Reporter.ID != "r1" || r1.Reporter.Reports != 2 || r1.Reporter.Upheld != 1 || r1.Reporter.Weight != 1 || r1.Reporter.Flagged {
		t.Errorf("reports[0] = %+v", r1)
	}
	if r2 := v.Reports[1]; r2.Reporter.ID != "r2" || r2.Reporter.Reports != 1 || r2.Category != "hate" {
		t.Errorf("reports[1] = %+v", r2)
	}
	if v.User == nil || v.User.UserID != "author-1" || len(v.User.Strikes) != 1 || !slices.Equal(v.User.Decisions, []string{removed.Decision.ID}) {
		t.Errorf("user = %+v, want one strike and decision %s", v.User, removed.Decision.ID)
	}
}

func TestClaim(t *testing.T) {
	ds := startDesk(t, nil, nil)
	res := ds.call(t, "POST", "/v1/review/claim", aliceKey.Secret, "", nil)
	if res.status != http.StatusNoContent || len(res.body) != 0 {
		t.Fatalf("empty queue: status %d, body %q; want 204 and no body", res.status, res.body)
	}
	high := ds.report(t, "r1", "n-high", "author-1", "harassment").CaseID
	low := ds.report(t, "r1", "n-low", "author-2", "spam").CaseID

	var got caseWire
	wantJSON(t, ds.post(t, "/v1/review/claim", aliceKey.Secret, `{"lanes":["low"]}`), http.StatusOK, &got)
	if got.ID != low || got.Status != "claimed" || got.Lease == nil || got.Lease.Moderator != "alice" || !got.Lease.Until.Equal(deskEpoch.Add(review.DefaultLease)) {
		t.Errorf("alice claimed %+v, want %s leased to her", got, low)
	}
	wantJSON(t, ds.call(t, "POST", "/v1/review/claim", bobKey.Secret, "", nil), http.StatusOK, &got)
	if got.ID != high || got.Lease.Moderator != "bob" {
		t.Errorf("bob claimed %+v, want %s", got, high)
	}
	for _, body := range []string{`{"lanes":["urgent"]}`, `{}`, `{"lanes":[]}`, `null`} {
		if res := ds.post(t, "/v1/review/claim", aliceKey.Secret, body); res.status != http.StatusNoContent {
			t.Errorf("claim %s with nothing left: status %d, want 204; body %s", body, res.status, res.body)
		}
	}

	bad := []struct{ name, body, msg string }{
		{"bad lane", `{"lanes":["urgent","soon"]}`, "lanes[1] must be urgent, high, normal or low"},
		{"lanes not an array", `{"lanes":"low"}`, "lanes: expected array, got string"},
		{"lane not a string", `{"lanes":[1]}`, "lanes: each item must be a string, got number"},
		{"unknown field", `{"lane":["low"]}`, `unknown field "lane"`},
		{"not an object", `["low"]`, "request body must be a JSON object"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ds.post(t, "/v1/review/claim", aliceKey.Secret, tc.body), http.StatusBadRequest, "invalid", tc.msg)
		})
	}

	t.Run("empty chunked body", func(t *testing.T) {
		// Go's client sends an empty body with a length, so write the request by hand.
		conn, err := net.Dial("tcp", ds.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v1/review/claim HTTP/1.1\r\nHost: aup\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n", aliceKey.Secret)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Errorf("status = %d, want 204", res.StatusCode)
		}
	})
	t.Run("a body that is not JSON", func(t *testing.T) {
		res := ds.do(t, request{method: http.MethodPost, path: "/v1/review/claim", key: aliceKey.Secret, contentType: "text/plain", body: strings.NewReader(`{}`)})
		wantError(t, res, http.StatusUnsupportedMediaType, "unsupported_media_type")
	})
	t.Run("by id", func(t *testing.T) {
		wantError(t, ds.post(t, "/v1/review/items/"+high+"/claim", aliceKey.Secret, ""), http.StatusConflict, "conflict", "claimed by bob")
		wantError(t, ds.post(t, "/v1/review/items/case_nope/claim", aliceKey.Secret, ""), http.StatusNotFound, "not_found")
		// Claiming a case one holds renews the lease.
		ds.clock.Advance(5 * time.Minute)
		renewed := ds.claim(t, bobKey, high)
		if !renewed.Lease.Until.Equal(ds.clock.Now().Add(review.DefaultLease)) {
			t.Errorf("renewed lease until %v, want %v", renewed.Lease.Until, ds.clock.Now().Add(review.DefaultLease))
		}
		// Once bob's lease runs out, alice may take the case.
		ds.clock.Advance(review.DefaultLease + time.Second)
		if c := ds.claim(t, aliceKey, high); c.Lease.Moderator != "alice" {
			t.Errorf("after the lease ran out the case is held by %s", c.Lease.Moderator)
		}
		ds.decide(t, aliceKey, high, `{"action":"keep","reason":"banter"}`)
		wantError(t, ds.post(t, "/v1/review/items/"+high+"/claim", bobKey.Secret, ""), http.StatusConflict, "conflict", "already decided")
	})
	t.Run("an expired lease returns the case to the queue", func(t *testing.T) {
		ds.clock.Advance(review.DefaultLease + time.Second) // alice's lease on low
		wantJSON(t, ds.call(t, "POST", "/v1/review/claim", bobKey.Secret, "", nil), http.StatusOK, &got)
		if got.ID != low || got.Lease.Moderator != "bob" {
			t.Errorf("bob claimed %+v, want %s", got, low)
		}
	})
}

func TestDecide(t *testing.T) {
	ds := startDesk(t, nil, nil)
	rc := ds.report(t, "r1", "n1", "author-1", "harassment")
	id := rc.CaseID
	path := "/v1/review/items/" + id + "/decision"
	remove := `{"action":"remove","categories":["harassment"],"reason":"targeted insults"}`

	wantError(t, ds.post(t, path, aliceKey.Secret, remove), http.StatusConflict, "conflict", "not claimed by you")
	ds.claim(t, aliceKey, id)
	wantError(t, ds.post(t, path, bobKey.Secret, remove), http.StatusConflict, "conflict", "claimed by alice")

	bad := []struct {
		name   string
		body   string
		header map[string]string
		msg    string
	}{
		{"missing reason", `{"action":"keep"}`, nil, "reason is required"},
		{"blank reason", `{"action":"keep","reason":"  "}`, nil, "reason is required"},
		{"reason over the limit", `{"action":"keep","reason":"` + strings.Repeat("x", 2001) + `"}`, nil, "reason is 2001 characters; the limit is 2000"},
		{"unknown action", `{"action":"ban","reason":"x"}`, nil, "action must be keep, remove, suspend, dismiss, escalate"},
		{"missing action", `{"reason":"x"}`, nil, "action must be"},
		{"action not allowed for the case", `{"action":"reverse","reason":"x"}`, nil, "action must be one of keep, remove, suspend, dismiss, escalate for report cases"},
		{"suspend without suspend_days", `{"action":"suspend","categories":["harassment"],"reason":"x"}`, nil, "suspend_days is required"},
		{"suspend_days with keep", `{"action":"keep","reason":"x","suspend_days":3}`, nil, "suspend_days only goes with action suspend"},
		{"suspend_days negative", `{"action":"suspend","categories":["harassment"],"reason":"x","suspend_days":-1}`, nil, "suspend_days must be 1 to 3650"},
		{"suspend_days not whole", `{"action":"suspend","categories":["harassment"],"reason":"x","suspend_days":1.5}`, nil, "suspend_days: expected integer, got number 1.5"},
		{"suspend_days a string", `{"action":"suspend","categories":["harassment"],"reason":"x","suspend_days":"3"}`, nil, "suspend_days: expected integer, got string"},
		{"remove without categories", `{"action":"remove","reason":"x"}`, nil, "categories is required for remove"},
		{"unknown category", `{"action":"remove","categories":["harassment","rude"],"reason":"x"}`, nil, `categories[1]: "rude" is not a policy category`},
		{"unknown field", `{"action":"keep","reason":"x","note":"y"}`, nil, `unknown field "note"`},
		{"Idempotency-Key too long", remove, map[string]string{"Idempotency-Key": strings.Repeat("k", 129)}, "Idempotency-Key is 129 bytes"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ds.call(t, "POST", path, aliceKey.Secret, tc.body, tc.header), http.StatusBadRequest, "invalid", tc.msg)
		})
	}

	key := map[string]string{"Idempotency-Key": "k-1"}
	var out outcomeWire
	wantJSON(t, ds.call(t, "POST", path, aliceKey.Secret, remove, key), http.StatusOK, &out)
	dec := out.Decision
	if out.Replayed || dec == nil || dec.Action != "remove" || !dec.ContentRemoved || dec.Moderator != "alice" || dec.CaseID != id || dec.Reason != "targeted insults" {
		t.Fatalf("outcome = %+v, decision %+v", out, dec)
	}
	if out.Case.Status != "closed" || out.Case.DecisionID != dec.ID || out.Case.Lease != nil {
		t.Errorf("case after the decision = %+v", out.Case)
	}

	replays := []struct {
		name   string
		body   string
		header map[string]string
	}{
		{"same Idempotency-Key", remove, key},
		{"same Idempotency-Key, another body", `{"action":"keep","reason":"retry"}`, key},
		{"same action, no key", remove, nil},
	}
	for _, tc := range replays {
		t.Run("replay: "+tc.name, func(t *testing.T) {
			var again outcomeWire
			wantJSON(t, ds.call(t, "POST", path, aliceKey.Secret, tc.body, tc.header), http.StatusOK, &again)
			if !again.Replayed || again.Decision == nil || again.Decision.ID != dec.ID {
				t.Errorf("replay = %+v, want decision %s replayed", again, dec.ID)
			}
		})
	}
	wantError(t, ds.post(t, path, aliceKey.Secret, `{"action":"keep","reason":"changed my mind"}`), http.StatusConflict, "conflict", "already decided (remove by alice)")
	wantError(t, ds.post(t, path, bobKey.Secret, remove), http.StatusConflict, "conflict", "already decided")
	wantError(t, ds.post(t, "/v1/review/items/case_nope/decision", aliceKey.Secret, remove), http.StatusNotFound, "not_found")

	t.Run("the reporter sees the outcome", func(t *testing.T) {
		var r reportWire
		wantJSON(t, ds.get(t, "/v1/reports/"+rc.ID, backendKey.Secret), http.StatusOK, &r)
		if r.Status != "resolved" || r.Outcome != "upheld" || r.Reason != "targeted insults" || r.DecisionID != dec.ID || r.ResolvedAt == nil {
			t.Errorf("report = %+v", r)
		}
		kept := ds.report(t, "r2", "n2", "author-2", "spam")
		ds.claim(t, bobKey, kept.CaseID)
		ds.decide(t, bobKey, kept.CaseID, `{"action":"keep","reason":"not spam"}`)
		wantJSON(t, ds.get(t, "/v1/reports/"+kept.ID, backendKey.Secret), http.StatusOK, &r)
		if r.Status != "resolved" || r.Outcome != "rejected" || r.Reason != "not spam" {
			t.Errorf("report = %+v", r)
		}
	})
	t.Run("a user target", func(t *testing.T) {
		acct := ds.post(t, "/v1/reports", backendKey.Secret, `{"reporter_id":"r1","target_type":"user","target_id":"u-9","category":"harassment"}`)
		var rcpt receiptBody
		wantJSON(t, acct, http.StatusAccepted, &rcpt)
		ds.claim(t, aliceKey, rcpt.CaseID)
		wantError(t, ds.post(t, "/v1/review/items/"+rcpt.CaseID+"/decision", aliceKey.Secret, remove), http.StatusBadRequest, "invalid",
			"action must be one of suspend, dismiss, keep, escalate")
		var o outcomeWire
		wantJSON(t, ds.post(t, "/v1/review/items/"+rcpt.CaseID+"/decision", aliceKey.Secret,
			`{"action":"suspend","categories":["harassment"],"reason":"campaign","suspend_days":0}`), http.StatusOK, &o)
		if o.Decision.SuspensionID == "" || o.Decision.SuspendedUntil != nil || o.Decision.ContentRemoved {
			t.Errorf("indefinite suspension decision = %+v", o.Decision)
		}
	})
}

func TestEscalate(t *testing.T) {
	ds := startDesk(t, nil, nil)
	id := ds.report(t, "r1", "n1", "author-1", "sexual").CaseID
	if c := ds.caseView(t, id); c.Lane != "normal" {
		t.Fatalf("lane = %s, want normal", c.Lane)
	}
	ds.claim(t, aliceKey, id)
	path := "/v1/review/items/" + id + "/decision"
	wantError(t, ds.post(t, path, aliceKey.Secret, `{"action":"escalate"}`), http.StatusBadRequest, "invalid", "reason is required")
	var out outcomeWire
	wantJSON(t, ds.post(t, path, aliceKey.Secret, `{"action":"escalate","reason":"may involve a minor"}`), http.StatusOK, &out)
	if out.Decision != nil || out.Case.Lane != "high" || out.Case.EscalatedTo != "high" || out.Case.Status != "open" || out.Case.Lease != nil {
		t.Errorf("escalated: case %+v, decision %+v", out.Case, out.Decision)
	}
	if page := ds.list(t, "lane=high"); len(page.Items) != 1 || page.Items[0].ID != id {
		t.Errorf("high lane = %+v, want the escalated case", page.Items)
	}
	if page := ds.list(t, "lane=normal"); len(page.Items) != 0 {
		t.Errorf("normal lane still holds %d cases", len(page.Items))
	}
	// Escalating gave up the lease; from urgent there is nowhere to go.
	wantError(t, ds.post(t, path, aliceKey.Secret, `{"action":"escalate","reason":"again"}`), http.StatusConflict, "conflict", "not claimed by you")
	ds.claim(t, bobKey, id)
	wantJSON(t, ds.post(t, path, bobKey.Secret, `{"action":"escalate","reason":"child safety"}`), http.StatusOK, &out)
	ds.claim(t, bobKey, id)
	wantError(t, ds.post(t, path, bobKey.Secret, `{"action":"escalate","reason":"more"}`), http.StatusBadRequest, "invalid", "already in the most urgent lane")
}

func TestDecideBulk(t *testing.T) {
	ds := startDesk(t, nil, nil)
	open := ds.report(t, "r1", "n1", "author-1", "spam").CaseID
	bobs := ds.report(t, "r1", "n2", "author-1", "spam").CaseID
	mine := ds.report(t, "r1", "n3", "author-1", "spam").CaseID
	ds.claim(t, bobKey, bobs)
	ds.claim(t, aliceKey, mine)

	body := fmt.Sprintf(`{"ids":[%q,%q,"case_nope",%q],"action":"dismiss","reason":"flood of false reports"}`, open, bobs, mine)
	key := map[string]string{"Idempotency-Key": "bulk-1"}
	res := ds.call(t, "POST", "/v1/review/decisions", aliceKey.Secret, body, key)
	var got bulkWire
	wantJSON(t, res, http.StatusOK, &got)
	decodeStrict(t, res.body, &struct {
		Results []struct {
			CaseID  string          `json:"case_id"`
			Outcome json.RawMessage `json:"outcome"`
			Error   *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		} `json:"results"`
	}{})
	if len(got.Results) != 4 {
		t.Fatalf("%d results, want 4: %s", len(got.Results), res.body)
	}
	want := []struct {
		id, code, msg string
	}{{open, "", ""}, {bobs, "conflict", "claimed by bob"}, {"case_nope", "not_found", "case case_nope not found"}, {mine, "", ""}}
	for i, w := range want {
		r := got.Results[i]
		if r.CaseID != w.id {
			t.Errorf("results[%d].case_id = %s, want %s", i, r.CaseID, w.id)
		}
		if w.code == "" {
			if r.Error != nil || r.Outcome == nil || r.Outcome.Decision == nil || r.Outcome.Decision.Action != "dismiss" || r.Outcome.Case.Status != "closed" {
				t.Errorf("results[%d] = %+v, want a dismissal", i, r)
			}
			continue
		}
		if r.Outcome != nil || r.Error == nil || r.Error.Code != w.code || !strings.Contains(r.Error.Message, w.msg) {
			t.Errorf("results[%d] = outcome %+v, error %+v; want %s %q", i, r.Outcome, r.Error, w.code, w.msg)
		}
	}

	t.Run("replay with the Idempotency-Key", func(t *testing.T) {
		var again bulkWire
		wantJSON(t, ds.call(t, "POST", "/v1/review/decisions", aliceKey.Secret, body, key), http.StatusOK, &again)
		for _, i := range []int{0, 3} {
			if o := again.Results[i].Outcome; o == nil || !o.Replayed || o.Decision.ID != got.Results[i].Outcome.Decision.ID {
				t.Errorf("results[%d] = %+v, want the first decision replayed", i, again.Results[i])
			}
		}
	})

	many := make([]string, review.MaxBulk+1)
	for i := range many {
		many[i] = fmt.Sprintf("%q", open)
	}
	bad := []struct{ name, body, msg string }{
		{"no ids", `{"ids":[],"action":"dismiss","reason":"x"}`, "ids must list 1 to 100 case ids"},
		{"missing ids", `{"action":"dismiss","reason":"x"}`, "ids must list 1 to 100 case ids"},
		{"too many ids", `{"ids":[` + strings.Join(many, ",") + `],"action":"dismiss","reason":"x"}`, "ids must list 1 to 100 case ids"},
		{"empty id", `{"ids":["` + open + `",""],"action":"dismiss","reason":"x"}`, "ids[1] is required"},
		{"missing reason", `{"ids":["` + open + `"],"action":"dismiss"}`, "reason is required"},
		{"bad action", `{"ids":["` + open + `"],"action":"nuke","reason":"x"}`, "action must be"},
		{"ids not strings", `{"ids":[1],"action":"dismiss","reason":"x"}`, "ids: each item must be a string, got number"},
		{"unknown field", `{"id":["` + open + `"],"action":"dismiss","reason":"x"}`, `unknown field "id"`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ds.post(t, "/v1/review/decisions", aliceKey.Secret, tc.body), http.StatusBadRequest, "invalid", tc.msg)
		})
	}
}

func TestSuspensions(t *testing.T) {
	ds := startDesk(t, nil, nil)
	bad := []struct{ name, body, msg string }{
		{"days missing", `{"reason":"spam wave"}`, "days is required"},
		{"reason missing", `{"days":7}`, "reason is required"},
		{"days negative", `{"reason":"x","days":-3}`, "days must be 1 to 3650, or 0 to suspend indefinitely"},
		{"days too many", `{"reason":"x","days":3651}`, "days must be 1 to 3650"},
		{"days not whole", `{"reason":"x","days":0.5}`, "days: expected integer, got number 0.5"},
		{"days a huge number", `{"reason":"x","days":1` + strings.Repeat("0", 200) + `}`, "days: expected integer, got number 1000"},
		{"suspend_days is the decision's field", `{"reason":"x","suspend_days":7}`, `unknown field "suspend_days"`},
		{"bad category", `{"reason":"x","days":7,"categories":["rude"]}`, `categories[0]: "rude" is not a policy category`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			eb := wantError(t, ds.post(t, "/v1/users/u9/suspensions", aliceKey.Secret, tc.body), http.StatusBadRequest, "invalid", tc.msg)
			if len(eb.Error.Message) > 200 {
				t.Errorf("message of %d bytes echoes the input", len(eb.Error.Message))
			}
		})
	}

	var dec decisionWire
	wantJSON(t, ds.post(t, "/v1/users/u9/suspensions", aliceKey.Secret, `{"reason":"spam wave","days":7,"categories":["spam"]}`), http.StatusCreated, &dec)
	until := deskEpoch.Add(7 * 24 * time.Hour)
	if dec.Action != "suspend" || dec.Moderator != "alice" || dec.SuspensionID == "" || dec.SuspendedUntil == nil || !dec.SuspendedUntil.Equal(until) ||
		dec.Target.Type != "user" || dec.Target.ID != "u9" {
		t.Errorf("decision = %+v", dec)
	}

	st := ds.userStatus(t, "u9")
	if st.UserID != "u9" || !st.Suspended || st.Until == nil || !st.Until.Equal(until) || st.Reason != "spam wave" ||
		st.SuspensionID != dec.SuspensionID || st.Strikes != 0 || !slices.Equal(st.Decisions, []string{dec.ID}) {
		t.Errorf("status = %+v", st)
	}
	if cv := ds.check(t, `{"text":"hi","user_id":"u9"}`); cv.User == nil || !cv.User.Suspended || cv.User.Until == nil || !cv.User.Until.Equal(until) {
		t.Errorf("check of a suspended user: user = %+v", cv.User)
	}

	t.Run("a user never suspended", func(t *testing.T) {
		st := ds.userStatus(t, "u-clean")
		if st.Suspended || st.Until != nil || st.Strikes != 0 || st.Decisions == nil || len(st.Decisions) != 0 {
			t.Errorf("status = %+v", st)
		}
		res := ds.get(t, "/v1/users/u-clean/status", backendKey.Secret)
		if !strings.Contains(string(res.body), `"until":null`) || !strings.Contains(string(res.body), `"decisions":[]`) {
			t.Errorf("status body %s, want until null and decisions []", res.body)
		}
		cv := ds.check(t, `{"text":"hi","user_id":"u-clean"}`)
		if cv.User == nil || cv.User.Suspended || cv.User.Until != nil {
			t.Errorf("check of a user in good standing: user = %+v", cv.User)
		}
		if cv := ds.check(t, `{"text":"hi"}`); cv.User != nil {
			t.Errorf("check without user_id: user = %+v", cv.User)
		}
		wantError(t, ds.call(t, "DELETE", "/v1/users/u-clean/suspensions/current", aliceKey.Secret, "", nil), http.StatusNotFound, "not_found", "user u-clean is not suspended")
	})
	t.Run("the suspension runs out", func(t *testing.T) {
		ds.clock.Advance(7*24*time.Hour + time.Second)
		if st := ds.userStatus(t, "u9"); st.Suspended || st.Until != nil {
			t.Errorf("status after the end = %+v", st)
		}
		if cv := ds.check(t, `{"text":"hi","user_id":"u9"}`); cv.User == nil || cv.User.Suspended {
			t.Errorf("check after the end: user = %+v", cv.User)
		}
	})
	t.Run("indefinite, then lifted", func(t *testing.T) {
		var dec decisionWire
		wantJSON(t, ds.post(t, "/v1/users/u10/suspensions", bobKey.Secret, `{"reason":"ban evasion","days":0}`), http.StatusCreated, &dec)
		if dec.SuspendedUntil != nil {
			t.Errorf("indefinite suspension until %v", dec.SuspendedUntil)
		}
		if st := ds.userStatus(t, "u10"); !st.Suspended || st.Until != nil {
			t.Errorf("status = %+v", st)
		}
		if cv := ds.check(t, `{"text":"hi","user_id":"u10"}`); cv.User == nil || !cv.User.Suspended || cv.User.Until != nil {
			t.Errorf("check: user = %+v", cv.User)
		}
		wantError(t, ds.call(t, "DELETE", "/v1/users/u10/suspensions/current?why=x", aliceKey.Secret, "", nil), http.StatusBadRequest, "invalid", `unknown query parameter "why"`)
		var lifted struct {
			Lifted struct {
				ID     string `json:"id"`
				UserID string `json:"user_id"`
				By     string `json:"by"`
			} `json:"lifted"`
		}
		wantJSON(t, ds.call(t, "DELETE", "/v1/users/u10/suspensions/current?reason="+url.QueryEscape("appeal by e-mail"), aliceKey.Secret, "", nil), http.StatusOK, &lifted)
		if lifted.Lifted.ID != dec.SuspensionID || lifted.Lifted.UserID != "u10" || lifted.Lifted.By != "bob" {
			t.Errorf("lifted = %+v", lifted)
		}
		if st := ds.userStatus(t, "u10"); st.Suspended {
			t.Errorf("status after lifting = %+v", st)
		}
		wantError(t, ds.call(t, "DELETE", "/v1/users/u10/suspensions/current", aliceKey.Secret, "", nil), http.StatusNotFound, "not_found", "not suspended")
	})
	t.Run("a user id that needs escaping in the path", func(t *testing.T) {
		const uid = "team/7 é"
		p := "/v1/users/" + url.PathEscape(uid)
		var dec decisionWire
		wantJSON(t, ds.post(t, p+"/suspensions", aliceKey.Secret, `{"reason":"x","days":1}`), http.StatusCreated, &dec)
		if dec.Target.ID != uid {
			t.Errorf("suspended %q, want %q", dec.Target.ID, uid)
		}
		var st userStatusWire
		wantJSON(t, ds.get(t, p+"/status", backendKey.Secret), http.StatusOK, &st)
		if st.UserID != uid || !st.Suspended {
			t.Errorf("status = %+v", st)
		}
		if cv := ds.check(t, `{"text":"hi","user_id":"team/7 é"}`); cv.User == nil || !cv.User.Suspended {
			t.Errorf("check: user = %+v", cv.User)
		}
		wantJSON(t, ds.call(t, "DELETE", p+"/suspensions/current", aliceKey.Secret, "", nil), http.StatusOK, &struct{}{})
	})
}

func TestCheckOpensCases(t *testing.T) {
	ds := startDesk(t, nil, nil)
	body := `{"text":"maybe ` + reviewWord + `","user_id":"u1","content_id":"note-9"}`
	cv := ds.check(t, body)
	if cv.Action != "review" || !strings.HasPrefix(cv.CaseID, "case_") || cv.User == nil || cv.User.Suspended {
		t.Fatalf("check = %+v", cv)
	}
	page := ds.list(t, "kind=screening")
	if len(page.Items) != 1 || page.Items[0].ID != cv.CaseID {
		t.Fatalf("screening cases = %+v, want %s", page.Items, cv.CaseID)
	}
	c := page.Items[0]
	if c.Target.Type != "note" || c.Target.ID != "note-9" || c.Target.UserID != "u1" || !c.AutomatedDetection || !slices.Equal(c.Categories, []string{"harassment"}) {
		t.Errorf("case = %+v", c)
	}
	if again := ds.check(t, body); again.CaseID != cv.CaseID {
		t.Errorf("checking the same content again opened %s, want %s", again.CaseID, cv.CaseID)
	}

	none := []struct{ name, body string }{
		{"review without content_id", `{"text":"maybe ` + reviewWord + `","user_id":"u1"}`},
		{"allow with content_id", `{"text":"fine","content_id":"note-10"}`},
		{"block with content_id", `{"text":"` + flaggedWord + `","content_id":"note-11"}`},
	}
	for _, tc := range none {
		t.Run(tc.name, func(t *testing.T) {
			res := ds.post(t, "/v1/check", backendKey.Secret, tc.body)
			if res.status != http.StatusOK || strings.Contains(string(res.body), "case_id") {
				t.Errorf("status %d, body %s; want no case_id", res.status, res.body)
			}
		})
	}
	if n := len(ds.list(t, "kind=screening").Items); n != 1 {
		t.Errorf("%d screening cases, want 1", n)
	}

	t.Run("batch", func(t *testing.T) {
		res := ds.post(t, "/v1/check/batch", backendKey.Secret,
			`{"items":[{"text":"fine","content_id":"a"},{"text":"`+reviewWord+`","content_id":"b","user_id":"u2"}]}`)
		var got struct {
			Results []checkWire `json:"results"`
		}
		wantJSON(t, res, http.StatusOK, &got)
		if len(got.Results) != 2 || got.Results[0].CaseID != "" || !strings.HasPrefix(got.Results[1].CaseID, "case_") || got.Results[1].User == nil {
			t.Errorf("results = %+v", got.Results)
		}
	})
	t.Run("the moderator sees the screening", func(t *testing.T) {
		v := ds.caseView(t, cv.CaseID)
		if v.Verdict == nil || v.Verdict.Action != "review" || len(v.Reports) != 0 || v.User == nil || v.User.UserID != "u1" {
			t.Errorf("view = %+v", v)
		}
	})
}

func TestCheckWhenTheDeskIsDown(t *testing.T) {
	store := &flakyStore{Records: memstore.NewRecords()}
	ds := startDesk(t, func(c *review.Config) { c.Store = store }, nil)
	store.down.Store(true)

	// The user's standing is left out; the verdict still stands.
	res := ds.post(t, "/v1/check", backendKey.Secret, `{"text":"fine","user_id":"u1","content_id":"n1"}`)
	var v map[string]any
	wantJSON(t, res, http.StatusOK, &v)
	if _, ok := v["user"]; ok || v["action"] != "allow" {
		t.Errorf("check with the desk down = %s, want a verdict without user", res.body)
	}
	// A review verdict whose case cannot be opened fails, so that the
	// product retries rather than believing the content is queued.
	wantError(t, ds.post(t, "/v1/check", backendKey.Secret, `{"text":"`+reviewWord+`","content_id":"n2"}`), http.StatusServiceUnavailable, "unavailable")
	wantError(t, ds.post(t, "/v1/check/batch", backendKey.Secret, `{"items":[{"text":"fine"},{"text":"`+reviewWord+`","content_id":"n2"}]}`),
		http.StatusServiceUnavailable, "unavailable", "items[1]: ")
	wantError(t, ds.post(t, "/v1/reports", backendKey.Secret, reportBody("r1", "note", "n3", "a1", "spam")), http.StatusServiceUnavailable, "unavailable")

	store.down.Store(false)
	if cv := ds.check(t, `{"text":"`+reviewWord+`","user_id":"u1","content_id":"n2"}`); cv.CaseID == "" || cv.User == nil {
		t.Errorf("check with the desk back = %+v", cv)
	}
	ds.Close()
	var warned bool
	for _, l := range logLines(t, ds.logs.String()) {
		warned = warned || l["msg"] == "user standing unavailable for a check" && l["code"] == "unavailable" && l["request_id"] != nil
	}
	if !warned {
		t.Errorf("no warning that the user's standing was unavailable:\n%s", ds.logs.String())
	}
}

func TestAppeals(t *testing.T) {
	ds := startDesk(t, nil, nil)
	rc := ds.report(t, "r1", "n-app", "author-a", "harassment")
	ds.claim(t, aliceKey, rc.CaseID)
	removed := ds.decide(t, aliceKey, rc.CaseID, `{"action":"remove","categories":["harassment"],"reason":"insults"}`).Decision
	kc := ds.report(t, "r1", "n-kept", "author-a", "spam")
	ds.claim(t, aliceKey, kc.CaseID)
	kept := ds.decide(t, aliceKey, kc.CaseID, `{"action":"keep","reason":"fine"}`).Decision
	if st := ds.userStatus(t, "author-a"); st.Strikes != 1 {
		t.Fatalf("strikes = %d, want 1", st.Strikes)
	}

	appeal := func(user, decision, statement string) string {
		return fmt.Sprintf(`{"user_id":%q,"decision_id":%q,"statement":%q}`, user, decision, statement)
	}
	statement := "It was a quote, not an insult. " + private
	bad := []struct {
		name   string
		body   string
		status int
		code   string
		msg    string
	}{
		{"wrong user", appeal("someone-else", removed.ID, statement), 403, "forbidden", "only the user it affected may appeal"},
		{"unknown decision", appeal("author-a", "dec_nope", statement), 404, "not_found", "decision dec_nope not found"},
		{"nothing to appeal", appeal("author-a", kept.ID, statement), 400, "invalid", "nothing to appeal"},
		{"missing statement", `{"user_id":"author-a","decision_id":"` + removed.ID + `"}`, 400, "invalid", "statement is required"},
		{"statement over the limit", appeal("author-a", removed.ID, strings.Repeat("s", 5001)), 400, "invalid", "statement is 5001 characters; the limit is 5000"},
		{"missing user_id", `{"decision_id":"` + removed.ID + `","statement":"x"}`, 400, "invalid", "user_id is required"},
		{"unknown field", `{"user_id":"author-a","decision_id":"` + removed.ID + `","statement":"x","case_id":"c"}`, 400, "invalid", `unknown field "case_id"`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ds.post(t, "/v1/appeals", backendKey.Secret, tc.body), tc.status, tc.code, tc.msg)
		})
	}

	var first, again receiptBody
	wantJSON(t, ds.post(t, "/v1/appeals", backendKey.Secret, appeal("author-a", removed.ID, statement)), http.StatusAccepted, &first)
	wantJSON(t, ds.post(t, "/v1/appeals", backendKey.Secret, appeal("author-a", removed.ID, "again")), http.StatusOK, &again)
	if first.CaseID == "" || first.Status != "received" || again != first {
		t.Errorf("appeal receipts %+v and %+v", first, again)
	}
	v := ds.caseView(t, first.CaseID)
	if v.Kind != "appeal" || v.Lane != "high" || v.AppealOf != removed.ID || v.OriginalDecider != "alice" || v.Statement != statement || v.Appealed == nil || v.Appealed.ID != removed.ID {
		t.Errorf("appeal case = %+v", v)
	}

	// The moderator who decided may not decide the appeal, by any route.
	path := "/v1/review/items/" + first.CaseID + "/decision"
	reverse := `{"action":"reverse","reason":"it was a quote"}`
	wantError(t, ds.post(t, "/v1/review/items/"+first.CaseID+"/claim", aliceKey.Secret, ""), http.StatusForbidden, "forbidden", "another moderator must decide it")
	if res := ds.post(t, "/v1/review/claim", aliceKey.Secret, ""); res.status != http.StatusNoContent {
		t.Errorf("alice was handed a case: status %d, body %s", res.status, res.body)
	}
	wantError(t, ds.post(t, path, aliceKey.Secret, reverse), http.StatusForbidden, "forbidden", "different moderator")
	var bulk bulkWire
	wantJSON(t, ds.post(t, "/v1/review/decisions", aliceKey.Secret, `{"ids":["`+first.CaseID+`"],"action":"reverse","reason":"x"}`), http.StatusOK, &bulk)
	if e := bulk.Results[0].Error; e == nil || e.Code != "forbidden" {
		t.Errorf("alice's bulk decision on the appeal: %+v", bulk.Results[0])
	}

	ds.claim(t, bobKey, first.CaseID)
	wantError(t, ds.post(t, path, bobKey.Secret, `{"action":"remove","categories":["harassment"],"reason":"x"}`), http.StatusBadRequest, "invalid",
		"action must be one of reverse, dismiss, escalate")
	out := ds.decide(t, bobKey, first.CaseID, reverse)
	if out.Decision.Action != "reverse" || out.Decision.AppealOf != removed.ID || out.Decision.Moderator != "bob" {
		t.Errorf("appeal decision = %+v", out.Decision)
	}
	if st := ds.userStatus(t, "author-a"); st.Strikes != 0 {
		t.Errorf("strikes after the reversal = %d, want 0", st.Strikes)
	}
	var s statementWire
	wantJSON(t, ds.get(t, "/v1/decisions/"+removed.ID+"/statement", aliceKey.Secret), http.StatusOK, &s)
	if !s.Reversed {
		t.Errorf("statement of the reversed decision lacks aup_reversed: %+v", s)
	}
	var s2 statementWire
	wantJSON(t, ds.get(t, "/v1/decisions/"+out.Decision.ID+"/statement", aliceKey.Secret), http.StatusOK, &s2)
	if s2.Reversed || !strings.Contains(s2.DecisionFacts, "On appeal, decision "+removed.ID+" was reversed.") {
		t.Errorf("statement of the appeal decision = %+v", s2)
	}
}

func TestStatement(t *testing.T) {
	ds := startDesk(t, nil, nil)
	rc := ds.report(t, "r1", "n1", "author-1", "harassment")
	ds.claim(t, aliceKey, rc.CaseID)
	removed := ds.decide(t, aliceKey, rc.CaseID, `{"action":"remove","categories":["harassment","hate"],"reason":"insults"}`).Decision

	res := ds.get(t, "/v1/decisions/"+removed.ID+"/statement", backendKey.Secret)
	var s statementWire
	wantJSON(t, res, http.StatusOK, &s)
	decodeStrict(t, res.body, &statementWire{})
	want := statementWire{
		DecisionVisibility:             []string{"DECISION_VISIBILITY_CONTENT_REMOVED"},
		DecisionGround:                 "DECISION_GROUND_INCOMPATIBLE_CONTENT",
		IncompatibleContentGround:      "Acceptable use policy",
		IncompatibleContentExplanation: "Breaks the acceptable use policy: harassment, hate",
		IncompatibleContentIllegal:     "No",
		Category:                       "STATEMENT_CATEGORY_CYBER_VIOLENCE",
		CategoryAddition:               []string{"STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"},
		ContentType:                    []string{"CONTENT_TYPE_TEXT"},
		SourceType:                     "SOURCE_ARTICLE_16",
		AutomatedDetection:             "No",
		AutomatedDecision:              "AUTOMATED_DECISION_NOT_AUTOMATED",
		DecisionFacts:                  "The note n1 was removed. A user's notice led to the review. Moderator's reason: insults",
		ApplicationDate:                "2025-03-03",
		PUID:                           removed.ID,
	}
	if !statementEqual(s, want) {
		t.Errorf("statement =\n%+v\nwant\n%+v", s, want)
	}
	if strings.Contains(string(res.body), private) {
		t.Errorf("the statement contains the reported text: %s", res.body)
	}

	t.Run("suspension", func(t *testing.T) {
		var dec decisionWire
		wantJSON(t, ds.post(t, "/v1/users/u5/suspensions", aliceKey.Secret, `{"reason":"spam wave","days":7,"categories":["spam"]}`), http.StatusCreated, &dec)
		var s statementWire
		wantJSON(t, ds.get(t, "/v1/decisions/"+dec.ID+"/statement", aliceKey.Secret), http.StatusOK, &s)
		if s.DecisionAccount != "DECISION_ACCOUNT_SUSPENDED" || s.EndDateAccountRestriction != "2025-03-10" || s.SourceType != "SOURCE_VOLUNTARY" ||
			!slices.Equal(s.ContentType, []string{"CONTENT_TYPE_OTHER"}) || s.Category != "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE" || s.DecisionVisibility != nil {
			t.Errorf("statement = %+v", s)
		}
	})
	t.Run("screening", func(t *testing.T) {
		cv := ds.check(t, `{"text":"`+reviewWord+`","user_id":"u6","content_id":"n6"}`)
		ds.claim(t, bobKey, cv.CaseID)
		dec := ds.decide(t, bobKey, cv.CaseID, `{"action":"remove","categories":["child_safety"],"reason":"csam"}`).Decision
		var s statementWire
		wantJSON(t, ds.get(t, "/v1/decisions/"+dec.ID+"/statement", aliceKey.Secret), http.StatusOK, &s)
		if s.AutomatedDetection != "Yes" || s.AutomatedDecision != "AUTOMATED_DECISION_NOT_AUTOMATED" || s.SourceType != "SOURCE_VOLUNTARY" ||
			s.IncompatibleContentIllegal != "Yes" || s.Category != "STATEMENT_CATEGORY_PROTECTION_OF_MINORS" {
			t.Errorf("statement = %+v", s)
		}
	})
	wantError(t, ds.get(t, "/v1/decisions/dec_nope/statement", aliceKey.Secret), http.StatusNotFound, "not_found", "decision dec_nope not found")
	wantError(t, ds.get(t, "/v1/decisions/"+removed.ID+"/statement", ""), http.StatusUnauthorized, "unauthorized")
}

func TestAudit(t *testing.T) {
	ds := startDesk(t, nil, nil)
	rc := ds.report(t, "r1", "n1", "author-1", "harassment")
	ds.claim(t, aliceKey, rc.CaseID)
	ds.clock.Advance(time.Minute)
	ds.decide(t, aliceKey, rc.CaseID, `{"action":"remove","categories":["harassment"],"reason":"insults"}`)
	ds.report(t, "r2", "n2", "author-2", "spam")
	wantJSON(t, ds.post(t, "/v1/users/u3/suspensions", bobKey.Secret, `{"reason":"spam wave","days":1}`), http.StatusCreated, &decisionWire{})

	all := ds.audit(t, "")
	var actions []string
	for _, e := range all.Entries {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	want := []string{
		"reporter:" + ds.desk.Pseudonym("r1") + " report.received", "alice case.claimed", "alice content.removed", "alice decision.remove",
		"reporter:" + ds.desk.Pseudonym("r2") + " report.received", "bob user.suspended", "bob decision.suspend",
	}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit log:\n%v\nwant\n%v", actions, want)
	}
	if all.Next != all.Entries[len(all.Entries)-1].ID {
		t.Errorf("next = %q, want the last entry's id", all.Next)
	}

	t.Run("paging", func(t *testing.T) {
		var ids []string
		cursor := ""
		for range 10 {
			q := "limit=3"
			if cursor != "" {
				q += "&after=" + cursor
			}
			page := ds.audit(t, q)
			if len(page.Entries) > 3 {
				t.Fatalf("page of %d entries with limit 3", len(page.Entries))
			}
			for _, e := range page.Entries {
				ids = append(ids, e.ID)
			}
			if len(page.Entries) == 0 {
				if page.Next != cursor {
					t.Errorf("empty page: next = %q, want the cursor %q back", page.Next, cursor)
				}
				break
			}
			cursor = page.Next
		}
		var wantIDs []string
		for _, e := range all.Entries {
			wantIDs = append(wantIDs, e.ID)
		}
		if !slices.Equal(ids, wantIDs) {
			t.Errorf("paged ids %v, want %v", ids, wantIDs)
		}
	})
	t.Run("filters", func(t *testing.T) {
		for _, e := range ds.audit(t, "actor=alice").Entries {
			if e.Actor != "alice" {
				t.Errorf("actor=alice returned %+v", e)
			}
		}
		byTarget := ds.audit(t, "target_id=n1").Entries
		if len(byTarget) != 4 {
			t.Errorf("%d entries about n1, want 4", len(byTarget))
		}
	})
	bad := []struct{ name, query, msg string }{
		{"bad cursor", "after=yesterday", "after must be an audit entry id"},
		{"half a cursor", "after=1700000000000-", "after must be an audit entry id"},
		{"limit over the maximum", "limit=501", "limit must be a whole number from 1 to 500"},
		{"unknown parameter", "since=0", `unknown query parameter "since"`},
		{"actor with a control character", "actor=a%00b", "actor"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ds.get(t, "/v1/audit?"+tc.query, adminKey.Secret), http.StatusBadRequest, "invalid", tc.msg)
		})
	}
	res := ds.get(t, "/v1/audit", adminKey.Secret)
	if strings.Contains(string(res.body), private) {
		t.Errorf("the audit log holds user text: %s", res.body)
	}
}

// ---- Helpers for the review desk tests ----

// Two moderators: a key's name is the moderator of record.
var (
	aliceKey = httpapi.Key{Name: "alice", Role: httpapi.RoleModerator, Secret: "alice-secret-0123456789"}
	bobKey   = httpapi.Key{Name: "bob", Role: httpapi.RoleModerator, Secret: "bob-secret-0123456789ab"}
)

// reviewWord makes the desk tests' screener answer review, as harassment.
const reviewWord = "MAYBEBAD"

// private marks what users write: the text of reports, explanations and
// appeal statements. No log line may contain it.
const private = "Private-7Qx"

// deskEpoch is where the desk tests' clock starts.
var deskEpoch = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// testClock moves only when told to.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// reviewScreener is markerScreener that also sends texts containing
// reviewWord to review.
type reviewScreener struct{}

func (reviewScreener) Screen(ctx context.Context, c moderation.Content) (moderation.Verdict, error) {
	v, err := markerScreener{}.Screen(ctx, c)
	if err == nil && v.Action == moderation.Allow && strings.Contains(c.Text, reviewWord) {
		v.Action = moderation.Review
		v.Categories = []moderation.CategoryScore{{Category: moderation.Harassment, Score: 0.6}}
	}
	return v, err
}

// flakyStore is the in-memory store with a switch that makes it
// unreachable, as a Redis store is when Redis is down.
type flakyStore struct {
	*memstore.Records
	down atomic.Bool
}

func (s *flakyStore) err() error {
	if s.down.Load() {
		return fmt.Errorf("redis: %w", moderation.Errorf(moderation.EUNAVAILABLE, "review store unavailable"))
	}
	return nil
}

func (s *flakyStore) Update(ctx context.Context, fn func(review.Tx) error) error {
	if err := s.err(); err != nil {
		return err
	}
	return s.Records.Update(ctx, fn)
}

func (s *flakyStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := s.err(); err != nil {
		return nil, false, err
	}
	return s.Records.Get(ctx, key)
}

func (s *flakyStore) Incr(ctx context.Context, key string, ttl time.Duration) (int64, time.Duration, error) {
	if err := s.err(); err != nil {
		return 0, 0, err
	}
	return s.Records.Incr(ctx, key, ttl)
}

// deskServer is the API with a review desk on the in-memory store.
type deskServer struct {
	*testServer
	clock *testClock
	desk  *review.Desk
}

// startDesk starts the API with a review desk, as changed by editDesk and
// editAPI (either may be nil). The desk logs to the server's log buffer,
// which is checked for user text when the test ends.
func startDesk(t *testing.T, editDesk func(*review.Config), editAPI func(*httpapi.Config)) *deskServer {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := &testClock{now: deskEpoch}
	rc := review.Config{Store: memstore.NewRecords(), Screener: reviewScreener{}, Events: true, Now: clk.Now, Logger: logger}
	if editDesk != nil {
		editDesk(&rc)
	}
	desk, err := review.New(rc)
	if err != nil {
		t.Fatalf("review.New: %v", err)
	}
	cfg := newConfig(t, logs)
	cfg.Screener = reviewScreener{}
	cfg.Keys = append(cfg.Keys, aliceKey, bobKey)
	cfg.Desk = desk
	if editAPI != nil {
		editAPI(&cfg)
	}
	s, err := httpapi.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := &testServer{Server: httptest.NewServer(s.Handler()), logs: logs}
	// Cleanups run last first: the server is closed before its log is read.
	t.Cleanup(func() {
		for _, l := range logLines(t, logs.String()) {
			if line := fmt.Sprint(l); strings.Contains(line, private) || strings.Contains(line, "a quote, not an insult") {
				t.Errorf("a log line holds user text: %v", l)
			}
		}
	})
	t.Cleanup(ts.Close)
	return &deskServer{testServer: ts, clock: clk, desk: desk}
}

// call sends a request with a JSON body ("" for none) and extra headers.
func (ds *deskServer) call(t *testing.T, method, path, key, body string, header map[string]string) response {
	t.Helper()
	r := request{method: method, path: path, key: key, header: header}
	if body != "" {
		r.body = strings.NewReader(body)
	}
	return ds.do(t, r)
}

func (ds *deskServer) get(t *testing.T, path, key string) response {
	t.Helper()
	return ds.call(t, http.MethodGet, path, key, "", nil)
}

// wantJSON checks the status and decodes the body into out.
func wantJSON(t *testing.T, res response, status int, out any) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status = %d, want %d; body %s", res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if err := json.Unmarshal(res.body, out); err != nil {
		t.Fatalf("decode %s: %v", res.body, err)
	}
}

// reportBody is a report whose text holds the private marker.
func reportBody(reporter, targetType, target, author, category string) string {
	return fmt.Sprintf(`{"reporter_id":%q,"target_type":%q,"target_id":%q,"target_user_id":%q,"category":%q,"text":"what I saw: %s","explanation":"why: %s"}`,
		reporter, targetType, target, author, category, private, private)
}

// report files a report about a note by author and returns the receipt.
func (ds *deskServer) report(t *testing.T, reporter, note, author, category string) receiptBody {
	t.Helper()
	var rc receiptBody
	wantJSON(t, ds.post(t, "/v1/reports", backendKey.Secret, reportBody(reporter, "note", note, author, category)), http.StatusAccepted, &rc)
	return rc
}

func (ds *deskServer) claim(t *testing.T, k httpapi.Key, id string) caseWire {
	t.Helper()
	var c caseWire
	wantJSON(t, ds.call(t, http.MethodPost, "/v1/review/items/"+id+"/claim", k.Secret, "", nil), http.StatusOK, &c)
	return c
}

func (ds *deskServer) decide(t *testing.T, k httpapi.Key, id, body string) outcomeWire {
	t.Helper()
	var o outcomeWire
	wantJSON(t, ds.post(t, "/v1/review/items/"+id+"/decision", k.Secret, body), http.StatusOK, &o)
	ds.work(t)
	return o
}

// work carries out the follow-up work of decisions (resolving reports),
// which the service runs in the background.
func (ds *deskServer) work(t *testing.T) {
	t.Helper()
	if _, err := ds.desk.Work(t.Context()); err != nil {
		t.Fatalf("Work: %v", err)
	}
}

func (ds *deskServer) list(t *testing.T, query string) casesWire {
	t.Helper()
	var page casesWire
	res := ds.get(t, "/v1/review/items?"+query, aliceKey.Secret)
	wantJSON(t, res, http.StatusOK, &page)
	if !strings.Contains(string(res.body), `"next_offset":`) {
		t.Errorf("listing %s lacks next_offset", res.body)
	}
	return page
}

func (ds *deskServer) caseView(t *testing.T, id string) caseViewWire {
	t.Helper()
	var v caseViewWire
	wantJSON(t, ds.get(t, "/v1/review/items/"+id, aliceKey.Secret), http.StatusOK, &v)
	return v
}

func (ds *deskServer) userStatus(t *testing.T, id string) userStatusWire {
	t.Helper()
	res := ds.get(t, "/v1/users/"+url.PathEscape(id)+"/status", backendKey.Secret)
	var st userStatusWire
	wantJSON(t, res, http.StatusOK, &st)
	decodeStrict(t, res.body, &userStatusWire{})
	return st
}

func (ds *deskServer) check(t *testing.T, body string) checkWire {
	t.Helper()
	res := ds.post(t, "/v1/check", backendKey.Secret, body)
	var v checkWire
	wantJSON(t, res, http.StatusOK, &v)
	return v
}

func (ds *deskServer) audit(t *testing.T, query string) auditWire {
	t.Helper()
	res := ds.get(t, "/v1/audit?"+query, adminKey.Secret)
	var a auditWire
	wantJSON(t, res, http.StatusOK, &a)
	decodeStrict(t, res.body, &auditWire{})
	return a
}

func lanes(cases []caseWire) []string {
	out := make([]string, len(cases))
	for i, c := range cases {
		out[i] = c.Lane
	}
	return out
}

// Wire forms of the review endpoints' responses.
type (
	receiptBody struct {
		ID     string `json:"id"`
		CaseID string `json:"case_id"`
		Status string `json:"status"`
	}
	targetWire struct {
		Type   string `json:"type"`
		ID     string `json:"id"`
		UserID string `json:"user_id"`
	}
	reportWire struct {
		ID         string     `json:"id"`
		CaseID     string     `json:"case_id"`
		ReporterID string     `json:"reporter_id"`
		Target     targetWire `json:"target"`
		Category   string     `json:"category"`
		Status     string     `json:"status"`
		Outcome    string     `json:"outcome"`
		Reason     string     `json:"reason"`
		DecisionID string     `json:"decision_id"`
		ResolvedAt *time.Time `json:"resolved_at"`
	}
	caseWire struct {
		ID                 string     `json:"id"`
		Kind               string     `json:"kind"`
		Status             string     `json:"status"`
		Lane               string     `json:"lane"`
		Target             targetWire `json:"target"`
		Text               string     `json:"text"`
		Verdict            *verdict   `json:"verdict"`
		Categories         []string   `json:"categories"`
		ReportCount        int        `json:"report_count"`
		AutomatedDetection bool       `json:"automated_detection"`
		AppealOf           string     `json:"appeal_of"`
		Statement          string     `json:"statement"`
		OriginalDecider    string     `json:"original_decider"`
		EscalatedTo        string     `json:"escalated_to"`
		Lease              *struct {
			Moderator string    `json:"moderator"`
			Until     time.Time `json:"until"`
		} `json:"lease"`
		DecisionID string `json:"decision_id"`
	}
	caseViewWire struct {
		caseWire
		Reports []struct {
			reportWire
			Reporter struct {
				ID       string  `json:"id"`
				Reports  int     `json:"reports"`
				Upheld   int     `json:"upheld"`
				Rejected int     `json:"rejected"`
				Weight   float64 `json:"weight"`
				Flagged  bool    `json:"flagged"`
			} `json:"reporter"`
		} `json:"reports"`
		User *struct {
			UserID    string            `json:"user_id"`
			Strikes   []json.RawMessage `json:"strikes"`
			Decisions []string          `json:"decisions"`
		} `json:"user"`
		Appealed *decisionWire `json:"appealed_decision"`
	}
	casesWire struct {
		Items      []caseWire `json:"items"`
		NextOffset *int       `json:"next_offset"`
	}
	decisionWire struct {
		ID             string     `json:"id"`
		CaseID         string     `json:"case_id"`
		Action         string     `json:"action"`
		Categories     []string   `json:"categories"`
		Reason         string     `json:"reason"`
		Moderator      string     `json:"moderator"`
		Target         targetWire `json:"target"`
		ContentRemoved bool       `json:"content_removed"`
		SuspensionID   string     `json:"suspension_id"`
		SuspendedUntil *time.Time `json:"suspended_until"`
		AppealOf       string     `json:"appeal_of"`
		BankEntries    []string   `json:"bank_entries"`
	}
	outcomeWire struct {
		Case     caseWire      `json:"case"`
		Decision *decisionWire `json:"decision"`
		Replayed bool          `json:"replayed"`
	}
	bulkWire struct {
		Results []struct {
			CaseID  string       `json:"case_id"`
			Outcome *outcomeWire `json:"outcome"`
			Error   *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		} `json:"results"`
	}
	userStatusWire struct {
		UserID       string     `json:"user_id"`
		Suspended    bool       `json:"suspended"`
		Until        *time.Time `json:"until"`
		Reason       string     `json:"reason"`
		SuspensionID string     `json:"suspension_id"`
		Strikes      int        `json:"strikes"`
		Decisions    []string   `json:"decisions"`
	}
	checkWire struct {
		Action string `json:"action"`
		User   *struct {
			Suspended bool       `json:"suspended"`
			Until     *time.Time `json:"until"`
		} `json:"user"`
		CaseID string `json:"case_id"`
	}
	statementWire struct {
		DecisionVisibility             []string `json:"decision_visibility"`
		DecisionAccount                string   `json:"decision_account"`
		DecisionGround                 string   `json:"decision_ground"`
		IncompatibleContentGround      string   `json:"incompatible_content_ground"`
		IncompatibleContentExplanation string   `json:"incompatible_content_explanation"`
		IncompatibleContentIllegal     string   `json:"incompatible_content_illegal"`
		Category                       string   `json:"category"`
		CategoryAddition               []string `json:"category_addition"`
		ContentType                    []string `json:"content_type"`
		SourceType                     string   `json:"source_type"`
		AutomatedDetection             string   `json:"automated_detection"`
		AutomatedDecision              string   `json:"automated_decision"`
		DecisionFacts                  string   `json:"decision_facts"`
		ApplicationDate                string   `json:"application_date"`
		EndDateAccountRestriction      string   `json:"end_date_account_restriction"`
		EndDateVisibilityRestriction   string   `json:"end_date_visibility_restriction"`
		PUID                           string   `json:"puid"`
		Reversed                       bool     `json:"aup_reversed"`
	}
	auditWire struct {
		Entries []struct {
			ID         string    `json:"id"`
			At         time.Time `json:"at"`
			Actor      string    `json:"actor"`
			Action     string    `json:"action"`
			TargetType string    `json:"target_type"`
			TargetID   string    `json:"target_id"`
			CaseID     string    `json:"case_id"`
			DecisionID string    `json:"decision_id"`
			Reason     string    `json:"reason"`
		} `json:"entries"`
		Next string `json:"next"`
	}
)

func statementEqual(a, b statementWire) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
