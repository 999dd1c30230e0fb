package openai

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/aup-dev/aup/internal/moderation"
)

// The classifier's modes (AUP_CLASSIFIER).
const (
	ModeModeration = "openai-moderation" // POST /moderations
	ModeChat       = "chat"              // POST /chat/completions with a prompt
)

// How a chat model is asked to answer (chat.json's response_format).
const (
	FormatJSONSchema = "json_schema" // structured output: the schema of the answer
	FormatJSONObject = "json_object" // any JSON object; the prompt says which
	FormatText       = "text"        // no constraint (Llama Guard answers in text)
)

// Mapping is how a model is asked and how its answer is read: which of its
// labels count for which policy category, from which probability, and for
// chat models the prompt and the answer's format. It is data in models/.
type Mapping struct {
	Labels map[string]Label `json:"labels"`
	// Images says whether the model takes image input.
	Images bool `json:"images"`
	// Chat mode only.
	PromptFile     string `json:"prompt_file"`
	ResponseFormat string `json:"response_format"`
	MaxTokens      int    `json:"max_tokens"`
	About          string `json:"about"`

	Prompt  string `json:"-"`
	Version string `json:"-"` // a hash of the files: part of the policy version
}

// Label is one of the model's labels, read as a policy category.
type Label struct {
	Category moderation.Category `json:"category"`
	// Review is the probability from which the label counts: it then
	// scores the category's review threshold.
	Review float64 `json:"review"`
	// Block is the probability from which the label alone blocks; 0 means
	// never without a rule agreeing.
	Block float64 `json:"block"`
}

// mappingFile names the file of each mode in the models folder.
var mappingFile = map[string]string{ModeModeration: "openai-moderation.json", ModeChat: "chat.json"}

// LoadMapping reads the mapping of mode from fsys (the models folder). Errors
// name the file and what to fix.
func LoadMapping(fsys fs.FS, mode string) (*Mapping, error) {
	name, ok := mappingFile[mode]
	if !ok {
		return nil, fmt.Errorf("classifier mode %q: want %s or %s", mode, ModeModeration, ModeChat)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var m Mapping
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(m.Labels) == 0 {
		return nil, fmt.Errorf("%s: no labels: map at least one of the model's labels to a category", name)
	}
	labels := make([]string, 0, len(m.Labels))
	for l := range m.Labels {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	for _, l := range labels {
		lb := m.Labels[l]
		switch {
		case !lb.Category.Valid():
			return nil, fmt.Errorf("%s: label %q: category %q is not one of the policy's", name, l, lb.Category)
		case lb.Review <= 0 || lb.Review > 1:
			return nil, fmt.Errorf("%s: label %q: review %v must be in (0, 1]", name, l, lb.Review)
		case lb.Block != 0 && (lb.Block <= lb.Review || lb.Block > 1):
			return nil, fmt.Errorf("%s: label %q: block %v must be 0 (never alone) or in (review, 1]", name, l, lb.Block)
		}
	}
	h := sha256.New()
	h.Write(data)
	if mode == ModeChat {
		if m.PromptFile == "" {
			return nil, fmt.Errorf("%s: prompt_file is required in chat mode", name)
		}
		prompt, err := fs.ReadFile(fsys, path.Clean(m.PromptFile))
		if err != nil {
			return nil, fmt.Errorf("%s: prompt_file: %w", name, err)
		}
		m.Prompt = string(prompt)
		h.Write(prompt)
		switch m.ResponseFormat {
		case "":
			m.ResponseFormat = FormatJSONSchema
		case FormatJSONSchema, FormatJSONObject, FormatText:
		default:
			return nil, fmt.Errorf("%s: response_format %q: want %s, %s or %s", name, m.ResponseFormat, FormatJSONSchema, FormatJSONObject, FormatText)
		}
		if m.ResponseFormat == FormatJSONSchema && len(m.schemaLabels()) == 0 {
			return nil, fmt.Errorf("%s: response_format json_schema asks for the labels that are not Llama Guard codes, and there are none: use text", name)
		}
		if m.MaxTokens <= 0 {
			m.MaxTokens = 300
		}
	}
	m.Version = hex.EncodeToString(h.Sum(nil))[:12]
	return &m, nil
}

// scores reads a model's probabilities per label as policy estimates, in
// label order; labels the mapping does not name are ignored.
func (m *Mapping) scores(p map[string]float64, note map[string]string) []moderation.ModelScore {
	labels := make([]string, 0, len(p))
	for l := range p {
		if _, ok := m.Labels[l]; ok {
			labels = append(labels, l)
		}
	}
	slices.Sort(labels)
	out := make([]moderation.ModelScore, 0, len(labels))
	for _, l := range labels {
		lb := m.Labels[l]
		name := l
		if n := note[l]; n != "" {
			name += " (" + n + ")"
		}
		out = append(out, moderation.ModelScore{Category: lb.Category, P: p[l], Threshold: lb.Review, Block: lb.Block, Label: name})
	}
	return out
}
