// Package aupclient is the little of aup's HTTP API that the load tools
// (benchreview, load) share: one request, and a decision a claimed case
// accepts.
package aupclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand"
	"net/http"
)

// Do sends one request to url with body as JSON (none when nil) and key as
// bearer ("" for none), and returns the status and body; a 2xx body is
// decoded into out when out is not nil.
func Do(ctx context.Context, client *http.Client, method, url, key string, body []byte, out any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if out != nil && resp.StatusCode/100 == 2 && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, b, fmt.Errorf("decode: %w", err)
		}
	}
	return resp.StatusCode, b, nil
}

// Case is what a load tool needs of a claimed case.
type Case struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Target struct {
		Type string `json:"type"`
	} `json:"target"`
}

// Decision returns the body of a decision c accepts: keep or remove for
// content, dismiss for anything else (a suspension proposal, an appeal).
// Reasons start with tool, so that the audit log says who decided.
func Decision(c Case, r *mrand.Rand, tool string) []byte {
	var d string
	switch {
	case c.Kind == "suspension" || c.Kind == "appeal" || c.Target.Type == "user":
		d = `{"action":"dismiss","reason":"` + tool + `: nothing to act on"}`
	case r.Intn(2) == 0:
		d = `{"action":"keep","reason":"` + tool + `: within the policy"}`
	default:
		d = `{"action":"remove","categories":["spam"],"reason":"` + tool + `: advertising"}`
	}
	return []byte(d)
}
