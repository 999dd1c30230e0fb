package engine

import (
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// Observer receives the engine's measurements, for metrics (cmd wires it to
// Prometheus). Its methods are called on the check path: they must be safe
// for concurrent use and must not block. A nil Options.Observer measures
// nothing and costs nothing.
type Observer interface {
	// CacheLookup reports one lookup in a verdict cache tier: tier is
	// "local" or "shared", result "hit", "miss" or "error" (the tier could
	// not be asked, which counts as a miss). The shared tier is asked only
	// after a local miss.
	CacheLookup(tier, result string)
	// Detected reports how long detecting the language of one text took.
	// Detection runs on cache misses only.
	Detected(elapsed time.Duration)
}

// cacheTiers names Options.Local and Options.Shared, in lookup order.
var cacheTiers = [...]string{"local", "shared"}

// observeLookup reports a lookup in tier i to the observer, if any.
func (e *Engine) observeLookup(i int, result string) {
	if e.opts.Observer != nil {
		e.opts.Observer.CacheLookup(cacheTiers[i], result)
	}
}

// detect detects text's language, timing it when there is an observer.
func (e *Engine) detect(text string) moderation.Language {
	if e.opts.Observer == nil {
		return e.opts.Detector.Detect(text)
	}
	start := time.Now()
	lang := e.opts.Detector.Detect(text)
	e.opts.Observer.Detected(time.Since(start))
	return lang
}
