package openaitest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// categories are the omni-moderation categories; text models lack the illicit ones.
var categories = []string{
	"harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent",
	"self-harm", "self-harm/instructions", "self-harm/intent", "sexual", "sexual/minors",
	"violence", "violence/graphic",
}

// imageCategories are the categories omni-moderation applies to images; the
// others are "Text only" in OpenAI's moderation guide.
var imageCategories = map[string]bool{
	"self-harm": true, "self-harm/instructions": true, "self-harm/intent": true,
	"sexual": true, "violence": true, "violence/graphic": true,
}

// modInput is one moderation input: one result in the response.
type modInput struct {
	text    []string
	images  [][]byte
	hasText bool
}

func (s *Server) moderate(body []byte) (any, *apiError) {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil || req == nil {
		return nil, badJSON()
	}
	for _, k := range slices.Sorted(maps.Keys(req)) {
		if k != "input" && k != "model" {
			return nil, invalid(k, "unknown_parameter", "Unrecognized request argument supplied: %s", k)
		}
	}
	model := "omni-moderation-latest"
	if raw := req["model"]; raw != nil && string(raw) != "null" {
		if err := json.Unmarshal(raw, &model); err != nil {
			return nil, wrongType("model", "a string")
		}
	}
	resolved, ok := s.opts.ModerationModels[model]
	if !ok {
		return nil, modelNotFound(model)
	}
	textModel := strings.HasPrefix(model, "text-moderation") || strings.HasPrefix(resolved, "text-moderation")
	inputs, e := moderationInputs(req["input"])
	if e != nil {
		return nil, e
	}
	results := make([]any, len(inputs))
	for i, in := range inputs {
		switch {
		case len(in.images) > 0 && textModel:
			return nil, invalid("input", "invalid_value", "Invalid 'input': model %s does not support image inputs; use an omni-moderation model.", model)
		case len(in.images) > 1:
			// Not in the guide; OpenAI's own answer, as seen from clients.
			return nil, invalid("input", "too_many_images", "Number of images (%d) exceeds maximum of 1", len(in.images))
		}
		var scores map[string]float64
		if s.opts.Moderate != nil {
			scores = s.opts.Moderate(strings.Join(in.text, "\n"), in.images)
		}
		results[i] = moderationResult(scores, in.hasText, len(in.images) > 0, textModel)
	}
	return map[string]any{"id": "modr-" + randomHex(16), "model": resolved, "results": results}, nil
}

// moderationInputs parses "input": a string or an array of strings (one
// input each) or an array of text and image_url objects (one input).
func moderationInputs(raw json.RawMessage) ([]modInput, *apiError) {
	if raw == nil || string(raw) == "null" {
		return nil, missing("input")
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, invalid("input", "empty_string", "Invalid 'input': empty string. Expected a non-empty string.")
		}
		return []modInput{{text: []string{one}, hasText: true}}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, wrongType("input", "a string, an array of strings or an array of objects")
	}
	if len(items) == 0 {
		return nil, invalid("input", "empty_array", "Invalid 'input': empty array. Expected an array with minimum length 1.")
	}
	var texts []string
	if json.Unmarshal(raw, &texts) == nil {
		out := make([]modInput, len(texts))
		for i, t := range texts {
			out[i] = modInput{text: []string{t}, hasText: true}
		}
		return out, nil
	}
	var in modInput
	for i, item := range items {
		param := fmt.Sprintf("input[%d]", i)
		var part struct {
			Type     string  `json:"type"`
			Text     *string `json:"text"`
			ImageURL *struct {
				URL string `json:"url"`
			} `json:"image_url"`
		}
		if err := json.Unmarshal(item, &part); err != nil {
			return nil, wrongType(param, "an object with a type of text or image_url (strings and objects cannot be mixed)")
		}
		switch part.Type {
		case "text":
			if part.Text == nil {
				return nil, missing(param + ".text")
			}
			in.text, in.hasText = append(in.text, *part.Text), true
		case "image_url":
			if part.ImageURL == nil || part.ImageURL.URL == "" {
				return nil, missing(param + ".image_url.url")
			}
			img, e := decodeImage(param+".image_url.url", part.ImageURL.URL)
			if e != nil {
				return nil, e
			}
			in.images = append(in.images, img)
		default:
			return nil, badValue(param+".type", part.Type, "text", "image_url")
		}
	}
	return []modInput{in}, nil
}

func moderationResult(got map[string]float64, hasText, hasImage, textModel bool) map[string]any {
	flagged := false
	flags, scores, applied := map[string]bool{}, map[string]float64{}, map[string][]string{}
	for _, c := range categories {
		if textModel && strings.HasPrefix(c, "illicit") {
			continue
		}
		types := []string{}
		if hasText {
			types = append(types, "text")
		}
		if hasImage && imageCategories[c] {
			types = append(types, "image")
		}
		score, ok := got[c]
		switch {
		case len(types) == 0:
			score = 0 // the guide: an image without text scores 0 in the text-only categories
		case !ok:
			score = baseline
		}
		scores[c], applied[c] = score, types
		// 0.5 stands in for OpenAI's own per-category thresholds, which it does not publish.
		flags[c] = score >= 0.5
		flagged = flagged || flags[c]
	}
	r := map[string]any{"flagged": flagged, "categories": flags, "category_scores": scores}
	if !textModel {
		r["category_applied_input_types"] = applied
	}
	return r
}
