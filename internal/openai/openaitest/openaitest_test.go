package openaitest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// png is a few bytes that stand for an image: the server never decodes pixels.
var png = []byte("\x89PNG\r\n\x1a\nnot really an image")

var pngURL = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)

func client(s *Server, key string) *openai.Client {
	cfg := openai.DefaultConfig(key)
	cfg.BaseURL = s.URL
	return openai.NewClientWithConfig(cfg)
}

// post sends body with net/http and returns the status, the headers and the decoded JSON body.
func post(t *testing.T, s *Server, method, path, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, strings.TrimSuffix(s.URL, "/v1")+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sk-test")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v: %s", method, path, err, raw)
	}
	return res.StatusCode, res.Header, out
}

// scoreViolence scores "violence" 0.9 when the text says "kill" or there is an image.
func scoreViolence(text string, images [][]byte) map[string]float64 {
	if strings.Contains(text, "kill") || len(images) > 0 {
		return map[string]float64{"violence": 0.9}
	}
	return nil
}

func TestModerationsGoOpenAI(t *testing.T) {
	s := New(t, Options{Moderate: scoreViolence})
	c := client(s, "sk-test")
	tests := []struct {
		name, model, input, wantModel string
		wantFlagged                   bool
	}{
		{"default model flagged", "", "I will kill you", "omni-moderation-2024-09-26", true},
		{"omni latest clean", openai.ModerationOmniLatest, "hello there", "omni-moderation-2024-09-26", false},
		{"text model", openai.ModerationTextLatest, "I will kill you", "text-moderation-007", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.Moderations(t.Context(), openai.ModerationRequest{Input: tc.input, Model: tc.model})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(res.ID, "modr-") || res.Model != tc.wantModel || len(res.Results) != 1 {
				t.Fatalf("id %q, model %q, %d results", res.ID, res.Model, len(res.Results))
			}
			r := res.Results[0]
			if r.Flagged != tc.wantFlagged || r.Categories.Violence != tc.wantFlagged || r.Categories.Hate {
				t.Errorf("flagged %v, categories %+v", r.Flagged, r.Categories)
			}
			if want := float32(1e-6); tc.wantFlagged && r.CategoryScores.Violence != 0.9 || r.CategoryScores.Hate != want {
				t.Errorf("scores %+v", r.CategoryScores)
			}
			if res.Header().Get("x-request-id") == "" || res.Header().Get("openai-processing-ms") == "" {
				t.Errorf("headers %v", res.Header())
			}
		})
	}
}

func TestModerationsInputs(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	s := New(t, Options{Moderate: func(text string, images [][]byte) map[string]float64 {
		mu.Lock()
		defer mu.Unlock()
		for _, img := range images {
			if !bytes.Equal(img, png) {
				t.Errorf("image %q", img)
			}
			text += "+image"
		}
		seen = append(seen, text)
		return scoreViolence(text, images)
	}})
	tests := []struct {
		name, body string
		wantSeen   []string
		// wantApplied is category_applied_input_types of the first result, for
		// violence and hate; nil: the field must be absent.
		wantApplied map[string][]any
		wantHate    float64
	}{
		{
			name: "string", body: `{"input":"hello"}`, wantSeen: []string{"hello"},
			wantApplied: map[string][]any{"violence": {"text"}, "hate": {"text"}}, wantHate: 1e-6,
		},
		{
			name: "array of strings", body: `{"input":["one","two kill"]}`, wantSeen: []string{"one", "two kill"},
			wantApplied: map[string][]any{"violence": {"text"}, "hate": {"text"}}, wantHate: 1e-6,
		},
		{
			name:     "text and image",
			body:     `{"input":[{"type":"text","text":"a"},{"type":"text","text":"b"},{"type":"image_url","image_url":{"url":"` + pngURL + `"}}]}`,
			wantSeen: []string{"a\nb+image"},
			// the guide: hate is text only, violence applies to images too
			wantApplied: map[string][]any{"violence": {"text", "image"}, "hate": {"text"}}, wantHate: 1e-6,
		},
		{
			name:     "image only",
			body:     `{"input":[{"type":"image_url","image_url":{"url":"` + pngURL + `"}}]}`,
			wantSeen: []string{"+image"},
			// the guide: without text, text-only categories score 0
			wantApplied: map[string][]any{"violence": {"image"}, "hate": {}}, wantHate: 0,
		},
		{
			name: "text model", body: `{"input":"hello","model":"text-moderation-stable"}`, wantSeen: []string{"hello"},
			wantHate: 1e-6,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			status, _, body := post(t, s, "POST", "/v1/moderations", tc.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, body)
			}
			mu.Lock()
			got := seen
			mu.Unlock()
			if strings.Join(got, "|") != strings.Join(tc.wantSeen, "|") {
				t.Errorf("Moderate saw %q, want %q", got, tc.wantSeen)
			}
			results := body["results"].([]any)
			if len(results) != len(tc.wantSeen) {
				t.Fatalf("%d results, want %d", len(results), len(tc.wantSeen))
			}
			for i, r := range results {
				r := r.(map[string]any)
				flagged := strings.Contains(tc.wantSeen[i], "kill") || strings.Contains(tc.wantSeen[i], "image")
				if r["flagged"] != flagged || r["categories"].(map[string]any)["violence"] != flagged {
					t.Errorf("result %d: %v", i, r)
				}
			}
			first := results[0].(map[string]any)
			scores := first["category_scores"].(map[string]any)
			if scores["hate"] != tc.wantHate {
				t.Errorf("hate score %v, want %v", scores["hate"], tc.wantHate)
			}
			applied, ok := first["category_applied_input_types"].(map[string]any)
			if tc.wantApplied == nil {
				_, illicit := scores["illicit"]
				if ok || illicit || len(scores) != 11 {
					t.Errorf("text model answered omni fields: %v", first)
				}
				return
			}
			if len(applied) != 13 || len(scores) != 13 || len(first["categories"].(map[string]any)) != 13 {
				t.Errorf("want the 13 omni categories: %v", first)
			}
			for c, want := range tc.wantApplied {
				if got, _ := json.Marshal(applied[c]); string(got) != mustJSON(want) {
					t.Errorf("applied types of %s: %s, want %s", c, got, mustJSON(want))
				}
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// multiModal is an HTTP client that rewrites a go-openai moderation request
// into a multi-modal one: go-openai v1.43.0 sends only string input.
type multiModal struct{ input string }

func (m multiModal) Do(req *http.Request) (*http.Response, error) {
	var body map[string]any
	if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
		return nil, err
	}
	body["input"] = json.RawMessage(m.input)
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	return http.DefaultClient.Do(req)
}

func TestModerationsImageErrorsGoOpenAI(t *testing.T) {
	s := New(t, Options{})
	image := `{"type":"image_url","image_url":{"url":"` + pngURL + `"}}`
	tests := []struct {
		name, model, input, wantCode string
	}{
		{"text model refuses images", openai.ModerationTextStable, `[` + image + `]`, "invalid_value"},
		{"one image at most", openai.ModerationOmniLatest, `[` + image + `,` + image + `]`, "too_many_images"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := openai.DefaultConfig("sk-test")
			cfg.BaseURL, cfg.HTTPClient = s.URL, multiModal{tc.input}
			_, err := openai.NewClientWithConfig(cfg).Moderations(t.Context(), openai.ModerationRequest{Input: "x", Model: tc.model})
			apiErr, ok := errors.AsType[*openai.APIError](err)
			if !ok {
				t.Fatalf("want *openai.APIError, got %T %v", err, err)
			}
			if apiErr.HTTPStatusCode != http.StatusBadRequest || apiErr.Code != tc.wantCode ||
				apiErr.Param == nil || *apiErr.Param != "input" || apiErr.Type != "invalid_request_error" {
				t.Errorf("error %+v", apiErr)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	s := New(t, Options{Key: "sk-right-key-0123"})
	tests := []struct {
		name, key, wantCode string
	}{
		{"wrong key", "sk-wrong-key-4567", "invalid_api_key"},
		{"short wrong key", "nope", "invalid_api_key"},
		{"no key", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client(s, tc.key).Moderations(t.Context(), openai.ModerationRequest{Input: "hello"})
			apiErr, ok := errors.AsType[*openai.APIError](err)
			if !ok {
				t.Fatalf("want *openai.APIError, got %T %v", err, err)
			}
			code, _ := apiErr.Code.(string)
			if apiErr.HTTPStatusCode != http.StatusUnauthorized || code != tc.wantCode || apiErr.Type != "invalid_request_error" {
				t.Errorf("error %+v", apiErr)
			}
			if tc.key != "" && strings.Contains(apiErr.Message, tc.key) {
				t.Errorf("the message shows the key: %s", apiErr.Message)
			}
		})
	}
	if _, err := client(s, "sk-right-key-0123").Moderations(t.Context(), openai.ModerationRequest{Input: "hello"}); err != nil {
		t.Errorf("right key: %v", err)
	}
}

func TestFaults(t *testing.T) {
	s := New(t, Options{})
	c := client(s, "sk-test")
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int    // of an *openai.APIError; 0: another error
		wantType   string // of the APIError
	}{
		{"rate limit", Fault{Status: 429, RetryAfter: "1"}, 429, "requests"},
		{"server error", Fault{Status: 500}, 500, "server_error"},
		{"overloaded", Fault{Status: 503}, 503, "server_error"},
		{"malformed", Fault{Malformed: true}, 0, ""},
		{"html body", Fault{Status: 502, Body: "<html>502 Bad Gateway</html>"}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Enqueue(tc.fault)
			_, err := c.Moderations(t.Context(), openai.ModerationRequest{Input: "hello"})
			if err == nil {
				t.Fatal("no error")
			}
			apiErr, ok := errors.AsType[*openai.APIError](err)
			if ok != (tc.wantStatus != 0) || ok && (apiErr.HTTPStatusCode != tc.wantStatus || apiErr.Type != tc.wantType) {
				t.Errorf("error %T %v", err, err)
			}
			if _, err := c.Moderations(t.Context(), openai.ModerationRequest{Input: "hello"}); err != nil {
				t.Errorf("the request after the fault: %v", err)
			}
		})
	}

	t.Run("rate limit headers", func(t *testing.T) {
		s.Enqueue(Fault{Status: 429, RetryAfter: "0.2"})
		status, h, body := post(t, s, "POST", "/v1/moderations", `{"input":"x","model":"omni-moderation-latest"}`)
		e := body["error"].(map[string]any)
		if status != 429 || h.Get("Retry-After") != "0.2" || h.Get("x-ratelimit-remaining-requests") != "0" ||
			h.Get("x-ratelimit-reset-requests") != "0.2s" || h.Get("Content-Type") != "application/json" {
			t.Errorf("status %d, headers %v", status, h)
		}
		if e["code"] != "rate_limit_exceeded" || !strings.Contains(e["message"].(string), "omni-moderation-latest") ||
			!strings.Contains(e["message"].(string), "Please try again in 0.2s.") {
			t.Errorf("error %v", e)
		}
	})

	reqs := s.Requests()
	if len(reqs) != 2*len(tests)+1 || s.Count("/v1/moderations") != len(reqs) || s.Count("/v1/chat/completions") != 0 {
		t.Fatalf("%d requests recorded", len(reqs))
	}
	if reqs[0].Status != 429 || reqs[1].Status != 200 || reqs[6].Status != 200 || // malformed answers 200
		!strings.Contains(string(reqs[0].Body), "hello") || reqs[0].Header.Get("Authorization") != "Bearer sk-test" {
		t.Errorf("requests %+v", reqs[:2])
	}
}

func TestDelay(t *testing.T) {
	s := New(t, Options{})
	c := client(s, "sk-test")

	t.Run("client deadline", func(t *testing.T) {
		s.Enqueue(Fault{Delay: time.Hour})
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Moderations(ctx, openai.ModerationRequest{Input: "hello"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want a deadline error, got %v", err)
		}
		// The handler must stop waiting when the client goes away.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			s.mu.Lock()
			active := s.active
			s.mu.Unlock()
			if active == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the server still waits after the client went away")
			}
		}
		if r := s.Requests(); r[len(r)-1].Status != 0 {
			t.Errorf("status %d recorded for an abandoned request", r[len(r)-1].Status)
		}
	})

	t.Run("every answer waits", func(t *testing.T) {
		const d = 50 * time.Millisecond
		s.SetDelay(d)
		defer s.SetDelay(0)
		start := time.Now()
		if _, err := c.Moderations(t.Context(), openai.ModerationRequest{Input: "hello"}); err != nil {
			t.Fatal(err)
		}
		if time.Since(start) < d {
			t.Errorf("answered in %v, before the delay of %v", time.Since(start), d)
		}
	})
}

func TestChatGoOpenAI(t *testing.T) {
	var got ChatRequest
	s := New(t, Options{Chat: func(r ChatRequest) string {
		got = r
		return `{"scores":{"hate":0.1}}`
	}})
	schema := json.RawMessage(`{"type":"object","properties":{"scores":{"type":"object"}},"required":["scores"]}`)
	req := openai.ChatCompletionRequest{
		Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: "Score the content."},
			{Role: openai.ChatMessageRoleUser, MultiContent: []openai.ChatMessagePart{
				{Type: openai.ChatMessagePartTypeText, Text: "a caption"},
				{Type: openai.ChatMessagePartTypeImageURL, ImageURL: &openai.ChatMessageImageURL{URL: pngURL, Detail: openai.ImageURLDetailLow}},
			}},
		},
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type:       openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{Name: "scores", Schema: schema, Strict: true},
		},
		MaxTokens:   200,
		Temperature: 0.5,
	}
	res, err := client(s, "sk-test").CreateChatCompletion(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}

	if got.Model != "gpt-4o-mini" || len(got.Messages) != 2 || got.MaxTokens != 200 || got.Temperature == nil || *got.Temperature != 0.5 {
		t.Fatalf("Chat saw %+v", got)
	}
	if m := got.Messages[0]; m.Role != "system" || m.Text != "Score the content." || m.Images != nil {
		t.Errorf("system message %+v", m)
	}
	if m := got.Messages[1]; m.Role != "user" || m.Text != "a caption" || len(m.Images) != 1 || !bytes.Equal(m.Images[0], png) {
		t.Errorf("user message %+v", m)
	}
	if !strings.Contains(string(got.ResponseFormat), `"json_schema"`) || !strings.Contains(string(got.ResponseFormat), `"required":["scores"]`) {
		t.Errorf("response format %s", got.ResponseFormat)
	}

	content := `{"scores":{"hate":0.1}}`
	if len(res.Choices) != 1 || res.Choices[0].Message.Content != content || res.Choices[0].Message.Role != "assistant" ||
		res.Choices[0].FinishReason != openai.FinishReasonStop || res.Object != "chat.completion" ||
		!strings.HasPrefix(res.ID, "chatcmpl-") || res.Model != "gpt-4o-mini" || res.Created == 0 {
		t.Errorf("response %+v", res)
	}
	prompt := tokens(len("Score the content.")) + tokens(len("a caption")) + 85
	if u := res.Usage; u.PromptTokens != prompt || u.CompletionTokens != tokens(len(content)) || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v, want %d prompt tokens", u, prompt)
	}
}

func TestChatAnswers(t *testing.T) {
	tests := []struct {
		name, body, wantContent, wantFinish string
		chat                                func(ChatRequest) string
		wantChoices                         int
	}{
		{
			name: "default answer", body: `{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
			wantContent: `{"scores":{}}`, wantFinish: "stop", wantChoices: 1,
		},
		{
			name: "cut at max_completion_tokens", chat: func(ChatRequest) string { return strings.Repeat("abcd", 10) },
			body:        `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":2,"max_tokens":9}`,
			wantContent: "abcdabcd", wantFinish: "length", wantChoices: 1,
		},
		{
			name: "n choices and unknown fields", chat: func(ChatRequest) string { return "ok" },
			body:        `{"model":"m","messages":[{"role":"developer","content":[{"type":"text","text":"json please"}]}],"n":3,"seed":7,"top_p":1,"store":false,"response_format":{"type":"json_object"}}`,
			wantContent: "ok", wantFinish: "stop", wantChoices: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t, Options{Chat: tc.chat})
			status, _, body := post(t, s, "POST", "/v1/chat/completions", tc.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, body)
			}
			choices := body["choices"].([]any)
			if len(choices) != tc.wantChoices {
				t.Fatalf("%d choices", len(choices))
			}
			c := choices[len(choices)-1].(map[string]any)
			msg := c["message"].(map[string]any)
			if msg["content"] != tc.wantContent || c["finish_reason"] != tc.wantFinish || body["system_fingerprint"] != "fp_test" {
				t.Errorf("answer %v", body)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	s := New(t, Options{ChatModels: []string{"gpt-4o-mini"}})
	chat := func(messages string, extra ...string) string {
		return `{"model":"gpt-4o-mini","messages":` + messages + strings.Join(extra, "") + `}`
	}
	user := `[{"role":"user","content":"hi"}]`
	image := func(url string) string { return `{"type":"image_url","image_url":{"url":"` + url + `"}}` }
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantParam                string // "" for null
		wantInMessage            string // default: wantParam
	}{
		{"moderation invalid JSON", "POST", "/v1/moderations", `{"input":`, 400, "", "JSON"},
		{"moderation unknown field", "POST", "/v1/moderations", `{"input":"x","inputs":["y"]}`, 400, "inputs", ""},
		{"moderation missing input", "POST", "/v1/moderations", `{}`, 400, "input", ""},
		{"moderation null input", "POST", "/v1/moderations", `{"input":null}`, 400, "input", ""},
		{"moderation empty string", "POST", "/v1/moderations", `{"input":""}`, 400, "input", ""},
		{"moderation empty array", "POST", "/v1/moderations", `{"input":[]}`, 400, "input", ""},
		{"moderation number input", "POST", "/v1/moderations", `{"input":5}`, 400, "input", ""},
		{"moderation model not a string", "POST", "/v1/moderations", `{"input":"x","model":5}`, 400, "model", ""},
		{"moderation unknown object type", "POST", "/v1/moderations", `{"input":[{"type":"audio"}]}`, 400, "input[0].type", ""},
		{"moderation mixed array", "POST", "/v1/moderations", `{"input":["a",{"type":"text","text":"b"}]}`, 400, "input[0]", ""},
		{"moderation text without text", "POST", "/v1/moderations", `{"input":[{"type":"text"}]}`, 400, "input[0].text", ""},
		{"moderation image without url", "POST", "/v1/moderations", `{"input":[{"type":"image_url"}]}`, 400, "input[0].image_url.url", ""},
		{"moderation https image", "POST", "/v1/moderations", `{"input":[` + image("https://example.com/a.png") + `]}`, 400, "input[0].image_url.url", "cannot be fetched"},
		{"moderation ftp image", "POST", "/v1/moderations", `{"input":[` + image("ftp://example.com/a.png") + `]}`, 400, "input[0].image_url.url", ""},
		{"moderation data URL not base64", "POST", "/v1/moderations", `{"input":[` + image("data:image/png,abc") + `]}`, 400, "input[0].image_url.url", ""},
		{"moderation data URL not an image", "POST", "/v1/moderations", `{"input":[` + image("data:text/plain;base64,aGk=") + `]}`, 400, "input[0].image_url.url", ""},
		{"moderation bad base64", "POST", "/v1/moderations", `{"input":[` + image("data:image/png;base64,!!!") + `]}`, 400, "input[0].image_url.url", ""},
		{"moderation two images", "POST", "/v1/moderations", `{"input":[` + image(pngURL) + `,` + image(pngURL) + `]}`, 400, "input", "images (2)"},
		{"moderation text model image", "POST", "/v1/moderations", `{"model":"text-moderation-latest","input":[` + image(pngURL) + `]}`, 400, "input", ""},
		{"moderation unknown model", "POST", "/v1/moderations", `{"input":"x","model":"gpt-4o"}`, 404, "model", "gpt-4o"},

		{"chat invalid JSON", "POST", "/v1/chat/completions", `[`, 400, "", "JSON"},
		{"chat missing model", "POST", "/v1/chat/completions", `{"messages":` + user + `}`, 400, "model", ""},
		{"chat unknown model", "POST", "/v1/chat/completions", `{"model":"gpt-9","messages":` + user + `}`, 404, "model", "gpt-9"},
		{"chat missing messages", "POST", "/v1/chat/completions", `{"model":"gpt-4o-mini"}`, 400, "messages", ""},
		{"chat empty messages", "POST", "/v1/chat/completions", chat(`[]`), 400, "messages", ""},
		{"chat bad role", "POST", "/v1/chat/completions", chat(`[{"role":"robot","content":"hi"}]`), 400, "messages[0].role", ""},
		{"chat role not a string", "POST", "/v1/chat/completions", chat(`[{"role":1,"content":"hi"}]`), 400, "messages.role", ""},
		{"chat missing content", "POST", "/v1/chat/completions", chat(`[{"role":"user"}]`), 400, "messages[0].content", ""},
		{"chat content a number", "POST", "/v1/chat/completions", chat(`[{"role":"user","content":1}]`), 400, "messages[0].content", ""},
		{"chat bad part type", "POST", "/v1/chat/completions", chat(`[{"role":"user","content":[{"type":"audio"}]}]`), 400, "messages[0].content[0].type", ""},
		{"chat image in system message", "POST", "/v1/chat/completions", chat(`[{"role":"system","content":[` + image(pngURL) + `]}]`), 400, "messages[0]", ""},
		{"chat https image", "POST", "/v1/chat/completions", chat(`[{"role":"user","content":[` + image("https://example.com/a.png") + `]}]`), 400, "messages[0].content[0].image_url.url", "cannot be fetched"},
		{"chat bad detail", "POST", "/v1/chat/completions", chat(`[{"role":"user","content":[{"type":"image_url","image_url":{"url":"` + pngURL + `","detail":"max"}}]}]`), 400, "messages[0].content[0].image_url.detail", ""},
		{"chat stream", "POST", "/v1/chat/completions", chat(user, `,"stream":true`), 400, "stream", "not supported"},
		{"chat response format type", "POST", "/v1/chat/completions", chat(user, `,"response_format":{"type":"xml"}`), 400, "response_format.type", ""},
		{"chat json_schema missing", "POST", "/v1/chat/completions", chat(user, `,"response_format":{"type":"json_schema"}`), 400, "response_format.json_schema", ""},
		{"chat json_schema without name", "POST", "/v1/chat/completions", chat(user, `,"response_format":{"type":"json_schema","json_schema":{"schema":{}}}`), 400, "response_format.json_schema.name", ""},
		{"chat json_object without json", "POST", "/v1/chat/completions", chat(user, `,"response_format":{"type":"json_object"}`), 400, "messages", "json"},
		{"chat temperature too high", "POST", "/v1/chat/completions", chat(user, `,"temperature":3`), 400, "temperature", ""},
		{"chat temperature a string", "POST", "/v1/chat/completions", chat(user, `,"temperature":"hot"`), 400, "temperature", ""},
		{"chat max_tokens zero", "POST", "/v1/chat/completions", chat(user, `,"max_tokens":0`), 400, "max_tokens", ""},
		{"chat max_completion_tokens negative", "POST", "/v1/chat/completions", chat(user, `,"max_completion_tokens":-1`), 400, "max_completion_tokens", ""},
		{"chat n zero", "POST", "/v1/chat/completions", chat(user, `,"n":0`), 400, "n", "'n'"},
		{"chat seed not an integer", "POST", "/v1/chat/completions", chat(user, `,"seed":1.5`), 400, "seed", ""},

		{"unknown path", "POST", "/v1/embeddings", `{}`, 404, "", "/v1/embeddings"},
		{"wrong method", "GET", "/v1/moderations", ``, 405, "", "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := post(t, s, tc.method, tc.path, tc.body)
			e, _ := body["error"].(map[string]any)
			if status != tc.wantStatus || e == nil {
				t.Fatalf("status %d, want %d: %v", status, tc.wantStatus, body)
			}
			param, _ := e["param"].(string)
			msg, _ := e["message"].(string)
			if want := tc.wantInMessage; param != tc.wantParam || !strings.Contains(msg, cmp.Or(want, tc.wantParam)) {
				t.Errorf("param %q, message %q", param, msg)
			}
			if _, ok := e["code"]; !ok || e["type"] != "invalid_request_error" {
				t.Errorf("error %v", e)
			}
			if h.Get("Content-Type") != "application/json" || !strings.HasPrefix(h.Get("x-request-id"), "req_") {
				t.Errorf("headers %v", h)
			}
		})
	}
}
