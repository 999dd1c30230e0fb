package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/webhook"
)

var (
	testSecret = []byte("0123456789abcdef-test-secret")
	oldSecret  = []byte("fedcba9876543210-old-secret")
	testBody   = []byte(`{"id":"evt_1","type":"decision.made","created_at":"2024-06-01T12:00:00Z","data":{"case_id":"c1"}}`)
	signedAt   = time.Unix(1717243200, 0)
)

func TestSignFormat(t *testing.T) {
	got := webhook.Sign(testSecret, signedAt, testBody)
	h := hmac.New(sha256.New, testSecret)
	h.Write([]byte("1717243200." + string(testBody)))
	want := "t=1717243200,v1=" + hex.EncodeToString(h.Sum(nil))
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	// The fraction of a second is dropped, not rounded.
	if got := webhook.Sign(testSecret, signedAt.Add(999*time.Millisecond), testBody); got != want {
		t.Errorf("Sign at .999 s = %q, want %q", got, want)
	}
}

// TestDocVector checks the example in the package documentation.
func TestDocVector(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"decision.made","created_at":"2024-06-01T12:00:00.5Z","data":{"decision_id":"d1"}}`)
	const want = "t=1717243200,v1=1a5c04c1fcd46dbf7a90034ef3039f343c92e21fbf6de3c0e68d95977b50b2bf"
	if got := webhook.Sign([]byte("example-secret-0123456789"), signedAt, body); got != want {
		t.Errorf("Sign = %q, want the documented %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	sig := webhook.Sign(testSecret, signedAt, testBody)
	v1 := func(secret []byte) string {
		_, v, _ := strings.Cut(webhook.Sign(secret, signedAt, testBody), ",")
		return v
	}
	ts := "t=" + strconv.FormatInt(signedAt.Unix(), 10)
	tampered := []byte(strings.Replace(string(testBody), "c1", "c2", 1))
	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		tol    time.Duration
		want   error
	}{
		{name: "round trip", header: sig},
		{name: "within tolerance after", header: sig, now: signedAt.Add(4 * time.Minute)},
		{name: "within tolerance before", header: sig, now: signedAt.Add(-4 * time.Minute)},
		{name: "spaces around parts", header: ts + ", " + v1(testSecret)},
		{name: "unknown keys ignored", header: ts + ",v0=abc," + v1(testSecret) + ",x=y"},
		{name: "order of parts", header: v1(testSecret) + "," + ts},
		{name: "rotation: new secret among several v1", header: ts + "," + v1(oldSecret) + "," + v1(testSecret)},
		{name: "rotation: receiver still on old secret", secret: oldSecret, header: ts + "," + v1(oldSecret) + "," + v1(testSecret)},
		{name: "rotation: a malformed v1 beside a good one", header: ts + ",v1=zz," + v1(testSecret)},

		{name: "tampered body", header: sig, body: tampered, want: webhook.ErrSignatureMismatch},
		{name: "wrong secret", secret: oldSecret, header: sig, want: webhook.ErrSignatureMismatch},
		{name: "tampered timestamp", header: "t=1717243201," + v1(testSecret), now: signedAt, want: webhook.ErrSignatureMismatch},
		{name: "uppercase hex", header: ts + ",v1=" + strings.ToUpper(strings.TrimPrefix(v1(testSecret), "v1="))},
		{name: "no matching v1 among several", header: ts + "," + v1(oldSecret) + "," + v1([]byte("another-secret-of-16+")), want: webhook.ErrSignatureMismatch},
		{name: "expired", header: sig, now: signedAt.Add(6 * time.Minute), want: webhook.ErrSignatureExpired},
		{name: "from the future", header: sig, now: signedAt.Add(-6 * time.Minute), want: webhook.ErrSignatureExpired},
		{name: "custom tolerance", header: sig, now: signedAt.Add(2 * time.Second), tol: time.Second, want: webhook.ErrSignatureExpired},
		{name: "missing header", header: "", want: webhook.ErrMalformedSignature},
		{name: "no t", header: v1(testSecret), want: webhook.ErrMalformedSignature},
		{name: "no v1", header: ts, want: webhook.ErrMalformedSignature},
		{name: "two t", header: ts + "," + ts + "," + v1(testSecret), want: webhook.ErrMalformedSignature},
		{name: "t not a number", header: "t=soon," + v1(testSecret), want: webhook.ErrMalformedSignature},
		{name: "t negative", header: "t=-5," + v1(testSecret), want: webhook.ErrMalformedSignature},
		{name: "part without =", header: ts + ",garbage," + v1(testSecret), want: webhook.ErrMalformedSignature},
		{name: "v1 not hex", header: ts + ",v1=not-hex", want: webhook.ErrMalformedSignature},
		{name: "v1 truncated", header: sig[:len(sig)-2], want: webhook.ErrMalformedSignature},
		{name: "v1 empty", header: ts + ",v1=", want: webhook.ErrMalformedSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secret := tc.secret
			if secret == nil {
				secret = testSecret
			}
			body := tc.body
			if body == nil {
				body = testBody
			}
			now := tc.now
			if now.IsZero() {
				now = signedAt
			}
			err := webhook.Verify(secret, tc.header, body, now, tc.tol)
			if tc.want == nil && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(webhook.Sign(testSecret, signedAt, testBody), testBody)
	f.Add("t=1,v1=00", []byte("{}"))
	f.Add(",,=,t==,v1=", []byte(nil))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := webhook.Verify(testSecret, header, body, signedAt, time.Hour)
		if err == nil && header != webhook.Sign(testSecret, signedAt, body) {
			// A header other than the exact one Sign makes may verify
			// only if it carries that signature.
			_, v1, _ := strings.Cut(webhook.Sign(testSecret, signedAt, body), ",")
			if !strings.Contains(header, v1) {
				t.Fatalf("Verify accepted %q for %q", header, body)
			}
		}
	})
}
