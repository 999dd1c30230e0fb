package moderation

import (
	"context"
	"time"
)

// LanguageDetector tells the language of a text. Implementations must be safe
// for concurrent use and fast: the check path calls Detect on every cache miss.
type LanguageDetector interface {
	// Detect returns the language of text, with Code Undetermined when the
	// text is too short or mixed to tell.
	Detect(text string) Language
}

// VerdictCache stores verdicts under an opaque key derived from the policy
// version and the normalised text. It never holds raw text.
type VerdictCache interface {
	// Get returns the verdict stored under key. ok is false on a miss. An
	// error means the cache could not be asked (EUNAVAILABLE); callers treat
	// it as a miss.
	Get(ctx context.Context, key string) (v Verdict, ok bool, err error)
	// Set stores v under key for ttl.
	Set(ctx context.Context, key string, v Verdict, ttl time.Duration) error
}

// WaveCounter counts the distinct users who sent the same text within a
// window, so that a spam wave is seen across all instances of aup.
type WaveCounter interface {
	// Observe records that user sent the text identified by textKey at now
	// and returns the number of distinct users (including this one) who sent
	// it within window. Implementations may stop counting above a cap.
	Observe(ctx context.Context, textKey, user string, now time.Time, window time.Duration) (int, error)
}

// Pinger reports whether a backing store is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Classifier is a statistical model that scores a text per category. It
// must be safe for concurrent use and fast: the check path calls it on
// every cache miss.
type Classifier interface {
	Classify(text string) []ModelScore
}
