package imagehash

import (
	"image"
	"image/color"
	"math"
	"slices"
)

const (
	minDim   = 5  // smaller images have the zero hash, as in the reference
	gridSize = 64 // the downsampled luminance grid is gridSize × gridSize
	dctSize  = 16 // DCT coefficients kept along each axis
)

// Luminance weights of the reference (Rec. 601 luma).
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// dctMatrix holds the DCT-II basis for frequencies 1 to 16 (the constant
// term is left out) over 64 samples, scaled by √(2/64), in float32 as the
// reference computes it.
var dctMatrix = func() (m [dctSize][gridSize]float32) {
	scale := float64(float32(math.Sqrt(2.0 / gridSize)))
	for i := range dctSize {
		for j := range gridSize {
			m[i][j] = float32(scale * math.Cos(math.Pi/2/gridSize*float64(i+1)*float64(2*j+1)))
		}
	}
	return m
}()

// PDQ returns the PDQ hash of img and its quality, 0 to 100. Hashes of
// quality below 50 come from flat or nearly flat images and should not be
// matched against a bank. Images smaller than 5 pixels on a side give the
// zero hash and quality 0.
func PDQ(img image.Image) (Hash, int) {
	dct, quality, ok := pdqDCT(img)
	if !ok {
		return Hash{}, 0
	}
	return dctToHash(dct), quality
}

// Dihedral names one of the eight rotations and mirror images of an image,
// in the order of [PDQDihedral]'s result.
type Dihedral int

// The eight dihedral transforms, named as in the PDQ reference. Rotations
// are counter-clockwise.
const (
	Original   Dihedral = iota
	Rotate90            // rotated 90° counter-clockwise
	Rotate180           // rotated 180°
	Rotate270           // rotated 270° counter-clockwise (90° clockwise)
	FlipX               // mirrored about the horizontal axis: upside down
	FlipY               // mirrored about the vertical axis: left to right
	FlipPlus1           // mirrored about the main diagonal (transposed)
	FlipMinus1          // mirrored about the anti-diagonal
)

var dihedralNames = [...]string{"original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1"}

// String returns the reference's name of the transform ("rotate90").
func (d Dihedral) String() string {
	if d < 0 || int(d) >= len(dihedralNames) {
		return "dihedral(?)"
	}
	return dihedralNames[d]
}

// PDQDihedral returns the hashes that PDQ gives to the eight rotations and
// mirror images of img, indexed by [Dihedral], and the quality of img. It
// costs little more than [PDQ]: the variants are derived from the DCT. To
// catch rotated or mirrored copies, match all eight hashes of an upload
// against a bank of original hashes.
func PDQDihedral(img image.Image) ([8]Hash, int) {
	var out [8]Hash
	dct, quality, ok := pdqDCT(img)
	if !ok {
		return out, 0
	}
	for d := range out {
		out[d] = dctToHash(transformDCT(Dihedral(d), &dct))
	}
	return out, quality
}

// transformDCT returns the DCT of the transformed image: a reflection along
// an axis changes the sign of the odd frequencies along it (even indices
// here, as index i is frequency i+1), and a transposition swaps the axes.
func transformDCT(d Dihedral, a *[dctSize][dctSize]float32) [dctSize][dctSize]float32 {
	var b [dctSize][dctSize]float32
	for i := range dctSize {
		for j := range dctSize {
			v := a[i][j]
			flipRows, flipCols, transpose := false, false, false
			switch d {
			case Rotate90:
				flipCols, transpose = true, true
			case Rotate180:
				flipRows, flipCols = true, true
			case Rotate270:
				flipRows, transpose = true, true
			case FlipX:
				flipRows = true
			case FlipY:
				flipCols = true
			case FlipPlus1:
				transpose = true
			case FlipMinus1:
				flipRows, flipCols, transpose = true, true, true
			}
			if flipRows && i%2 == 0 {
				v = -v
			}
			if flipCols && j%2 == 0 {
				v = -v
			}
			if transpose {
				b[j][i] = v
			} else {
				b[i][j] = v
			}
		}
	}
	return b
}

// dctToHash sets one bit per coefficient above the median of the 256 (the
// 128th smallest, as the reference's Torben median gives).
func dctToHash(a [dctSize][dctSize]float32) Hash {
	var buf [dctSize * dctSize]float32
	sorted := buf[:0]
	for _, row := range &a {
		sorted = append(sorted, row[:]...)
	}
	slices.Sort(sorted)
	median := sorted[(len(sorted)+1)/2-1]
	var h Hash
	for i, row := range &a {
		for j, v := range row {
			if v > median {
				h.setBit(i*dctSize + j)
			}
		}
	}
	return h
}

// pdqDCT downsamples img's luminance to 64×64, scores its quality and
// returns the 16×16 DCT. ok is false for images too small to hash.
func pdqDCT(img image.Image) (dct [dctSize][dctSize]float32, quality int, ok bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < minDim || h < minDim {
		return dct, 0, false
	}
	var grid [gridSize][gridSize]float32
	downsample(img, &grid)
	return dct64To16(&grid), gridQuality(&grid), true
}

// downsample fills grid with the tent-filtered luminance of img sampled at
// the centres of 64×64 cells. The reference filters the whole image (box
// filters along rows, then columns, twice) and then samples; box filters
// along rows and along columns commute, so this filters each row twice and
// keeps only the 64 sampled columns, then filters those columns twice and
// keeps the 64 sampled rows: the same values, in memory proportional to the
// image's height rather than its area.
func downsample(img image.Image, grid *[gridSize][gridSize]float32) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rowOf := lumaRows(img)
	row := make([]float32, w)
	if w == gridSize && h == gridSize {
		// The reference copies a 64×64 image as it is.
		for y := range gridSize {
			rowOf(y, row)
			copy(grid[y][:], row)
		}
		return
	}
	var xs, ys [gridSize]int
	for i := range xs {
		xs[i] = int((float64(i) + 0.5) * float64(w) / gridSize)
	}
	for i := range ys {
		ys[i] = int((float64(i) + 0.5) * float64(h) / gridSize)
	}
	wx, wy := windowSize(w), windowSize(h)
	tmp := make([]float32, max(w, h))
	cols := make([]float32, gridSize*h) // column j of the sampled columns at cols[j*h:]
	for y := range h {
		rowOf(y, row)
		box1D(row, tmp[:w], wx)
		box1D(tmp[:w], row, wx)
		for j, x := range xs {
			cols[j*h+y] = row[x]
		}
	}
	for j := range gridSize {
		col := cols[j*h : (j+1)*h]
		box1D(col, tmp[:h], wy)
		box1D(tmp[:h], col, wy)
		for i, y := range ys {
			grid[i][j] = col[y]
		}
	}
}

// windowSize is the box filter's window along an axis of n pixels: half a
// 64th of it, rounded up, since two passes make a tent twice as wide.
func windowSize(n int) int { return (n + 2*gridSize - 1) / (2 * gridSize) }

// box1D writes to out the mean of in over a window of w samples (clipped at
// the ends) around each position: out[o] averages in[o-(w-half)] through
// in[o+half-1], half = (w+2)/2, as the reference's running sum does.
// It needs 1 <= w <= len(in) = len(out).
func box1D(in, out []float32, w int) {
	half := (w + 2) / 2
	var sum float32
	size, li, ri, oi := 0, 0, 0, 0
	for range half - 1 { // fill the left half of the first window
		sum += in[ri]
		ri++
		size++
	}
	for range w - half + 1 { // windows clipped on the left
		sum += in[ri]
		ri++
		size++
		out[oi] = sum / float32(size)
		oi++
	}
	for range len(in) - w { // full windows
		sum += in[ri]
		sum -= in[li]
		ri++
		li++
		out[oi] = sum / float32(size)
		oi++
	}
	for range half - 1 { // windows clipped on the right
		sum -= in[li]
		li++
		size--
		out[oi] = sum / float32(size)
		oi++
	}
}

// dct64To16 returns D·A·Dᵀ for the 16×64 DCT matrix D.
func dct64To16(a *[gridSize][gridSize]float32) (b [dctSize][dctSize]float32) {
	var t [dctSize][gridSize]float32 // D·A
	for i := range t {
		d, ti := &dctMatrix[i], &t[i]
		for j := range ti {
			var s float32
			for k := range gridSize {
				s += d[k] * a[k][j]
			}
			ti[j] = s
		}
	}
	for i := range b {
		ti := &t[i]
		for j := range b[i] {
			d := &dctMatrix[j]
			var s float32
			for k, v := range ti {
				s += v * d[k]
			}
			b[i][j] = s
		}
	}
	return b
}

// gridQuality is the reference's heuristic quality: the sum of the absolute
// differences between neighbouring grid values, each as an integer
// percentage of 255, divided by 90 and capped at 100.
func gridQuality(g *[gridSize][gridSize]float32) int {
	sum := 0
	for i := range gridSize - 1 {
		for j := range gridSize {
			sum += absInt(int((g[i][j] - g[i+1][j]) * 100 / 255))
		}
	}
	for i := range gridSize {
		for j := range gridSize - 1 {
			sum += absInt(int((g[i][j] - g[i][j+1]) * 100 / 255))
		}
	}
	return min(sum/90, 100)
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// lumaRows returns a function that writes the luminance of row y (counted
// from the top of img's bounds) to dst, one value per pixel, 0 to 255.
// Alpha is ignored, as the reference reads only the colour channels.
func lumaRows(img image.Image) func(y int, dst []float32) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		return func(y int, dst []float32) {
			p := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):]
			for x := range dst {
				dst[x] = float32(p[x])
			}
		}
	case *image.Gray:
		return func(y int, dst []float32) {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range dst {
				dst[x] = float32(p[x])
			}
		}
	case *image.RGBA:
		return func(y int, dst []float32) { rgbLuma(m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):], dst) }
	case *image.NRGBA:
		return func(y int, dst []float32) { rgbLuma(m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):], dst) }
	case *image.Paletted:
		var lut [256]float32
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			lut[i] = luma(n.R, n.G, n.B)
		}
		return func(y int, dst []float32) {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range dst {
				dst[x] = lut[p[x]]
			}
		}
	}
	return func(y int, dst []float32) {
		for x := range dst {
			n := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			dst[x] = luma(n.R, n.G, n.B)
		}
	}
}

// rgbLuma converts a row of 4-byte RGBA or NRGBA pixels.
func rgbLuma(pix []byte, dst []float32) {
	pix = pix[:4*len(dst)]
	for x := range dst {
		p := pix[4*x : 4*x+3 : 4*x+3]
		dst[x] = luma(p[0], p[1], p[2])
	}
}

func luma(r, g, b uint8) float32 {
	return lumaR*float32(r) + lumaG*float32(g) + lumaB*float32(b)
}
