package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/fixture"
	"github.com/aup-dev/aup/internal/openai/openaitest"
)

const metricsKey = "metrics-key-0123456789abcdef"

// classified is the part of a verdict the classifier tests read.
type classified struct {
	Action     string   `json:"action"`
	Sources    []string `json:"sources"`
	Cached     bool     `json:"cached"`
	Classifier *struct {
		Status string `json:"status"`
		Model  string `json:"model"`
		Reason string `json:"reason"`
	} `json:"classifier"`
	Categories []struct {
		Category string  `json:"category"`
		Score    float64 `json:"score"`
		Action   string  `json:"action"`
	} `json:"categories"`
}

// threatening scores, like a moderation model would, a veiled threat that
// no rule list names word for word, and a picture as sexual.
func threatening(text string, images [][]byte) map[string]float64 {
	out := map[string]float64{}
	if strings.Contains(text, "shame if something happened") {
		out["harassment"], out["harassment/threatening"], out["violence"] = 0.71, 0.88, 0.52
	}
	if len(images) > 0 {
		out["sexual"] = 0.99
	}
	return out
}

// TestServeWithClassifier runs the service with the hosted classifier
// pointed at a local OpenAI API: a threat only the model sees is reviewed
// and says so, a known text is not sent again, an outage falls back to the
// rules, uploads show their images, and no text reaches the log.
func TestServeWithClassifier(t *testing.T) {
	api := openaitest.New(t, openaitest.Options{Moderate: threatening})
	keyFile := filepath.Join(t.TempDir(), "openai-key")
	if err := os.WriteFile(keyFile, []byte("sk-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, logs := service(t, map[string]string{
		"AUP_API_KEYS":                  "product:backend:" + backendKey + ",ops:admin:" + adminKey + ",prom:metrics:" + metricsKey,
		"AUP_CLASSIFIER":                "openai-moderation",
		"AUP_OPENAI_BASE_URL":           api.URL,
		"AUP_OPENAI_API_KEY_FILE":       keyFile,
		"AUP_CLASSIFIER_RETRIES":        "1",
		"AUP_CLASSIFIER_BREAKER":        "3",
		"AUP_CLASSIFIER_TIMEOUT":        "1s",
		"AUP_CLASSIFIER_BUDGET":         "2s",
		"AUP_CLASSIFIER_WHEN":           "always",
		"AUP_LINEAR_MODEL":              "off",
		"AUP_MAX_UPLOAD_BYTES":          "1048576",
		"AUP_CLASSIFIER_MAX_PER_MINUTE": "1000",
	})
	const threat = "Nice family you have. It would be a shame if something happened to them."

	var v classified
	if code := post(t, base+"/v1/check", backendKey, `{"text": "`+threat+`"}`, &v); code != http.StatusOK {
		t.Fatalf("check: %d", code)
	}
	if v.Action != "review" || !slices.Equal(v.Sources, []string{"classifier"}) || v.Classifier == nil ||
		v.Classifier.Status != "ok" || v.Classifier.Model != "omni-moderation-2024-09-26" {
		t.Fatalf("verdict %+v: want a review decided by the classifier, naming its model", v)
	}
	if code := post(t, base+"/v1/check", backendKey, `{"text": "`+threat+`"}`, &v); code != http.StatusOK || !v.Cached {
		t.Fatalf("second check: %d, cached %v", code, v.Cached)
	}
	if n := api.Count("/v1/moderations"); n != 1 {
		t.Errorf("%d requests to the model: a cached text must not be sent again", n)
	}

	// An outage: every request fails, and the check answers with the
	// rules' verdict and says why the classifier is missing.
	api.Enqueue(openaitest.Fault{Status: 503}, openaitest.Fault{Status: 503})
	if code := post(t, base+"/v1/check", backendKey, `{"text": "they are vermin, all of them"}`, &v); code != http.StatusOK {
		t.Fatalf("check during an outage: %d", code)
	}
	if v.Action == "allow" || !slices.Equal(v.Sources, []string{"rules"}) || v.Classifier == nil ||
		v.Classifier.Status != "unavailable" || v.Classifier.Reason != "error" {
		t.Errorf("verdict during an outage %+v: want the rules' verdict and the classifier unavailable", v)
	}

	// An upload: the picture goes to the model as image input.
	pic := fixture.PNG(t, fixture.Picture(64, 64, 1))
	code, uv := postUpload(t, base, backendKey, "beach.png", pic, nil)
	if code != http.StatusOK {
		t.Fatalf("upload: %d", code)
	}
	if uv.Action != "block" || uv.signal("image_not_assessed") {
		t.Errorf("upload verdict %+v: want the model's block on the picture, assessed", uv)
	}
	found := false
	for _, s := range uv.Signals {
		found = found || s.Name == "classifier" && s.Category == "sexual" && s.Source == "beach.png" && strings.Contains(s.Detail, "image")
	}
	if !found {
		t.Errorf("no classifier signal on the picture: %+v", uv.Signals)
	}
	var last openaitest.Request
	for _, r := range api.Requests() {
		last = r
	}
	if !bytes.Contains(last.Body, []byte(`"image_url"`)) {
		t.Errorf("the last request sent no image: %.200s", last.Body)
	}

	// Prometheus sees what the classifier cost and how it fared.
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	exposition, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`aup_classifier_calls_total{status="ok"} 2`, // the note and the picture
		`aup_classifier_calls_total{status="unavailable"} 1`,
		`aup_classifier_requests_total{outcome="server_error"} 2`,
		`aup_classifier_inputs_total{type="image"} 1`,
		`aup_classifier_breaker_open 0`,
		"go_goroutines",
	} {
		if !strings.Contains(string(exposition), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if strings.Contains(logs.String(), "shame if something") || strings.Contains(logs.String(), "vermin") {
		t.Error("a checked text reached the log")
	}
	if !strings.Contains(logs.String(), `"mode":"openai-moderation"`) || strings.Contains(logs.String(), "sk-test") {
		t.Errorf("the start log should show the classifier's settings without its key")
	}
}

func TestClassifierConfigErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AUP_CLASSIFIER": "gpt"}, `AUP_CLASSIFIER="gpt"`},
		{map[string]string{"AUP_OPENAI_API_KEY": "sk-x"}, "AUP_CLASSIFIER is not"},
		{map[string]string{"AUP_CLASSIFIER": "chat", "AUP_OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}, "AUP_OPENAI_MODEL"},
		{map[string]string{"AUP_CLASSIFIER": "openai-moderation"}, "AUP_OPENAI_API_KEY"},
		{map[string]string{"AUP_CLASSIFIER": "openai-moderation", "AUP_OPENAI_API_KEY": "k", "AUP_OPENAI_BASE_URL": "localhost:8000"}, "AUP_OPENAI_BASE_URL"},
		{map[string]string{"AUP_CLASSIFIER": "openai-moderation", "AUP_OPENAI_API_KEY": "k", "AUP_CLASSIFIER_WHEN": "never"}, "AUP_CLASSIFIER_WHEN"},
		{map[string]string{"AUP_CLASSIFIER": "openai-moderation", "AUP_OPENAI_API_KEY": "k", "AUP_CLASSIFIER_TIMEOUT": "5s", "AUP_CLASSIFIER_BUDGET": "2s"}, "AUP_CLASSIFIER_BUDGET"},
		{map[string]string{"AUP_CLASSIFIER": "openai-moderation", "AUP_OPENAI_API_KEY": "k", "AUP_CLASSIFIER_DIR": "/nonexistent"}, "AUP_CLASSIFIER_DIR"},
		{map[string]string{"AUP_CLASSIFIER": "chat", "AUP_OPENAI_MODEL": "m", "AUP_CLASSIFIER_DIR": "."}, "chat.json"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			err := run(t.Context(), []string{"check", "hello"}, func(k string) string { return tc.env[k] }, nil, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %s", err, tc.want)
			}
		})
	}
}
