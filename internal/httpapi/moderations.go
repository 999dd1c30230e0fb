package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/aup-dev/aup/internal/moderation"
)

// maxModelBytes is the longest "model" accepted by POST /v1/moderations.
const maxModelBytes = 100

// openAICategory is one category of OpenAI's omni-moderation model and how
// aup computes it: Of is a list of groups of aup categories; the score is
// the smallest, over the groups, of the highest score within each group
// (a verdict's absent category scores 0), and the category is true when
// every group has a category whose own action is review or block. No
// groups means aup cannot tell: the score is 0 and the category false.
type openAICategory struct {
	Name string
	Of   [][]moderation.Category
}

// illicit are the aup categories behind OpenAI's "illicit".
var illicit = []moderation.Category{moderation.IllegalActivity, moderation.RegulatedGoods, moderation.Fraud, moderation.Malware}

// openAICategories is the one table from aup's categories to OpenAI's, in
// OpenAI's order. aup's threats are rules of its violence category, so
// violence stands in for harassment/threatening. aup does not tell
// self-harm intent or instructions from other self-harm, nor graphic
// violence from other violence: those score 0. spam, privacy,
// ip_infringement, gambling and service_abuse have no OpenAI category.
var openAICategories = []openAICategory{
	{"harassment", [][]moderation.Category{{moderation.Harassment}}},
	{"harassment/threatening", [][]moderation.Category{{moderation.Violence}}},
	{"hate", [][]moderation.Category{{moderation.Hate}}},
	{"hate/threatening", [][]moderation.Category{{moderation.Hate}, {moderation.Violence}}},
	{"illicit", [][]moderation.Category{illicit}},
	{"illicit/violent", [][]moderation.Category{illicit, {moderation.Violence}}},
	{"self-harm", [][]moderation.Category{{moderation.SelfHarm}}},
	{"self-harm/intent", nil},
	{"self-harm/instructions", nil},
	{"sexual", [][]moderation.Category{{moderation.Sexual}}},
	{"sexual/minors", [][]moderation.Category{{moderation.ChildSafety}}},
	{"violence", [][]moderation.Category{{moderation.Violence}}},
	{"violence/graphic", nil},
}

// inputShape is which of OpenAI's input forms a request used.
type inputShape int

const (
	inputString  inputShape = iota + 1 // "input": "text"
	inputStrings                       // "input": ["text", ...]: one result each
	inputParts                         // "input": [{"type":"text","text":...}, ...]: one result
)

// moderationRequest is the body of POST /v1/moderations, OpenAI's
// moderation request. Unknown fields are ignored, as OpenAI clients may send
// fields aup has no use for; Model is accepted and ignored, since aup
// answers with its own policy.
type moderationRequest struct {
	Shape inputShape // 0 when input is absent or null
	Texts []string   // the strings, or the text parts' texts
	Model string
}

// inputPart is one item of an array of content parts.
type inputPart struct {
	Type string  `json:"type"`
	Text *string `json:"text"`
}

// Validate checks the request against the limits of /v1/check: each text
// (the text parts, joined) present and at most maxText bytes. The decoder
// has already bounded the number of items.
func (r moderationRequest) Validate(maxItems, maxText int) error {
	if len(r.Texts) == 0 {
		return moderation.Errorf(moderation.EINVALID, "input is required: a string, or an array of 1 to %d strings or of text parts", maxItems)
	}
	if len(r.Model) > maxModelBytes {
		return moderation.Errorf(moderation.EINVALID, "model is %d bytes; the limit is %d", len(r.Model), maxModelBytes)
	}
	for i, t := range r.inputs() {
		name, is := "input", "is"
		switch r.Shape {
		case inputStrings:
			name = fmt.Sprintf("input[%d]", i)
		case inputParts:
			name, is = "input: the text parts", "are"
		}
		if strings.TrimSpace(t) == "" {
			return moderation.Errorf(moderation.EINVALID, "%s %s empty", name, is)
		}
		if len(t) > maxText {
			return moderation.Errorf(moderation.ETOOLARGE, "%s %s %d bytes; the limit is %d", name, is, len(t), maxText)
		}
	}
	return nil
}

// inputs returns the texts to screen, one per result: the text parts of
// one input are joined by newlines, as OpenAI moderates them together.
func (r moderationRequest) inputs() []string {
	if r.Shape == inputParts {
		return []string{strings.Join(r.Texts, "\n")}
	}
	return r.Texts
}

// decodeModeration reads a moderation request from dec. Each value is
// decoded under budget with itemLimit bytes, and input holds at most
// maxItems items, so that memory stays bounded as it does for a batch.
func decodeModeration(dec *json.Decoder, budget *itemBudget, itemLimit int64, maxItems int) (moderationRequest, error) {
	var req moderationRequest
	if err := expectDelim(dec, '{', "request body must be a JSON object"); err != nil {
		return req, err
	}
	var seen []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return req, err
		}
		name, _ := tok.(string)
		if name == "input" || name == "model" {
			if slices.Contains(seen, name) {
				return req, moderation.Errorf(moderation.EINVALID, "duplicate field %s", quoteField(name))
			}
			seen = append(seen, name)
		}
		switch name {
		case "input":
			err = decodeInput(dec, budget, itemLimit, maxItems, &req)
		case "model":
			budget.start("model", itemLimit)
			tok, err = dec.Token()
			budget.stop()
			if err == nil {
				switch m := tok.(type) {
				case string:
					req.Model = m
				case nil:
				default:
					err = moderation.Errorf(moderation.EINVALID, "model: expected string, got %s", tokenKind(tok))
				}
			}
		default:
			// Ignored, but read within the same budget as any value.
			var skip json.RawMessage
			budget.start("field "+quoteField(name), itemLimit)
			err = dec.Decode(&skip)
			budget.stop()
		}
		if err != nil {
			return req, err
		}
	}
	_, err := dec.Token() // '}'
	return req, err
}

// decodeInput reads the value of "input" into req.
func decodeInput(dec *json.Decoder, budget *itemBudget, itemLimit int64, maxItems int, req *moderationRequest) error {
	budget.start("input", itemLimit)
	tok, err := dec.Token()
	budget.stop()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case string:
		req.Shape, req.Texts = inputString, []string{v}
		return nil
	case nil:
		return nil // as if absent
	case json.Delim:
		if v == '[' {
			break
		}
		return moderation.Errorf(moderation.EINVALID, "input: expected a string or an array, got object")
	default:
		return moderation.Errorf(moderation.EINVALID, "input: expected a string or an array, got %s", tokenKind(tok))
	}
	for dec.More() {
		i := len(req.Texts)
		if i == maxItems {
			return moderation.Errorf(moderation.EINVALID, "input: at most %d items per request", maxItems)
		}
		prefix := fmt.Sprintf("input[%d]", i)
		var raw json.RawMessage
		budget.start(prefix, itemLimit)
		err := dec.Decode(&raw)
		budget.stop()
		if err != nil {
			return jsonError(err, dec, prefix)
		}
		shape, text, err := decodeInputItem(prefix, raw)
		if err != nil {
			return err
		}
		if req.Shape != 0 && shape != req.Shape {
			return moderation.Errorf(moderation.EINVALID, "%s: an array of input holds either strings or text parts, not both", prefix)
		}
		req.Shape = shape
		req.Texts = append(req.Texts, text)
	}
	_, err = dec.Token() // ']'
	return err
}

// decodeInputItem decodes one item of an input array: a string, or a
// content part of type text. An image is refused: aup screens files through
// its upload endpoint, not as URLs.
func decodeInputItem(prefix string, raw json.RawMessage) (inputShape, string, error) {
	i := skipSpace(raw, 0)
	switch raw[i] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, "", moderation.Errorf(moderation.EINTERNAL, "decode %s: %v", prefix, err)
		}
		return inputStrings, s, nil
	case '{':
	default:
		return 0, "", moderation.Errorf(moderation.EINVALID, "%s: expected a string or a text part object, got %s", prefix, kindAt(raw, i))
	}
	var p inputPart
	if err := json.Unmarshal(raw, &p); err != nil {
		return 0, "", moderation.Errorf(moderation.EINVALID, `%s: a text part is {"type":"text","text":"..."}`, prefix)
	}
	switch p.Type {
	case "text":
		if p.Text == nil {
			return 0, "", moderation.Errorf(moderation.EINVALID, "%s.text is required", prefix)
		}
		return inputParts, *p.Text, nil
	case "image_url":
		return 0, "", moderation.Errorf(moderation.EINVALID, "%s: image input is not supported by /v1/moderations; screen files with POST /v1/check/upload", prefix)
	case "":
		return 0, "", moderation.Errorf(moderation.EINVALID, "%s.type is required", prefix)
	}
	return 0, "", moderation.Errorf(moderation.EINVALID, `%s: unknown part type %s; expected "text"`, prefix, quoteField(p.Type))
}

// moderationResponse is OpenAI's moderation response.
type moderationResponse struct {
	ID      string             `json:"id"`
	Model   string             `json:"model"`
	Results []moderationResult `json:"results"`
}

// moderationResult is one input's result: OpenAI's fields, each map with
// every category of openAICategories, and aup's verdict in brief under a
// field of its own, which OpenAI clients ignore.
type moderationResult struct {
	Flagged                   bool                `json:"flagged"`
	Categories                map[string]bool     `json:"categories"`
	CategoryScores            map[string]float64  `json:"category_scores"`
	CategoryAppliedInputTypes map[string][]string `json:"category_applied_input_types"`
	AUP                       aupVerdict          `json:"aup"`
}

// aupVerdict says why a result is flagged, in aup's own categories.
type aupVerdict struct {
	Action        moderation.Action `json:"action"`
	Categories    []categoryScore   `json:"categories"`
	PolicyVersion string            `json:"policy_version"`
}

// textOnly is every category's category_applied_input_types: aup screens
// text only.
var textOnly = []string{"text"}

// newModerationResult converts a verdict to OpenAI's result, through
// openAICategories. Flagged is the verdict's action, not the categories: a
// verdict that reviews or blocks for a category OpenAI does not have (spam,
// privacy, ...) is flagged with every category false.
func newModerationResult(v moderation.Verdict) moderationResult {
	r := moderationResult{
		Flagged:                   v.Action != moderation.Allow,
		Categories:                make(map[string]bool, len(openAICategories)),
		CategoryScores:            make(map[string]float64, len(openAICategories)),
		CategoryAppliedInputTypes: make(map[string][]string, len(openAICategories)),
		AUP: aupVerdict{
			Action:        v.Action,
			Categories:    make([]categoryScore, 0, len(v.Categories)),
			PolicyVersion: v.PolicyVersion,
		},
	}
	for _, c := range v.Categories {
		r.AUP.Categories = append(r.AUP.Categories, categoryScore{Category: c.Category, Score: c.Score, Action: c.Action})
	}
	for _, oc := range openAICategories {
		score, flagged := 0.0, len(oc.Of) > 0
		for g, group := range oc.Of {
			gScore, gFlagged := groupScore(v, group)
			if g == 0 || gScore < score {
				score = gScore
			}
			flagged = flagged && gFlagged
		}
		r.Categories[oc.Name] = flagged
		r.CategoryScores[oc.Name] = score
		r.CategoryAppliedInputTypes[oc.Name] = textOnly
	}
	return r
}

// groupScore returns the highest score v has for one of cats, and whether
// one of them calls for review or block on its own.
func groupScore(v moderation.Verdict, cats []moderation.Category) (score float64, flagged bool) {
	for _, cs := range v.Categories {
		if slices.Contains(cats, cs.Category) {
			score = max(score, cs.Score)
			flagged = flagged || cs.Action == moderation.Review || cs.Action == moderation.Block
		}
	}
	return score, flagged
}

// moderations handles POST /v1/moderations: OpenAI's moderation API, so
// that an OpenAI client pointed at aup works unchanged. Each input is
// screened like a /v1/check without user or content id (no review case is
// opened), within the same limits as /v1/check/batch. Scores and
// categories follow openAICategories; flagged is true when aup's action is
// review or block, so a text held for a category OpenAI does not have
// (spam, privacy, ip_infringement, gambling, service_abuse) is flagged with
// no category true: the result's "aup" field says why.
func (s *Server) moderations(c echo.Context) error {
	var req moderationRequest
	err := decodeJSON(c, s.batchLimit, func(dec *json.Decoder, budget *itemBudget) (err error) {
		req, err = decodeModeration(dec, budget, s.checkLimit, s.maxBatch)
		return err
	})
	if err != nil {
		return err
	}
	if err := req.Validate(s.maxBatch, s.maxText); err != nil {
		return err
	}
	inputs := req.inputs()
	verdicts := make([]moderation.Verdict, len(inputs))
	err = forEach(c.Request().Context(), len(inputs), s.concurrency, func(ctx context.Context, i int) error {
		v, err := s.screen(ctx, moderation.Content{Text: inputs[i]})
		if err != nil {
			name := "input"
			if req.Shape == inputStrings {
				name = fmt.Sprintf("input[%d]", i)
			}
			return prefixError(name+": ", fmt.Errorf("screen %s: %w", name, err))
		}
		verdicts[i] = v
		return nil
	})
	if err != nil {
		return err
	}
	s.countVerdicts(verdicts...)
	res := moderationResponse{
		ID:      newModerationID(),
		Model:   "aup-" + verdicts[0].PolicyVersion,
		Results: make([]moderationResult, len(verdicts)),
	}
	for i, v := range verdicts {
		res.Results[i] = newModerationResult(v)
	}
	return c.JSON(http.StatusOK, res)
}

// newModerationID returns an id in OpenAI's form: "modr-" and 24 random
// hex digits.
func newModerationID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return "modr-" + hex.EncodeToString(b[:])
}
