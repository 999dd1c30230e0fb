package review

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
)

// Statement is a decision's statement of reasons in the shape of the EU DSA
// Transparency Database API (POST /api/v1/statement), so the operator can
// submit it as is. Fields that do not apply are omitted.
type Statement struct {
	DecisionVisibility             []string `json:"decision_visibility,omitempty"`
	DecisionAccount                string   `json:"decision_account,omitempty"`
	DecisionGround                 string   `json:"decision_ground,omitempty"`
	IncompatibleContentGround      string   `json:"incompatible_content_ground,omitempty"`
	IncompatibleContentExplanation string   `json:"incompatible_content_explanation,omitempty"`
	IncompatibleContentIllegal     string   `json:"incompatible_content_illegal,omitempty"`
	Category                       string   `json:"category,omitempty"`
	CategoryAddition               []string `json:"category_addition,omitempty"`
	ContentType                    []string `json:"content_type"`
	ContentTypeOther               string   `json:"content_type_other,omitempty"`
	SourceType                     string   `json:"source_type"`
	AutomatedDetection             string   `json:"automated_detection"`
	AutomatedDecision              string   `json:"automated_decision"`
	DecisionFacts                  string   `json:"decision_facts"`
	ApplicationDate                string   `json:"application_date"`
	EndDateAccountRestriction      string   `json:"end_date_account_restriction,omitempty"`
	EndDateVisibilityRestriction   string   `json:"end_date_visibility_restriction,omitempty"`
	PUID                           string   `json:"puid"`
	// Not part of the schema: where this statement stands.
	Reversed bool `json:"aup_reversed,omitempty"`
}

// dsaCategory maps each policy category onto the Transparency Database's
// statement categories. The mapping is documented in the README.
var dsaCategory = map[moderation.Category]string{
	moderation.Harassment:      "STATEMENT_CATEGORY_CYBER_VIOLENCE",
	moderation.Hate:            "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
	moderation.Violence:        "STATEMENT_CATEGORY_VIOLENCE",
	moderation.Sexual:          "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT",
	moderation.ChildSafety:     "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
	moderation.SelfHarm:        "STATEMENT_CATEGORY_SELF_HARM",
	moderation.Spam:            "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
	moderation.Privacy:         "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
	moderation.Malware:         "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
	moderation.Fraud:           "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
	moderation.Gambling:        "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
	moderation.RegulatedGoods:  "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
	moderation.IllegalActivity: "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
	moderation.IPInfringement:  "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
	moderation.ServiceAbuse:    "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
	moderation.Profanity:       "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
}

// DSACategory returns the Transparency Database statement category for c.
func DSACategory(c moderation.Category) string { return dsaCategory[c] }

// Statement returns the statement of reasons for a decision.
func (d *Desk) Statement(ctx context.Context, id string) (Statement, error) {
	var dec moderation.Decision
	if ok, err := d.load(ctx, keyDec+id, &dec); err != nil {
		return Statement{}, fmt.Errorf("load decision: %w", err)
	} else if !ok {
		return Statement{}, notFound("decision", id)
	}
	return NewStatement(dec), nil
}

// NewStatement builds the statement of reasons for dec. Decisions are
// measured against the acceptable-use policy, so the ground of a
// restriction is always incompatible content; whether the content is also
// illegal is for the operator's lawyers, and is left as "No" unless it is
// child sexual abuse material. A moderator makes every decision, so none is
// automated, even when screening detected the content. A decision that
// restricts nothing (keep, dismiss, reverse) has no ground: its statement
// records the facts for the user and the reporters, and is not one to
// submit to the Transparency Database.
func NewStatement(dec moderation.Decision) Statement {
	date := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	s := Statement{
		ContentType:        []string{contentType(dec.Target.Type)},
		ContentTypeOther:   contentTypeOther[dec.Target.Type],
		SourceType:         "SOURCE_VOLUNTARY",
		AutomatedDetection: "No",
		AutomatedDecision:  "AUTOMATED_DECISION_NOT_AUTOMATED",
		ApplicationDate:    date(dec.DecidedAt),
		PUID:               dec.ID,
		Reversed:           dec.ReversedBy != "",
	}
	if dec.Notice {
		s.SourceType = "SOURCE_ARTICLE_16"
	}
	if dec.AutomatedDetection {
		s.AutomatedDetection = "Yes"
	}
	var cats []string
	for _, c := range dec.Categories {
		if dc := dsaCategory[c]; dc != "" && !slices.Contains(cats, dc) {
			cats = append(cats, dc)
		}
	}
	if len(cats) > 0 {
		s.Category, s.CategoryAddition = cats[0], cats[1:]
	}
	var facts []string
	if dec.ContentRemoved {
		s.DecisionVisibility = []string{"DECISION_VISIBILITY_CONTENT_REMOVED"}
		facts = append(facts, fmt.Sprintf("The %s %s was removed.", dec.Target.Type, dec.Target.ID))
	}
	if dec.SuspensionID != "" {
		s.DecisionAccount = "DECISION_ACCOUNT_SUSPENDED"
		if dec.SuspendedUntil != nil {
			s.EndDateAccountRestriction = date(*dec.SuspendedUntil)
			facts = append(facts, "The account was suspended until "+s.EndDateAccountRestriction+".")
		} else {
			facts = append(facts, "The account was suspended indefinitely.")
		}
	}
	if dec.ContentRemoved || dec.SuspensionID != "" {
		names := make([]string, len(dec.Categories))
		for i, c := range dec.Categories {
			names[i] = string(c)
		}
		s.DecisionGround = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
		s.IncompatibleContentGround = "Acceptable use policy"
		s.IncompatibleContentExplanation = "Breaks the acceptable use policy"
		if len(names) > 0 {
			s.IncompatibleContentExplanation += ": " + strings.Join(names, ", ")
		}
		if s.Category == "" {
			// A direct suspension may name no category; the schema wants one.
			s.Category = "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"
		}
		s.IncompatibleContentIllegal = "No"
		if slices.Contains(dec.Categories, moderation.ChildSafety) {
			s.IncompatibleContentIllegal = "Yes"
		}
	}
	switch dec.Action {
	case moderation.ActionKeep, moderation.ActionDismiss:
		facts = append(facts, "No restriction was imposed.")
	case moderation.ActionReverse:
		facts = append(facts, "On appeal, decision "+dec.AppealOf+" was reversed.")
	}
	if dec.Notice {
		facts = append(facts, "A user's notice led to the review.")
	}
	if dec.AutomatedDetection {
		facts = append(facts, "Automated screening flagged the content; a moderator decided.")
	}
	facts = append(facts, "Moderator's reason: "+dec.Reason)
	s.DecisionFacts = strings.Join(facts, " ")
	return s
}

// contentTypeOther describes the targets that have no content type of
// their own in the schema (CONTENT_TYPE_OTHER).
var contentTypeOther = map[moderation.TargetType]string{
	moderation.TargetUpload: "file uploaded to a note",
	moderation.TargetUser:   "user account",
}

func contentType(t moderation.TargetType) string {
	if t == moderation.TargetNote {
		return "CONTENT_TYPE_TEXT"
	}
	return "CONTENT_TYPE_OTHER"
}
