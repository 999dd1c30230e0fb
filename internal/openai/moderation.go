package openai

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/aup-dev/aup/internal/moderation"
)

// Long texts go to the moderation endpoint as an array of pieces of at most
// chunkBytes, at most maxChunks of them (what follows is not sent); each
// label scores its strongest piece.
const (
	chunkBytes = 16 << 10
	maxChunks  = 8
)

// knownModerationModels are the models go-openai's Moderations accepts;
// requests for others are sent with the model in the body we write.
var knownModerationModels = []string{goopenai.ModerationOmniLatest, goopenai.ModerationOmni20240926, goopenai.ModerationTextStable, goopenai.ModerationTextLatest}

// moderationAnswer is the moderation endpoint's answer with every field the
// API documents, including those go-openai's types lack.
type moderationAnswer struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Results []struct {
		Flagged           bool                `json:"flagged"`
		Categories        map[string]bool     `json:"categories"`
		CategoryScores    map[string]float64  `json:"category_scores"`
		AppliedInputTypes map[string][]string `json:"category_applied_input_types"`
	} `json:"results"`
}

// moderationInput is one part of a multi-modal moderation input.
type moderationInput struct {
	Type     string           `json:"type"`
	Text     string           `json:"text,omitempty"`
	ImageURL *moderationImage `json:"image_url,omitempty"`
}

type moderationImage struct {
	URL string `json:"url"`
}

// moderate asks the moderation endpoint about text and images.
func (c *Classifier) moderate(ctx context.Context, x *exchange, text string, images []moderation.Image) (moderation.ModelAnswer, error) {
	chunks := chunk(text, chunkBytes, maxChunks)
	req := goopenai.ModerationRequest{Model: c.cfg.Model}
	known := slices.Contains(knownModerationModels, c.cfg.Model)
	if len(chunks) == 1 {
		req.Input = chunks[0]
	}
	if len(images) > 0 || len(chunks) > 1 || !known {
		body := map[string]any{"model": c.cfg.Model, "input": text}
		switch {
		case len(images) > 0:
			var parts []moderationInput
			if text != "" {
				parts = append(parts, moderationInput{Type: "text", Text: chunks[0]})
			}
			for _, im := range images {
				parts = append(parts, moderationInput{Type: "image_url", ImageURL: &moderationImage{URL: dataURL(im)}})
			}
			body["input"] = parts
		case len(chunks) > 1:
			body["input"] = chunks
		}
		var err error
		if x.body, err = json.Marshal(body); err != nil {
			return moderation.ModelAnswer{}, err
		}
		req.Model, req.Input = "", "-" // go-openai's request is replaced by x.body
	}
	if text != "" {
		c.m.inputs.WithLabelValues("text").Add(float64(len(chunks)))
	}
	c.m.inputs.WithLabelValues("image").Add(float64(len(images)))
	if _, err := c.client.Moderations(ctx, req); err != nil {
		return moderation.ModelAnswer{}, err
	}
	var a moderationAnswer
	if err := json.Unmarshal(x.raw, &a); err != nil {
		return moderation.ModelAnswer{}, &malformedError{"moderation results: " + err.Error()}
	}
	want := len(chunks)
	if len(images) > 0 {
		want = 1
	}
	if len(a.Results) != want {
		return moderation.ModelAnswer{}, &malformedError{"moderation results: wrong number of results"}
	}
	p, note := map[string]float64{}, map[string]string{}
	for _, r := range a.Results {
		for l, s := range r.CategoryScores {
			if s < 0 || s > 1 {
				return moderation.ModelAnswer{}, &malformedError{"moderation results: a score outside [0, 1]"}
			}
			p[l] = max(p[l], s)
			if types := r.AppliedInputTypes[l]; slices.Contains(types, "image") {
				note[l] = strings.Join(types, ", ")
			}
		}
	}
	return moderation.ModelAnswer{Model: a.Model, Scores: c.cfg.Mapping.scores(p, note)}, nil
}

// chunk cuts s into at most n pieces of at most size bytes, at spaces where
// it can and never inside a character. An empty s is one empty piece.
func chunk(s string, size, n int) []string {
	var out []string
	for len(out) < n {
		if len(s) <= size {
			return append(out, s)
		}
		cut := size
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if cut == 0 { // no character starts in the piece: not UTF-8
			cut = size
		}
		if sp := strings.LastIndexByte(s[:cut], ' '); sp > size/2 {
			cut = sp + 1
		}
		out, s = append(out, s[:cut]), s[cut:]
	}
	return out
}

// dataURL is im as a data: URL, the form both APIs take image input in.
func dataURL(im moderation.Image) string {
	return "data:" + im.MediaType + ";base64," + base64.StdEncoding.EncodeToString(im.Data)
}
