// Command load runs a mixed workload against aup for a fixed time and prints
// throughput, latency percentiles and error counts per operation, and the
// memory of aup and of its Redis sampled while it runs. It is a development
// tool:
//
//	load -url http://127.0.0.1:8080 -duration 60s -pid 1234 -redis 127.0.0.1:6379
//
// Concurrently, until -duration is up:
//   - check workers (-checks) send POST /v1/check; a share -repeat of the
//     requests repeats a text sent earlier, the rest are distinct texts
//     drawn from the "text" fields of the JSONL files in -corpus (made
//     distinct with a suffix once the corpus is used up; synthesised notes
//     when there is no corpus). Each carries one of -users user ids and a
//     content id of its own.
//   - report workers (-reporters) report a share -report of the checked
//     notes (POST /v1/reports, the note's text included), each from one of
//     2,000 reporters.
//   - moderator workers (-moderators, taking the moderator keys in turn)
//     claim the next case (POST /v1/review/claim) and decide it (keep or
//     remove at random, dismiss for a suspension or appeal); when the queue
//     is empty they wait 200 ms and try again.
//
// Every -sample it prints VmRSS of process -pid (from /proc) and Redis's
// used_memory, and at the end their min/max/last and whether the resident
// memory was flat: the median of the last third of the samples after
// -warmup within -flat percent above the median of the first third. That
// line is information for a reader, not a gate.
//
// -key (or $LOAD_KEY) is a backend key, -moderator-keys (or
// $LOAD_MODERATOR_KEYS) comma-separated moderator keys. Scripts/load.sh runs
// it against aup on a private Redis.
package main

import (
	"bufio"
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
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/tools/aupclient"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	url        string
	key        string
	modKeys    []string
	duration   time.Duration
	checks     int
	reporters  int
	moderators int
	repeat     float64
	report     float64
	users      int
	corpus     string
	maxCorpus  int
	seed       int64
	pid        int
	redisAddr  string
	sample     time.Duration
	warmup     time.Duration
	flat       float64
	run        string
}

func parse(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "aup's base URL")
	fs.StringVar(&c.key, "key", os.Getenv("LOAD_KEY"), "backend API key (default $LOAD_KEY)")
	modKeys := fs.String("moderator-keys", os.Getenv("LOAD_MODERATOR_KEYS"), "comma-separated moderator API keys (default $LOAD_MODERATOR_KEYS)")
	fs.DurationVar(&c.duration, "duration", 60*time.Second, "how long to run")
	fs.IntVar(&c.checks, "checks", 16, "concurrent check workers")
	fs.IntVar(&c.reporters, "reporters", 4, "concurrent report workers")
	fs.IntVar(&c.moderators, "moderators", 4, "concurrent moderator workers")
	fs.Float64Var(&c.repeat, "repeat", 0.2, "share of checks that repeat an earlier text")
	fs.Float64Var(&c.report, "report", 0.05, "share of checked notes that are reported")
	fs.IntVar(&c.users, "users", 1000, "distinct user ids the checks carry")
	fs.StringVar(&c.corpus, "corpus", "", "directory of JSONL files whose \"text\" fields are the notes (empty: synthesised notes)")
	fs.IntVar(&c.maxCorpus, "max-corpus", 50000, "most texts read from -corpus")
	fs.Int64Var(&c.seed, "seed", 1, "seed for the order of the texts and the choices")
	fs.IntVar(&c.pid, "pid", 0, "aup's process id, whose VmRSS is sampled (0: none)")
	fs.StringVar(&c.redisAddr, "redis", "", "Redis host:port whose used_memory is sampled (empty: none)")
	fs.DurationVar(&c.sample, "sample", 10*time.Second, "memory sampling interval")
	fs.DurationVar(&c.warmup, "warmup", 0, "samples before this are left out of the flatness figure (default: a sixth of -duration, at most 60s)")
	fs.Float64Var(&c.flat, "flat", 10, "percent the resident memory may grow from the first to the last third and still count as flat")
	fs.StringVar(&c.run, "run", "", "tag for this run's ids (default: random)")
	_ = fs.Parse(args)
	for k := range strings.SplitSeq(*modKeys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.modKeys = append(c.modKeys, k)
		}
	}
	switch {
	case c.duration <= 0 || c.sample <= 0:
		return c, errors.New("-duration and -sample must be positive")
	case c.checks < 1 || c.reporters < 0 || c.moderators < 0 || c.users < 1:
		return c, errors.New("-checks and -users must be at least 1, -reporters and -moderators not negative")
	case c.repeat < 0 || c.repeat > 1 || c.report < 0 || c.report > 1:
		return c, errors.New("-repeat and -report are shares between 0 and 1")
	case c.moderators > 0 && len(c.modKeys) == 0:
		return c, errors.New("moderator workers need -moderator-keys or $LOAD_MODERATOR_KEYS")
	}
	if c.warmup == 0 {
		c.warmup = min(c.duration/6, time.Minute)
	}
	c.url = strings.TrimRight(c.url, "/")
	if c.run == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.run = hex.EncodeToString(b[:])
	}
	return c, nil
}

func run(args []string) error {
	c, err := parse(args)
	if err != nil {
		return err
	}
	texts, source, err := readCorpus(c.corpus, c.maxCorpus, c.seed)
	if err != nil {
		return err
	}
	workers := c.checks + c.reporters + c.moderators
	l := &loader{
		c:       c,
		texts:   texts,
		reports: make(chan note, 1024),
		client: &http.Client{
			Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers},
			Timeout:   30 * time.Second,
		},
		ops: map[string]*op{},
	}
	for _, name := range opNames {
		l.ops[name] = &op{status: map[int]int64{}}
	}
	fmt.Printf("load: %s for %s; %d check workers (%.0f%% repeats, %d users), %d report workers (%.0f%% of checked notes), %d moderator workers over %d keys\n",
		c.url, c.duration, c.checks, c.repeat*100, c.users, c.reporters, c.report*100, c.moderators, len(c.modKeys))
	fmt.Printf("texts: %s\n", source)

	ctx, cancel := context.WithTimeout(context.Background(), c.duration)
	defer cancel()
	start := time.Now()
	samples := make(chan []sample, 1)
	go func() { samples <- l.sampleMemory(ctx, start) }()

	var checkers, others sync.WaitGroup
	for w := range c.checks {
		checkers.Go(func() { l.checker(ctx, c.seed*1000+int64(w)) })
	}
	for w := range c.reporters {
		others.Go(func() { l.reporter(ctx, c.seed*2000+int64(w)) })
	}
	for w := range c.moderators {
		others.Go(func() { l.moderator(ctx, c.modKeys[w%len(c.modKeys)], c.seed*3000+int64(w)) })
	}
	checkers.Wait()
	close(l.reports)
	others.Wait()
	elapsed := time.Since(start)

	fmt.Printf("\n== operations over %.1fs\n", elapsed.Seconds())
	for _, name := range opNames {
		fmt.Println(l.ops[name].summary(name, elapsed))
	}
	if n := l.dropped.Load(); n > 0 {
		fmt.Printf("%d notes chosen for a report were not reported: the report workers were behind\n", n)
	}
	if n := l.empty.Load(); n > 0 {
		fmt.Printf("claims that found the queue empty (204, then a 200 ms wait): %d\n", n)
	}
	printMemory(<-samples, c)
	for _, name := range opNames {
		if s := l.ops[name].first.Load(); s != nil {
			fmt.Printf("first failed %s: %s\n", name, s)
		}
	}
	return nil
}

// opNames are the operations in the order they are printed; check and
// check-repeat are the distinct and the repeated texts.
var opNames = []string{"check", "check-repeat", "report", "claim", "decision"}

// op collects one operation's latencies of successful requests and its
// status counts (0: no response).
type op struct {
	mu     sync.Mutex
	lat    []time.Duration
	status map[int]int64
	n      atomic.Int64 // successful requests, read by the sampler
	first  atomic.Value // string: the first failure
}

func (o *op) done(code int, d time.Duration, ok bool, body []byte, err error) {
	o.mu.Lock()
	o.status[code]++
	if ok {
		o.lat = append(o.lat, d)
	}
	o.mu.Unlock()
	if ok {
		o.n.Add(1)
		return
	}
	msg := fmt.Sprintf("%d %s", code, bytes.TrimSpace(body))
	if err != nil {
		msg = err.Error()
	}
	o.first.CompareAndSwap(nil, msg)
}

func (o *op) summary(name string, elapsed time.Duration) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	slices.Sort(o.lat)
	pct := func(p float64) string {
		if len(o.lat) == 0 {
			return "-"
		}
		return o.lat[min(len(o.lat)-1, int(p*float64(len(o.lat))))].Round(10 * time.Microsecond).String()
	}
	codes := slices.Sorted(func(yield func(int) bool) {
		for k := range o.status {
			if !yield(k) {
				return
			}
		}
	})
	var st []string
	for _, k := range codes {
		label := strconv.Itoa(k)
		if k == 0 {
			label = "no-response"
		}
		st = append(st, fmt.Sprintf("%s=%d", label, o.status[k]))
	}
	return fmt.Sprintf("%-13s ok=%-7d per_s=%-7.1f p50=%-8s p90=%-8s p99=%-8s max=%-8s status: %s",
		name, len(o.lat), float64(len(o.lat))/elapsed.Seconds(), pct(0.50), pct(0.90), pct(0.99), pct(1), strings.Join(st, " "))
}

// note is a checked note that may be reported.
type note struct {
	id, user, text string
}

type loader struct {
	c       config
	texts   []string
	client  *http.Client
	ops     map[string]*op
	reports chan note
	next    atomic.Int64 // distinct texts handed out
	dropped atomic.Int64
	empty   atomic.Int64

	mu   sync.Mutex
	sent []string // a ring of texts sent, for repeats
	pos  int
}

const ringSize = 10000

// distinct returns a text not sent before in this run.
func (l *loader) distinct() string {
	i := int(l.next.Add(1) - 1)
	t := l.texts[i%len(l.texts)]
	if i >= len(l.texts) {
		t += " #" + strconv.Itoa(i/len(l.texts))
	}
	l.mu.Lock()
	if len(l.sent) < ringSize {
		l.sent = append(l.sent, t)
	} else {
		l.sent[l.pos] = t
		l.pos = (l.pos + 1) % ringSize
	}
	l.mu.Unlock()
	return t
}

// earlier returns a text sent before, or "" when none was.
func (l *loader) earlier(r *mrand.Rand) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.sent) == 0 {
		return ""
	}
	return l.sent[r.Intn(len(l.sent))]
}

// do sends body as JSON (none when nil) to the service (aupclient.Do).
func (l *loader) do(ctx context.Context, method, path, key string, body any, out any) (int, []byte, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, nil, err
		}
	}
	return aupclient.Do(ctx, l.client, method, l.c.url+path, key, b, out)
}

type checkRequest struct {
	Text      string `json:"text"`
	UserID    string `json:"user_id"`
	ContentID string `json:"content_id"`
}

var seq atomic.Int64 // content ids

func (l *loader) checker(ctx context.Context, seed int64) {
	r := mrand.New(mrand.NewSource(seed))
	for ctx.Err() == nil {
		name, text := "check", ""
		if r.Float64() < l.c.repeat {
			name, text = "check-repeat", l.earlier(r)
		}
		if text == "" {
			name, text = "check", l.distinct()
		}
		n := note{
			id:   fmt.Sprintf("load-%s-n%d", l.c.run, seq.Add(1)),
			user: fmt.Sprintf("load-%s-u%d", l.c.run, r.Intn(l.c.users)),
			text: text,
		}
		t0 := time.Now()
		code, body, err := l.do(ctx, http.MethodPost, "/v1/check", l.c.key, checkRequest{Text: n.text, UserID: n.user, ContentID: n.id}, nil)
		if err != nil && ctx.Err() != nil {
			return
		}
		l.ops[name].done(code, time.Since(t0), err == nil && code == http.StatusOK, body, err)
		if err == nil && code == http.StatusOK && r.Float64() < l.c.report {
			select {
			case l.reports <- n:
			default:
				l.dropped.Add(1)
			}
		}
	}
}

type reportRequest struct {
	ReporterID   string `json:"reporter_id"`
	TargetType   string `json:"target_type"`
	TargetID     string `json:"target_id"`
	TargetUserID string `json:"target_user_id"`
	Text         string `json:"text"`
	Category     string `json:"category"`
	Explanation  string `json:"explanation"`
}

var categories = []string{"spam", "harassment", "fraud", "hate", "privacy"}

func (l *loader) reporter(ctx context.Context, seed int64) {
	r := mrand.New(mrand.NewSource(seed))
	for n := range l.reports {
		if ctx.Err() != nil {
			continue // drain
		}
		rr := reportRequest{
			ReporterID:   fmt.Sprintf("load-%s-r%d", l.c.run, r.Intn(2000)),
			TargetType:   "note",
			TargetID:     n.id,
			TargetUserID: n.user,
			Text:         n.text,
			Category:     categories[r.Intn(len(categories))],
			Explanation:  "reported by the load tool",
		}
		t0 := time.Now()
		code, body, err := l.do(ctx, http.MethodPost, "/v1/reports", l.c.key, rr, nil)
		if err != nil && ctx.Err() != nil {
			continue
		}
		l.ops["report"].done(code, time.Since(t0), err == nil && (code == http.StatusAccepted || code == http.StatusOK), body, err)
	}
}

func (l *loader) moderator(ctx context.Context, key string, seed int64) {
	r := mrand.New(mrand.NewSource(seed))
	for ctx.Err() == nil {
		var cs aupclient.Case
		t0 := time.Now()
		code, body, err := l.do(ctx, http.MethodPost, "/v1/review/claim", key, nil, &cs)
		if err != nil && ctx.Err() != nil {
			return
		}
		if err == nil && code == http.StatusNoContent {
			l.empty.Add(1)
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		ok := err == nil && code == http.StatusOK && cs.ID != ""
		l.ops["claim"].done(code, time.Since(t0), ok, body, err)
		if !ok {
			continue
		}
		// Decided even when the time is up, so that no case stays claimed.
		t1 := time.Now()
		code, body, err = l.do(context.WithoutCancel(ctx), http.MethodPost, "/v1/review/items/"+cs.ID+"/decision", key, json.RawMessage(aupclient.Decision(cs, r, "load")), nil)
		l.ops["decision"].done(code, time.Since(t1), err == nil && code == http.StatusOK, body, err)
	}
}

// sample is one reading of the memory figures; -1 is unknown.
type sample struct {
	at       time.Duration
	rssKB    int64
	redisB   int64
	requests int64 // successful requests of every kind so far
}

func (l *loader) sampleMemory(ctx context.Context, start time.Time) []sample {
	var rdb *redis.Client
	if l.c.redisAddr != "" {
		rdb = redis.NewClient(&redis.Options{Addr: l.c.redisAddr})
		defer rdb.Close()
	}
	var out []sample
	var last int64
	lastAt := start
	tick := time.NewTicker(l.c.sample)
	defer tick.Stop()
	take := func() {
		s := sample{at: time.Since(start).Round(time.Second), rssKB: rssKB(l.c.pid), redisB: -1}
		if rdb != nil {
			s.redisB = usedMemory(rdb)
		}
		for _, o := range l.ops {
			s.requests += o.n.Load()
		}
		out = append(out, s)
		fmt.Printf("t=%-5s aup_rss=%-9s redis_used_memory=%-9s requests/s=%.0f\n", s.at, mb(s.rssKB*1024), mb(s.redisB),
			float64(s.requests-last)/time.Since(lastAt).Seconds())
		last, lastAt = s.requests, time.Now()
	}
	for {
		select {
		case <-ctx.Done():
			if len(out) == 0 || time.Since(start)-out[len(out)-1].at > l.c.sample/2 {
				take() // the reading at the end
			}
			return out
		case <-tick.C:
			take()
		}
	}
}

func mb(b int64) string {
	if b < 0 {
		return "?"
	}
	return fmt.Sprintf("%.1fMB", float64(b)/(1<<20))
}

// rssKB reads VmRSS of pid from /proc, -1 when it cannot.
func rssKB(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// usedMemory is Redis's used_memory in bytes, -1 when it cannot be read.
func usedMemory(rdb *redis.Client) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}

func printMemory(ss []sample, c config) {
	if len(ss) == 0 {
		return
	}
	rss := make([]int64, 0, len(ss))
	red := make([]int64, 0, len(ss))
	for _, s := range ss {
		if s.rssKB >= 0 {
			rss = append(rss, s.rssKB*1024)
		}
		if s.redisB >= 0 {
			red = append(red, s.redisB)
		}
	}
	line := func(name string, v []int64) {
		if len(v) > 0 {
			fmt.Printf("%-18s min=%s max=%s last=%s (%d samples, every %s)\n", name, mb(slices.Min(v)), mb(slices.Max(v)), mb(v[len(v)-1]), len(v), c.sample)
		}
	}
	fmt.Println("\n== memory")
	line("aup VmRSS", rss)
	line("redis used_memory", red)

	var after []int64
	for _, s := range ss {
		if s.at > c.warmup && s.rssKB >= 0 {
			after = append(after, s.rssKB*1024)
		}
	}
	if len(after) < 3 {
		fmt.Printf("flat: not judged, %d samples after the %s warm-up (3 needed)\n", len(after), c.warmup)
		return
	}
	third := len(after) / 3
	first, last := median(after[:third]), median(after[len(after)-third:])
	growth := 100 * float64(last-first) / float64(first)
	verdict := "PASS"
	if growth > c.flat {
		verdict = "FAIL"
	}
	fmt.Printf("flat: %s (information, not a gate): median VmRSS of the last third %s vs the first third %s after the %s warm-up, %+.1f%% (limit +%.0f%%; %d samples per third)\n",
		verdict, mb(last), mb(first), c.warmup, growth, c.flat, third)
}

func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// readCorpus returns the texts of the JSONL files in dir, shuffled with
// seed, at most max of them, and says where they came from. Without a
// directory, or with no texts in it, it synthesises notes.
func readCorpus(dir string, max int, seed int64) ([]string, string, error) {
	r := mrand.New(mrand.NewSource(seed))
	var texts []string
	if dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
		if err != nil {
			return nil, "", err
		}
		seen := map[string]bool{}
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				return nil, "", err
			}
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				var row struct {
					Text string `json:"text"`
				}
				if json.Unmarshal(sc.Bytes(), &row) != nil {
					continue
				}
				if t := strings.TrimSpace(row.Text); len(t) >= 10 && len(t) <= 4000 && !seen[t] {
					seen[t] = true
					texts = append(texts, t)
				}
			}
			f.Close()
			if err := sc.Err(); err != nil {
				return nil, "", fmt.Errorf("%s: %w", name, err)
			}
		}
		if len(texts) > 0 {
			r.Shuffle(len(texts), func(i, j int) { texts[i], texts[j] = texts[j], texts[i] })
			n := len(texts)
			texts = texts[:min(len(texts), max)]
			return texts, fmt.Sprintf("%d distinct texts of 10-4000 bytes from %d files in %s (%d used)", n, len(files), dir, len(texts)), nil
		}
	}
	for range max {
		texts = append(texts, synth(r))
	}
	return texts, fmt.Sprintf("%d synthesised notes (no corpus)", len(texts)), nil
}

var words = []string{"buy", "cheap", "followers", "now", "click", "the", "link", "in", "my", "profile",
	"limited", "offer", "free", "crypto", "giveaway", "send", "to", "this", "wallet", "meeting",
	"notes", "for", "friday", "garden", "project", "draft", "budget", "please", "review"}

func synth(r *mrand.Rand) string {
	var b strings.Builder
	n := 40 + r.Intn(400)
	for b.Len() < n {
		b.WriteString(words[r.Intn(len(words))])
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}
