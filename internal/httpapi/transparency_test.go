package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/memstore"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

// transparencyWire is the wire form of GET /v1/transparency, decoded
// strictly.
type transparencyWire struct {
	Period struct {
		From time.Time `json:"from"`
		To   time.Time `json:"to"`
	} `json:"period"`
	Reports struct {
		Total                   int            `json:"total"`
		ByCategory              map[string]int `json:"by_category"`
		ByOutcome               map[string]int `json:"by_outcome"`
		RevisedOnAppeal         int            `json:"revised_on_appeal"`
		MedianSecondsToDecision *float64       `json:"median_seconds_to_decision"`
	} `json:"reports"`
	Decisions struct {
		Total              int            `json:"total"`
		ByCategory         map[string]int `json:"by_category"`
		ByAction           map[string]int `json:"by_action"`
		BySource           map[string]int `json:"by_source"`
		AutomatedDetection int            `json:"automated_detection"`
		AutomatedDecision  int            `json:"automated_decision"`
		ContentRemoved     int            `json:"content_removed"`
	} `json:"decisions"`
	Automated struct {
		Total               int                       `json:"total"`
		ByAction            map[string]int            `json:"by_action"`
		ByCategory          map[string]int            `json:"by_category"`
		ByActionAndCategory map[string]map[string]int `json:"by_action_and_category"`
	} `json:"automated"`
	Suspensions struct {
		Total      int            `json:"total"`
		ByBasis    map[string]int `json:"by_basis"`
		ByCategory map[string]int `json:"by_category"`
		Indefinite int            `json:"indefinite"`
	} `json:"suspensions"`
	Appeals struct {
		Received              int            `json:"received"`
		ByCategory            map[string]int `json:"by_category"`
		Decided               int            `json:"decided"`
		ByOutcome             map[string]int `json:"by_outcome"`
		MedianHandlingSeconds *float64       `json:"median_handling_seconds"`
	} `json:"appeals"`
	Reversals int `json:"reversals"`
}

// today's and the neighbouring dates on the wall clock, which times the
// statistics (the desk's test clock times decisions).
func days() (yesterday, tomorrow string) {
	now := time.Now().UTC()
	return now.AddDate(0, 0, -1).Format(time.DateOnly), now.AddDate(0, 0, 1).Format(time.DateOnly)
}

const secretReason = "SECRET reason naming Jane Doe"

func TestTransparencyEndpoint(t *testing.T) {
	store := &flakyStore{Records: memstore.NewRecords()}
	uploads, _ := withUploads(t)
	ds := startDesk(t, func(c *review.Config) { c.Store = store }, uploads)
	ctx := t.Context()

	// Verdicts the product gets, through every endpoint that screens.
	ds.check(t, `{"text":"`+flaggedWord+`"}`)
	ds.check(t, `{"text":"fine"}`)
	wantJSON(t, ds.post(t, "/v1/check/batch", backendKey.Secret,
		`{"items":[{"text":"fine"},{"text":"`+flaggedWord+` again"},{"text":"`+reviewWord+`","content_id":"note-rev","user_id":"author-rev"}]}`), http.StatusOK, &map[string]any{})
	wantJSON(t, ds.post(t, "/v1/moderations", backendKey.Secret, `{"input":["`+flaggedWord+`","fine"]}`), http.StatusOK, &map[string]any{})
	if res := ds.upload(t, backendKey.Secret, part{name: "file", filename: "a.txt", value: "a " + flaggedWord}); res.status != http.StatusOK {
		t.Fatalf("upload: %d %s", res.status, res.body)
	}
	// A batch that fails is retried by the product: it counts nothing.
	store.down.Store(true)
	wantError(t, ds.post(t, "/v1/check/batch", backendKey.Secret, `{"items":[{"text":"`+flaggedWord+`"},{"text":"`+reviewWord+`","content_id":"n2"}]}`),
		http.StatusServiceUnavailable, "unavailable")
	store.down.Store(false)
	if err := ds.desk.FlushStats(ctx); err != nil {
		t.Fatal(err)
	}

	// A report upheld by a removal.
	rc := ds.report(t, "reporter-1", "note-1", "author-1", "spam")
	ds.clock.Advance(90 * time.Second)
	ds.claim(t, aliceKey, rc.CaseID)
	out := ds.decide(t, aliceKey, rc.CaseID, `{"action":"remove","categories":["spam"],"reason":"`+secretReason+`"}`)

	yesterday, tomorrow := days()
	query := "?from=" + yesterday + "&to=" + tomorrow
	t.Run("figures", func(t *testing.T) {
		res := ds.get(t, "/v1/transparency"+query, adminKey.Secret)
		var tr transparencyWire
		wantJSON(t, res, http.StatusOK, &tr)
		decodeStrict(t, res.body, &transparencyWire{})
		from, _ := time.Parse(time.DateOnly, yesterday)
		to, _ := time.Parse(time.DateOnly, tomorrow)
		if !tr.Period.From.Equal(from) || !tr.Period.To.Equal(to.AddDate(0, 0, 1)) {
			t.Errorf("period = %+v, want %s to the end of %s", tr.Period, yesterday, tomorrow)
		}
		a := tr.Automated
		if a.Total != 5 || a.ByAction["block"] != 4 || a.ByAction["review"] != 1 || a.ByCategory["harassment"] != 5 ||
			a.ByActionAndCategory["block"]["harassment"] != 4 || a.ByActionAndCategory["review"]["harassment"] != 1 {
			t.Errorf("automated = %+v; want 4 blocks (check, batch, moderations, upload) and 1 review, all harassment", a)
		}
		if r := tr.Reports; r.Total != 1 || r.ByCategory["spam"] != 1 || r.ByOutcome["upheld"] != 1 || r.MedianSecondsToDecision == nil || *r.MedianSecondsToDecision != 90 {
			t.Errorf("reports = %+v; want one upheld after 90 s", r)
		}
		if d := tr.Decisions; d.Total != 1 || d.BySource["notice"] != 1 || d.ByAction["remove"] != 1 || d.ContentRemoved != 1 {
			t.Errorf("decisions = %+v", d)
		}
		body := string(res.body)
		for _, want := range []string{`"median_handling_seconds":null`, `"by_outcome":{}`, `"by_basis":{}`, `"reversals":0`} {
			if !strings.Contains(body, want) {
				t.Errorf("body lacks %s: %s", want, body)
			}
		}
	})

	t.Run("statements", func(t *testing.T) {
		res := ds.get(t, "/v1/transparency/statements?from=2025-03-03&to=2025-03-03", adminKey.Secret)
		if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("status %d, Content-Type %q: %s", res.status, res.header.Get("Content-Type"), res.body)
		}
		lines := ndjson(t, res.body)
		if len(lines) != 1 || lines[0]["puid"] != out.Decision.ID || lines[0]["decision_ground"] != "DECISION_GROUND_INCOMPATIBLE_CONTENT" || lines[0]["source_type"] != "SOURCE_ARTICLE_16" {
			t.Errorf("statements = %v, want the removal %s", lines, out.Decision.ID)
		}
		for _, personal := range []string{"note-1", "author-1", "reporter-1", "SECRET", aliceKey.Name} {
			if bytes.Contains(res.body, []byte(personal)) {
				t.Errorf("the export holds %q: %s", personal, res.body)
			}
		}
		empty := ds.get(t, "/v1/transparency/statements?from=2025-03-02&to=2025-03-02", adminKey.Secret)
		if empty.status != http.StatusOK || len(empty.body) != 0 || empty.header.Get("Content-Type") != "application/x-ndjson" {
			t.Errorf("a day without decisions: %d %q %s", empty.status, empty.header.Get("Content-Type"), empty.body)
		}
		// A time zone's + left unescaped arrives as a space, and is taken
		// back.
		plus := ds.get(t, "/v1/transparency/statements?from=2025-03-03T09:00:00+01:00&to=2025-03-03T11:00:00%2B01:00", adminKey.Secret)
		if plus.status != http.StatusOK || len(ndjson(t, plus.body)) != 1 {
			t.Errorf("with time zone offsets: %d %s", plus.status, plus.body)
		}
	})

	t.Run("admin only", func(t *testing.T) {
		for _, path := range []string{"/v1/transparency", "/v1/transparency/statements"} {
			for _, k := range []httpapi.Key{aliceKey, backendKey} {
				wantError(t, ds.get(t, path+query, k.Secret), http.StatusForbidden, "forbidden")
			}
			wantError(t, ds.get(t, path+query, ""), http.StatusUnauthorized, "unauthorized")
		}
	})

	t.Run("bad periods", func(t *testing.T) {
		tests := []struct{ name, query, msg string }{
			{"no from", "?to=2025-01-01", "from is required: an RFC 3339 time such as 2025-01-01T00:00:00Z or a date such as 2025-01-01"},
			{"no to", "?from=2025-01-01", "to is required"},
			{"nothing", "", "from is required"},
			{"a word", "?from=yesterday&to=2025-01-01", "from must be an RFC 3339 time such as 2025-01-01T00:00:00Z or a date such as 2025-01-01"},
			{"a date with a slash", "?from=2025-01-01&to=2025/02/01", "to must be an RFC 3339 time"},
			{"a time without zone", "?from=2025-01-01T00:00:00&to=2025-02-01", "from must be an RFC 3339 time"},
			{"inverted", "?from=2025-02-01&to=2025-01-01", "to (2025-01-02T00:00:00Z) must be after from (2025-02-01T00:00:00Z)"},
			{"empty", "?from=2025-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", "must be after from"},
			{"too long", "?from=2024-01-01&to=2025-12-31", "longer than 400 days"},
			{"unknown parameter", "?from=2025-01-01&to=2025-01-31&limit=5", "unknown query parameter"},
			{"twice", "?from=2025-01-01&from=2025-01-02&to=2025-01-31", "given 2 times"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				for _, path := range []string{"/v1/transparency", "/v1/transparency/statements"} {
					wantError(t, ds.get(t, path+tc.query, adminKey.Secret), http.StatusBadRequest, "invalid", tc.msg)
				}
			})
		}
	})
}

// ndjson parses a body of JSON lines, each an object.
func ndjson(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(body) > 0 && body[len(body)-1] != '\n' {
		t.Errorf("the body does not end with a newline")
	}
	return out
}

// rangeFailStore is the in-memory store whose index reads fail from the
// second on, once armed.
type rangeFailStore struct {
	*memstore.Records
	armed  atomic.Bool
	ranges atomic.Int32
}

func (s *rangeFailStore) Range(ctx context.Context, index string, q review.RangeQuery) ([]review.Scored, error) {
	if s.armed.Load() && s.ranges.Add(1) > 1 {
		return nil, moderation.Errorf(moderation.EUNAVAILABLE, "review store unavailable")
	}
	return s.Records.Range(ctx, index, q)
}

// TestTransparencyStatementsFailMidway checks that an export that fails
// after it started is cut short, so that the client sees an error rather
// than a complete-looking export.
func TestTransparencyStatementsFailMidway(t *testing.T) {
	store := &rangeFailStore{Records: memstore.NewRecords()}
	ds := startDesk(t, func(c *review.Config) { c.Store = store }, nil)
	const n = 150 // more than a page of decisions (100)
	for i := range n {
		if _, _, err := ds.desk.Suspend(t.Context(), "alice", fmt.Sprintf("user-%d", i), review.SuspendRequest{Reason: "spam", Days: 1}); err != nil {
			t.Fatal(err)
		}
	}
	const path = "/v1/transparency/statements?from=2025-03-03&to=2025-03-03"
	if res := ds.get(t, path, adminKey.Secret); res.status != http.StatusOK || len(ndjson(t, res.body)) != n {
		t.Fatalf("the whole export: %d, %d lines; want %d", res.status, bytes.Count(res.body, []byte("\n")), n)
	}

	store.armed.Store(true)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ds.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminKey.Secret)
	res, err := ds.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || err == nil {
		t.Fatalf("export failing midway: status %d, read error %v; want 200 and a broken body", res.StatusCode, err)
	}
	if lines := ndjson(t, body); len(lines) != 100 {
		t.Errorf("%d lines before the failure, want the first page's 100", len(lines))
	}
	ds.Close()
	warned := false
	for _, l := range logLines(t, ds.logs.String()) {
		if l["msg"] == "statements export failed after it started; cutting the response short" && l["lines"] == float64(100) && l["code"] == "unavailable" {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning logged:\n%s", ds.logs.String())
	}
}
