// Command benchreview measures aup's review desk over HTTP. It is a
// development tool:
//
//	benchreview reports -url http://127.0.0.1:8080 -duration 10s -c 32
//	    files reports from concurrent workers, each from a reporter of its
//	    own about a note of its own (so none is a repeat and none is rate
//	    limited), and prints reports accepted (202) per second and latency
//	    percentiles. -count N files exactly N reports instead of running for
//	    -duration. -text=false leaves out the reported text, which aup
//	    otherwise screens. -key (or $BENCHREVIEW_KEY) is a backend key.
//	benchreview decide -url http://127.0.0.1:8080 -prefill 2000 -duration 10s -c 16
//	    files -prefill reports first (as reports does; 0 works on the
//	    queue as it is), then has each worker claim the next case (POST
//	    /v1/review/claim) and decide it (keep or remove, at random), and
//	    prints round trips per second with percentiles of the round trip, the
//	    claim and the decision. Workers stop at -duration, after -count
//	    round trips, or when the queue is empty. -moderator-keys (or
//	    $BENCHREVIEW_MODERATOR_KEYS) is a comma-separated list of moderator
//	    keys; the workers take them in turn.
//
// Every run tags its reporters and notes with -run (random by default), so
// runs against the same Redis do not collide. Scripts/bench-review.sh runs
// both against aup on a private Redis.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aup-dev/aup/internal/tools/aupclient"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchreview reports|decide [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "reports":
		err = reports(os.Args[2:])
	case "decide":
		err = decide(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreview:", err)
		os.Exit(1)
	}
}

// common holds the flags both modes share.
type common struct {
	url      string
	key      string
	duration time.Duration
	count    int
	workers  int
	text     bool
	run      string
	label    string
	client   *http.Client
}

func (c *common) register(fs *flag.FlagSet, workers int) {
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "aup's base URL")
	fs.StringVar(&c.key, "key", os.Getenv("BENCHREVIEW_KEY"), "backend API key sent as Bearer (default $BENCHREVIEW_KEY)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to run")
	fs.IntVar(&c.count, "count", 0, "stop after exactly this many requests (reports) or round trips (decide) instead of -duration")
	fs.IntVar(&c.workers, "c", workers, "concurrent workers")
	fs.BoolVar(&c.text, "text", true, "send the reported text, which aup screens")
	fs.StringVar(&c.run, "run", "", "tag for this run's reporter and note ids (default: random)")
	fs.StringVar(&c.label, "label", "", "label for the output lines")
}

func (c *common) check() error {
	if c.workers < 1 || c.count < 0 || c.duration <= 0 {
		return errors.New("-c must be at least 1, -count not negative and -duration positive")
	}
	c.url = strings.TrimRight(c.url, "/")
	if c.run == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.run = hex.EncodeToString(b[:])
	}
	c.client = &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: c.workers, MaxConnsPerHost: c.workers},
		Timeout:   30 * time.Second,
	}
	return nil
}

// context returns the context a measurement runs in: -duration long, or an
// hour with -count.
func (c *common) context() (context.Context, context.CancelFunc) {
	if c.count > 0 {
		return context.WithTimeout(context.Background(), time.Hour)
	}
	return context.WithTimeout(context.Background(), c.duration)
}

// do sends one request to the service (aupclient.Do).
func (c *common) do(ctx context.Context, method, path, key string, body []byte, out any) (int, []byte, error) {
	return aupclient.Do(ctx, c.client, method, c.url+path, key, body, out)
}

// failures counts failed requests and keeps the first one's story.
type failures struct {
	n     atomic.Int64
	first atomic.Value // string
}

func (f *failures) add(format string, a ...any) {
	f.n.Add(1)
	f.first.CompareAndSwap(nil, fmt.Sprintf(format, a...))
}

func (f *failures) err(label string) error {
	if n := f.n.Load(); n > 0 {
		return fmt.Errorf("%s: %d requests failed; the first: %s", label, n, f.first.Load())
	}
	return nil
}

// latencies collects durations from several workers.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

// summary is "p50=… p90=… p99=…" of the collected durations.
func (l *latencies) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	slices.Sort(l.d)
	pct := func(p float64) time.Duration {
		if len(l.d) == 0 {
			return 0
		}
		return l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Round(time.Microsecond)
	}
	return fmt.Sprintf("p50=%s p90=%s p99=%s", pct(0.50), pct(0.90), pct(0.99))
}

// words make report texts that read like notes, so screening does real work.
var words = []string{"buy", "cheap", "followers", "now", "click", "the", "link", "in", "my", "profile",
	"limited", "offer", "free", "crypto", "giveaway", "send", "to", "this", "wallet", "meeting",
	"notes", "for", "friday", "garden", "project", "draft", "budget", "please", "review"}

func text(r *mrand.Rand) string {
	var b strings.Builder
	for b.Len() < 200 {
		b.WriteString(words[r.Intn(len(words))])
		b.WriteByte(' ')
	}
	return b.String()
}

type reportRequest struct {
	ReporterID   string `json:"reporter_id"`
	TargetType   string `json:"target_type"`
	TargetID     string `json:"target_id"`
	TargetUserID string `json:"target_user_id"`
	Text         string `json:"text,omitempty"`
	Category     string `json:"category"`
	Explanation  string `json:"explanation"`
}

var categories = []string{"spam", "harassment", "fraud", "hate", "privacy"}

// fileReports files reports from c.workers workers until ctx ends or n
// reports (n > 0) were sent. It returns how many were accepted and how long
// that took.
func fileReports(ctx context.Context, c *common, n int, lat *latencies, fail *failures) (int64, time.Duration) {
	var sent, accepted atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range c.workers {
		wg.Go(func() {
			r := mrand.New(mrand.NewSource(time.Now().UnixNano() + int64(w)))
			var mine []time.Duration
			defer func() { lat.add(mine) }()
			for ctx.Err() == nil {
				i := sent.Add(1)
				if n > 0 && i > int64(n) {
					return
				}
				// Each report is its own reporter, note and author: no
				// repeats, no rate limit, no strikes adding up.
				rr := reportRequest{
					ReporterID:   fmt.Sprintf("bench-%s-r%d", c.run, i),
					TargetType:   "note",
					TargetID:     fmt.Sprintf("bench-%s-n%d", c.run, i),
					TargetUserID: fmt.Sprintf("bench-%s-u%d", c.run, i),
					Category:     categories[r.Intn(len(categories))],
					Explanation:  "reported by benchreview",
				}
				if c.text {
					rr.Text = text(r)
				}
				body, _ := json.Marshal(rr)
				t0 := time.Now()
				code, msg, err := c.do(ctx, http.MethodPost, "/v1/reports", c.key, body, nil)
				switch {
				case err != nil && ctx.Err() != nil:
					return
				case err != nil:
					fail.add("POST /v1/reports: %v", err)
				case code != http.StatusAccepted:
					fail.add("POST /v1/reports: %d %s", code, bytes.TrimSpace(msg))
				default:
					mine = append(mine, time.Since(t0))
					accepted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return accepted.Load(), time.Since(start)
}

func reports(args []string) error {
	fs := flag.NewFlagSet("reports", flag.ExitOnError)
	var c common
	c.register(fs, 32)
	_ = fs.Parse(args)
	if err := c.check(); err != nil {
		return err
	}
	label := or(c.label, "reports")
	ctx, cancel := c.context()
	defer cancel()
	var lat latencies
	var fail failures
	ok, elapsed := fileReports(ctx, &c, c.count, &lat, &fail)
	fmt.Printf("%-28s accepted=%d failed=%d per_s=%.0f %s (c=%d, text=%v)\n", label, ok, fail.n.Load(),
		float64(ok)/elapsed.Seconds(), lat.summary(), c.workers, c.text)
	return fail.err(label)
}

func decide(args []string) error {
	fs := flag.NewFlagSet("decide", flag.ExitOnError)
	var c common
	c.register(fs, 16)
	modKeys := fs.String("moderator-keys", os.Getenv("BENCHREVIEW_MODERATOR_KEYS"), "comma-separated moderator API keys (default $BENCHREVIEW_MODERATOR_KEYS)")
	prefill := fs.Int("prefill", 2000, "reports to file before measuring (0 = use the queue as it is)")
	_ = fs.Parse(args)
	if err := c.check(); err != nil {
		return err
	}
	var keys []string
	for k := range strings.SplitSeq(*modKeys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return errors.New("decide needs -moderator-keys or $BENCHREVIEW_MODERATOR_KEYS")
	}
	label := or(c.label, "claim+decide")

	if *prefill > 0 {
		var lat latencies
		var fail failures
		ok, elapsed := fileReports(context.Background(), &c, *prefill, &lat, &fail)
		fmt.Printf("%-28s accepted=%d failed=%d per_s=%.0f %s (c=%d, text=%v)\n", label+" prefill", ok, fail.n.Load(),
			float64(ok)/elapsed.Seconds(), lat.summary(), c.workers, c.text)
		if err := fail.err(label + " prefill"); err != nil {
			return err
		}
	}

	ctx, cancel := c.context()
	defer cancel()
	var (
		trips, claims, decisions latencies
		fail                     failures
		started, done            atomic.Int64
		emptied                  atomic.Bool
		wg                       sync.WaitGroup
	)
	start := time.Now()
	for w := range c.workers {
		key := keys[w%len(keys)]
		wg.Go(func() {
			r := mrand.New(mrand.NewSource(time.Now().UnixNano() + int64(w)))
			var trip, claim, dec []time.Duration
			defer func() { trips.add(trip); claims.add(claim); decisions.add(dec) }()
			for ctx.Err() == nil {
				if c.count > 0 && started.Add(1) > int64(c.count) {
					return
				}
				t0 := time.Now()
				var cs aupclient.Case
				code, msg, err := c.do(ctx, http.MethodPost, "/v1/review/claim", key, nil, &cs)
				switch {
				case err != nil && ctx.Err() != nil:
					return
				case err != nil:
					fail.add("POST /v1/review/claim: %v", err)
					continue
				case code == http.StatusNoContent:
					emptied.Store(true)
					return
				case code != http.StatusOK || cs.ID == "":
					fail.add("POST /v1/review/claim: %d %s", code, bytes.TrimSpace(msg))
					continue
				}
				t1 := time.Now()
				// The decision is sent even when the run's time is up, so
				// that no case is left claimed.
				code, msg, err = c.do(context.WithoutCancel(ctx), http.MethodPost, "/v1/review/items/"+cs.ID+"/decision", key, aupclient.Decision(cs, r, "benchreview"), nil)
				switch {
				case err != nil:
					fail.add("POST decision: %v", err)
					continue
				case code != http.StatusOK:
					fail.add("POST decision on %s: %d %s", cs.ID, code, bytes.TrimSpace(msg))
					continue
				}
				t2 := time.Now()
				trip, claim, dec = append(trip, t2.Sub(t0)), append(claim, t1.Sub(t0)), append(dec, t2.Sub(t1))
				done.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	note := ""
	if emptied.Load() {
		note = ", queue emptied"
	}
	fmt.Printf("%-28s decided=%d failed=%d per_s=%.0f round_trip %s (c=%d, %d moderator keys%s)\n", label, done.Load(), fail.n.Load(),
		float64(done.Load())/elapsed.Seconds(), trips.summary(), c.workers, len(keys), note)
	fmt.Printf("%-28s claim %s\n", "", claims.summary())
	fmt.Printf("%-28s decision %s\n", "", decisions.summary())
	return fail.err(label)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
