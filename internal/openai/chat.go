package openai

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/aup-dev/aup/internal/moderation"
)

// chatTextBytes is the most text a chat model is shown; what follows is not
// sent. Safety models have context windows of a few thousand tokens.
const chatTextBytes = 16 << 10

// chat asks a chat model, prompted with the policy, about text and images.
func (c *Classifier) chat(ctx context.Context, text string, images []moderation.Image) (moderation.ModelAnswer, error) {
	m := c.cfg.Mapping
	user := goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleUser}
	text = chunk(text, chatTextBytes, 1)[0]
	if len(images) == 0 {
		user.Content = text
	} else {
		if text != "" {
			user.MultiContent = append(user.MultiContent, goopenai.ChatMessagePart{Type: goopenai.ChatMessagePartTypeText, Text: text})
		}
		for _, im := range images {
			user.MultiContent = append(user.MultiContent, goopenai.ChatMessagePart{Type: goopenai.ChatMessagePartTypeImageURL,
				ImageURL: &goopenai.ChatMessageImageURL{URL: dataURL(im), Detail: goopenai.ImageURLDetailLow}})
		}
	}
	req := goopenai.ChatCompletionRequest{
		Model:    c.cfg.Model,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleSystem, Content: m.Prompt}, user},
		// go-openai omits a zero temperature; the smallest one it sends
		// is as deterministic.
		Temperature: math.SmallestNonzeroFloat32,
	}
	switch m.ResponseFormat {
	case FormatJSONSchema:
		req.ResponseFormat = &goopenai.ChatCompletionResponseFormat{Type: goopenai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &goopenai.ChatCompletionResponseFormatJSONSchema{Name: "aup_classification", Schema: m.schema(), Strict: true}}
	case FormatJSONObject:
		req.ResponseFormat = &goopenai.ChatCompletionResponseFormat{Type: goopenai.ChatCompletionResponseFormatTypeJSONObject}
	}
	if goopenai.NewReasoningValidator().Validate(req) != nil {
		// Reasoning models (o-series, gpt-5) take neither max_tokens nor
		// a temperature; their budget covers their reasoning too.
		req.MaxCompletionTokens, req.Temperature = m.MaxTokens, 0
	} else {
		req.MaxTokens = m.MaxTokens //nolint:staticcheck // deprecated by OpenAI, but what vLLM, Ollama and llama.cpp read
	}
	if text != "" {
		c.m.inputs.WithLabelValues("text").Inc()
	}
	c.m.inputs.WithLabelValues("image").Add(float64(len(images)))
	resp, err := c.client.CreateChatCompletion(ctx, req)
	if err != nil {
		return moderation.ModelAnswer{}, err
	}
	c.m.tokens.WithLabelValues("prompt").Add(float64(resp.Usage.PromptTokens))
	c.m.tokens.WithLabelValues("completion").Add(float64(resp.Usage.CompletionTokens))
	if len(resp.Choices) == 0 {
		return moderation.ModelAnswer{}, &malformedError{"no choices"}
	}
	if resp.Choices[0].Message.Refusal != "" {
		return moderation.ModelAnswer{}, &malformedError{"the model refused to classify the input"}
	}
	p, err := m.readChat(resp.Choices[0].Message.Content)
	if err != nil {
		return moderation.ModelAnswer{}, err
	}
	return moderation.ModelAnswer{Model: resp.Model, Scores: m.scores(p, nil)}, nil
}

// readChat reads a chat model's answer: {"categories": {label: p}}, in a
// code fence or not, or Llama Guard's "safe" / "unsafe\nS1,S10".
func (m *Mapping) readChat(content string) (map[string]float64, error) {
	s := strings.TrimSpace(content)
	s = strings.TrimPrefix(s, "```json")
	s = strings.TrimSpace(strings.Trim(s, "`"))
	if strings.HasPrefix(s, "{") {
		var a struct {
			Categories map[string]float64 `json:"categories"`
		}
		if err := json.Unmarshal([]byte(s), &a); err != nil || a.Categories == nil {
			return nil, &malformedError{`chat answer: want {"categories": {...}}`}
		}
		for _, p := range a.Categories {
			if p < 0 || p > 1 || math.IsNaN(p) {
				return nil, &malformedError{"chat answer: a probability outside [0, 1]"}
			}
		}
		return a.Categories, nil
	}
	verdict, codes, _ := strings.Cut(s, "\n")
	switch strings.ToLower(strings.TrimSpace(verdict)) {
	case "safe":
		return map[string]float64{}, nil
	case "unsafe":
		p := map[string]float64{}
		for code := range strings.SplitSeq(codes, ",") {
			if code = strings.TrimSpace(code); code != "" {
				p[code] = 1
			}
		}
		return p, nil
	}
	return nil, &malformedError{"chat answer: neither JSON nor safe/unsafe"}
}

// schema is the JSON schema of the answer asked for: a probability for each
// label the prompt names (Llama Guard's codes are not asked for).
func (m *Mapping) schema() json.RawMessage {
	labels := m.schemaLabels()
	props := map[string]any{}
	for _, l := range labels {
		props[l] = map[string]any{"type": "number"} // 0 to 1, said by the prompt; strict mode takes no bounds everywhere
	}
	schema, _ := json.Marshal(map[string]any{
		"type": "object", "additionalProperties": false, "required": []string{"categories"},
		"properties": map[string]any{"categories": map[string]any{
			"type": "object", "additionalProperties": false, "required": labels, "properties": props,
		}},
	})
	return schema
}

// schemaLabels are the labels a chat model is asked for, in order.
func (m *Mapping) schemaLabels() []string {
	var labels []string
	for l := range m.Labels {
		if !isGuardCode(l) {
			labels = append(labels, l)
		}
	}
	slices.Sort(labels)
	return labels
}

// isGuardCode reports whether l is one of Llama Guard's category codes (S1,
// S14...).
func isGuardCode(l string) bool {
	return len(l) >= 2 && l[0] == 'S' && strings.Trim(l[1:], "0123456789") == ""
}
