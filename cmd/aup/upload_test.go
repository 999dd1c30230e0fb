package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/redistest"
)

// picture draws a w×h image with structure a perceptual hash can see:
// gradients, a disc and bars. The same picture at another size is the same
// picture to PDQ.
func picture(w, h int) image.Image { return drawing(w, h, 0.35, 0.4, 3) }

// otherPicture is another drawing: the disc and the bars elsewhere.
func otherPicture(w, h int) image.Image { return drawing(w, h, 0.7, 0.2, 2) }

func drawing(w, h int, discX, discY float64, barEvery int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			c := color.RGBA{uint8(255 * fx), uint8(255 * fy), 128, 255}
			if dx, dy := fx-discX, fy-discY; dx*dx+dy*dy < 0.04 {
				c = color.RGBA{240, 240, 30, 255}
			}
			if int(fx*10)%barEvery == 0 && fy > 0.7 {
				c = color.RGBA{20, 20, 20, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipFiles(t *testing.T, files ...[2]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

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

	pic := encodePNG(t, picture(640, 480))
	upload := zipFiles(t, [2]string{"holiday/pic.png", string(pic)}, [2]string{"holiday/caption.txt", "you are an idiot"})
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
	again := encodeJPEG(t, picture(560, 420))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		status, v = postUpload(t, base, backendKey, "copy.jpg", again, map[string]string{"content_id": "up-2"})
		if status == http.StatusOK && v.signal("hashbank") || time.Now().After(deadline) {
			break
		}
	}
	if status != http.StatusOK || v.Action != "block" || !v.signal("hashbank") {
		t.Fatalf("re-upload: %d %+v", status, v)
	}
	status, v = postUpload(t, base, backendKey, "other.jpg", encodeJPEG(t, otherPicture(560, 420)), nil)
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
		{"zip bomb", zipFiles(t, [2]string{"zeros", strings.Repeat("\x00", 8<<20)}), http.StatusUnprocessableEntity},
		{"decompression bomb", pngHeader(100000, 100000), http.StatusUnprocessableEntity},
	} {
		if status, _ := postUpload(t, base, backendKey, "f", tc.data, nil); status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, status, tc.status)
		}
	}
}

// pngHeader is the start of a PNG declaring w×h pixels: enough for its
// size to be read.
func pngHeader(w, h uint32) []byte {
	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}
