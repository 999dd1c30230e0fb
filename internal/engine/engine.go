// Package engine is aup's screening pipeline for text: normalise, detect the
// language, match the compiled rule lists and built-in detectors, and apply
// the policy. Verdicts are cached under a hash of the policy version and the
// normalised text, so a rule change can never serve a stale verdict, and the
// cache never holds the text itself.
package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/normalize"
	"github.com/aup-dev/aup/internal/rules"
)

// Revision names the engine's matching semantics. Change it whenever a code
// change can change a verdict: it is part of every policy_version, together
// with the VCS revision the binary was built from, when it has one.
const Revision = "2"

// codeVersion is Revision and the build's VCS revision: a deploy of changed
// code never serves verdicts cached by the old code from a shared cache.
var codeVersion = func() string {
	v := Revision
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" && s.Value == "true" {
				v += "+" + s.Value
			}
		}
	}
	return v
}()

// Options configures an Engine. Only Detector is required.
type Options struct {
	Detector moderation.LanguageDetector
	// DetectorID names the detector's configuration (its languages); it is
	// part of the policy version.
	DetectorID string
	// Local is an in-process cache tier, Shared one shared by all instances
	// (Redis). Either may be nil.
	Local, Shared moderation.VerdictCache
	CacheTTL      time.Duration // default 24h
	// StoreTimeout bounds each call to a cache or the wave counter on the
	// check path (default 100ms): a slow store costs a check at most this
	// much per call, and a check never waits for a store that hangs.
	StoreTimeout time.Duration
	// Waves counts identical texts across users for the $wave detector.
	Waves moderation.WaveCounter
	// Linear is the built-in statistical model whose estimates add to the
	// rules' scores (see addModel); LinearID names it (its version) in the
	// policy version. Optional.
	Linear   moderation.LocalClassifier
	LinearID string
	// Classifier is the hosted model classifier, asked on cache misses as
	// ClassifyWhen says (ClassifyAlways, the default, or ClassifyUnsure);
	// ClassifierID names its configuration (mode, model, mapping, prompt)
	// in the policy version. Optional.
	Classifier   moderation.Classifier
	ClassifierID string
	ClassifyWhen string
	Logger       *slog.Logger
	Now          func() time.Time

	// Observer receives cache lookups and detection times, for metrics.
	// Optional.
	Observer Observer

	// windowMin overrides the shortest text whose patterns run in windows
	// (windowMin): negative, never. For tests comparing the two paths.
	windowMin int
}

// Engine screens text. It is safe for concurrent use; Load swaps the rules
// atomically while checks run.
type Engine struct {
	opts    Options
	current atomic.Pointer[compiled]
	flight  singleflight.Group
	loading sync.Mutex // one Load at a time: the last to read the files wins
}

// New returns an engine screening with set.
func New(set *rules.Set, opts Options) (*Engine, error) {
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = 24 * time.Hour
	}
	if opts.StoreTimeout <= 0 {
		opts.StoreTimeout = 100 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch opts.ClassifyWhen {
	case "":
		opts.ClassifyWhen = ClassifyAlways
	case ClassifyAlways, ClassifyUnsure:
	default:
		return nil, fmt.Errorf("engine: ClassifyWhen %q: want %q or %q", opts.ClassifyWhen, ClassifyAlways, ClassifyUnsure)
	}
	e := &Engine{opts: opts}
	if _, err := e.swap(set); err != nil {
		return nil, err
	}
	return e, nil
}

// swap compiles set and, if it compiles, puts it in force and returns its
// policy version. On error the rules in force stay.
func (e *Engine) swap(set *rules.Set) (string, error) {
	h := sha256.Sum256([]byte(codeVersion + "\x00" + set.Version + "\x00" + e.opts.DetectorID + "\x00" + e.opts.LinearID + "\x00" + e.opts.ClassifierID + "\x00" + e.opts.ClassifyWhen))
	c, err := compile(set, hex.EncodeToString(h[:])[:16])
	if err != nil {
		return "", err
	}
	switch {
	case e.opts.windowMin < 0:
		c.windowMin = 0
	case e.opts.windowMin > 0:
		c.windowMin = e.opts.windowMin
	}
	e.current.Store(c)
	return c.version, nil
}

// Load reads the rules in fsys and puts them in force. A broken folder is
// refused with an EINVALID error naming the file and line. Loads run one at
// a time, so the rules in force are those of the last files read.
func (e *Engine) Load(fsys fs.FS) (version string, err error) {
	e.loading.Lock()
	defer e.loading.Unlock()
	set, err := rules.Load(fsys)
	if err != nil {
		return "", err
	}
	return e.swap(set)
}

// PolicyVersion is the version of the rules in force.
func (e *Engine) PolicyVersion() string { return e.current.Load().version }

// Screen returns the verdict for c.
func (e *Engine) Screen(ctx context.Context, c moderation.Content) (moderation.Verdict, error) {
	cur := e.current.Load()
	f := normalize.Fold(c.Text)
	text := sha256.Sum256([]byte(f.Text))
	key := cacheKey(cur.version, text[:])

	v, cached, cacheFailed := e.lookup(ctx, key)
	if !cached {
		// The first caller computes the verdict for all who ask meanwhile,
		// so its work does not end with its own request; each caller
		// waits only as long as its own context allows.
		fctx := context.WithoutCancel(ctx)
		ch := e.flight.DoChan(key, func() (any, error) {
			// The detector reads the text as sent: folding strips the
			// accents that tell French, Spanish and Portuguese apart.
			v := cur.screen(&f, e.detect(c.Text))
			if e.opts.Linear != nil {
				addModel(&v, e.opts.Linear.Classify(c.Text), cur.thresholds, "model", true)
			}
			if e.opts.Classifier != nil {
				e.classify(fctx, &v, cur, c.Text, nil)
			}
			// A verdict the classifier could not contribute to is not
			// kept: the next check of the text asks it again.
			r := flightResult{v: v}
			if v.Classifier == nil || v.Classifier.Status != moderation.ClassifierUnavailable {
				r.unstored = !e.store(fctx, key, v)
			}
			return r, nil
		})
		select {
		case res := <-ch:
			r := res.Val.(flightResult)
			v = clone(r.v)
			cacheFailed = cacheFailed || r.unstored
		case <-ctx.Done():
			return moderation.Verdict{}, moderation.Errorf(moderation.EUNAVAILABLE, "gave up waiting for the verdict: %v", ctx.Err())
		}
	}
	for i := range v.Matches {
		v.Matches[i].Start, v.Matches[i].End = f.Orig(v.Matches[i].Start, v.Matches[i].End)
	}
	v.Cached = cached
	if cacheFailed {
		v.Degraded = append(v.Degraded, moderation.DegradedCache)
	}
	if c.UserID != "" {
		e.wave(ctx, cur, hex.EncodeToString(text[:16]), c.UserID, &v)
	}
	decide(&v, cur.thresholds)
	if v.Matches == nil { // the API promises arrays, never null
		v.Matches = []moderation.Match{}
	}
	if v.Categories == nil {
		v.Categories = []moderation.CategoryScore{}
	}
	return v, nil
}

// combine adds score to v's score for cat as independent evidence.
func combine(v *moderation.Verdict, cat moderation.Category, score float64) {
	for i := range v.Categories {
		if v.Categories[i].Category == cat {
			v.Categories[i].Score = round(1 - (1-v.Categories[i].Score)*(1-score))
			return
		}
	}
	v.Categories = append(v.Categories, moderation.CategoryScore{Category: cat, Score: score})
}

// wave adds the $wave signal when many users sent the same text recently.
func (e *Engine) wave(ctx context.Context, cur *compiled, key, user string, v *moderation.Verdict) {
	rule, ok := cur.detector["wave"]
	if !ok || e.opts.Waves == nil {
		return
	}
	r := &cur.rules[rule]
	ctx, cancel := context.WithTimeout(ctx, e.opts.StoreTimeout)
	defer cancel()
	n, err := e.opts.Waves.Observe(ctx, key, user, e.opts.Now(), r.DurationOption("window", 10*time.Minute))
	if err != nil {
		e.opts.Logger.WarnContext(ctx, "wave counter unavailable", moderation.ErrorAttrs(err)...)
		v.Degraded = append(v.Degraded, moderation.DegradedWave)
		return
	}
	if n < r.IntOption("users", 5) {
		return
	}
	v.Signals = append(v.Signals, moderation.Signal{Name: "wave", Category: r.Category, Score: r.Score, Detail: strconv.Itoa(n) + " users sent this text"})
	combine(v, r.Category, r.Score)
}

// cacheKey names a verdict: the rules' version and the hash of the folded
// text, so texts that differ only in case, invisible characters or accents
// share a verdict (the first one's detected language included). The wave
// counter uses the text hash alone, so that a reload does not reset a wave
// in progress.
func cacheKey(version string, textHash []byte) string {
	h := sha256.New()
	h.Write([]byte(version))
	h.Write(textHash)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// flightResult is what the computation of a verdict hands every caller
// waiting for it: the verdict, and whether a cache tier failed to keep it.
type flightResult struct {
	v        moderation.Verdict
	unstored bool
}

// lookup asks the local tier, then the shared one, filling the local tier
// from the shared. A cache that cannot be asked is a miss, and failed says
// so.
func (e *Engine) lookup(ctx context.Context, key string) (v moderation.Verdict, ok, failed bool) {
	for i, c := range []moderation.VerdictCache{e.opts.Local, e.opts.Shared} {
		if c == nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, e.opts.StoreTimeout)
		v, ok, err := c.Get(cctx, key)
		cancel()
		if err != nil {
			e.observeLookup(i, "error")
			e.opts.Logger.WarnContext(ctx, "verdict cache unavailable", moderation.ErrorAttrs(err)...)
			failed = true
			continue
		}
		if ok {
			e.observeLookup(i, "hit")
			if i == 1 && e.opts.Local != nil {
				_ = e.opts.Local.Set(ctx, key, v, e.opts.CacheTTL) // in process: cannot fail on I/O
			}
			return v, true, failed // the stores return copies
		}
		e.observeLookup(i, "miss")
	}
	return moderation.Verdict{}, false, failed
}

// store keeps v in every cache tier and reports whether all took it. A
// verdict goes to the local tier even when the shared one is down: what the
// store contributes (waves, the author's standing) is added per check, never
// cached, so the verdict is the same as with the store up.
func (e *Engine) store(ctx context.Context, key string, v moderation.Verdict) (ok bool) {
	ok = true
	for _, c := range []moderation.VerdictCache{e.opts.Local, e.opts.Shared} {
		if c == nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, e.opts.StoreTimeout)
		err := c.Set(cctx, key, v, e.opts.CacheTTL)
		cancel()
		if err != nil {
			e.opts.Logger.WarnContext(ctx, "verdict cache unavailable", moderation.ErrorAttrs(err)...)
			ok = false
		}
	}
	return ok
}

// clone copies the slices of v so that a caller may change them.
func clone(v moderation.Verdict) moderation.Verdict {
	v.Categories = slices.Clone(v.Categories)
	v.Matches = slices.Clone(v.Matches)
	v.Signals = slices.Clone(v.Signals)
	return v
}

// Check reports whether set compiles, without putting it in force.
func Check(set *rules.Set) error {
	_, err := compile(set, set.Version)
	return err
}
