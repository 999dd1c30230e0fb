package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/fixture"
	"github.com/aup-dev/aup/internal/redistest"
)

// uploadVerdict is the part of an upload's verdict the test reads.
type uploadVerdict struct {
	Action  string `json:"action"`
	CaseID  string `json:"case_id"`
	Signals []struct {
		Name     string `json:"name"`
		Category string `json:"category"`
		Detail   string `json:"detail"`
		Source   string `json:"source"`
	} `json:"signals"`
	File struct {
		SHA256    string `json:"sha256"`
		MediaType string `json:"media_type"`
		Images    []struct {
			Path string `json:"path"`
			PDQ  string `json:"pdq"`
		} `json:"images"`
	} `json:"file"`
}

func (v uploadVerdict) signal(name string) bool {
	for _, s := range v.Signals {
		if s.Name == name {
			return true
		}
	}
	return false
}

// postUpload sends data as the file of a multipart upload with the given
// fields and decodes the verdict.
func postUpload(t *testing.T, base, key, name string, data []byte, fields map[string]string) (int, uploadVerdict) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/check/upload", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v uploadVerdict
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
	return resp.StatusCode, v
}

// TestUploadRemovedAndBanked follows an upload through the service on a
// real Redis: screened to review, decided by a moderator who removes it and
// adds it to a hash bank, after which the same picture, re-encoded at
// another size, is blocked on upload.
func TestUploadRemovedAndBanked(t *testing.T) {
	srv := redistest.Start(t)
	base, logs := service(t, reviewEnv(srv))

	must(t, http.StatusCreated, http.MethodPut, base+"/v1/hashbanks/removed-images", adminKey, `{"category":"harassment","action":"block"}`, nil)

	pic := fixture.PNG(t, fixture.Picture(640, 480, 0))
	upload := fixture.Zip(t, fixture.File{Name: "holiday/pic.png", Data: pic}, fixture.File{Name: "holiday/caption.txt", Data: []byte("you are an idiot")})
	status, v := postUpload(t, base, backendKey, "holiday.zip", upload, map[string]string{"content_id": "up-1", "user_id": "u-9"})
	if status != http.StatusOK || v.Action != "review" || v.CaseID == "" {
		t.Fatalf("upload: %d %+v", status, v)
	}
	if len(v.File.Images) != 1 || v.File.Images[0].Path != "holiday.zip/holiday/pic.png" || len(v.File.Images[0].PDQ) != 64 {
		t.Fatalf("images = %+v", v.File.Images)
	}
	if !v.signal("image_not_assessed") {
		t.Errorf("no image_not_assessed signal without an image classifier: %+v", v.Signals)
	}

	var c struct {
		Target struct{ Type, ID string } `json:"target"`
		Text   string                    `json:"text"`
		File   *struct {
			SHA256 string `json:"sha256"`
		} `json:"file"`
	}
	must(t, http.StatusOK, http.MethodPost, base+"/v1/review/items/"+v.CaseID+"/claim", modAKey, "", &c)
	if c.Target.Type != "upload" || c.Target.ID != "up-1" || c.File == nil || c.File.SHA256 != v.File.SHA256 || !strings.Contains(c.Text, "idiot") {
		t.Fatalf("case = %+v", c)
	}
	var out struct {
		Decision struct {
			ContentRemoved bool     `json:"content_removed"`
			BankEntries    []string `json:"bank_entries"`
		} `json:"decision"`
	}
	must(t, http.StatusOK, http.MethodPost, base+"/v1/review/items/"+v.CaseID+"/decision", modAKey,
		`{"action":"remove","categories":["harassment"],"reason":"insulting caption","add_to_bank":"removed-images"}`, &out)
	if !out.Decision.ContentRemoved || len(out.Decision.BankEntries) < 2 { // the ZIP's SHA-256, the picture's SHA-256 and PDQ
		t.Fatalf("decision = %+v", out.Decision)
	}

	// The picture alone, resized and re-encoded: a different file, the
	// same picture. The decision woke this instance's bank index, which
	// reloads in the background.
	again := fixture.JPEG(t, fixture.Picture(560, 420, 0), 80)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		status, v = postUpload(t, base, backendKey, "copy.jpg", again, map[string]string{"content_id": "up-2"})
		if status == http.StatusOK && v.signal("hashbank") || time.Now().After(deadline) {
			break
		}
	}
	if status != http.StatusOK || v.Action != "block" || !v.signal("hashbank") {
		t.Fatalf("re-upload: %d %+v", status, v)
	}
	status, v = postUpload(t, base, backendKey, "other.jpg", fixture.JPEG(t, fixture.Picture(560, 420, 1), 80), nil)
	if status != http.StatusOK || v.signal("hashbank") {
		t.Errorf("a different picture matched the bank: %d %+v", status, v)
	}
	if l := logs.String(); strings.Contains(l, "holiday") || strings.Contains(l, "idiot") {
		t.Errorf("the log holds a file name or text")
	}
}

// TestUploadLimits checks the service's answers to uploads it refuses.
func TestUploadLimits(t *testing.T) {
	srv := redistest.Start(t)
	base, _ := service(t, reviewEnv(srv, "AUP_MAX_UPLOAD_BYTES", "100000"))
	for _, tc := range []struct {
		name   string
		data   []byte
		status int
	}{
		{"over AUP_MAX_UPLOAD_BYTES", bytes.Repeat([]byte("a"), 100001), http.StatusRequestEntityTooLarge},
		{"zip bomb", fixture.Zip(t, fixture.File{Name: "zeros", Data: make([]byte, 8<<20)}), http.StatusUnprocessableEntity},
		{"decompression bomb", fixture.PNGHeader(100000, 100000), http.StatusUnprocessableEntity},
	} {
		if status, _ := postUpload(t, base, backendKey, "f", tc.data, nil); status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, status, tc.status)
		}
	}
}
