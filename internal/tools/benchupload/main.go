// Command benchupload measures aup's upload endpoint, POST /v1/check/upload.
// It is a development tool:
//
//	benchupload gen -dir D [-seed N]
//	    writes the fixtures to D, the same bytes for the same seed: a 1 MiB
//	    PDF of prose pages, a 5 MiB 4000×3000 photo-like JPEG, a 10 MiB ZIP of
//	    text files and four photos, and the 50 MiB cases for the memory
//	    budget (a text file, a ZIP, a PDF, and JPEGs at the edges of the
//	    image limits), plus a small text file to warm a server up.
//	benchupload load -url http://127.0.0.1:8080/v1/check/upload -file F -duration 10s -concurrency 2
//	    posts F as multipart/form-data over and over, streaming each body
//	    from disk, and prints uploads per second, MiB per second, latency
//	    percentiles and the status codes seen. It fails when any answer is
//	    not -expect (200). -count N sends exactly N uploads instead. -key
//	    (or $BENCHUPLOAD_KEY) is sent as "Authorization: Bearer <key>".
//
// Scripts/bench-upload.sh runs both against aup and adds the server's
// resident memory for the 50 MiB cases.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchupload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) < 1 {
		return fmt.Errorf("usage: benchupload gen|load [flags]")
	}
	switch args[0] {
	case "gen":
		return gen(ctx, args[1:], stdout)
	case "load":
		return load(ctx, args[1:], stdout)
	}
	return fmt.Errorf("unknown mode %q: want gen or load", args[0])
}
