package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/aup-dev/aup/internal/webhook"
)

// A receiver checks the signature on the raw body before parsing it, and
// deduplicates on the event id: the same event may arrive more than once.
func ExampleVerify() {
	secret := []byte("shared-secret-of-at-least-16-bytes")
	seen := map[string]bool{} // a real receiver keeps this in its database
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get("Aup-Signature"), body, time.Now(), webhook.DefaultTolerance); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var ev struct {
			ID   string          `json:"id"`
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		if !seen[ev.ID] {
			seen[ev.ID] = true
			fmt.Println("handling", ev.Type, ev.ID)
		}
		w.WriteHeader(http.StatusNoContent) // any 2xx: delivered
	}))
	defer receiver.Close()

	body := []byte(`{"id":"evt_1","type":"decision.made","created_at":"2024-06-01T12:00:00Z","data":{}}`)
	for _, sig := range []string{webhook.Sign(secret, time.Now(), body), webhook.Sign(secret, time.Now(), body), "t=1,v1=00"} {
		req, _ := http.NewRequest(http.MethodPost, receiver.URL, bytes.NewReader(body))
		req.Header.Set("Aup-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	// Output:
	// handling decision.made evt_1
	// 204
	// 204
	// 401
}
