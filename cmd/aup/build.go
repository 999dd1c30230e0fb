package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/linear"
	"github.com/aup-dev/aup/internal/lingua"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/rules"
	"github.com/aup-dev/aup/models"
	bundled "github.com/aup-dev/aup/rules"
)

// rulesFS is the rules folder in force: AUP_RULES_DIR, or the bundled rules.
func (c *config) rulesFS() fs.FS {
	if c.RulesDir == "" {
		return bundled.FS
	}
	return os.DirFS(c.RulesDir)
}

// newEngine builds the screening engine; the caches and counters are the
// caller's (serve shares them with Redis, the CLI keeps them in process).
func newEngine(c *config, log *slog.Logger, local, shared moderation.VerdictCache, waves moderation.WaveCounter) (*engine.Engine, error) {
	set, err := rules.Load(c.rulesFS())
	if err != nil {
		return nil, err
	}
	det, err := lingua.New(lingua.Options{Languages: c.Languages})
	if err != nil {
		return nil, err
	}
	model, err := c.linearModel()
	if err != nil {
		return nil, err
	}
	opts := engine.Options{
		Detector:   det,
		DetectorID: "lingua:" + strings.Join(c.Languages, ","),
		Local:      local,
		Shared:     shared,
		CacheTTL:   c.CacheTTL,
		Waves:      waves,
		Logger:     log,
	}
	if model != nil {
		opts.Linear, opts.LinearID = model, "linear:"+model.Version()
	}
	return engine.New(set, opts)
}

// linearModel is the statistical model in force: the bundled one, the file
// AUP_LINEAR_MODEL names, or none when it is "off".
func (c *config) linearModel() (*linear.Model, error) {
	data := models.Linear
	switch c.LinearModel {
	case "off":
		return nil, nil
	case "":
	default:
		var err error
		if data, err = os.ReadFile(c.LinearModel); err != nil {
			return nil, fmt.Errorf("AUP_LINEAR_MODEL: %w", err)
		}
	}
	m, err := linear.Load(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("AUP_LINEAR_MODEL %s: %w", c.LinearModel, err)
	}
	return m, nil
}
