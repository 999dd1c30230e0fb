package moderation

// Action is what the product should do with a piece of content.
type Action string

// Actions, from least to most severe.
const (
	Allow  Action = "allow"  // publish
	Review Action = "review" // publish or hold as the product prefers; a human should look
	Block  Action = "block"  // refuse
)

// Content is one piece of user content to screen.
type Content struct {
	Text      string
	UserID    string // optional: the author
	ContentID string // optional: the product's id for the note or upload
	// File describes an upload; Text is then what screening quoted from it
	// (excerpts around the matches), not the whole file.
	File *FileInfo
}

// Verdict is the explainable result of screening one piece of content.
type Verdict struct {
	Action        Action          `json:"action"`
	Categories    []CategoryScore `json:"categories"`
	Language      Language        `json:"language"`
	Matches       []Match         `json:"matches"`
	Signals       []Signal        `json:"signals,omitempty"`
	Cached        bool            `json:"cached"`
	PolicyVersion string          `json:"policy_version"`
	// Sources are the kinds of evidence that decided the action (see the
	// Source* constants): for review and block, those that scored a
	// category at or above the action's threshold; for allow, the rules
	// and, when it answered, the classifier, which both found too little.
	Sources []string `json:"sources,omitempty"`
	// Classifier says whether the hosted classifier, when one is
	// configured, answered for this verdict; nil when none is.
	Classifier *ClassifierStatus `json:"classifier,omitempty"`
	// Degraded lists the parts of screening a backing store took no part
	// in for this verdict, because it could not be reached or failed
	// recently (see the Degraded* constants); empty when all did. The
	// verdict is then the rules' and models' alone: the shared cache was
	// not asked or not filled, the wave counter did not count, the
	// author's standing is not given.
	Degraded []string `json:"degraded,omitempty"`
}

// Parts of screening that can be left out of a verdict, in the order a
// verdict lists them.
const (
	DegradedCache        = "cache"         // the shared verdict cache was not asked or not filled
	DegradedWave         = "wave"          // the wave counter did not count this text
	DegradedUserStanding = "user_standing" // the author's standing could not be read
)

// Sources of evidence, in the order a verdict lists them.
const (
	SourceRules      = "rules"      // rule lists and built-in detectors
	SourceHashBank   = "hashbank"   // a hash bank entry matched an upload
	SourceLinear     = "linear"     // the built-in linear model
	SourceClassifier = "classifier" // the hosted model classifier
)

// ClassifierStatus says what the hosted classifier did for a verdict.
type ClassifierStatus struct {
	Status string `json:"status"` // one of the Classifier* statuses
	// Model is the model version that answered (status ok).
	Model string `json:"model,omitempty"`
	// Reason is why it did not answer (status unavailable): one of the
	// Unavailable* reasons.
	Reason string `json:"reason,omitempty"`
}

// Statuses of the hosted classifier in a verdict.
const (
	ClassifierOK          = "ok"          // it answered; its scores are in the verdict
	ClassifierSkipped     = "skipped"     // not asked: the rules were sure (AUP_CLASSIFIER_WHEN=unsure)
	ClassifierUnavailable = "unavailable" // asked, no answer: the verdict is the rules' alone
)

// CategoryScore is a category at or above its reporting threshold, and the
// action its score calls for on its own (allow when it is only reported).
type CategoryScore struct {
	Category Category `json:"category"`
	Score    float64  `json:"score"`
	Action   Action   `json:"action,omitempty"`
}

// Language is the detected language of a text: an ISO 639-1 code, or "und"
// when the text is too short or too mixed to tell.
type Language struct {
	Code       string  `json:"code"`
	Confidence float64 `json:"confidence"`
}

// Undetermined is the language code for text whose language cannot be told.
const Undetermined = "und"

// Match is one rule that matched, with byte offsets [Start, End) into the
// original text.
type Match struct {
	Rule     string   `json:"rule"`
	Category Category `json:"category"`
	Start    int      `json:"start"`
	End      int      `json:"end"`
	Score    float64  `json:"score"`
	// Source is, for an upload, the part of the file the offsets point
	// into ("notes.zip/a.txt", "report.pdf#page=3").
	Source string `json:"source,omitempty"`
}

// Signal is a piece of evidence that is not a span of text: a spam wave, too
// many links, a disposable e-mail host, an executable in an upload. Detail
// never contains user text.
type Signal struct {
	Name     string   `json:"name"`
	Category Category `json:"category"`
	Score    float64  `json:"score"`
	Detail   string   `json:"detail,omitempty"`
	// Source is, for an upload, the file or member the signal is about.
	Source string `json:"source,omitempty"`
}

// Score returns the verdict's score for category c, or 0.
func (v Verdict) Score(c Category) float64 {
	for _, cs := range v.Categories {
		if cs.Category == c {
			return cs.Score
		}
	}
	return 0
}

// ModelScore is a statistical model's estimate for one category: the
// probability, and the probability at which the model's operating point
// says a human should review (chosen when the model was trained, or set in
// the model's configuration, for a low false-positive rate).
type ModelScore struct {
	Category  Category
	P         float64
	Threshold float64
	// Block is the probability from which the model's estimate alone
	// blocks; 0 means it never does without a rule agreeing.
	Block float64
	// Label is the model's own name for what it scored ("harassment/
	// threatening"), when it differs from Category.
	Label string
}
