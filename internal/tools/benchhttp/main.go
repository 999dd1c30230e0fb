// Command benchhttp measures aup's check endpoint. It is a development tool:
//
//	benchhttp bare -addr 127.0.0.1:9090
//	    serves POST /v1/check with a bare Echo handler that only decodes the
//	    request and encodes a verdict of the same shape: the ceiling that the
//	    HTTP stack and JSON alone allow on this machine. It ignores the
//	    Authorization header.
//	benchhttp load -url http://127.0.0.1:8080/v1/check -duration 10s -repeat 0.2
//	    sends 300-byte notes from concurrent workers and prints requests per
//	    second and latency percentiles. -repeat is the share of requests that
//	    repeat an earlier note (0 = all distinct, 1 = a small hot set only).
//	    -count N sends exactly N requests instead of running for -duration.
//	    -users N gives each request a user_id drawn from N users (0 = none),
//	    as a product's backend does, so that the spam-wave counter runs.
//	    -key (or $BENCHHTTP_KEY) is sent as "Authorization: Bearer <key>".
//	    -seed picks the distinct notes: runs with the same seed send the same
//	    bodies; by default each run gets its own.
//
// Scripts/bench-http.sh runs both against aup in rounds and prints the ratios.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchhttp bare|load [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "bare":
		err = bare(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchhttp:", err)
		os.Exit(1)
	}
}

type checkRequest struct {
	Text      string `json:"text"`
	UserID    string `json:"user_id,omitempty"`
	ContentID string `json:"content_id,omitempty"`
}

type verdict struct {
	Action     string `json:"action"`
	Categories []struct {
		Category string  `json:"category"`
		Score    float64 `json:"score"`
	} `json:"categories"`
	Language struct {
		Code       string  `json:"code"`
		Confidence float64 `json:"confidence"`
	} `json:"language"`
	Matches       []any  `json:"matches"`
	Cached        bool   `json:"cached"`
	PolicyVersion string `json:"policy_version"`
}

func bare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	_ = fs.Parse(args)
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", *addr)
	if err != nil {
		return err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/v1/check", func(c echo.Context) error {
		var req checkRequest
		dec := json.NewDecoder(c.Request().Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
		}
		v := verdict{Action: "allow", Matches: []any{}, PolicyVersion: "bare"}
		v.Language.Code, v.Language.Confidence = "en", 0.9
		return c.JSON(http.StatusOK, v)
	})
	// The same server settings as aup serve, so that only the handler differs.
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
	fmt.Fprintln(os.Stderr, "benchhttp bare: serving on", ln.Addr())
	return srv.Serve(ln)
}

// words make notes that read like notes, so the engine does real work.
var words = []string{"meeting", "tomorrow", "remember", "to", "buy", "milk", "and", "call", "the", "dentist",
	"project", "deadline", "moved", "to", "friday", "please", "review", "draft", "before", "lunch",
	"ideas", "for", "the", "garden", "tomatoes", "basil", "water", "twice", "a", "week", "notes",
	"from", "lecture", "about", "history", "of", "trade", "routes", "in", "the", "mediterranean"}

func note(r *rand.Rand, n int) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Note %d: ", n)
	for b.Len() < 300 {
		b.WriteString(words[r.Intn(len(words))])
		b.WriteByte(' ')
	}
	return b.String()[:300]
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	url := fs.String("url", "http://127.0.0.1:8080/v1/check", "check endpoint")
	key := fs.String("key", os.Getenv("BENCHHTTP_KEY"), "API key sent as Bearer (default $BENCHHTTP_KEY)")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	count := fs.Int("count", 0, "send exactly this many requests (overrides -duration)")
	workers := fs.Int("c", 32, "concurrent connections")
	repeat := fs.Float64("repeat", 0, "share of requests repeating a note from a hot set of 100")
	users := fs.Int("users", 1000, "draw each request's user_id from this many users (0 = no user_id)")
	seed := fs.Int64("seed", 0, "seed for the distinct notes and user ids (0 = a new one per run)")
	label := fs.String("label", "", "label for the output line")
	_ = fs.Parse(args)
	if *users < 0 {
		return fmt.Errorf("-users %d: want 0 or more", *users)
	}
	if *seed == 0 {
		*seed = time.Now().UnixNano()
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers, MaxConnsPerHost: *workers}, Timeout: 10 * time.Second}
	var sent, failed atomic.Int64
	var firstFailure atomic.Value // string: what the first failed request got
	fail := func(what string) {
		failed.Add(1)
		firstFailure.CompareAndSwap(nil, what)
	}
	var mu sync.Mutex
	var lat []time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	if *count > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), time.Hour)
	}
	defer cancel()
	hot := make([]string, 100) // the notes that repeat
	for i := range hot {
		hot[i] = note(rand.New(rand.NewSource(int64(i))), -i)
	}
	master := rand.New(rand.NewSource(*seed))
	seeds := make([]int64, *workers)
	for w := range seeds {
		seeds[w] = master.Int63()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewSource(seeds[w]))
			var mine []time.Duration
			for ctx.Err() == nil {
				n := sent.Add(1)
				if *count > 0 && n > int64(*count) {
					break
				}
				var text string
				if r.Float64() < *repeat {
					text = hot[r.Intn(len(hot))]
				} else {
					text = note(r, int(n))
				}
				cr := checkRequest{Text: text}
				if *users > 0 {
					cr.UserID = "user-" + strconv.Itoa(r.Intn(*users))
				}
				body, _ := json.Marshal(cr)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, *url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if *key != "" {
					req.Header.Set("Authorization", "Bearer "+*key)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						fail(err.Error())
					}
					continue
				}
				if resp.StatusCode != http.StatusOK {
					msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
					resp.Body.Close()
					fail(resp.Status + " " + string(bytes.TrimSpace(msg)))
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("%-22s ok=%d failed=%d rps=%.0f p50=%s p90=%s p99=%s\n", *label, len(lat), failed.Load(),
		float64(len(lat))/elapsed.Seconds(), pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond))
	if failed.Load() > 0 {
		return fmt.Errorf("%s: %d requests failed; the first got: %s", *label, failed.Load(), firstFailure.Load())
	}
	return nil
}
