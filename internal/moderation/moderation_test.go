package moderation

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorCodeAndMessage(t *testing.T) {
	wrapped := fmt.Errorf("claim c1: %w", Errorf(ENOTFOUND, "case %s not found", "c1"))
	tests := []struct {
		err       error
		code, msg string
	}{
		{nil, "", ""},
		{wrapped, ENOTFOUND, "case c1 not found"},
		{errors.New("redis: connection refused"), EINTERNAL, "internal error"},
	}
	for _, tc := range tests {
		if got := ErrorCode(tc.err); got != tc.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if got := ErrorMessage(tc.err); got != tc.msg {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tc.err, got, tc.msg)
		}
	}
}

func TestCategories(t *testing.T) {
	if len(Categories) != 16 {
		t.Errorf("%d categories, want 16 (15 policy categories and profanity)", len(Categories))
	}
	for _, c := range Categories {
		if !c.Valid() {
			t.Errorf("%s is not valid", c)
		}
	}
	if Category("nasty").Valid() {
		t.Error("an unknown category is valid")
	}
	v := Verdict{Categories: []CategoryScore{{Category: Hate, Score: 0.9}}}
	if v.Score(Hate) != 0.9 || v.Score(Spam) != 0 {
		t.Error("Verdict.Score")
	}
}
