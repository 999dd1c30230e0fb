package main

import (
	"archive/zip"
	"bufio"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"hash/fnv"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sync/errgroup"
)

const mib = 1 << 20

// A fixture is one file gen writes.
type fixture struct {
	name  string
	about string
	write func(rng *rand.Rand, w *countingWriter) error
}

// fixtures are the files gen writes, in the order it lists them. The
// 50 MiB ones are the memory cases.
var fixtures = []fixture{
	{"warmup.txt", "4 KiB of prose, to warm a server up", func(rng *rand.Rand, w *countingWriter) error {
		return writeText(rng, w, 4<<10)
	}},
	{"pdf-1MB.pdf", "PDF of prose pages (40 lines of 80 characters each, deflated)", func(rng *rand.Rand, w *countingWriter) error {
		return writePDF(rng, w, 1*mib)
	}},
	{"jpeg-5MB.jpg", "4000×3000 photo-like JPEG, quality 90", func(rng *rand.Rand, w *countingWriter) error {
		return jpeg.Encode(w, photo(rng, 4000, 3000, 20), &jpeg.Options{Quality: 90})
	}},
	{"zip-10MB.zip", "ZIP of 32 KiB text files and four 1600×1200 photos, deflated", func(rng *rand.Rand, w *countingWriter) error {
		return writeZip(rng, w, 10*mib, 32<<10, 4, 1600, 1200)
	}},
	{"text-50MB.txt", "50 MiB of prose", func(rng *rand.Rand, w *countingWriter) error {
		return writeText(rng, w, 50*mib)
	}},
	{"zip-50MB.zip", "ZIP of 256 KiB text files and eight 3000×2000 photos, deflated", func(rng *rand.Rand, w *countingWriter) error {
		return writeZip(rng, w, 50*mib, 256<<10, 8, 3000, 2000)
	}},
	{"pdf-50MB.pdf", "PDF of prose pages, as pdf-1MB but 50 MiB", func(rng *rand.Rand, w *countingWriter) error {
		return writePDF(rng, w, 50*mib)
	}},
	// Go's encoder writes 4:2:0 only, so even pure noise at quality 95
	// takes about 1.45 bytes a pixel: a 50 MiB JPEG has more pixels than
	// the service decodes (16 Mpx) but fewer than it accepts (50 Mpx).
	{"jpeg-50MB.jpg", "6944×5200 (36.1 Mpx) JPEG of noise, quality 95: accepted, too large to decode", func(rng *rand.Rand, w *countingWriter) error {
		return jpeg.Encode(w, noise(rng, 6944, 5200), &jpeg.Options{Quality: 95})
	}},
	{"jpeg-16Mpx.jpg", "4096×4096 (16.8 Mpx) JPEG of noise, quality 100: the largest decoded for a perceptual hash", func(rng *rand.Rand, w *countingWriter) error {
		return jpeg.Encode(w, noise(rng, 4096, 4096), &jpeg.Options{Quality: 100})
	}},
	{"jpeg-56Mpx.jpg", "8000×7000 (56 Mpx) JPEG of noise, quality 75: over the 50 Mpx the service accepts", func(rng *rand.Rand, w *countingWriter) error {
		return jpeg.Encode(w, noise(rng, 8000, 7000), &jpeg.Options{Quality: 75})
	}},
}

func gen(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory to write the fixtures to (created if missing)")
	seed := fs.Uint64("seed", 1, "seed: the same seed writes the same bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("gen: -dir is required")
	}
	if err := os.MkdirAll(*dir, 0o750); err != nil {
		return err
	}
	type written struct {
		size int64
		sum  string
	}
	out := make([]written, len(fixtures))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, fx := range fixtures {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			size, sum, err := writeFixture(filepath.Join(*dir, fx.name), fx, *seed)
			if err != nil {
				return fmt.Errorf("%s: %w", fx.name, err)
			}
			out[i] = written{size, sum}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, fx := range fixtures {
		fmt.Fprintf(stdout, "%-15s %7.2f MiB  sha256 %s…  %s\n", fx.name, float64(out[i].size)/mib, out[i].sum[:12], fx.about)
	}
	return nil
}

// writeFixture writes fx to path from a generator seeded by seed and the
// fixture's name, and returns its size and SHA-256.
func writeFixture(path string, fx fixture, seed uint64) (int64, string, error) {
	h := fnv.New64a()
	h.Write([]byte(fx.name))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	f, err := os.Create(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	sum := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, sum), 1<<20)
	w := &countingWriter{w: bw}
	if err := fx.write(rng, w); err != nil {
		return 0, "", err
	}
	if err := bw.Flush(); err != nil {
		return 0, "", err
	}
	return w.n, hex.EncodeToString(sum.Sum(nil)), f.Close()
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// words make prose that reads like notes and documents, so that the engine
// does real work and the verdict is allow.
var words = strings.Fields("the meeting moved to friday please review draft before lunch remember buy milk call dentist " +
	"water tomatoes twice week ideas garden basil mint small bench near fence where we can sit project deadline report " +
	"quarterly numbers invoice attached regards thanks again for your help with this matter notes from lecture about " +
	"history of trade routes in mediterranean")

// prose appends about n bytes of words to b, with a full stop and a line
// break now and then; text like this deflates about 3:1. It has no
// numbers: random ones would now and then be a hate code the rules score.
func prose(rng *rand.Rand, b []byte, n int) []byte {
	end := len(b) + n
	for len(b) < end {
		b = append(b, words[rng.IntN(len(words))]...)
		if rng.IntN(12) == 0 {
			b = append(b, ".\n"...)
		} else {
			b = append(b, ' ')
		}
	}
	return b[:end]
}

func writeText(rng *rand.Rand, w io.Writer, size int) error {
	var buf []byte
	for left := size; left > 0; left -= len(buf) {
		buf = prose(rng, buf[:0], min(left, 1<<20))
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// writeZip writes a ZIP of about size bytes: text files of member bytes of
// prose, with images photos of w×h spread among them, all deflated as zip
// tools do by default.
func writeZip(rng *rand.Rand, cw *countingWriter, size int64, member, images, w, h int) error {
	zw := zip.NewWriter(cw)
	var buf []byte
	photos := 0
	for i := 0; ; i++ {
		if err := zw.Flush(); err != nil {
			return err
		}
		if cw.n >= size {
			break
		}
		if photos < images && cw.n >= int64(photos)*size/int64(images) {
			photos++
			fw, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("photos/IMG_%04d.jpg", photos), Method: zip.Deflate})
			if err != nil {
				return err
			}
			if err := jpeg.Encode(fw, photo(rng, w, h, 20), &jpeg.Options{Quality: 90}); err != nil {
				return err
			}
			continue
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("notes/%03d/note-%05d.txt", i/100, i), Method: zip.Deflate})
		if err != nil {
			return err
		}
		buf = prose(rng, buf[:0], member)
		if _, err := fw.Write(buf); err != nil {
			return err
		}
	}
	return zw.Close()
}

// writePDF writes a PDF of about size bytes: pages of 40 lines of prose in
// deflated content streams, in a two-level page tree of up to 100 pages a
// node, as producers write them, with a cross-reference table.
func writePDF(rng *rand.Rand, w *countingWriter, size int64) error {
	const kidsPerNode = 100
	p := &pdfWriter{w: w, offs: map[int]int64{}}
	const catalog, root, font = 1, 2, 3
	p.next = 4
	p.printf("%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n")
	p.obj(font, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	var zbuf strings.Builder
	zw := zlib.NewWriter(&zbuf)
	var nodes []int // the page tree's leaves, children of root
	var kids []string
	var line []byte
	node := 0
	flush := func() {
		p.obj(node, fmt.Sprintf("<< /Type /Pages /Parent %d 0 R /Kids [%s] /Count %d >>", root, strings.Join(kids, " "), len(kids)))
		kids = kids[:0]
	}
	pages := 0
	// Stop when the pages and the cross-reference table, 20 bytes an
	// object, make size.
	for ; w.n+20*int64(p.next) < size && p.err == nil; pages++ {
		if pages%kidsPerNode == 0 {
			if node != 0 {
				flush()
			}
			node = p.alloc()
			nodes = append(nodes, node)
		}
		var cs strings.Builder
		cs.WriteString("BT /F1 11 Tf 72 740 Td 14 TL\n")
		for range 40 {
			line = prose(rng, line[:0], 80)
			esc := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`, "\n", " ").Replace(string(line))
			// A TJ array with a kerning adjustment, as producers write.
			h := strings.LastIndexByte(esc[:len(esc)/2], ' ') + 1
			fmt.Fprintf(&cs, "[(%s) -20 (%s)] TJ T*\n", esc[:h], esc[h:])
		}
		cs.WriteString("ET\n")
		zbuf.Reset()
		zw.Reset(&zbuf)
		if _, err := io.WriteString(zw, cs.String()); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		content := p.alloc()
		p.obj(content, fmt.Sprintf("<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", zbuf.Len(), zbuf.String()))
		page := p.alloc()
		p.obj(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>",
			node, font, content))
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
	}
	flush()
	refs := make([]string, len(nodes))
	for i, n := range nodes {
		refs[i] = fmt.Sprintf("%d 0 R", n)
	}
	p.obj(root, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(refs, " "), pages))
	p.obj(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", root))
	xref := w.n
	p.printf("xref\n0 %d\n0000000000 65535 f \n", p.next)
	for n := 1; n < p.next; n++ {
		p.printf("%010d 00000 n \n", p.offs[n])
	}
	p.printf("trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", p.next, catalog, xref)
	return p.err
}

// pdfWriter writes numbered objects and remembers their offsets.
type pdfWriter struct {
	w    *countingWriter
	offs map[int]int64
	next int
	err  error
}

func (p *pdfWriter) alloc() int {
	p.next++
	return p.next - 1
}

func (p *pdfWriter) obj(n int, body string) {
	p.offs[n] = p.w.n
	p.printf("%d 0 obj\n%s\nendobj\n", n, body)
}

func (p *pdfWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// photo draws a w×h picture that compresses like a photograph: smooth
// light and colour at several scales (value noise) under a film grain of
// about ±grain levels.
func photo(rng *rand.Rand, w, h int, grain float32) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	luma := []grid{newGrid(rng, w, h, 509, 70), newGrid(rng, w, h, 127, 30), newGrid(rng, w, h, 31, 14), newGrid(rng, w, h, 7, 6)}
	cw, ch := (w+1)/2, (h+1)/2
	cb := []grid{newGrid(rng, cw, ch, 211, 30), newGrid(rng, cw, ch, 29, 8)}
	cr := []grid{newGrid(rng, cw, ch, 211, 30), newGrid(rng, cw, ch, 29, 8)}
	n := noiseSource{rng: rng}
	for y := range h {
		for x := range w {
			v := float32(128)
			for _, g := range luma {
				v += g.at(x, y)
			}
			img.Y[y*img.YStride+x] = clamp(v + n.next()*grain)
		}
	}
	for y := range ch {
		for x := range cw {
			b, r := float32(128), float32(128)
			for _, g := range cb {
				b += g.at(x, y)
			}
			for _, g := range cr {
				r += g.at(x, y)
			}
			i := y*img.CStride + x
			img.Cb[i], img.Cr[i] = clamp(b+n.next()*grain/3), clamp(r+n.next()*grain/3)
		}
	}
	return img
}

// noise is a w×h picture of random samples: the least compressible JPEG.
func noise(rng *rand.Rand, w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for _, plane := range [][]byte{img.Y, img.Cb, img.Cr} {
		for i := 0; i < len(plane); i += 8 {
			v := rng.Uint64()
			for j := i; j < min(i+8, len(plane)); j++ {
				plane[j] = byte(v)
				v >>= 8
			}
		}
	}
	return img
}

// grid is one octave of value noise: random values on a lattice of step
// pixels, interpolated bilinearly.
type grid struct {
	step, gw int
	v        []float32
}

func newGrid(rng *rand.Rand, w, h, step int, amp float32) grid {
	gw, gh := w/step+2, h/step+2
	g := grid{step: step, gw: gw, v: make([]float32, gw*gh)}
	for i := range g.v {
		g.v[i] = (rng.Float32()*2 - 1) * amp
	}
	return g
}

func (g grid) at(x, y int) float32 {
	gx, gy := x/g.step, y/g.step
	fx := float32(x%g.step) / float32(g.step)
	fy := float32(y%g.step) / float32(g.step)
	i := gy*g.gw + gx
	a := g.v[i] + (g.v[i+1]-g.v[i])*fx
	b := g.v[i+g.gw] + (g.v[i+g.gw+1]-g.v[i+g.gw])*fx
	return a + (b-a)*fy
}

// noiseSource hands out values in [-1, 1) eight to a random word.
type noiseSource struct {
	rng  *rand.Rand
	bits uint64
	left int
}

func (n *noiseSource) next() float32 {
	if n.left == 0 {
		n.bits, n.left = n.rng.Uint64(), 8
	}
	v := float32(int8(n.bits)) / 128
	n.bits >>= 8
	n.left--
	return v
}

func clamp(v float32) uint8 {
	return uint8(max(0, min(255, v)))
}
