// Package models embeds aup's bundled model files, so that the aup binary
// classifies with them from any directory.
package models

import "embed"

// Linear is the built-in linear classifier, read by linear.Load: hashed
// character and word n-grams, one logistic regression head per category.
// `aup train` writes it; linear.json next to it says how it was trained and
// how it does on the held-out rows.
//
//go:embed linear.bin
var Linear []byte

// Classifier holds the configuration of the hosted classifier, read by
// openai.LoadMapping: openai-moderation.json for OpenAI's moderation
// endpoint, chat.json and its prompt for a safety model behind a
// chat-completions API.
//
//go:embed openai-moderation.json chat.json chat-prompt.md
var Classifier embed.FS
