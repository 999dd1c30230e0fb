package openai_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/openai"
	"github.com/aup-dev/aup/internal/openai/openaitest"
	"github.com/aup-dev/aup/models"
)

// These tests run the real go-openai client, inside the Classifier, against
// openaitest: a local server speaking OpenAI's wire protocol.

// scores is a Moderate that scores the OpenAI categories named by words in
// the text ("[harassment/threatening=0.93]") and gives images the "sexual"
// score in the text's [image-sexual=p].
func scores(text string, images [][]byte) map[string]float64 {
	out := map[string]float64{}
	for _, f := range strings.Fields(text) {
		k, v, ok := strings.Cut(strings.Trim(f, "[]"), "=")
		var p float64
		if ok && json.Unmarshal([]byte(v), &p) == nil {
			if img, isImage := strings.CutPrefix(k, "image-"); isImage {
				if len(images) > 0 {
					out[img] = p
				}
				continue
			}
			out[k] = p
		}
	}
	return out
}

func newClassifier(t *testing.T, srv *openaitest.Server, mode string, change func(*openai.Config)) (*openai.Classifier, *prometheus.Registry) {
	t.Helper()
	return newClassifierTB(t, srv, mode, change)
}

func newClassifierTB(t testing.TB, srv *openaitest.Server, mode string, change func(*openai.Config)) (*openai.Classifier, *prometheus.Registry) {
	t.Helper()
	m, err := openai.LoadMapping(models.Classifier, mode)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	cfg := openai.Config{Mode: mode, BaseURL: srv.URL, APIKey: "sk-test", Mapping: m, Metrics: openai.NewMetrics(reg),
		Timeout: time.Second, Budget: 3 * time.Second}
	if mode == openai.ModeChat {
		cfg.Model = "llama-guard3:8b"
	}
	if change != nil {
		change(&cfg)
	}
	c, err := openai.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, reg
}

func score(ans moderation.ModelAnswer, label string) (moderation.ModelScore, bool) {
	for _, s := range ans.Scores {
		if s.Label == label || strings.HasPrefix(s.Label, label+" (") {
			return s, true
		}
	}
	return moderation.ModelScore{}, false
}

func TestModerationMapsEveryLabel(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Moderate: scores})
	c, _ := newClassifier(t, srv, openai.ModeModeration, nil)
	ans, err := c.Classify(t.Context(), "you will regret this [harassment/threatening=0.93] [illicit=0.81] [illicit/violent=0.4]", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Model != "omni-moderation-2024-09-26" {
		t.Errorf("model %q: want the pinned version the API answered with", ans.Model)
	}
	for _, want := range []moderation.ModelScore{
		{Label: "harassment/threatening", Category: moderation.Violence, P: 0.93, Threshold: 0.4, Block: 0.9},
		// Fields go-openai's types lack are read from the raw answer.
		{Label: "illicit", Category: moderation.IllegalActivity, P: 0.81, Threshold: 0.5},
		{Label: "illicit/violent", Category: moderation.Violence, P: 0.4, Threshold: 0.5},
	} {
		got, ok := score(ans, want.Label)
		if !ok || got != want {
			t.Errorf("%s: %+v, want %+v", want.Label, got, want)
		}
	}
	if len(ans.Scores) != 13 {
		t.Errorf("%d scores, want one per label of the 13 the API returns", len(ans.Scores))
	}
	if srv.Count("/v1/moderations") != 1 {
		t.Errorf("%d requests", srv.Count("/v1/moderations"))
	}
}

func TestModerationImageInput(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Moderate: scores})
	c, reg := newClassifier(t, srv, openai.ModeModeration, nil)
	if !c.Images() {
		t.Fatal("the bundled moderation mapping takes images")
	}
	img := moderation.Image{MediaType: "image/png", Data: []byte("\x89PNG\r\n\x1a\nfake"), Source: "a.png"}
	ans, err := c.Classify(t.Context(), "holiday [image-sexual=0.97]", []moderation.Image{img})
	if err != nil {
		t.Fatal(err)
	}
	s, ok := score(ans, "sexual")
	if !ok || s.P != 0.97 || !strings.Contains(s.Label, "image") {
		t.Errorf("sexual: %+v; want p 0.97 labelled as applying to the image", s)
	}
	var body struct {
		Input []struct {
			Type     string `json:"type"`
			ImageURL struct {
				URL string `json:"url"`
			} `json:"image_url"`
		} `json:"input"`
	}
	if err := json.Unmarshal(srv.Requests()[0].Body, &body); err != nil || len(body.Input) != 2 || body.Input[1].Type != "image_url" ||
		!strings.HasPrefix(body.Input[1].ImageURL.URL, "data:image/png;base64,") {
		t.Errorf("request body %s: want a text part and a data: URL image part", srv.Requests()[0].Body)
	}
	if got := value(t, reg, "aup_classifier_inputs_total", "image"); got != 1 {
		t.Errorf("image inputs counted: %v", got)
	}
}

func TestModerationLongTextAndUnlistedModel(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Moderate: scores, ModerationModels: map[string]string{"omni-moderation-2099-01-01": "omni-moderation-2099-01-01"}})
	c, _ := newClassifier(t, srv, openai.ModeModeration, func(c *openai.Config) { c.Model = "omni-moderation-2099-01-01" })
	text := strings.Repeat("a calm sentence about gardening. ", 1200) + " [hate=0.88]" // about 39 KiB: 3 pieces
	ans, err := c.Classify(t.Context(), text, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := score(ans, "hate"); s.P != 0.88 || ans.Model != "omni-moderation-2099-01-01" {
		t.Errorf("hate %v from %q: want the last piece's 0.88 from the configured model", s.P, ans.Model)
	}
	var body struct {
		Input []string `json:"input"`
		Model string   `json:"model"`
	}
	if err := json.Unmarshal(srv.Requests()[0].Body, &body); err != nil || len(body.Input) != 3 || body.Model != "omni-moderation-2099-01-01" {
		t.Errorf("request: %d pieces, model %q, err %v", len(body.Input), body.Model, err)
	}
}

func TestFailuresAndRetries(t *testing.T) {
	tests := []struct {
		name     string
		faults   []openaitest.Fault
		change   func(*openai.Config)
		reason   string // "" for an answer
		requests int
	}{
		{"500 then an answer", []openaitest.Fault{{Status: 500}}, nil, "", 2},
		{"503 on every attempt", []openaitest.Fault{{Status: 503}, {Status: 503}, {Status: 503}}, nil, moderation.UnavailableError, 3},
		{"429 with a short Retry-After is waited out", []openaitest.Fault{{Status: 429, RetryAfter: "0.2"}}, nil, "", 2},
		{"429 asking for longer than the budget", []openaitest.Fault{{Status: 429, RetryAfter: "30"}}, nil, moderation.UnavailableRateLimited, 1},
		{"slow answers time out", []openaitest.Fault{{Delay: 2 * time.Second}, {Delay: 2 * time.Second}}, func(c *openai.Config) {
			c.Timeout, c.Budget, c.Retries = 150*time.Millisecond, 400*time.Millisecond, 1
		}, moderation.UnavailableTimeout, 2},
		{"a slow answer, then a fast one", []openaitest.Fault{{Delay: 2 * time.Second}}, func(c *openai.Config) { c.Timeout = 150 * time.Millisecond }, "", 2},
		{"malformed answers", []openaitest.Fault{{Malformed: true}, {Malformed: true}, {Malformed: true}}, nil, moderation.UnavailableError, 1},
		{"an input the API refuses is not retried", []openaitest.Fault{{Status: 400}}, nil, moderation.UnavailableError, 1},
		{"no retries", []openaitest.Fault{{Status: 500}}, func(c *openai.Config) { c.Retries = -1 }, moderation.UnavailableError, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := openaitest.New(t, openaitest.Options{Moderate: scores})
			srv.Enqueue(tc.faults...)
			c, _ := newClassifier(t, srv, openai.ModeModeration, tc.change)
			start := time.Now()
			_, err := c.Classify(t.Context(), "hello [hate=0.1]", nil)
			elapsed := time.Since(start)
			if got := moderation.ErrorMessage(err); got != tc.reason {
				t.Errorf("reason %q (%v), want %q", got, err, tc.reason)
			}
			if err != nil && moderation.ErrorCode(err) != moderation.EUNAVAILABLE {
				t.Errorf("code %s, want unavailable", moderation.ErrorCode(err))
			}
			if n := srv.Count("/v1/moderations"); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if elapsed > 5*time.Second {
				t.Errorf("the call took %v, beyond its budget", elapsed)
			}
		})
	}
}

func TestRetryAfterPausesLaterCalls(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Moderate: scores})
	srv.Enqueue(openaitest.Fault{Status: 429, RetryAfter: "1"})
	c, _ := newClassifier(t, srv, openai.ModeModeration, func(c *openai.Config) { c.Budget = 800 * time.Millisecond; c.Timeout = 500 * time.Millisecond })
	if _, err := c.Classify(t.Context(), "one", nil); moderation.ErrorMessage(err) != moderation.UnavailableRateLimited {
		t.Fatalf("first call: %v, want rate_limited (the wait does not fit the budget left)", err)
	}
	if _, err := c.Classify(t.Context(), "two", nil); moderation.ErrorMessage(err) != moderation.UnavailableRateLimited {
		t.Errorf("a call within the Retry-After: %v, want rate_limited without a request", err)
	}
	if n := srv.Count("/v1/moderations"); n != 1 {
		t.Errorf("%d requests: calls during the pause must not be sent", n)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := c.Classify(t.Context(), "three", nil); err != nil {
		t.Errorf("after the pause: %v", err)
	}
}

func TestBreakerStopsCallingAFailingModel(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Moderate: scores})
	c, reg := newClassifier(t, srv, openai.ModeModeration, func(c *openai.Config) {
		c.Retries, c.BreakerFailures, c.BreakerCooldown = -1, 2, 300*time.Millisecond
	})
	srv.Enqueue(openaitest.Fault{Status: 500}, openaitest.Fault{Status: 502})
	for range 2 {
		_, _ = c.Classify(t.Context(), "x", nil)
	}
	if _, err := c.Classify(t.Context(), "x", nil); moderation.ErrorMessage(err) != moderation.UnavailableCircuitOpen {
		t.Fatalf("after 2 failures: %v, want circuit_open", err)
	}
	if n := srv.Count("/v1/moderations"); n != 2 {
		t.Errorf("%d requests: an open breaker must send none", n)
	}
	if got := value(t, reg, "aup_classifier_breaker_open", ""); got != 1 {
		t.Errorf("breaker gauge %v while open", got)
	}
	time.Sleep(350 * time.Millisecond)
	if _, err := c.Classify(t.Context(), "x", nil); err != nil {
		t.Fatalf("the probe after the cooldown: %v", err)
	}
	if got := value(t, reg, "aup_classifier_breaker_open", ""); got != 0 {
		t.Errorf("breaker gauge %v after a good probe", got)
	}
}

func TestCapPerMinuteAndWrongKey(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Moderate: scores})
	c, _ := newClassifier(t, srv, openai.ModeModeration, func(c *openai.Config) { c.PerMinute = 2 })
	for range 2 {
		if _, err := c.Classify(t.Context(), "x", nil); err != nil {
			t.Fatal(err)
		}
	}
	// Could straddle a minute boundary, where the count restarts: then
	// the third call is allowed and the fourth is not.
	_, err3 := c.Classify(t.Context(), "x", nil)
	_, err4 := c.Classify(t.Context(), "x", nil)
	if moderation.ErrorMessage(err3) != moderation.UnavailableCapped && moderation.ErrorMessage(err4) != moderation.UnavailableCapped {
		t.Errorf("calls over the cap: %v, %v; want capped", err3, err4)
	}

	bad, _ := newClassifier(t, srv, openai.ModeModeration, func(c *openai.Config) { c.APIKey = "sk-wrong" })
	before := srv.Count("/v1/moderations")
	if _, err := bad.Classify(t.Context(), "x", nil); moderation.ErrorMessage(err) != moderation.UnavailableError {
		t.Errorf("wrong key: %v", err)
	}
	if n := srv.Count("/v1/moderations") - before; n != 1 {
		t.Errorf("a refused key was retried: %d requests", n)
	}
}

func TestEmptyInputIsNotSent(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Moderate: scores})
	c, _ := newClassifier(t, srv, openai.ModeModeration, nil)
	if ans, err := c.Classify(t.Context(), "  \n", nil); err != nil || len(ans.Scores) != 0 {
		t.Errorf("empty text: %+v, %v", ans, err)
	}
	if srv.Count("/v1/moderations") != 0 {
		t.Error("an empty text was sent")
	}
}

func TestChatMode(t *testing.T) {
	var seen openaitest.ChatRequest
	srv := openaitest.New(t, openaitest.Options{Chat: func(r openaitest.ChatRequest) string {
		seen = r
		if strings.Contains(r.Messages[len(r.Messages)-1].Text, "kill") {
			return `{"categories": {"violence": 0.96, "harassment": 0.7, "hate": 0.01}}`
		}
		return `{"categories": {"violence": 0.01}}`
	}})
	c, reg := newClassifier(t, srv, openai.ModeChat, nil)
	ans, err := c.Classify(t.Context(), "i will kill you", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := score(ans, "violence"); s.P != 0.96 || s.Category != moderation.Violence || s.Block != 0.95 {
		t.Errorf("violence %+v", s)
	}
	if ans.Model != "llama-guard3:8b" {
		t.Errorf("model %q", ans.Model)
	}
	if len(seen.Messages) != 2 || seen.Messages[0].Role != "system" || !strings.Contains(seen.Messages[0].Text, "acceptable-use policy") ||
		seen.Messages[1].Text != "i will kill you" {
		t.Errorf("messages %+v: want the policy prompt, then the text as the user's", seen.Messages)
	}
	if !strings.Contains(string(seen.ResponseFormat), `"json_schema"`) || !strings.Contains(string(seen.ResponseFormat), `"child_safety"`) {
		t.Errorf("response_format %s", seen.ResponseFormat)
	}
	if seen.Temperature == nil || *seen.Temperature > 1e-6 {
		t.Errorf("temperature %v, want (almost) 0", seen.Temperature)
	}
	if p := value(t, reg, "aup_classifier_tokens_total", "prompt"); p <= 0 {
		t.Errorf("prompt tokens counted: %v", p)
	}
}

func TestChatLlamaGuardAnswerAndImages(t *testing.T) {
	var images int
	srv := openaitest.New(t, openaitest.Options{Chat: func(r openaitest.ChatRequest) string {
		images = len(r.Messages[1].Images)
		if string(r.ResponseFormat) != "" {
			return "response_format must not be sent"
		}
		return "unsafe\nS1,S10"
	}})
	files := fstest.MapFS{
		"chat.json": {Data: []byte(`{"prompt_file": "p.md", "response_format": "text", "images": true,
			"labels": {"S1": {"category": "violence", "review": 0.5}, "S10": {"category": "hate", "review": 0.5}}}`)},
		"p.md": {Data: []byte("Classify.")},
	}
	m, err := openai.LoadMapping(files, openai.ModeChat)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := newClassifier(t, srv, openai.ModeChat, func(c *openai.Config) { c.Mapping = m })
	ans, err := c.Classify(t.Context(), "look", []moderation.Image{{MediaType: "image/jpeg", Data: []byte{0xff, 0xd8, 0xff}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Scores) != 2 || ans.Scores[0].Category != moderation.Violence || ans.Scores[1].Category != moderation.Hate {
		t.Errorf("scores %+v", ans.Scores)
	}
	if images != 1 {
		t.Errorf("the model saw %d images", images)
	}
	srv2 := openaitest.New(t, openaitest.Options{Chat: func(openaitest.ChatRequest) string { return "I'd rather not say." }})
	c2, _ := newClassifier(t, srv2, openai.ModeChat, nil)
	if _, err := c2.Classify(t.Context(), "x", nil); moderation.ErrorMessage(err) != moderation.UnavailableError {
		t.Errorf("an unreadable answer: %v", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	m, _ := openai.LoadMapping(models.Classifier, openai.ModeChat)
	for name, cfg := range map[string]openai.Config{
		"unknown mode":     {Mode: "llm", Mapping: m},
		"no mapping":       {Mode: openai.ModeModeration},
		"chat needs model": {Mode: openai.ModeChat, Mapping: m},
		"negative timeout": {Mode: openai.ModeChat, Mapping: m, Model: "x", Timeout: -time.Second},
	} {
		if _, err := openai.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// value is the value of a registered counter or gauge, by its one label
// value ("" for a metric without labels).
func value(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == name && (label == "" || len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == label) {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no %s{%s} registered", name, label)
	return 0
}

func TestReviewedFailureModes(t *testing.T) {
	t.Run("a Retry-After on the last attempt pauses later calls", func(t *testing.T) {
		srv := openaitest.New(t, openaitest.Options{Moderate: scores})
		srv.Enqueue(openaitest.Fault{Status: 429, RetryAfter: "20"})
		c, _ := newClassifier(t, srv, openai.ModeModeration, func(c *openai.Config) { c.Retries = -1 })
		for range 3 {
			if _, err := c.Classify(t.Context(), "x", nil); moderation.ErrorMessage(err) != moderation.UnavailableRateLimited {
				t.Errorf("%v, want rate_limited", err)
			}
		}
		if n := srv.Count("/v1/moderations"); n != 1 {
			t.Errorf("%d requests within the Retry-After", n)
		}
	})
	t.Run("unreadable answers do not open the breaker", func(t *testing.T) {
		srv := openaitest.New(t, openaitest.Options{Chat: func(openaitest.ChatRequest) string { return "I can't help with that." }})
		c, _ := newClassifier(t, srv, openai.ModeChat, func(c *openai.Config) { c.BreakerFailures = 2 })
		for range 4 {
			if _, err := c.Classify(t.Context(), "something vile", nil); moderation.ErrorMessage(err) != moderation.UnavailableError {
				t.Fatalf("%v, want error", err)
			}
		}
		if n := srv.Count("/v1/chat/completions"); n != 4 {
			t.Errorf("%d requests: the breaker opened on answers the model gave", n)
		}
	})
	t.Run("reasoning models get max_completion_tokens and no temperature", func(t *testing.T) {
		var seen openaitest.ChatRequest
		srv := openaitest.New(t, openaitest.Options{Chat: func(r openaitest.ChatRequest) string {
			seen = r
			return `{"categories": {}}`
		}})
		c, _ := newClassifier(t, srv, openai.ModeChat, func(c *openai.Config) { c.Model = "o4-mini" })
		if _, err := c.Classify(t.Context(), "x", nil); err != nil {
			t.Fatal(err)
		}
		if seen.MaxTokens != 300 || seen.Temperature != nil {
			t.Errorf("max tokens %d, temperature %v", seen.MaxTokens, seen.Temperature)
		}
		body := string(srv.Requests()[0].Body)
		if !strings.Contains(body, `"max_completion_tokens":300`) || strings.Contains(body, `"max_tokens"`) {
			t.Errorf("request %s", body)
		}
	})
	t.Run("errors that echo the input stay out of the log", func(t *testing.T) {
		var logs strings.Builder
		srv := openaitest.New(t, openaitest.Options{})
		srv.Enqueue(openaitest.Fault{Status: 422, Body: `{"detail":[{"msg":"bad","input":"my secret note"}]}`},
			openaitest.Fault{Status: 400, Body: `{"error":{"message":"cannot moderate 'my secret note'","type":"invalid_request_error","code":null}}`})
		c, _ := newClassifier(t, srv, openai.ModeModeration, func(c *openai.Config) {
			c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		})
		for range 2 {
			if _, err := c.Classify(t.Context(), "my secret note", nil); moderation.ErrorMessage(err) != moderation.UnavailableError {
				t.Errorf("%v", err)
			}
		}
		if strings.Contains(logs.String(), "secret") || !strings.Contains(logs.String(), `"outcome":"refused"`) {
			t.Errorf("log: %s", logs.String())
		}
	})
}
