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

// LocalClassifier is a statistical model that runs in process and scores a
// text per category. It must be safe for concurrent use and fast: the check
// path calls it on every cache miss.
type LocalClassifier interface {
	Classify(text string) []ModelScore
}

// Classifier is a hosted model that scores texts and images per category:
// OpenAI's moderation endpoint, or a safety model behind a chat-completions
// API. It is a remote dependency and may be slow, refuse load or fail;
// implementations bound each call and must be safe for concurrent use.
type Classifier interface {
	// Classify scores text and images (either may be empty). An error is
	// an *Error with code EUNAVAILABLE whose message is one of the
	// Unavailable* reasons; it never contains the input.
	Classify(ctx context.Context, text string, images []Image) (ModelAnswer, error)
	// Images reports whether the model takes image input.
	Images() bool
}

// Why a hosted classifier did not answer: the message of its EUNAVAILABLE
// error, and the reason a verdict's ClassifierStatus gives.
const (
	UnavailableTimeout     = "timeout"      // no answer within the per-call timeout
	UnavailableRateLimited = "rate_limited" // the API answered 429 and asked to wait longer than the call may
	UnavailableCircuitOpen = "circuit_open" // recent calls failed; the breaker lets none through for now
	UnavailableCapped      = "capped"       // the configured calls per minute are spent
	UnavailableError       = "error"        // the API failed or answered something unreadable
)

// Image is an image to show a hosted model.
type Image struct {
	MediaType string // image/jpeg, image/png, image/gif or image/webp
	Data      []byte
	Source    string // the file or member it came from
}

// ModelAnswer is a hosted model's answer.
type ModelAnswer struct {
	Model  string       // the model version that answered, as its API named it
	Scores []ModelScore // one per label of the model that maps to a category
}
