package main

import (
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/lingua"
	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/rules"
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
	return engine.New(set, engine.Options{
		Detector:   det,
		DetectorID: "lingua:" + strings.Join(c.Languages, ","),
		Local:      local,
		Shared:     shared,
		CacheTTL:   c.CacheTTL,
		Waves:      waves,
		Logger:     log,
	})
}
