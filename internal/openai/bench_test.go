package openai_test

import (
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/openai"
	"github.com/aup-dev/aup/internal/openai/openaitest"
)

// BenchmarkClassify is what the classifier adds to a check besides the
// model's own time: go-openai, the request and the answer's decoding, over
// a loopback connection to a local API that answers at once.
func BenchmarkClassify(b *testing.B) {
	for _, mode := range []string{openai.ModeModeration, openai.ModeChat} {
		b.Run(mode, func(b *testing.B) {
			srv := openaitest.New(b, openaitest.Options{Moderate: scores, Chat: func(openaitest.ChatRequest) string {
				return `{"categories": {"harassment": 0.02, "violence": 0.01}}`
			}})
			c, _ := newClassifierTB(b, srv, mode, nil)
			text := strings.Repeat("a note about the weekend plans ", 10) // 310 bytes
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Classify(b.Context(), text, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClassifyBreakerOpen is the cost of a call while the breaker is
// open: the check falls back to the rules without waiting.
func BenchmarkClassifyBreakerOpen(b *testing.B) {
	srv := openaitest.New(b, openaitest.Options{})
	c, _ := newClassifierTB(b, srv, openai.ModeModeration, func(c *openai.Config) { c.Retries, c.BreakerFailures = -1, 1 })
	srv.Enqueue(openaitest.Fault{Status: 500})
	_, _ = c.Classify(b.Context(), "x", nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Classify(b.Context(), "x", nil); moderation.ErrorMessage(err) != moderation.UnavailableCircuitOpen {
			b.Fatal(err)
		}
	}
}
