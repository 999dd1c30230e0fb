package review_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/review"
)

func TestStatementOfRemovalAfterReport(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		r := h.report("r1", "n1", "u1", moderation.Harassment)
		o := h.claimDecide("m1", r.CaseID, review.DecisionRequest{
			Action:     moderation.ActionRemove,
			Categories: []moderation.Category{moderation.Privacy, moderation.Harassment, moderation.Spam, moderation.Privacy},
			Reason:     "doxxing",
		})
		s, err := h.desk.Statement(t.Context(), o.Decision.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := review.Statement{
			DecisionVisibility:             []string{"DECISION_VISIBILITY_CONTENT_REMOVED"},
			DecisionGround:                 "DECISION_GROUND_INCOMPATIBLE_CONTENT",
			IncompatibleContentGround:      "Acceptable use policy",
			IncompatibleContentExplanation: "Breaks the acceptable use policy: harassment, spam, privacy", // once each, in the policy's order
			IncompatibleContentIllegal:     "No",
			Category:                       "STATEMENT_CATEGORY_CYBER_VIOLENCE",
			CategoryAddition:               []string{"STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE", "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS"},
			ContentType:                    []string{"CONTENT_TYPE_TEXT"},
			SourceType:                     "SOURCE_ARTICLE_16",
			AutomatedDetection:             "No",
			AutomatedDecision:              "AUTOMATED_DECISION_NOT_AUTOMATED",
			DecisionFacts:                  "The note n1 was removed. A user's notice led to the review. Moderator's reason: doxxing",
			ApplicationDate:                "2025-03-03",
			PUID:                           o.Decision.ID,
		}
		if fmt.Sprintf("%+v", s) != fmt.Sprintf("%+v", want) {
			t.Errorf("statement =\n%+v\nwant\n%+v", s, want)
		}
		_, err = h.desk.Statement(t.Context(), "dec_missing")
		wantCode(t, err, moderation.ENOTFOUND)
	})
}

func TestStatementOfSuspension(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		dec, _, err := h.desk.Suspend(t.Context(), "m1", "u1", review.SuspendRequest{Reason: "ban evasion", Days: 10, Categories: []moderation.Category{moderation.ServiceAbuse}})
		if err != nil {
			t.Fatal(err)
		}
		s, err := h.desk.Statement(t.Context(), dec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.DecisionAccount != "DECISION_ACCOUNT_SUSPENDED" || s.EndDateAccountRestriction != "2025-03-13" || s.DecisionVisibility != nil || s.SourceType != "SOURCE_VOLUNTARY" ||
			fmt.Sprint(s.ContentType) != "[CONTENT_TYPE_OTHER]" || s.ContentTypeOther != "user account" {
			t.Errorf("statement = %+v", s)
		}
		if !strings.Contains(s.DecisionFacts, "suspended until 2025-03-13") {
			t.Errorf("facts = %q", s.DecisionFacts)
		}
		dec, _, err = h.desk.Suspend(t.Context(), "m1", "u2", review.SuspendRequest{Reason: "csam", Days: 0, Categories: []moderation.Category{moderation.ChildSafety}})
		if err != nil {
			t.Fatal(err)
		}
		s = review.NewStatement(dec)
		if s.EndDateAccountRestriction != "" || !strings.Contains(s.DecisionFacts, "indefinitely") || s.IncompatibleContentIllegal != "Yes" || s.Category != "STATEMENT_CATEGORY_PROTECTION_OF_MINORS" {
			t.Errorf("indefinite statement = %+v", s)
		}
	})
}

func TestStatementOfScreeningCase(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		id, err := h.desk.OpenScreeningCase(t.Context(), moderation.Content{Text: "buy now", UserID: "u1", ContentID: "n1"}, verdict(moderation.Fraud, 0.8))
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(36 * time.Hour)
		o := h.claimDecide("m1", id, remove(moderation.Fraud))
		if !o.Decision.AutomatedDetection || o.Decision.Notice {
			t.Fatalf("decision = %+v", o.Decision)
		}
		s := review.NewStatement(*o.Decision)
		if s.AutomatedDetection != "Yes" || s.SourceType != "SOURCE_VOLUNTARY" || s.Category != "STATEMENT_CATEGORY_SCAMS_AND_FRAUD" || s.ApplicationDate != "2025-03-04" {
			t.Errorf("statement = %+v", s)
		}
		if !strings.Contains(s.DecisionFacts, "Automated screening flagged") || s.AutomatedDecision != "AUTOMATED_DECISION_NOT_AUTOMATED" {
			t.Errorf("facts = %q, automated decision %s", s.DecisionFacts, s.AutomatedDecision)
		}
	})
}

func TestStatementOfKeep(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		r := h.report("r1", "n1", "u1", moderation.Hate)
		o := h.claimDecide("m1", r.CaseID, review.DecisionRequest{Action: moderation.ActionKeep, Reason: "a quote"})
		s := review.NewStatement(*o.Decision)
		if s.DecisionGround != "" || s.IncompatibleContentExplanation != "" || s.IncompatibleContentIllegal != "" || s.DecisionVisibility != nil || s.DecisionAccount != "" || s.Category != "" {
			t.Errorf("statement of a keep decision = %+v; want no ground, restriction or category", s)
		}
		if !strings.Contains(s.DecisionFacts, "No restriction was imposed.") {
			t.Errorf("facts = %q", s.DecisionFacts)
		}
	})
}

func TestDSACategoryCoversEveryCategory(t *testing.T) {
	for _, c := range moderation.Categories {
		if !strings.HasPrefix(review.DSACategory(c), "STATEMENT_CATEGORY_") {
			t.Errorf("DSACategory(%s) = %q", c, review.DSACategory(c))
		}
	}
}
