package openai

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aup-dev/aup/models"
)

func TestBundledMappingsLoad(t *testing.T) {
	for _, mode := range []string{ModeModeration, ModeChat} {
		m, err := LoadMapping(models.Classifier, mode)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if len(m.Version) != 12 {
			t.Errorf("%s: version %q", mode, m.Version)
		}
	}
	m, _ := LoadMapping(models.Classifier, ModeChat)
	if !strings.Contains(m.Prompt, "harassment") || m.ResponseFormat != FormatJSONSchema {
		t.Errorf("chat mapping: prompt %d bytes, format %q", len(m.Prompt), m.ResponseFormat)
	}
}

func TestLoadMappingRefusesMistakes(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"unknown field", `{"labels": {"hate": {"category": "hate", "review": 0.5}}, "treshold": 1}`, "treshold"},
		{"no labels", `{"labels": {}}`, "no labels"},
		{"unknown category", `{"labels": {"hate": {"category": "hatred", "review": 0.5}}}`, `category "hatred"`},
		{"review out of range", `{"labels": {"hate": {"category": "hate", "review": 0}}}`, "review 0"},
		{"block below review", `{"labels": {"hate": {"category": "hate", "review": 0.5, "block": 0.4}}}`, "block 0.4"},
		{"not JSON", `labels: hate`, "openai-moderation.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadMapping(fstest.MapFS{"openai-moderation.json": {Data: []byte(tc.file)}}, ModeModeration)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
	chat := `{"labels": {"hate": {"category": "hate", "review": 0.5}}, "prompt_file": "p.md"}`
	if _, err := LoadMapping(fstest.MapFS{"chat.json": {Data: []byte(chat)}}, ModeChat); err == nil || !strings.Contains(err.Error(), "prompt_file") {
		t.Errorf("missing prompt: err %v", err)
	}
	a, _ := LoadMapping(fstest.MapFS{"chat.json": {Data: []byte(chat)}, "p.md": {Data: []byte("one")}}, ModeChat)
	b, _ := LoadMapping(fstest.MapFS{"chat.json": {Data: []byte(chat)}, "p.md": {Data: []byte("two")}}, ModeChat)
	if a == nil || b == nil || a.Version == b.Version {
		t.Error("a prompt change must change the mapping's version")
	}
	if _, err := LoadMapping(fstest.MapFS{}, "llm"); err == nil || !strings.Contains(err.Error(), "llm") {
		t.Errorf("unknown mode: err %v", err)
	}
}

func TestReadChat(t *testing.T) {
	m, err := LoadMapping(models.Classifier, ModeChat)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, answer string
		want         map[string]float64
		bad          bool
	}{
		{"json", `{"categories": {"hate": 0.9, "spam": 0}}`, map[string]float64{"hate": 0.9, "spam": 0}, false},
		{"in a code fence", "```json\n{\"categories\": {\"violence\": 0.7}}\n```", map[string]float64{"violence": 0.7}, false},
		{"llama guard safe", "safe", map[string]float64{}, false},
		{"llama guard unsafe", "unsafe\nS1,S10", map[string]float64{"S1": 1, "S10": 1}, false},
		{"out of range", `{"categories": {"hate": 1.5}}`, nil, true},
		{"wrong shape", `{"hate": 0.9}`, nil, true},
		{"prose", "I cannot help with that.", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.readChat(tc.answer)
			if (err != nil) != tc.bad {
				t.Fatalf("err %v, want error %v", err, tc.bad)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
	if s := string(m.schema()); strings.Contains(s, `"S1"`) || !strings.Contains(s, `"child_safety"`) {
		t.Errorf("schema asks for the wrong labels: %s", s)
	}
}

func TestChunk(t *testing.T) {
	long := strings.Repeat("word ", 10_000) // 50,000 bytes
	pieces := chunk(long, chunkBytes, maxChunks)
	total := 0
	for _, p := range pieces {
		if len(p) > chunkBytes || !strings.HasSuffix(p, " ") && total+len(p) != len(long) {
			t.Errorf("piece of %d bytes cut inside a word", len(p))
		}
		total += len(p)
	}
	if total != len(long) || len(pieces) != 4 {
		t.Errorf("%d pieces, %d bytes; want 4 covering %d", len(pieces), total, len(long))
	}
	if got := chunk(strings.Repeat("é", chunkBytes), chunkBytes, 1); len(got) != 1 || len(got[0]) != chunkBytes {
		t.Errorf("a piece cut inside a character: %d bytes", len(got[0]))
	}
	if got := chunk(strings.Repeat("\x80", chunkBytes+10), chunkBytes, maxChunks); len(got) != 2 || len(got[0])+len(got[1]) != chunkBytes+10 {
		t.Errorf("bytes that are not UTF-8 were dropped: pieces %d", len(got))
	}
	if got := chunk(strings.Repeat("x", 10*chunkBytes), chunkBytes, maxChunks); len(got) != maxChunks {
		t.Errorf("%d pieces, want at most %d", len(got), maxChunks)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"2"}}, 2 * time.Second},
		{"fractional", http.Header{"Retry-After": {"0.5"}}, 500 * time.Millisecond},
		{"milliseconds first", http.Header{"Retry-After": {"20"}, "Retry-After-Ms": {"150"}}, 150 * time.Millisecond},
		{"capped", http.Header{"Retry-After": {"86400"}}, maxRetryAfter},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryAfter(tc.h); got != tc.want {
				t.Errorf("%v, want %v", got, tc.want)
			}
		})
	}
	date := http.Header{"Retry-After": {time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)}}
	if got := retryAfter(date); got < 28*time.Second || got > 30*time.Second {
		t.Errorf("HTTP date 30s ahead: %v", got)
	}
}
