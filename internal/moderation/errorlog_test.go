package moderation_test

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
)

func TestErrorAttrsKeepNoText(t *testing.T) {
	var v struct{ N int }
	jerr := json.Unmarshal([]byte(`{"N": "call alice@example.org"}`), &v)
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("connection refused")}
	for _, tc := range []struct {
		err       error
		want, not string
	}{
		{fmt.Errorf("decode user:alice@example.org: %w", jerr), "*json.UnmarshalTypeError", "alice"},
		{moderation.Errorf(moderation.EINVALID, "text %q is too long", "secret note"), "invalid", "secret"},
		{fmt.Errorf("redis: %w", dial), "dial tcp: connection refused", ""},
	} {
		attrs := fmt.Sprint(moderation.ErrorAttrs(tc.err)...)
		if !strings.Contains(attrs, tc.want) || tc.not != "" && strings.Contains(attrs, tc.not) {
			t.Errorf("ErrorAttrs(%v) = %s; want %q in it and not %q", tc.err, attrs, tc.want, tc.not)
		}
	}
}
