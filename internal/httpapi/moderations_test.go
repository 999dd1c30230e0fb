package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/httpapi"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/rules"
	bundled "github.com/aup-dev/aup/rules"
)

// Texts the moderation screener knows (testdata/openai-js/moderate.mjs
// sends the same ones).
const (
	threatText   = "I will hurt you"        // violence block, harassment review, hate reported only
	helloText    = "hello there"            // allow
	spamText     = "cheap pills click here" // spam review: no OpenAI category
	cardsText    = "buy stolen cards\nhere" // fraud review, malware and violence reported only
	hateText     = "those people must die"  // hate block, violence review
	minorsText   = "sexual content, minors" // child_safety block, sexual review
	selfHarmText = "I want to end it"       // self_harm review
	downText     = "the engine is down"     // the screener fails: unavailable
)

// moderationVerdicts are the verdicts of moderationScreener, by text.
var moderationVerdicts = map[string]moderation.Verdict{
	threatText: verdictOf(moderation.Block,
		moderation.CategoryScore{Category: moderation.Violence, Score: 0.9, Action: moderation.Block},
		moderation.CategoryScore{Category: moderation.Harassment, Score: 0.6, Action: moderation.Review},
		moderation.CategoryScore{Category: moderation.Hate, Score: 0.3, Action: moderation.Allow}),
	spamText: verdictOf(moderation.Review,
		moderation.CategoryScore{Category: moderation.Spam, Score: 0.8, Action: moderation.Review}),
	cardsText: verdictOf(moderation.Review,
		moderation.CategoryScore{Category: moderation.Fraud, Score: 0.7, Action: moderation.Review},
		moderation.CategoryScore{Category: moderation.Violence, Score: 0.4, Action: moderation.Allow},
		moderation.CategoryScore{Category: moderation.Malware, Score: 0.2, Action: moderation.Allow}),
	hateText: verdictOf(moderation.Block,
		moderation.CategoryScore{Category: moderation.Hate, Score: 0.8, Action: moderation.Block},
		moderation.CategoryScore{Category: moderation.Violence, Score: 0.7, Action: moderation.Review}),
	minorsText: verdictOf(moderation.Block,
		moderation.CategoryScore{Category: moderation.ChildSafety, Score: 0.95, Action: moderation.Block},
		moderation.CategoryScore{Category: moderation.Sexual, Score: 0.5, Action: moderation.Review}),
	selfHarmText: verdictOf(moderation.Review,
		moderation.CategoryScore{Category: moderation.SelfHarm, Score: 0.65, Action: moderation.Review}),
}

const moderationPolicy = "test-mod"

func verdictOf(action moderation.Action, cats ...moderation.CategoryScore) moderation.Verdict {
	return moderation.Verdict{
		Action:        action,
		Categories:    cats,
		Language:      moderation.Language{Code: "en", Confidence: 1},
		Matches:       []moderation.Match{},
		PolicyVersion: moderationPolicy,
	}
}

// moderationScreener answers with moderationVerdicts, allows other texts,
// and fails for downText. It refuses content with ids: /v1/moderations
// never sends any.
func moderationScreener(ctx context.Context, c moderation.Content) (moderation.Verdict, error) {
	if err := ctx.Err(); err != nil {
		return moderation.Verdict{}, err
	}
	if c.UserID != "" || c.ContentID != "" {
		return moderation.Verdict{}, errors.New("moderations sent a user or content id")
	}
	if c.Text == downText {
		return moderation.Verdict{}, moderation.Errorf(moderation.EUNAVAILABLE, "the model is down")
	}
	if v, ok := moderationVerdicts[c.Text]; ok {
		return v, nil
	}
	return verdictOf(moderation.Allow), nil
}

// startModerationServer starts the API with moderationScreener, changed by
// edit.
func startModerationServer(t *testing.T, edit func(*httpapi.Config)) *testServer {
	t.Helper()
	return startServer(t, func(c *httpapi.Config) {
		c.Screener = screenerFunc(moderationScreener)
		if edit != nil {
			edit(c)
		}
	})
}

// openAIClient is go-openai's client for ts with key.
func openAIClient(ts *testServer, key string) *openai.Client {
	cfg := openai.DefaultConfig(key)
	cfg.BaseURL = ts.URL + "/v1"
	cfg.HTTPClient = ts.Client()
	return openai.NewClientWithConfig(cfg)
}

// openAICategories are OpenAI's omni-moderation categories.
var openAICategories = []string{
	"harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent",
	"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors",
	"violence", "violence/graphic",
}

// moderationBody is the wire form of a /v1/moderations response, decoded
// strictly.
type moderationBody struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Results []struct {
		Flagged                   bool                `json:"flagged"`
		Categories                map[string]bool     `json:"categories"`
		CategoryScores            map[string]float64  `json:"category_scores"`
		CategoryAppliedInputTypes map[string][]string `json:"category_applied_input_types"`
		AUP                       struct {
			Action     string `json:"action"`
			Categories []struct {
				Category string  `json:"category"`
				Score    float64 `json:"score"`
				Action   string  `json:"action"`
			} `json:"categories"`
			PolicyVersion string `json:"policy_version"`
		} `json:"aup"`
	} `json:"results"`
}

var moderationID = regexp.MustCompile(`^modr-[0-9a-f]{24}$`)

func TestModerationsGoClient(t *testing.T) {
	ts := startModerationServer(t, nil)
	client := openAIClient(ts, backendKey.Secret)
	ctx := t.Context()

	t.Run("flagged text", func(t *testing.T) {
		res, err := client.Moderations(ctx, openai.ModerationRequest{Input: threatText})
		if err != nil {
			t.Fatalf("Moderations: %v", err)
		}
		if !moderationID.MatchString(res.ID) || res.Model != "aup-"+moderationPolicy || len(res.Results) != 1 {
			t.Fatalf("response = %+v", res)
		}
		r := res.Results[0]
		want := openai.ResultCategories{Harassment: true, HarassmentThreatening: true, Violence: true}
		if !r.Flagged || r.Categories != want {
			t.Errorf("flagged %v, categories %+v; want true, %+v", r.Flagged, r.Categories, want)
		}
		wantScores := openai.ResultCategoryScores{Harassment: 0.6, HarassmentThreatening: 0.9, Hate: 0.3, HateThreatening: 0.3, Violence: 0.9}
		if r.CategoryScores != wantScores {
			t.Errorf("scores %+v, want %+v", r.CategoryScores, wantScores)
		}
	})
	t.Run("allowed text, with a model name", func(t *testing.T) {
		res, err := client.Moderations(ctx, openai.ModerationRequest{Input: helloText, Model: openai.ModerationOmniLatest})
		if err != nil {
			t.Fatalf("Moderations: %v", err)
		}
		if r := res.Results[0]; r.Flagged || r.Categories != (openai.ResultCategories{}) || r.CategoryScores != (openai.ResultCategoryScores{}) {
			t.Errorf("result = %+v, want nothing flagged or scored", r)
		}
	})
	t.Run("spam only: flagged, no category", func(t *testing.T) {
		res, err := client.Moderations(ctx, openai.ModerationRequest{Input: spamText})
		if err != nil {
			t.Fatalf("Moderations: %v", err)
		}
		if r := res.Results[0]; !r.Flagged || r.Categories != (openai.ResultCategories{}) || r.CategoryScores != (openai.ResultCategoryScores{}) {
			t.Errorf("result = %+v, want flagged with no category", r)
		}
	})
}

func TestModerationsGoClientErrors(t *testing.T) {
	ts := startModerationServer(t, func(c *httpapi.Config) { c.MaxTextBytes = 100 })
	tests := []struct {
		name    string
		key     string
		input   string
		status  int
		code    string
		message string
	}{
		{"empty input", backendKey.Secret, "", 400, "invalid", "input is required"},
		{"text too long", backendKey.Secret, strings.Repeat("a", 101), 413, "too_large", "input is 101 bytes; the limit is 100"},
		{"wrong key", "wrong-secret-0123456789", helloText, 401, "unauthorized", "invalid API key"},
		{"moderator key", moderatorKey.Secret, helloText, 403, "forbidden", "may not call POST /v1/moderations"},
		{"screener down", backendKey.Secret, downText, 503, "unavailable", "input: the model is down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := openAIClient(ts, tc.key).Moderations(t.Context(), openai.ModerationRequest{Input: tc.input})
			var apiErr *openai.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v (%T), want *openai.APIError", err, err)
			}
			if apiErr.HTTPStatusCode != tc.status || apiErr.Code != tc.code || !strings.Contains(apiErr.Message, tc.message) {
				t.Errorf("APIError status %d, code %v, message %q; want %d, %s, %q", apiErr.HTTPStatusCode, apiErr.Code, apiErr.Message, tc.status, tc.code, tc.message)
			}
		})
	}
}

func TestModerationsMapping(t *testing.T) {
	ts := startModerationServer(t, nil)
	tests := []struct {
		text       string
		flagged    bool
		categories []string           // true; the rest false
		scores     map[string]float64 // the rest 0
		action     string
	}{
		{helloText, false, nil, nil, "allow"},
		{spamText, true, nil, nil, "review"},
		{threatText, true, []string{"harassment", "harassment/threatening", "violence"},
			map[string]float64{"harassment": 0.6, "harassment/threatening": 0.9, "hate": 0.3, "hate/threatening": 0.3, "violence": 0.9}, "block"},
		{cardsText, true, []string{"illicit"},
			map[string]float64{"illicit": 0.7, "illicit/violent": 0.4, "harassment/threatening": 0.4, "violence": 0.4}, "review"},
		{hateText, true, []string{"hate", "hate/threatening", "harassment/threatening", "violence"},
			map[string]float64{"hate": 0.8, "hate/threatening": 0.7, "harassment/threatening": 0.7, "violence": 0.7}, "block"},
		{minorsText, true, []string{"sexual", "sexual/minors"}, map[string]float64{"sexual": 0.5, "sexual/minors": 0.95}, "block"},
		{selfHarmText, true, []string{"self-harm"}, map[string]float64{"self-harm": 0.65}, "review"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			input, _ := json.Marshal(tc.text)
			res := ts.post(t, "/v1/moderations", backendKey.Secret, `{"input":`+string(input)+`}`)
			if res.status != http.StatusOK {
				t.Fatalf("status = %d; body %s", res.status, res.body)
			}
			var body moderationBody
			decodeStrict(t, res.body, &body)
			if len(body.Results) != 1 {
				t.Fatalf("results = %d, want 1", len(body.Results))
			}
			r := body.Results[0]
			wantCats := make(map[string]bool)
			wantScores := make(map[string]float64)
			wantTypes := make(map[string][]string)
			for _, c := range openAICategories {
				wantCats[c], wantScores[c], wantTypes[c] = false, 0, []string{"text"}
			}
			for _, c := range tc.categories {
				wantCats[c] = true
			}
			for c, s := range tc.scores {
				wantScores[c] = s
			}
			if r.Flagged != tc.flagged {
				t.Errorf("flagged = %v, want %v", r.Flagged, tc.flagged)
			}
			if !reflect.DeepEqual(r.Categories, wantCats) {
				t.Errorf("categories = %v\nwant %v", r.Categories, wantCats)
			}
			if !reflect.DeepEqual(r.CategoryScores, wantScores) {
				t.Errorf("category_scores = %v\nwant %v", r.CategoryScores, wantScores)
			}
			if !reflect.DeepEqual(r.CategoryAppliedInputTypes, wantTypes) {
				t.Errorf("category_applied_input_types = %v", r.CategoryAppliedInputTypes)
			}
			v := moderationVerdicts[tc.text]
			if r.AUP.Action != tc.action || r.AUP.PolicyVersion != moderationPolicy || len(r.AUP.Categories) != len(v.Categories) {
				t.Errorf("aup = %+v, want action %s and the verdict's %d categories", r.AUP, tc.action, len(v.Categories))
			}
			for i, c := range r.AUP.Categories {
				if w := v.Categories[i]; c.Category != string(w.Category) || c.Score != w.Score || c.Action != string(w.Action) {
					t.Errorf("aup.categories[%d] = %+v, want %+v", i, c, w)
				}
			}
		})
	}
}

func TestModerationsInputForms(t *testing.T) {
	ts := startModerationServer(t, func(c *httpapi.Config) { c.BatchConcurrency = 2 })
	tests := []struct {
		name    string
		body    string
		flagged []bool // per result
		illicit []bool
	}{
		{"string", `{"input":"hello there"}`, []bool{false}, []bool{false}},
		{"array of strings, in order", `{"input":["hello there","cheap pills click here","I will hurt you","buy stolen cards\nhere","hello there"]}`,
			[]bool{false, true, true, true, false}, []bool{false, false, false, true, false}},
		{"text parts are one input, joined by newlines", `{"input":[{"type":"text","text":"buy stolen cards"},{"type":"text","text":"here"}]}`,
			[]bool{true}, []bool{true}},
		{"one text part", `{"input":[{"type":"text","text":"I will hurt you"}]}`, []bool{true}, []bool{false}},
		{"an empty part among others", `{"input":[{"type":"text","text":"hello"},{"type":"text","text":""}]}`, []bool{false}, []bool{false}},
		{"unknown fields are ignored", `{"model":"omni-moderation-latest","input":"hello there","user":"u1","extra":{"a":[1,2]},"Input":5}`, []bool{false}, []bool{false}},
		{"unknown fields in a part are ignored", `{"input":[{"type":"text","text":"hello","cache":true}]}`, []bool{false}, []bool{false}},
		{"any model name", `{"input":"hello there","model":"text-moderation-007"}`, []bool{false}, []bool{false}},
		{"null model", `{"input":"hello there","model":null}`, []bool{false}, []bool{false}},
		{"model at the limit", `{"input":"hello there","model":"` + strings.Repeat("m", 100) + `"}`, []bool{false}, []bool{false}},
		{"escaped field name", `{"\u0069nput":"hello there"}`, []bool{false}, []bool{false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.post(t, "/v1/moderations", backendKey.Secret, tc.body)
			if res.status != http.StatusOK {
				t.Fatalf("status = %d; body %s", res.status, res.body)
			}
			// go-openai cannot send an array, but reads the response to one.
			var body openai.ModerationResponse
			if err := json.Unmarshal(res.body, &body); err != nil {
				t.Fatalf("decode %s: %v", res.body, err)
			}
			var flagged, illicit []bool
			for _, r := range body.Results {
				flagged = append(flagged, r.Flagged)
			}
			var raw moderationBody
			decodeStrict(t, res.body, &raw)
			for _, r := range raw.Results {
				illicit = append(illicit, r.Categories["illicit"])
			}
			if !reflect.DeepEqual(flagged, tc.flagged) || !reflect.DeepEqual(illicit, tc.illicit) {
				t.Errorf("flagged %v, illicit %v; want %v, %v", flagged, illicit, tc.flagged, tc.illicit)
			}
		})
	}
	t.Run("a fresh id each time", func(t *testing.T) {
		ids := map[string]bool{}
		for range 3 {
			var body moderationBody
			decodeStrict(t, ts.post(t, "/v1/moderations", backendKey.Secret, `{"input":"a"}`).body, &body)
			if !moderationID.MatchString(body.ID) || ids[body.ID] {
				t.Errorf("id %q: not modr-<24 hex>, or repeated", body.ID)
			}
			ids[body.ID] = true
		}
	})
}

func TestModerationsBadInput(t *testing.T) {
	// MaxTextBytes 100: one item may take 6*100+4096 = 4696 bytes of body.
	ts := startModerationServer(t, func(c *httpapi.Config) { c.MaxTextBytes = 100; c.MaxBatch = 3 })
	long := strings.Repeat("a", 101)
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		msg    string
	}{
		{"no input", `{"model":"omni-moderation-latest"}`, 400, "invalid", "input is required: a string, or an array of 1 to 3 strings or of text parts"},
		{"null input", `{"input":null}`, 400, "invalid", "input is required"},
		{"empty array", `{"input":[]}`, 400, "invalid", "input is required"},
		{"empty string", `{"input":""}`, 400, "invalid", "input is empty"},
		{"whitespace string", `{"input":" \n\t"}`, 400, "invalid", "input is empty"},
		{"an empty string in an array", `{"input":["a",""]}`, 400, "invalid", "input[1] is empty"},
		{"empty text parts", `{"input":[{"type":"text","text":" "},{"type":"text","text":""}]}`, 400, "invalid", "input: the text parts are empty"},
		{"text too long", `{"input":"` + long + `"}`, 413, "too_large", "input is 101 bytes; the limit is 100"},
		{"an item too long", `{"input":["a","` + long + `"]}`, 413, "too_large", "input[1] is 101 bytes; the limit is 100"},
		{"text parts too long together", `{"input":[{"type":"text","text":"` + long[:60] + `"},{"type":"text","text":"` + long[:60] + `"}]}`, 413, "too_large", "input: the text parts are 121 bytes; the limit is 100"},
		{"too many items", `{"input":["a","b","c","d"]}`, 400, "invalid", "input: at most 3 items per request"},
		{"too many parts", `{"input":[{"type":"text","text":"a"},{"type":"text","text":"b"},{"type":"text","text":"c"},{"type":"text","text":"d"}]}`, 400, "invalid", "input: at most 3 items"},
		{"image part", `{"input":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}`, 400, "invalid",
			"input[0]: image input is not supported by /v1/moderations; screen files with POST /v1/check/upload"},
		{"image after text", `{"input":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}`, 400, "invalid", "input[1]: image input is not supported"},
		{"unknown part type", `{"input":[{"type":"audio","audio":"x"}]}`, 400, "invalid", `input[0]: unknown part type "audio"; expected "text"`},
		{"part without type", `{"input":[{"text":"a"}]}`, 400, "invalid", "input[0].type is required"},
		{"text part without text", `{"input":[{"type":"text"}]}`, 400, "invalid", "input[0].text is required"},
		{"part with a number as text", `{"input":[{"type":"text","text":5}]}`, 400, "invalid", `input[0]: a text part is {"type":"text","text":"..."}`},
		{"strings and parts mixed", `{"input":["a",{"type":"text","text":"b"}]}`, 400, "invalid", "input[1]: an array of input holds either strings or text parts, not both"},
		{"a number in the array", `{"input":["a",5]}`, 400, "invalid", "input[1]: expected a string or a text part object, got number"},
		{"null in the array", `{"input":[null]}`, 400, "invalid", "input[0]: expected a string or a text part object, got null"},
		{"input a number", `{"input":5}`, 400, "invalid", "input: expected a string or an array, got number"},
		{"input an object", `{"input":{"text":"a"}}`, 400, "invalid", "input: expected a string or an array, got object"},
		{"duplicate input", `{"input":"a","input":"b"}`, 400, "invalid", `duplicate field "input"`},
		{"model too long", `{"input":"a","model":"` + strings.Repeat("m", 101) + `"}`, 400, "invalid", "model is 101 bytes; the limit is 100"},
		{"model a number", `{"input":"a","model":4}`, 400, "invalid", "model: expected string, got number"},
		{"not an object", `["a"]`, 400, "invalid", "request body must be a JSON object"},
		{"invalid JSON", `{"input":"a",}`, 400, "invalid", "invalid JSON"},
		{"trailing data", `{"input":"a"} {}`, 400, "invalid", "after the JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ts.post(t, "/v1/moderations", backendKey.Secret, tc.body), tc.status, tc.code, tc.msg)
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		res := ts.do(t, request{method: http.MethodPost, path: "/v1/moderations", key: backendKey.Secret, contentType: "text/plain", body: strings.NewReader(`{"input":"a"}`)})
		wantError(t, res, http.StatusUnsupportedMediaType, "unsupported_media_type", "application/json")
	})
	// Chunked, the body's length is not known up front: each value is
	// refused by the per-item budget before it is read whole.
	budget := []struct{ name, body, msg string }{
		{"a string over the item budget", `{"input":"` + strings.Repeat("a", 20000) + `"}`, "input is larger than 4696 bytes, the limit for one check"},
		{"an item over the item budget", `{"input":["a","` + strings.Repeat("b", 20000) + `"]}`, "input[1] is larger than 4696 bytes"},
		{"an unknown field over the item budget", `{"input":"a","junk":"` + strings.Repeat("b", 20000) + `"}`, `field "junk" is larger than 4696 bytes`},
		{"a model over the item budget", `{"input":"a","model":"` + strings.Repeat("b", 20000) + `"}`, "model is larger than 4696 bytes"},
	}
	for _, tc := range budget {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.do(t, request{method: http.MethodPost, path: "/v1/moderations", key: backendKey.Secret, body: onlyReader{strings.NewReader(tc.body)}})
			wantError(t, res, http.StatusRequestEntityTooLarge, "too_large", tc.msg)
		})
	}
	t.Run("body over the limit", func(t *testing.T) {
		// 3 items of 4696 bytes: 14088.
		res := ts.post(t, "/v1/moderations", backendKey.Secret, `{"input":"`+strings.Repeat("a", 15000)+`"}`)
		wantError(t, res, http.StatusRequestEntityTooLarge, "too_large", "the limit for this endpoint is 14088")
	})
	t.Run("no key", func(t *testing.T) {
		wantError(t, ts.post(t, "/v1/moderations", "", `{"input":"a"}`), http.StatusUnauthorized, "unauthorized", "missing API key")
	})
	t.Run("an item the screener fails names it", func(t *testing.T) {
		res := ts.post(t, "/v1/moderations", backendKey.Secret, `{"input":["a","`+downText+`"]}`)
		wantError(t, res, http.StatusServiceUnavailable, "unavailable", "input[1]: the model is down")
	})
}

// FuzzModerationsRequest posts arbitrary bodies to POST /v1/moderations:
// whatever the body, the answer is 200 with a result per input and every
// OpenAI category, or 400, 413 or 415, always JSON.
func FuzzModerationsRequest(f *testing.F) {
	for _, seed := range []string{
		`{"input":"hello"}`,
		`{"input":["a","you ` + flaggedWord + `"],"model":"omni-moderation-latest"}`,
		`{"input":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}`,
		`{"input":[{"type":"image_url","image_url":{"url":"x"}}]}`,
		`{"input":["a",{"type":"text","text":"b"}]}`,
		`{"input":"a","input":"b"}`,
		`{"input":"a","extra":{"x":[1,{}]}}`,
		`{"input":[null,5]}`,
		`{"input":""}`,
		`{"model":5}`,
		`[]`,
		`null`,
		``,
		`{"input":"` + strings.Repeat("a", 200) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	h, _ := newHandler(f, func(c *httpapi.Config) {
		c.MaxTextBytes = 128
		c.MaxBatch = 4
		c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/v1/moderations", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+backendKey.Secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			var res moderationBody
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || len(res.Results) == 0 || len(res.Results) > 4 {
				t.Fatalf("body %q: answer %s (%v)", body, rec.Body, err)
			}
			for _, r := range res.Results {
				if len(r.Categories) != len(openAICategories) || len(r.CategoryScores) != len(openAICategories) {
					t.Fatalf("body %q: a result without every category: %s", body, rec.Body)
				}
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("response %q is not JSON", rec.Body)
			}
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
	})
}

// TestModerationsBundledRules runs the endpoint over the engine aup ships,
// so that the mapping meets real verdicts and their per-category actions.
func TestModerationsBundledRules(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: compiling the bundled rules takes a few seconds")
	}
	set, err := rules.Load(bundled.FS)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(set, engine.Options{Detector: english{}})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *httpapi.Config) { c.Screener = eng })
	res, err := openAIClient(ts, backendKey.Secret).Moderations(t.Context(), openai.ModerationRequest{Input: "i will kill you"})
	if err != nil {
		t.Fatalf("Moderations: %v", err)
	}
	if r := res.Results[0]; !r.Flagged || !r.Categories.Violence || !r.Categories.HarassmentThreatening || r.CategoryScores.Violence < 0.5 {
		t.Errorf("threat: %+v, want flagged for violence and harassment/threatening", r)
	}
	// Gambling has no OpenAI category: flagged, nothing true, and the aup
	// field says why.
	body := ts.post(t, "/v1/moderations", backendKey.Secret, `{"input":["free spins at our online casino, sign-up bonus!","buy milk"]}`)
	var got moderationBody
	decodeStrict(t, body.body, &got)
	if len(got.Results) != 2 {
		t.Fatalf("results: %s", body.body)
	}
	casino, milk := got.Results[0], got.Results[1]
	for c, v := range casino.Categories {
		if v {
			t.Errorf("casino: %s is true", c)
		}
	}
	if !casino.Flagged || casino.AUP.Action == "allow" || len(casino.AUP.Categories) == 0 || casino.AUP.Categories[0].Category != "gambling" {
		t.Errorf("casino: %s, want flagged for gambling", body.body)
	}
	if milk.Flagged || milk.AUP.Action != "allow" {
		t.Errorf("milk: flagged")
	}
	if !strings.HasPrefix(got.Model, "aup-") || got.Model == "aup-" {
		t.Errorf("model = %q, want aup-<policy version>", got.Model)
	}
}

// english says every text is English.
type english struct{}

func (english) Detect(string) moderation.Language {
	return moderation.Language{Code: "en", Confidence: 1}
}

// skipOrFail skips t with msg, or fails it when the environment variable CI
// is set: CI must run every test.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("required in CI: %s", msg)
	}
	t.Skipf("skipping: %s", msg)
}

// jsResult is a moderation response as the JavaScript client returned it.
type jsResult struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Results []struct {
		Flagged        bool               `json:"flagged"`
		Categories     map[string]bool    `json:"categories"`
		CategoryScores map[string]float64 `json:"category_scores"`
		AUP            struct {
			Action string `json:"action"`
		} `json:"aup"`
	} `json:"results"`
}

// jsError is an error as the JavaScript client reported it.
type jsError struct {
	Class      string          `json:"class"`
	Status     int             `json:"status"`
	Message    string          `json:"message"`
	Code       string          `json:"code"`
	RequestID  string          `json:"request_id"`
	Unexpected json.RawMessage `json:"unexpected"`
}

// TestModerationsOpenAIJS runs the official OpenAI JavaScript client
// (testdata/openai-js, installed by make test with npm ci) against the
// server. It skips when node or the client is missing, and fails in CI.
func TestModerationsOpenAIJS(t *testing.T) {
	dir := filepath.Join("testdata", "openai-js")
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "node is not on the PATH; install it with apt-get install nodejs npm, then run make test")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openai", "package.json")); err != nil {
		skipOrFail(t, "the OpenAI JavaScript client is not installed; run npm ci --prefix internal/httpapi/testdata/openai-js (make test does)")
	}
	ts := startModerationServer(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "moderate.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "AUP_BASE_URL="+ts.URL+"/v1", "AUP_KEY="+backendKey.Secret)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node moderate.mjs: %v\n%s", err, stderr.String())
	}
	var got struct {
		String, Array, Parts jsResult
		Errors               struct {
			Empty, Image jsError
			BadKey       jsError `json:"bad_key"`
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}

	if r := got.String; !moderationID.MatchString(r.ID) || r.Model != "aup-"+moderationPolicy || len(r.Results) != 1 ||
		!r.Results[0].Flagged || !r.Results[0].Categories["harassment/threatening"] || r.Results[0].CategoryScores["violence"] != 0.9 ||
		r.Results[0].AUP.Action != "block" {
		t.Errorf("string input: %+v", r)
	}
	if r := got.Array; len(r.Results) != 2 || r.Results[0].Flagged || !r.Results[1].Flagged || anyTrue(r.Results[1].Categories) {
		t.Errorf("array input: %+v, want [allowed, flagged with no category]", r)
	}
	if r := got.Parts; len(r.Results) != 1 || !r.Results[0].Categories["illicit"] {
		t.Errorf("text parts: %+v, want one result, illicit", r)
	}
	tests := []struct {
		name       string
		got        jsError
		class      string
		status     int
		code, text string
	}{
		{"empty", got.Errors.Empty, "BadRequestError", 400, "invalid", "input is empty"},
		{"image", got.Errors.Image, "BadRequestError", 400, "invalid", "image input is not supported by /v1/moderations"},
		{"bad key", got.Errors.BadKey, "AuthenticationError", 401, "unauthorized", "invalid API key"},
	}
	for _, tc := range tests {
		e := tc.got
		if e.Unexpected != nil || e.Class != tc.class || e.Status != tc.status || e.Code != tc.code ||
			!strings.Contains(e.Message, tc.text) || e.RequestID == "" {
			t.Errorf("%s: the client reported %+v; want %s %d, code %s, a message with %q and the request id", tc.name, e, tc.class, tc.status, tc.code, tc.text)
		}
	}
}

func anyTrue(m map[string]bool) bool {
	for _, v := range m {
		if v {
			return true
		}
	}
	return false
}
