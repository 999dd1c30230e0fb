package imagehash

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/bits"
	"testing"

	"github.com/aup-dev/aup/internal/fixture"
)

func mustDecode(tb testing.TB, data []byte) image.Image {
	tb.Helper()
	img, _, err := Decode(bytes.NewReader(data), 1<<26)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

func popcount(h Hash) int {
	n := 0
	for _, b := range h {
		n += bits.OnesCount8(b)
	}
	return n
}

func TestPDQSameImageSameHash(t *testing.T) {
	img := scene(1, 640, 480)
	h1, q1 := PDQ(img)
	h2, q2 := PDQ(img)
	if h1 != h2 || q1 != q2 {
		t.Fatalf("two runs differ: %v/%d and %v/%d", h1, q1, h2, q2)
	}
	// The median splits the 256 coefficients: exactly 128 are above it
	// when they are distinct, as they are in a picture like this.
	if n := popcount(h1); n != 128 {
		t.Errorf("%d bits set, want 128", n)
	}
	if q1 < 50 {
		t.Errorf("quality %d for a detailed picture, want >= 50", q1)
	}
	// A copy in another pixel layout (a sub-image of a larger canvas) hashes the same.
	canvas := image.NewRGBA(image.Rect(-7, -3, 700, 500))
	r := image.Rect(10, 20, 650, 500)
	draw.Draw(canvas, r, img, image.Point{}, draw.Src)
	if h, _ := PDQ(canvas.SubImage(r)); h != h1 {
		t.Errorf("sub-image hash %v, want %v", h, h1)
	}
}

// TestPDQSimilar: the edits a re-upload goes through keep the hash within
// PDQ's usual match threshold (31); they move it by a handful of bits.
func TestPDQSimilar(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		img := scene(seed, 800, 600)
		orig, _ := PDQ(img)
		cases := []struct {
			name string
			img  image.Image
			max  int
		}{
			{"resized to 50%", halve(img), 16},
			{"jpeg quality 70", mustDecode(t, fixture.JPEG(t, img, 70)), 16},
			{"jpeg quality 30", mustDecode(t, fixture.JPEG(t, img, 30)), 24},
			{"brightened", brighten(img, 20), 16},
			{"darkened", brighten(img, -20), 16},
			{"png round trip", mustDecode(t, fixture.PNG(t, img)), 0},
			{"resized and re-encoded", mustDecode(t, fixture.JPEG(t, halve(img), 70)), 24},
		}
		for _, tc := range cases {
			h, _ := PDQ(tc.img)
			d := Distance(orig, h)
			t.Logf("seed %d, %s: distance %d", seed, tc.name, d)
			if d > tc.max {
				t.Errorf("seed %d, %s: distance %d, want <= %d", seed, tc.name, d, tc.max)
			}
		}
	}
}

// TestPDQUnrelated: different pictures are about half the bits apart.
func TestPDQUnrelated(t *testing.T) {
	const n = 12
	var hashes []Hash
	for seed := range uint64(n) {
		h, _ := PDQ(scene(100+seed, 320, 240))
		hashes = append(hashes, h)
	}
	sum, pairs := 0, 0
	for i := range hashes {
		for j := range i {
			d := Distance(hashes[i], hashes[j])
			if d < 80 || d > 176 {
				t.Errorf("scenes %d and %d: distance %d, want 128 ± 48", i, j, d)
			}
			sum += d
			pairs++
		}
	}
	mean := float64(sum) / float64(pairs)
	t.Logf("mean distance between unrelated scenes: %.1f", mean)
	if math.Abs(mean-128) > 16 {
		t.Errorf("mean distance %.1f, want 128 ± 16", mean)
	}
}

// TestPDQDihedral: PDQ is not invariant under rotation or mirroring, and
// each variant PDQDihedral derives from the DCT is the hash of the image
// transformed that way.
func TestPDQDihedral(t *testing.T) {
	img := scene(7, 480, 360)
	all, q := PDQDihedral(img)
	orig, q0 := PDQ(img)
	if all[Original] != orig || q != q0 {
		t.Fatalf("original %v/%d, PDQ gives %v/%d", all[Original], q, orig, q0)
	}
	for d := Rotate90; d <= FlipMinus1; d++ {
		t.Run(d.String(), func(t *testing.T) {
			h, _ := PDQ(dihedral(img, d))
			if dist := Distance(orig, h); dist < 64 {
				t.Errorf("the %s image is %d bits from the original, want >= 64", d, dist)
			}
			if dist := Distance(all[d], h); dist > 8 {
				t.Errorf("the %s variant is %d bits from the hash of the %s image, want <= 8", d, dist, d)
			}
		})
	}
}

// The hashes the PDQ reference tests give for the same photograph and its
// seven rotations and mirror images (pdq/python/pdqhashing/tests in
// facebook/ThreatExchange). The photograph is not used here; the hashes
// alone pin down the bit and hex layout and the transforms: a transform
// maps each coefficient to another, with or without its sign, and so maps
// the bits of one hash to those of the other, with or without inversion
// (up to the few coefficients near the median).
var referenceBridge = [8]string{
	Original:   "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22",
	Rotate90:   "38a50efd71c83f429013d68d0ffffc52e34e0e15ada952a9d29684214aa9e5af",
	Rotate180:  "2dadda64b5a142e5d362209057da895ae63b8c7fc277b4b766b319361f893188",
	Rotate270:  "a5f0a457248995e8c9065c275aaa54d8b61ba4bdf8fcfc0387c32f8b0bfc4f05",
	FlipX:      "d8f80f31e0f417b00e37f5dd028f980fb36ed12a9662c1e233e64c634e9c64dd",
	FlipY:      "0dad259bb1a1bd18d362576556da32a1e63b7380c2374b4866b3c6c91b89ce77",
	FlipPlus1:  "f0a5e10271dcc0bd9c5309720fff018de34ef1e8ada9a956d2967ade1ea91a50",
	FlipMinus1: "69f05aa8a4996a17c146a2da5aaaab07b61b5b60f8fc07fc83c3d0740bfcb0fa",
}

func TestReferenceDihedralHashes(t *testing.T) {
	orig, err := Parse(referenceBridge[Original])
	if err != nil {
		t.Fatal(err)
	}
	// Stand-in coefficients: +1 for a set bit, -1 for a clear one.
	var signs [dctSize][dctSize]float32
	for i := range dctSize {
		for j := range dctSize {
			signs[i][j] = -1
			if orig.bit(i*dctSize + j) {
				signs[i][j] = 1
			}
		}
	}
	for d := Original; d <= FlipMinus1; d++ {
		want, err := Parse(referenceBridge[d])
		if err != nil {
			t.Fatal(err)
		}
		m := transformDCT(d, &signs)
		var got Hash
		for i := range dctSize {
			for j := range dctSize {
				if m[i][j] > 0 {
					got.setBit(i*dctSize + j)
				}
			}
		}
		// The reference hashes come from re-encoded JPEGs of the transformed
		// photograph, and coefficients near the median change sides: the right
		// transform lands within 18 bits, a wrong one 110 or more bits away.
		if dist := Distance(got, want); dist > 24 {
			t.Errorf("%s: the transformed reference hash is %d bits from the reference's %s hash, want <= 24", d, dist, d)
		}
	}
}

func TestPDQQuality(t *testing.T) {
	cases := []struct {
		name     string
		img      image.Image
		min, max int
	}{
		{"flat grey", flat(300, 200, color.Gray{128}), 0, 0},
		{"flat white", flat(64, 64, color.White), 0, 0},
		{"faint gradient", gradient(400, 300, 8), 0, 5},
		{"photo-like", scene(3, 400, 300), 50, 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, q := PDQ(tc.img)
			if q < tc.min || q > tc.max {
				t.Errorf("quality %d, want %d to %d", q, tc.min, tc.max)
			}
		})
	}
}

func gradient(w, h int, span float64) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Pix[img.PixOffset(x, y)] = uint8(100 + span*float64(x)/float64(w))
		}
	}
	return img
}

func TestPDQTooSmall(t *testing.T) {
	for _, r := range []image.Rectangle{image.Rect(0, 0, 4, 100), image.Rect(0, 0, 100, 4), image.Rect(0, 0, 0, 0)} {
		h, q := PDQ(scene(1, 100, 100).SubImage(r))
		if h != (Hash{}) || q != 0 {
			t.Errorf("%v: %v/%d, want the zero hash and quality 0", r, h, q)
		}
		all, q := PDQDihedral(scene(1, 100, 100).SubImage(r))
		if all != [8]Hash{} || q != 0 {
			t.Errorf("%v: dihedral hashes not zero", r)
		}
	}
	// 5×5 is the smallest hashable size.
	if _, q := PDQ(scene(1, 5, 5)); q < 0 {
		t.Error("negative quality")
	}
}

// TestPixelLayouts: every pixel layout gives the luminance the reference
// computes, so the same picture hashes (nearly) the same in each.
func TestPixelLayouts(t *testing.T) {
	src := scene(9, 300, 200)
	want, _ := PDQ(src)
	b := src.Bounds()
	nrgba := image.NewNRGBA(b)
	draw.Draw(nrgba, b, src, b.Min, draw.Src)
	gray := image.NewGray(b)
	draw.Draw(gray, b, src, b.Min, draw.Src)
	gray16 := image.NewGray16(b)
	draw.Draw(gray16, b, gray, b.Min, draw.Src)
	rgba64 := image.NewRGBA64(b)
	draw.Draw(rgba64, b, src, b.Min, draw.Src)
	pal := image.NewPaletted(b, nil)
	for i := range 256 {
		pal.Palette = append(pal.Palette, color.Gray{uint8(i)})
	}
	draw.Draw(pal, b, gray, b.Min, draw.Src)
	grayHash, _ := PDQ(gray)
	ycc := mustDecode(t, fixture.JPEG(t, src, 95))
	if _, ok := ycc.(*image.YCbCr); !ok {
		t.Fatalf("decoded JPEG is %T", ycc)
	}
	yccRGBA := image.NewRGBA(b)
	draw.Draw(yccRGBA, b, ycc, b.Min, draw.Src)
	yccHash, _ := PDQ(yccRGBA)
	cases := []struct {
		name string
		img  image.Image
		want Hash
		max  int
	}{
		{"nrgba", nrgba, want, 0},
		{"rgba64", rgba64, want, 0},
		{"gray16", gray16, grayHash, 0},
		{"paletted", pal, grayHash, 0},
		// The Y plane differs from the luma of the RGB conversion by rounding.
		{"ycbcr", ycc, yccHash, 4},
		{"gray", gray, want, 4},
	}
	for _, tc := range cases {
		h, _ := PDQ(tc.img)
		if d := Distance(h, tc.want); d > tc.max {
			t.Errorf("%s: %d bits from the RGBA hash, want <= %d", tc.name, d, tc.max)
		}
	}
}

// TestDownsampleMatchesReference: the row-by-row downsample gives the grid
// of the reference's order of work (box filters along rows then columns,
// twice, over the whole image, then sampling).
func TestDownsampleMatchesReference(t *testing.T) {
	for _, size := range [][2]int{{64, 64}, {65, 64}, {100, 37}, {640, 480}, {1001, 333}, {5, 300}} {
		img := scene(uint64(size[0]), size[0], size[1])
		var got [gridSize][gridSize]float32
		downsample(img, &got)
		want := referenceDownsample(img)
		for i := range gridSize {
			for j := range gridSize {
				if d := math.Abs(float64(got[i][j] - want[i][j])); d > 1e-3 {
					t.Fatalf("%v: grid[%d][%d] = %v, reference order gives %v", size, i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}

// referenceDownsample filters the whole image in the reference's order,
// with the window written out as a plain average.
func referenceDownsample(img *image.RGBA) (g [gridSize][gridSize]float32) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	a := make([]float64, w*h)
	for y := range h {
		for x := range w {
			p := img.Pix[img.PixOffset(x, y):]
			a[y*w+x] = float64(luma(p[0], p[1], p[2]))
		}
	}
	if w == gridSize && h == gridSize {
		for i := range gridSize {
			for j := range gridSize {
				g[i][j] = float32(a[i*w+j])
			}
		}
		return g
	}
	avg := func(get func(int) float64, n, win, o int) float64 {
		half := (win + 2) / 2
		lo, hi := max(0, o-(win-half)), min(n-1, o+half-1)
		s := 0.0
		for k := lo; k <= hi; k++ {
			s += get(k)
		}
		return s / float64(hi-lo+1)
	}
	b := make([]float64, w*h)
	for range 2 {
		for y := range h {
			for x := range w {
				b[y*w+x] = avg(func(k int) float64 { return a[y*w+k] }, w, windowSize(w), x)
			}
		}
		for y := range h {
			for x := range w {
				a[y*w+x] = avg(func(k int) float64 { return b[k*w+x] }, h, windowSize(h), y)
			}
		}
	}
	for i := range gridSize {
		y := int((float64(i) + 0.5) * float64(h) / gridSize)
		for j := range gridSize {
			x := int((float64(j) + 0.5) * float64(w) / gridSize)
			g[i][j] = float32(a[y*w+x])
		}
	}
	return g
}

// TestDCT checks the DCT against the formula on a grid with one frequency.
func TestDCT(t *testing.T) {
	var a [gridSize][gridSize]float32
	for i := range gridSize {
		for j := range gridSize {
			// Vertical frequency 3, horizontal 5 (indices 2 and 4).
			a[i][j] = float32(math.Cos(math.Pi*3*float64(2*i+1)/128) * math.Cos(math.Pi*5*float64(2*j+1)/128))
		}
	}
	b := dct64To16(&a)
	for i := range dctSize {
		for j := range dctSize {
			want := 0.0
			if i == 2 && j == 4 {
				want = 32 // (√(2/64) · 64/2)² for an orthonormal basis scaled by 64/2
			}
			if math.Abs(float64(b[i][j])-want) > 1e-3 {
				t.Fatalf("dct[%d][%d] = %v, want %v", i, j, b[i][j], want)
			}
		}
	}
}
