package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// uploadResponse is the part of the verdict load checks and prints.
type uploadResponse struct {
	Action string `json:"action"`
	Cached bool   `json:"cached"`
	File   struct {
		MediaType string `json:"media_type"`
		Size      int64  `json:"size"`
		Images    []struct {
			Width  int    `json:"width"`
			Height int    `json:"height"`
			PDQ    string `json:"pdq"`
		} `json:"images"`
		Members       int  `json:"members"`
		TextBytes     int  `json:"text_bytes"`
		TextTruncated bool `json:"text_truncated"`
	} `json:"file"`
	Signals []struct {
		Name string `json:"name"`
	} `json:"signals"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

const boundary = "benchupload-7f3a9c1e5b2d4086"

// body returns a request body that posts f, read from disk as the request
// is sent, and the body's length.
func body(f *os.File, size int64, name, userID string) (io.Reader, int64, error) {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, 0, err
	}
	if userID != "" {
		if err := mw.WriteField("user_id", userID); err != nil {
			return nil, 0, err
		}
	}
	ct := mime.TypeByExtension(filepath.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	h.Set("Content-Type", ct)
	if _, err := mw.CreatePart(h); err != nil {
		return nil, 0, err
	}
	tail := "\r\n--" + boundary + "--\r\n"
	r := io.MultiReader(bytes.NewReader(head.Bytes()), io.NewSectionReader(f, 0, size), strings.NewReader(tail))
	return r, int64(head.Len()) + size + int64(len(tail)), nil
}

func load(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080/v1/check/upload", "upload endpoint")
	file := fs.String("file", "", "the file to post (required)")
	key := fs.String("key", os.Getenv("BENCHUPLOAD_KEY"), "API key sent as Bearer (default $BENCHUPLOAD_KEY)")
	duration := fs.Duration("duration", 10*time.Second, "how long to start uploads; those under way then are waited for")
	count := fs.Int("count", 0, "send exactly this many uploads (overrides -duration)")
	conc := fs.Int("concurrency", 1, "uploads at once")
	users := fs.Int("users", 1000, "draw each upload's user_id from this many users (0 = no user_id)")
	expect := fs.Int("expect", http.StatusOK, "the status every answer must have")
	timeout := fs.Duration("timeout", 5*time.Minute, "limit on one upload")
	label := fs.String("label", "", "label for the output line (default the file's name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("load: -file is required")
	}
	if *conc < 1 || *users < 0 || *count < 0 {
		return errors.New("load: -concurrency must be 1 or more, -users and -count 0 or more")
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size, name := st.Size(), filepath.Base(*file)
	if *label == "" {
		*label = name
	}

	client := &http.Client{
		Transport: &http.Transport{
			MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc, DisableCompression: true,
			WriteBufferSize: 256 << 10, ReadBufferSize: 64 << 10,
		},
		Timeout: *timeout,
	}
	var (
		started  atomic.Int64
		mu       sync.Mutex
		lat      []time.Duration
		statuses = map[string]int{}
		first    *uploadResponse // the first answer with the expected status
		bad      string          // what the first unexpected answer was
	)
	record := func(status string, d time.Duration, ok bool, resp *uploadResponse, what string) {
		mu.Lock()
		defer mu.Unlock()
		statuses[status]++
		if ok {
			lat = append(lat, d)
			if first == nil {
				first = resp
			}
		} else if bad == "" {
			bad = what
		}
	}
	deadline := time.Now().Add(*duration)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range *conc {
		wg.Go(func() {
			for ctx.Err() == nil {
				n := started.Add(1)
				if *count > 0 && n > int64(*count) || *count == 0 && time.Now().After(deadline) {
					return
				}
				uid := ""
				if *users > 0 {
					uid = "user-" + strconv.Itoa((int(n)*7919+w)%*users)
				}
				status, d, resp, what := post(ctx, client, *url, *key, f, size, name, uid)
				ok := status == strconv.Itoa(*expect)
				if ok && *expect == http.StatusOK && resp.File.Size != size {
					ok, what = false, fmt.Sprintf("200 with file.size %d, want %d", resp.File.Size, size)
				}
				record(status, d, ok, resp, what)
				if !ok {
					return // one failure is enough to fail the run
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return err
	}

	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(time.Millisecond)
	}
	var codes []string
	for s, n := range statuses {
		codes = append(codes, fmt.Sprintf("%s×%d", s, n))
	}
	slices.Sort(codes)
	rate := float64(len(lat)) / elapsed.Seconds()
	fmt.Fprintf(stdout, "%-16s size=%.2fMiB c=%d n=%d uploads/s=%.2f MiB/s=%.1f p50=%s p99=%s max=%s status=%s\n",
		*label, float64(size)/mib, *conc, len(lat), rate, rate*float64(size)/mib, pct(0.50), pct(0.99), pct(1), strings.Join(codes, ","))
	if first != nil {
		fmt.Fprintf(stdout, "%-16s %s\n", "", describe(first))
	}
	if bad != "" {
		return fmt.Errorf("%s: an upload was not answered %d: %s", *label, *expect, bad)
	}
	if len(lat) == 0 {
		return fmt.Errorf("%s: no upload was answered within %s", *label, *duration)
	}
	return nil
}

// post sends one upload and returns the status ("error" when there was no
// answer), the latency, the decoded answer and a description of it.
func post(ctx context.Context, client *http.Client, url, key string, f *os.File, size int64, name, userID string) (string, time.Duration, *uploadResponse, string) {
	r, n, err := body(f, size, name, userID)
	if err != nil {
		return "error", 0, nil, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, io.NopCloser(r))
	if err != nil {
		return "error", 0, nil, err.Error()
	}
	req.ContentLength = n
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return "error", 0, nil, err.Error()
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	d := time.Since(t0)
	status := strconv.Itoa(resp.StatusCode)
	if err != nil {
		return "error", d, nil, fmt.Sprintf("%s, reading the answer: %v", resp.Status, err)
	}
	var ur uploadResponse
	if err := json.Unmarshal(raw, &ur); err != nil {
		return status, d, nil, fmt.Sprintf("%s with a body that is not a verdict: %.300s", resp.Status, raw)
	}
	return status, d, &ur, fmt.Sprintf("%s %.300s", resp.Status, bytes.TrimSpace(raw))
}

// describe summarises an answer in one line.
func describe(r *uploadResponse) string {
	if r.Error != nil {
		return fmt.Sprintf("error %s: %s", r.Error.Code, r.Error.Message)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "action=%s media_type=%s text=%.2fMiB", r.Action, r.File.MediaType, float64(r.File.TextBytes)/mib)
	if r.File.TextTruncated {
		b.WriteString(" (truncated)")
	}
	if r.File.Members > 0 {
		fmt.Fprintf(&b, " members=%d", r.File.Members)
	}
	if len(r.File.Images) > 0 {
		hashed := 0
		for _, im := range r.File.Images {
			if im.PDQ != "" {
				hashed++
			}
		}
		fmt.Fprintf(&b, " images=%d (perceptually hashed %d; first %d×%d)", len(r.File.Images), hashed, r.File.Images[0].Width, r.File.Images[0].Height)
	}
	if len(r.Signals) > 0 {
		seen := map[string]int{}
		var names []string
		for _, s := range r.Signals {
			if seen[s.Name] == 0 {
				names = append(names, s.Name)
			}
			seen[s.Name]++
		}
		for i, n := range names {
			names[i] = fmt.Sprintf("%s×%d", n, seen[n])
		}
		fmt.Fprintf(&b, " signals=%s", strings.Join(names, ","))
	}
	if r.Cached {
		b.WriteString(" cached")
	}
	return b.String()
}
