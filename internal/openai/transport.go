package openai

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxAnswerBytes bounds an answer read from the API: moderation results and
// a classifier's JSON are a few kilobytes.
const maxAnswerBytes = 1 << 20

// exchange is one request's view below go-openai, which decodes only the
// fields its types have: it may replace the request body (for the inputs
// go-openai's ModerationRequest cannot express: images, an array of texts, a
// model it does not list) and keeps the raw answer and its headers (for
// illicit, category_applied_input_types and Retry-After).
type exchange struct {
	body   []byte // replaces the request body when set
	sent   bool   // go-openai handed the request over
	status int
	header http.Header
	raw    []byte
}

type exchangeKey struct{}

// recorder is the go-openai HTTPDoer that fills in the request's exchange.
type recorder struct{ client *http.Client }

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	x, _ := req.Context().Value(exchangeKey{}).(*exchange)
	if x == nil {
		return r.client.Do(req)
	}
	if x.body != nil {
		req.Body = io.NopCloser(bytes.NewReader(x.body))
		req.ContentLength = int64(len(x.body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(x.body)), nil }
	}
	x.sent = true
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxAnswerBytes {
		return nil, &malformedError{fmt.Sprintf("over %d bytes", maxAnswerBytes)}
	}
	x.status, x.header, x.raw = resp.StatusCode, resp.Header, raw
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return resp, nil
}

// maxRetryAfter bounds the pause one answer can impose.
const maxRetryAfter = 10 * time.Minute

// retryAfter reads how long the API asked us to wait: OpenAI's
// retry-after-ms, or Retry-After in seconds or as an HTTP date. 0 when it
// did not say.
func retryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	var d time.Duration
	if ms, err := strconv.ParseFloat(strings.TrimSpace(h.Get("Retry-After-Ms")), 64); err == nil && ms > 0 {
		d = time.Duration(ms * float64(time.Millisecond))
	} else if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
			d = time.Duration(s * float64(time.Second))
		} else if t, err := http.ParseTime(v); err == nil {
			d = time.Until(t)
		}
	}
	return max(0, min(d, maxRetryAfter))
}
