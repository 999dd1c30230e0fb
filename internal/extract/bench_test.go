package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var benchWords = strings.Fields("the meeting moved to friday please review draft before lunch remember buy milk call dentist " +
	"water tomatoes twice week ideas garden basil mint small bench near fence where we can sit project deadline report " +
	"quarterly numbers invoice attached regards thanks again for your help with this matter")

// prose returns n bytes of varied words, as text compresses in practice
// (about 3:1).
func prose(rng *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(benchWords[rng.IntN(len(benchWords))])
		if rng.IntN(12) == 0 {
			fmt.Fprintf(&b, " %d.\n", rng.IntN(10000))
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()[:n]
}

// benchPDF is a PDF of about size bytes: pages of 40 lines of prose in
// compressed content streams.
func benchPDF(tb testing.TB, size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	distinct := make([][]string, 64)
	for i := range distinct {
		distinct[i] = make([]string, 40)
		for j := range distinct[i] {
			distinct[i][j] = prose(rng, 80)
		}
	}
	var pages [][]string
	for est := 0; est < size; est += 40 * 80 * 4 / 10 { // compressed
		pages = append(pages, distinct[len(pages)%len(distinct)])
	}
	return mkpdf(tb, pdfOpts{compress: true, pages: pages})
}

// writeZip writes a ZIP of text files of about size compressed bytes to w.
func writeZip(tb testing.TB, f *os.File, size int64, member int) {
	rng := rand.New(rand.NewPCG(3, 4))
	zw := zip.NewWriter(f)
	for i := 0; ; i++ {
		if off, _ := f.Seek(0, 1); off >= size {
			break
		}
		w, err := zw.Create(fmt.Sprintf("dir%d/file%d.txt", i/100, i))
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write([]byte(prose(rng, member))); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
}

func tempZip(tb testing.TB, size int64, member int) *os.File {
	f, err := os.CreateTemp(tb.TempDir(), "bench-*.zip")
	if err != nil {
		tb.Fatal(err)
	}
	writeZip(tb, f, size, member)
	tb.Cleanup(func() { f.Close() })
	return f
}

func noiseJPEG(tb testing.TB, w, h int) []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func size(f *os.File) int64 {
	st, _ := f.Stat()
	return st.Size()
}

// BenchmarkExtract reports MB/s and files/s for a 1 MB PDF, a 5 MB JPEG and
// a 10 MB ZIP of text files, with the default limits (text collection stops
// at 4 MiB; the rest of the members are sniffed and checked).
func BenchmarkExtract(b *testing.B) {
	pdf := benchPDF(b, 1<<20)
	jpg := noiseJPEG(b, 2400, 1800)
	zf := tempZip(b, 10<<20, 32<<10)
	cases := []struct {
		name string
		file string
		r    interface {
			ReadAt([]byte, int64) (int, error)
		}
		size int64
	}{
		{"pdf-1MB", "doc.pdf", bytes.NewReader(pdf), int64(len(pdf))},
		{"jpeg-5MB", "photo.jpg", bytes.NewReader(jpg), int64(len(jpg))},
		{"zip-10MB", "texts.zip", zf, size(zf)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(c.size)
			b.ReportAllocs()
			var parts, members int
			for b.Loop() {
				res, err := Extract(context.Background(), Upload{R: c.r, Size: c.size, Name: c.file, TempDir: b.TempDir()}, Limits{})
				if err != nil {
					b.Fatal(err)
				}
				parts, members = len(res.Parts), res.Members
				res.Close()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
			b.Logf("%s: %.1f MB, %d text parts, %d members", c.name, float64(c.size)/1e6, parts, members)
		})
	}
}

// peakHeap runs f while sampling the live heap every 200µs and returns
// its peak growth.
func peakHeap(f func()) uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			if o := read(); o > peak.Load() {
				peak.Store(o)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(done)
	<-stopped
	return peak.Load() - min(base, peak.Load())
}

// vmHWM returns the process's peak resident memory, from /proc.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb); err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// TestMemory50MB extracts 50 MB uploads (a ZIP of text files, a PDF of
// 16,000 pages, a text file) with the default limits and checks the live
// heap grows by less than 48 MiB: the service's budget is 64 MB of resident
// memory for a 50 MB upload. It logs the peak heap and the process's peak
// RSS growth (VmHWM, reset before each run).
func TestMemory50MB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 150 MB of fixtures")
	}
	dir := t.TempDir()
	zf := tempZip(t, 50<<20, 256<<10)
	pf, err := os.Create(dir + "/big.pdf")
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if _, err := pf.Write(benchPDF(t, 50<<20)); err != nil {
		t.Fatal(err)
	}
	tf, err := os.Create(dir + "/big.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	rng := rand.New(rand.NewPCG(7, 8))
	for range 50 {
		if _, err := tf.WriteString(prose(rng, 1<<20)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		f    *os.File
	}{{"texts.zip", zf}, {"big.pdf", pf}, {"big.txt", tf}} {
		var res *Result
		var err error
		runtime.GC()
		debug.FreeOSMemory()
		// Resets VmHWM to the current RSS. Not every kernel or sandbox allows
		// it; without it the logged VmHWM is just less precise.
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
		rss0 := vmHWM()
		t0 := time.Now()
		grew := peakHeap(func() {
			res, err = Extract(context.Background(), Upload{R: c.f, Size: size(c.f), Name: c.name, TempDir: dir}, Limits{})
		})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%s (%.0f MB): %v, peak heap +%.1f MiB, VmHWM %+.1f MiB, %d MB decompressed, %.1f MiB text in %d parts, %d members",
			c.name, float64(size(c.f))/1e6, time.Since(t0).Round(time.Millisecond), float64(grew)/(1<<20),
			float64(vmHWM()-rss0)/(1<<20), res.Uncompressed/1e6, float64(res.Text())/(1<<20), len(res.Parts), res.Members)
		if grew > 48<<20 {
			t.Errorf("%s: heap grew by %d MiB", c.name, grew>>20)
		}
		res.Close()
	}
}
