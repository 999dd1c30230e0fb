package imagehash

import (
	"bytes"
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/fixture"
)

// FuzzDecode: Decode never panics, answers one of its documented errors,
// and an image it returns is within the limit and hashes.
func FuzzDecode(f *testing.F) {
	small := scene(11, 24, 16)
	for _, seed := range [][]byte{
		fixture.JPEG(f, small, 75),
		fixture.JPEG(f, image.NewGray(image.Rect(0, 0, 9, 9)), 75),
		fixture.PNG(f, small),
		fixture.PNG(f, image.NewGray(image.Rect(0, 0, 9, 9))),
		fixture.GIF(f, small),
		pngHeader(300, 300, 16, 6, 1),
		gifHeader(10, 10, 20, 20),
		jpegWithFrame(f, 0xc2, 100, 100),
		[]byte("GIF89a"),
		{0xff, 0xd8, 0xff},
	} {
		f.Add(seed)
	}
	const maxPixels = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		img, format, err := Decode(bytes.NewReader(data), maxPixels)
		if err != nil {
			var tl *TooLargeError
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrInvalid) && !errors.As(err, &tl) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		if format != "jpeg" && format != "png" && format != "gif" {
			t.Fatalf("format %q", format)
		}
		b := img.Bounds()
		if int64(b.Dx())*int64(b.Dy()) > maxPixels {
			t.Fatalf("decoded %v, over the limit", b)
		}
		h, q := PDQ(img)
		if q < 0 || q > 100 {
			t.Fatalf("quality %d", q)
		}
		if (b.Dx() < minDim || b.Dy() < minDim) && h != (Hash{}) {
			t.Fatalf("hash %v of a %v image", h, b)
		}
	})
}

// FuzzParse: Parse never panics and accepts exactly 64 hex digits, which
// String gives back in lower case.
func FuzzParse(f *testing.F) {
	f.Add(referenceBridge[Original])
	f.Add(strings.ToUpper(referenceBridge[Rotate90]))
	f.Add("")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			return
		}
		if h.String() != strings.ToLower(s) {
			t.Fatalf("Parse(%q).String() = %q", s, h.String())
		}
	})
}
