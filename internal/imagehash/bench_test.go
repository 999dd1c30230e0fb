package imagehash

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/fixture"
)

// noisyPhoto is a 4000×3000 picture with strong per-pixel noise, which
// JPEG at quality 90 encodes in about 5 MB, the size of a phone photo.
func noisyPhoto(tb testing.TB) []byte {
	tb.Helper()
	const w, h = 4000, 3000
	base := scene(42, w/8, h/8)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(42, 42))
	for y := range h {
		for x := range w {
			s := base.Pix[base.PixOffset(x/8, y/8):]
			o := img.PixOffset(x, y)
			for k := range 3 {
				img.Pix[o+k] = clamp8(float64(s[k]) + 14*rng.NormFloat64())
			}
			img.Pix[o+3] = 255
		}
	}
	return fixture.JPEG(tb, img, 90)
}

// BenchmarkPDQ5MBJPEG measures screening a ~5 MB 12-megapixel JPEG: decode
// (the standard library's JPEG decoder) and hash, reported separately as
// ms/decode and ms/hash, and as images/s for both together; the cpu-ms
// figures are the process's CPU time (GC included), which a busy machine
// does not inflate as it does wall time.
func BenchmarkPDQ5MBJPEG(b *testing.B) {
	data := noisyPhoto(b)
	b.Logf("JPEG of %.1f MB", float64(len(data))/(1<<20))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var decode, hash, cpuDecode, cpuHash time.Duration
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		img, _, err := Decode(bytes.NewReader(data), 24_000_000)
		if err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), cpuTime()
		PDQ(img)
		decode += t1.Sub(t0)
		hash += time.Since(t1)
		cpuDecode += c1 - c0
		cpuHash += cpuTime() - c1
	}
	n := float64(b.N)
	b.ReportMetric(decode.Seconds()*1000/n, "ms/decode")
	b.ReportMetric(hash.Seconds()*1000/n, "ms/hash")
	b.ReportMetric(cpuDecode.Seconds()*1000/n, "cpu-ms/decode")
	b.ReportMetric(cpuHash.Seconds()*1000/n, "cpu-ms/hash")
	b.ReportMetric(n/(decode+hash).Seconds(), "images/s")
	b.ReportMetric(n/(cpuDecode+cpuHash).Seconds(), "images/cpu-s")
}

// BenchmarkPDQ measures hashing alone: a decoded 12-megapixel JPEG (the Y
// plane is read as it is), the same picture as RGBA (luma computed), and
// all eight dihedral hashes.
func BenchmarkPDQ(b *testing.B) {
	img, _, err := Decode(bytes.NewReader(noisyPhoto(b)), 24_000_000)
	if err != nil {
		b.Fatal(err)
	}
	rgba := image.NewRGBA(img.Bounds())
	for y := range rgba.Rect.Dy() {
		for x := range rgba.Rect.Dx() {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	b.Run("ycbcr", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			PDQ(img)
		}
	})
	b.Run("rgba", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			PDQ(rgba)
		}
	})
	b.Run("dihedral", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			PDQDihedral(img)
		}
	})
}

func BenchmarkDistance(b *testing.B) {
	x, _ := Parse(referenceBridge[Original])
	y, _ := Parse(referenceBridge[Rotate90])
	for b.Loop() {
		Distance(x, y)
	}
}
