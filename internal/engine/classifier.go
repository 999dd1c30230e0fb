package engine

import (
	"context"
	"slices"
	"strconv"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/rules"
)

// When the hosted classifier is asked (Options.ClassifyWhen).
const (
	// ClassifyAlways asks it about every text the cache does not know.
	ClassifyAlways = "always"
	// ClassifyUnsure asks it only when the rules found something but did
	// not block: texts in which nothing scored, and texts the rules block
	// anyway, are decided without it.
	ClassifyUnsure = "unsure"
)

// Model scores map onto the policy's scale: a probability at the model's
// threshold scores the category's review threshold, and the probability 1
// scores modelCeiling of the way from review to block. A model alone puts
// content before a human; it never blocks without a rule agreeing, unless
// its configuration gives a block probability (ModelScore.Block).
const modelCeiling = 0.9

// corroborate are the categories whose built-in model estimates count only
// when a rule of the same category matched too: their training data (SMS
// spam, a few hundred harmful requests) is too narrow for the model to judge
// an ordinary note on its own, and it flags to-do lists as spam.
var corroborate = map[moderation.Category]bool{
	moderation.Spam:            true,
	moderation.Fraud:           true,
	moderation.Gambling:        true,
	moderation.IllegalActivity: true,
}

// addModel adds a model's estimates at or above their thresholds to v as
// signals named name, one per label, and combines the strongest per
// category with the rules' scores as independent evidence. Models are not
// independent of each other (they learn from the same kind of text), so of
// two models' estimates of one category only the stronger counts: two
// models that only review do not block together. With corroborated, the
// corroborate categories count only where a rule scored.
func addModel(v *moderation.Verdict, scores []moderation.ModelScore, th map[moderation.Category]rules.Threshold, name string, corroborated bool) {
	prior := map[moderation.Category]float64{} // earlier models' strongest evidence
	for _, s := range v.Signals {
		if src := signalSource(s.Name); src == moderation.SourceLinear || src == moderation.SourceClassifier {
			prior[s.Category] = max(prior[s.Category], s.Score)
		}
	}
	var best []moderation.CategoryScore
	for _, ms := range scores {
		t, ok := th[ms.Category]
		if !ok || ms.P < ms.Threshold || ms.Threshold >= 1 || t.Block <= t.Review {
			continue
		}
		if corroborated && corroborate[ms.Category] && v.Score(ms.Category) == 0 {
			continue
		}
		score := modelScore(ms, t)
		detail := "p=" + strconv.FormatFloat(round(ms.P), 'f', -1, 64)
		if ms.Label != "" && ms.Label != string(ms.Category) {
			detail = ms.Label + " " + detail
		}
		v.Signals = append(v.Signals, moderation.Signal{Name: name, Category: ms.Category, Score: score, Detail: detail})
		if i := slices.IndexFunc(best, func(b moderation.CategoryScore) bool { return b.Category == ms.Category }); i < 0 {
			best = append(best, moderation.CategoryScore{Category: ms.Category, Score: score})
		} else if score > best[i].Score {
			best[i].Score = score
		}
	}
	for _, b := range best {
		if p := prior[b.Category]; b.Score > p {
			// Replace the earlier model's evidence with this stronger one.
			combine(v, b.Category, 1-(1-b.Score)/(1-p))
		}
	}
}

// modelScore maps ms onto t: from the review threshold at ms.Threshold up
// to the block threshold at ms.Block and beyond it towards 1, or, without a
// block probability, up to modelCeiling of the way to block.
func modelScore(ms moderation.ModelScore, t rules.Threshold) float64 {
	if ms.Block <= ms.Threshold || ms.Block > 1 {
		return round(t.Review + modelCeiling*(t.Block-t.Review)*(ms.P-ms.Threshold)/(1-ms.Threshold))
	}
	if ms.P >= ms.Block {
		if ms.Block == 1 {
			return t.Block
		}
		return round(t.Block + (1-t.Block)*(ms.P-ms.Block)/(1-ms.Block))
	}
	// Rounded down, so that a probability below Block never rounds up to
	// the block threshold.
	return float64(int((t.Review+(t.Block-t.Review)*(ms.P-ms.Threshold)/(ms.Block-ms.Threshold))*1000)) / 1000
}

// classify asks the hosted classifier about text and images and adds its
// answer to v, or says in v why it did not. It never fails: without an
// answer the verdict is the rules' alone, and says so.
func (e *Engine) classify(ctx context.Context, v *moderation.Verdict, cur *compiled, text string, images []moderation.Image) {
	if e.opts.ClassifyWhen == ClassifyUnsure && len(images) == 0 && sure(v, cur.thresholds) {
		v.Classifier = &moderation.ClassifierStatus{Status: moderation.ClassifierSkipped}
		return
	}
	ans, err := e.opts.Classifier.Classify(ctx, text, images)
	if err != nil {
		reason := moderation.UnavailableError
		if moderation.ErrorCode(err) == moderation.EUNAVAILABLE {
			reason = moderation.ErrorMessage(err)
		}
		// Debug: the classifier logs its failed requests itself, and an
		// open breaker would otherwise log every check.
		e.opts.Logger.DebugContext(ctx, "classifier unavailable; the verdict is the rules' alone", "reason", reason)
		v.Classifier = &moderation.ClassifierStatus{Status: moderation.ClassifierUnavailable, Reason: reason}
		return
	}
	v.Classifier = &moderation.ClassifierStatus{Status: moderation.ClassifierOK, Model: ans.Model}
	addModel(v, ans.Scores, cur.thresholds, moderation.SourceClassifier, false)
}

// sure reports whether the rules need no second opinion on v: nothing
// scored, or something already blocks.
func sure(v *moderation.Verdict, th map[moderation.Category]rules.Threshold) bool {
	for _, cs := range v.Categories {
		if t, ok := th[cs.Category]; ok && cs.Score >= t.Block {
			return true
		}
	}
	return len(v.Categories) == 0
}

// mergeClassifier folds the status of one classifier call into the status
// of a verdict made of several (an upload's parts and images): unavailable
// if any call was, ok if any answered, skipped if all were.
func mergeClassifier(into **moderation.ClassifierStatus, s *moderation.ClassifierStatus) {
	switch {
	case s == nil:
	case *into == nil, s.Status == moderation.ClassifierUnavailable,
		s.Status == moderation.ClassifierOK && (*into).Status == moderation.ClassifierSkipped:
		c := *s
		*into = &c
	}
}

// sourceOrder is the order a verdict lists its sources in.
var sourceOrder = [...]string{moderation.SourceRules, moderation.SourceHashBank, moderation.SourceLinear, moderation.SourceClassifier}

// sources names the evidence behind v's action (see moderation.Verdict).
// It runs on every check, cached or not, so it allocates only its result.
func sources(v *moderation.Verdict) []string {
	var has [len(sourceOrder)]bool
	mark := func(src string) { has[slices.Index(sourceOrder[:], src)] = true }
	if v.Action == moderation.Allow {
		mark(moderation.SourceRules)
		if v.Classifier != nil && v.Classifier.Status == moderation.ClassifierOK {
			mark(moderation.SourceClassifier)
		}
	} else {
		deciding := func(c moderation.Category) bool {
			return slices.ContainsFunc(v.Categories, func(cs moderation.CategoryScore) bool { return cs.Category == c && cs.Action == v.Action })
		}
		for _, m := range v.Matches {
			if !has[0] && m.Score > 0 && deciding(m.Category) {
				mark(moderation.SourceRules)
			}
		}
		for _, s := range v.Signals {
			if s.Score > 0 && deciding(s.Category) {
				mark(signalSource(s.Name))
			}
		}
	}
	out := make([]string, 0, len(sourceOrder))
	for i, src := range sourceOrder {
		if has[i] {
			out = append(out, src)
		}
	}
	return out
}

// signalSource is the kind of evidence a signal is.
func signalSource(name string) string {
	switch name {
	case "model":
		return moderation.SourceLinear
	case moderation.SourceClassifier, moderation.SourceHashBank:
		return name
	}
	return moderation.SourceRules
}
