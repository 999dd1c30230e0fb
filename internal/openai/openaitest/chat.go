package openaitest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// chatBody is the part of a chat completion request the server reads; it
// ignores the other fields, as OpenAI accepts many.
type chatBody struct {
	Model    *string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	ResponseFormat      json.RawMessage `json:"response_format"`
	Temperature         *float64        `json:"temperature"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Seed                *int64          `json:"seed"`
	N                   *int            `json:"n"`
	Stream              *bool           `json:"stream"`
}

func (s *Server) chat(body []byte) (any, *apiError) {
	var b chatBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, decodeError(err)
	}
	if b.Model == nil || *b.Model == "" {
		return nil, invalid("model", "", "you must provide a model parameter")
	}
	if s.opts.ChatModels != nil && !slices.Contains(s.opts.ChatModels, *b.Model) {
		return nil, modelNotFound(*b.Model)
	}
	if b.Stream != nil && *b.Stream {
		return nil, invalid("stream", "unsupported_value", "Invalid 'stream': streaming is not supported by this test server.")
	}
	if b.Messages == nil {
		return nil, missing("messages")
	}
	if len(b.Messages) == 0 {
		return nil, invalid("messages", "empty_array", "Invalid 'messages': empty array. Expected an array with minimum length 1.")
	}
	req := ChatRequest{Model: *b.Model, ResponseFormat: b.ResponseFormat, Temperature: b.Temperature}
	promptTokens, allText := 0, ""
	for i, m := range b.Messages {
		msg, e := chatMessage(i, m.Role, m.Content)
		if e != nil {
			return nil, e
		}
		req.Messages = append(req.Messages, msg)
		promptTokens += tokens(len(msg.Text)) + 85*len(msg.Images) // 85: an image at low detail
		allText += msg.Text
	}
	if e := checkResponseFormat(b.ResponseFormat, allText); e != nil {
		return nil, e
	}
	if t := b.Temperature; t != nil && (*t < 0 || *t > 2) {
		return nil, invalid("temperature", "invalid_value", "Invalid 'temperature': expected a value between 0 and 2, but got %g instead.", *t)
	}
	for _, v := range []struct {
		param string
		n     *int
	}{{"max_tokens", b.MaxTokens}, {"max_completion_tokens", b.MaxCompletionTokens}} {
		if v.n != nil && *v.n < 1 {
			return nil, invalid(v.param, "integer_below_min_value", "Invalid '%s': expected a value >= 1, but got %d instead.", v.param, *v.n)
		}
	}
	n := 1
	if b.N != nil {
		n = *b.N
		if n < 1 || n > 128 {
			return nil, invalid("n", "invalid_value", "Invalid 'n': expected a value between 1 and 128, but got %d instead.", n)
		}
	}
	if b.MaxCompletionTokens != nil {
		req.MaxTokens = *b.MaxCompletionTokens
	} else if b.MaxTokens != nil {
		req.MaxTokens = *b.MaxTokens
	}

	content := `{"scores":{}}`
	if s.opts.Chat != nil {
		content = s.opts.Chat(req)
	}
	finish := "stop"
	if req.MaxTokens > 0 && tokens(len(content)) > req.MaxTokens {
		cut := req.MaxTokens * 4
		for cut > 0 && !utf8.RuneStart(content[cut]) {
			cut--
		}
		content, finish = content[:cut], "length"
	}
	choices := make([]any, n)
	for i := range choices {
		choices[i] = map[string]any{
			"index":         i,
			"message":       map[string]any{"role": "assistant", "content": content, "refusal": nil, "annotations": []any{}},
			"logprobs":      nil,
			"finish_reason": finish,
		}
	}
	completion := n * tokens(len(content))
	return map[string]any{
		"id": "chatcmpl-" + randomHex(12), "object": "chat.completion", "created": time.Now().Unix(),
		"model": req.Model, "system_fingerprint": "fp_test", "service_tier": "default", "choices": choices,
		"usage": map[string]any{
			"prompt_tokens": promptTokens, "completion_tokens": completion, "total_tokens": promptTokens + completion,
			"prompt_tokens_details":     map[string]int{"cached_tokens": 0, "audio_tokens": 0},
			"completion_tokens_details": map[string]int{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
		},
	}, nil
}

func chatMessage(i int, role string, content json.RawMessage) (ChatMessage, *apiError) {
	param := fmt.Sprintf("messages[%d]", i)
	msg := ChatMessage{Role: role}
	switch role {
	case "system", "user", "assistant", "developer":
	case "":
		return msg, missing(param + ".role")
	default:
		return msg, badValue(param+".role", role, "system", "developer", "user", "assistant")
	}
	if content == nil || string(content) == "null" {
		return msg, missing(param + ".content")
	}
	if json.Unmarshal(content, &msg.Text) == nil {
		return msg, nil
	}
	var parts []struct {
		Type     string  `json:"type"`
		Text     *string `json:"text"`
		ImageURL *struct {
			URL    string `json:"url"`
			Detail string `json:"detail"`
		} `json:"image_url"`
	}
	if err := json.Unmarshal(content, &parts); err != nil {
		return msg, wrongType(param+".content", "a string or an array of content parts")
	}
	var texts []string
	for j, p := range parts {
		pp := fmt.Sprintf("%s.content[%d]", param, j)
		switch p.Type {
		case "text":
			if p.Text == nil {
				return msg, missing(pp + ".text")
			}
			texts = append(texts, *p.Text)
		case "image_url":
			if role != "user" {
				return msg, invalid(param, "invalid_value",
					"Invalid '%s': image URLs are only allowed for messages with role 'user', but this message with role '%s' contains an image URL.", param, role)
			}
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return msg, missing(pp + ".image_url.url")
			}
			if d := p.ImageURL.Detail; d != "" && d != "auto" && d != "low" && d != "high" {
				return msg, badValue(pp+".image_url.detail", d, "auto", "low", "high")
			}
			img, e := decodeImage(pp+".image_url.url", p.ImageURL.URL)
			if e != nil {
				return msg, e
			}
			msg.Images = append(msg.Images, img)
		default:
			return msg, badValue(pp+".type", p.Type, "text", "image_url")
		}
	}
	msg.Text = strings.Join(texts, "\n")
	return msg, nil
}

// checkResponseFormat validates response_format; JSON mode needs the word
// "json" in the messages, as OpenAI requires.
func checkResponseFormat(raw json.RawMessage, messages string) *apiError {
	if raw == nil || string(raw) == "null" {
		return nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &rf); err != nil {
		return wrongType("response_format", "an object")
	}
	switch rf.Type {
	case "text":
	case "json_object":
		if !strings.Contains(strings.ToLower(messages), "json") {
			return invalid("messages", "", "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.")
		}
	case "json_schema":
		if rf.JSONSchema == nil {
			return missing("response_format.json_schema")
		}
		if rf.JSONSchema.Name == "" {
			return missing("response_format.json_schema.name")
		}
		if s := rf.JSONSchema.Schema; s != nil && string(s) != "null" && s[0] != '{' {
			return wrongType("response_format.json_schema.schema", "an object")
		}
	case "":
		return missing("response_format.type")
	default:
		return badValue("response_format.type", rf.Type, "text", "json_object", "json_schema")
	}
	return nil
}
