package imagehash

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// scene draws a deterministic photo-like picture: a lit gradient, a few
// soft-edged coloured blobs and stripes, and a little sensor noise. Scenes
// of different seeds are unrelated pictures.
func scene(seed uint64, w, h int) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	type blob struct{ cx, cy, rx, ry, r, g, b float64 }
	blobs := make([]blob, 6+rng.IntN(6))
	for i := range blobs {
		blobs[i] = blob{rng.Float64(), rng.Float64(), 0.05 + 0.3*rng.Float64(), 0.05 + 0.3*rng.Float64(),
			255 * rng.Float64(), 255 * rng.Float64(), 255 * rng.Float64()}
	}
	gx, gy := rng.Float64()*2-1, rng.Float64()*2-1
	base := [3]float64{60 + 120*rng.Float64(), 60 + 120*rng.Float64(), 60 + 120*rng.Float64()}
	freq, phase := 2+8*rng.Float64(), 2*math.Pi*rng.Float64()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		fy := float64(y) / float64(h)
		for x := range w {
			fx := float64(x) / float64(w)
			c := base
			light := 40 * (gx*fx + gy*fy)
			stripe := 15 * math.Sin(freq*(fx+0.5*fy)*2*math.Pi+phase)
			for k := range c {
				c[k] += light + stripe
			}
			for _, b := range blobs {
				dx, dy := (fx-b.cx)/b.rx, (fy-b.cy)/b.ry
				a := 1 / (1 + math.Exp(8*(dx*dx+dy*dy-1))) // soft edge
				c[0] += a * (b.r - c[0])
				c[1] += a * (b.g - c[1])
				c[2] += a * (b.b - c[2])
			}
			o := img.PixOffset(x, y)
			for k := range c {
				img.Pix[o+k] = clamp8(c[k] + 6*rng.NormFloat64())
			}
			img.Pix[o+3] = 255
		}
	}
	return img
}

func clamp8(v float64) uint8 { return uint8(math.Round(max(0, min(255, v)))) }

// transform returns the image mapped by f, which gives for each pixel of
// the w×h result the pixel of src it comes from.
func transform(src image.Image, w, h int, f func(x, y int) (int, int)) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			sx, sy := f(x, y)
			out.Set(x, y, src.At(sx, sy))
		}
	}
	return out
}

// dihedral applies d to img the way its name says, in pixel space.
func dihedral(img image.Image, d Dihedral) *image.RGBA {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	switch d {
	case Rotate90: // counter-clockwise: the top row was the right column
		return transform(img, h, w, func(x, y int) (int, int) { return w - 1 - y, x })
	case Rotate180:
		return transform(img, w, h, func(x, y int) (int, int) { return w - 1 - x, h - 1 - y })
	case Rotate270:
		return transform(img, h, w, func(x, y int) (int, int) { return y, h - 1 - x })
	case FlipX:
		return transform(img, w, h, func(x, y int) (int, int) { return x, h - 1 - y })
	case FlipY:
		return transform(img, w, h, func(x, y int) (int, int) { return w - 1 - x, y })
	case FlipPlus1:
		return transform(img, h, w, func(x, y int) (int, int) { return y, x })
	case FlipMinus1:
		return transform(img, h, w, func(x, y int) (int, int) { return w - 1 - y, h - 1 - x })
	}
	return transform(img, w, h, func(x, y int) (int, int) { return x, y })
}

// halve averages 2×2 blocks.
func halve(src *image.RGBA) *image.RGBA {
	w, h := src.Rect.Dx()/2, src.Rect.Dy()/2
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			for k := range 4 {
				s := int(src.Pix[src.PixOffset(2*x, 2*y)+k]) + int(src.Pix[src.PixOffset(2*x+1, 2*y)+k]) +
					int(src.Pix[src.PixOffset(2*x, 2*y+1)+k]) + int(src.Pix[src.PixOffset(2*x+1, 2*y+1)+k])
				out.Pix[out.PixOffset(x, y)+k] = uint8((s + 2) / 4)
			}
		}
	}
	return out
}

func brighten(src *image.RGBA, by float64) *image.RGBA {
	out := image.NewRGBA(src.Rect)
	for i, v := range src.Pix {
		if i%4 == 3 {
			out.Pix[i] = v
		} else {
			out.Pix[i] = clamp8(float64(v) + by)
		}
	}
	return out
}

func flat(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	return img
}
