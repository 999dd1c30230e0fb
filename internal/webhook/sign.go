package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// SignatureHeader is the header that carries the signature.
const SignatureHeader = "Aup-Signature"

// Errors returned by Verify, wrapped with detail; test them with errors.Is.
var (
	// ErrMalformedSignature: the header is missing or cannot be parsed.
	ErrMalformedSignature = errors.New("webhook: malformed signature header")
	// ErrSignatureExpired: the timestamp is outside the tolerance.
	ErrSignatureExpired = errors.New("webhook: signature timestamp outside tolerance")
	// ErrSignatureMismatch: no v1 value matches the body.
	ErrSignatureMismatch = errors.New("webhook: signature does not match")
)

// Sign returns the Aup-Signature header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks an Aup-Signature header against the raw request body and the
// shared secret. It accepts the header when any of its v1 values matches
// (several appear while a secret is rotated) and its timestamp is within
// tolerance of now, either way; a tolerance of zero or less means
// DefaultTolerance. Signatures are compared in constant time. The error
// wraps ErrMalformedSignature, ErrSignatureExpired or ErrSignatureMismatch.
// A verified delivery may still be a repeat: deduplicate on the event id.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if header == "" {
		return fmt.Errorf("%w: no %s header", ErrMalformedSignature, SignatureHeader)
	}
	var (
		ts     string
		sigs   [][]byte
		badSig bool
	)
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: %q is not key=value", ErrMalformedSignature, part)
		}
		switch k {
		case "t":
			if ts != "" {
				return fmt.Errorf("%w: more than one t", ErrMalformedSignature)
			}
			if v == "" {
				return fmt.Errorf("%w: empty t", ErrMalformedSignature)
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				badSig = true // another v1 value may still match
				continue
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" {
		return fmt.Errorf("%w: no t", ErrMalformedSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 || strings.HasPrefix(ts, "+") {
		return fmt.Errorf("%w: t is not a unix time", ErrMalformedSignature)
	}
	if len(sigs) == 0 {
		if badSig {
			return fmt.Errorf("%w: v1 is not a hex SHA-256 HMAC", ErrMalformedSignature)
		}
		return fmt.Errorf("%w: no v1", ErrMalformedSignature)
	}
	if skew := now.Sub(time.Unix(sec, 0)).Abs(); skew > tolerance {
		return fmt.Errorf("%w: %s off, tolerance %s", ErrSignatureExpired, skew.Truncate(time.Second), tolerance)
	}
	want := mac(secret, ts, body)
	match := 0
	for _, sig := range sigs {
		match |= boolInt(hmac.Equal(sig, want))
	}
	if match == 0 {
		return ErrSignatureMismatch
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
