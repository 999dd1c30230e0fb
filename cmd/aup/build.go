package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/linear"
	"github.com/aup-dev/aup/internal/lingua"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/openai"
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
// caller's (serve shares them with Redis, the CLI keeps them in process), as
// are the classifier and the observer (nil: none).
func newEngine(c *config, log *slog.Logger, local, shared moderation.VerdictCache, waves moderation.WaveCounter, cl *openai.Classifier, obs engine.Observer) (*engine.Engine, error) {
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
		Observer:   obs,
	}
	if model != nil {
		opts.Linear, opts.LinearID = model, "linear:"+model.Version()
	}
	if cl != nil {
		opts.Classifier, opts.ClassifierID, opts.ClassifyWhen = cl, cl.ID(), c.Classifier.When
	}
	return engine.New(set, opts)
}

// classifier builds the hosted classifier AUP_CLASSIFIER configures, or
// returns nil when there is none. Its metrics go to reg (nil: nowhere).
func (c *config) classifier(log *slog.Logger, reg prometheus.Registerer) (*openai.Classifier, error) {
	cc := c.Classifier
	if cc.Mode == "" {
		return nil, nil
	}
	var fsys fs.FS = models.Classifier
	if cc.Dir != "" {
		fsys = os.DirFS(cc.Dir)
	}
	m, err := openai.LoadMapping(fsys, cc.Mode)
	if err != nil {
		return nil, fmt.Errorf("classifier configuration (%s): %w", orBundled(cc.Dir), err)
	}
	retries := cc.Retries
	if retries == 0 {
		retries = -1 // openai.Config's zero value is its default
	}
	return openai.New(openai.Config{
		Mode: cc.Mode, BaseURL: cc.BaseURL, APIKey: cc.APIKey, Model: cc.Model, Mapping: m,
		Timeout: cc.Timeout, Budget: cc.Budget, Retries: retries, PerMinute: cc.PerMinute,
		BreakerFailures: cc.Breaker, BreakerCooldown: cc.Cooldown,
		Metrics: openai.NewMetrics(reg), Logger: log,
	})
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
