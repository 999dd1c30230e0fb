// Command langbench prints what the lingua package costs a fresh process:
// the time New takes, the memory after it, and the per-call times and memory
// after many Detect calls. Run it from the module root:
//
//	go run ./internal/lingua/cmd/langbench
//	go run ./internal/lingua/cmd/langbench -high -n 20000
//	go run ./internal/lingua/cmd/langbench -texts ../shared/data/eval/lingua-sentences.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	lg "github.com/pemistahl/lingua-go"

	"github.com/aup-dev/aup/internal/lingua"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "langbench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("langbench", flag.ContinueOnError)
	var (
		texts  = fs.String("texts", "internal/lingua/testdata/notes.jsonl", "JSON lines with a \"text\" field")
		n      = fs.Int("n", 100_000, "Detect calls")
		high   = fs.Bool("high", false, "Options.HighAccuracy")
		others = fs.Bool("others", false, "Options.Others: the other Latin-script languages lingua knows")
		sample = fs.Int("sample", 0, "Options.SampleBytes (0: default)")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	corpus, err := load(*texts)
	if err != nil {
		return err
	}
	// A fixed shuffle, so that any -n sees a mix of languages.
	order := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // a fixed order, not a secret
	order.Shuffle(len(corpus), func(i, j int) { corpus[i], corpus[j] = corpus[j], corpus[i] })

	opts := lingua.Options{HighAccuracy: *high, SampleBytes: *sample}
	if *others {
		for _, l := range lg.AllLanguagesWithLatinScript() {
			if c := strings.ToLower(l.IsoCode639_1().String()); !slices.Contains(lingua.DefaultLanguages, c) {
				opts.Others = append(opts.Others, c)
			}
		}
	}
	fmt.Fprintf(stdout, "GOMAXPROCS %d, %d texts from %s, options %+v\n", runtime.GOMAXPROCS(0), len(corpus), *texts, opts)
	memory(stdout, "before New")
	start := time.Now()
	d, err := lingua.New(opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "New: %v\n", time.Since(start).Round(time.Millisecond))
	memory(stdout, "after New")

	durs := make([]time.Duration, *n)
	counts := map[string]int{}
	for i := range durs {
		text := corpus[i%len(corpus)]
		t0 := time.Now()
		l := d.Detect(text)
		durs[i] = time.Since(t0)
		counts[l.Code]++
	}
	slices.Sort(durs)
	at := func(q float64) time.Duration { return durs[int(q*float64(len(durs)-1))] }
	var total time.Duration
	for _, x := range durs {
		total += x
	}
	fmt.Fprintf(stdout, "Detect x %d: p50 %v, p90 %v, p99 %v, max %v, mean %v\n", *n,
		at(0.5), at(0.9), at(0.99), durs[len(durs)-1], total/time.Duration(*n))
	memory(stdout, fmt.Sprintf("after %d calls", *n))
	fmt.Fprintf(stdout, "answers: %v\n", counts)
	return nil
}

// load returns the lower-cased "text" fields of a JSON-lines file, as the
// normaliser would hand them to Detect.
func load(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		var r struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(s.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, strings.ToLower(r.Text))
	}
	if len(out) == 0 {
		return nil, errors.Join(s.Err(), fmt.Errorf("%s: no texts", path))
	}
	return out, s.Err()
}

// memory prints the Go heap after a collection and the resident set size.
func memory(w io.Writer, when string) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Fprintf(w, "%s: heap in use %d MiB, Go runtime total (Sys) %d MiB, resident (VmRSS) %s\n",
		when, m.HeapInuse>>20, m.Sys>>20, rss())
}

// rss returns the VmRSS line of /proc/self/status, or "n/a".
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}
