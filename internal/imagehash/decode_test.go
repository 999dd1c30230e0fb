package imagehash

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"runtime"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/fixture"
)

// pngHeader is the start of a PNG with the given IHDR fields, followed by a
// few bytes of IDAT that do not decode to the image the header promises.
func pngHeader(w, h int, depth, colorType, interlace byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, depth, colorType, 0, 0, interlace)
	b := append([]byte(fixture.PNGSignature), fixture.PNGChunk("IHDR", ihdr)...)
	return append(b, fixture.PNGChunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00})...)
}

// jpegWithFrame re-labels a real JPEG's frame: its size and, with marker
// 0xc2, progressive coding. The scan data no longer fits the header.
func jpegWithFrame(tb testing.TB, marker byte, w, h int) []byte {
	tb.Helper()
	data := fixture.JPEG(tb, scene(4, 64, 64), 80)
	i := bytes.Index(data, []byte{0xff, 0xc0})
	if i < 0 {
		tb.Fatal("no SOF0 in the encoded JPEG")
	}
	data[i+1] = marker
	binary.BigEndian.PutUint16(data[i+5:], uint16(h))
	binary.BigEndian.PutUint16(data[i+7:], uint16(w))
	return data
}

// gifHeader is a GIF whose logical screen is sw×sh with one fw×fh frame.
func gifHeader(sw, sh, fw, fh int) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, uint16(sw))
	b = binary.LittleEndian.AppendUint16(b, uint16(sh))
	b = append(b, 0x80, 0, 0, 0, 0, 0, 255, 255, 255) // 2-colour global table
	b = append(b, 0x2c, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(fw))
	b = binary.LittleEndian.AppendUint16(b, uint16(fh))
	return append(b, 0, 2, 2, 0x4c, 0x01, 0, 0x3b)
}

func TestDecode(t *testing.T) {
	img := scene(5, 120, 80)
	cases := []struct {
		name, format string
		data         []byte
	}{
		{"jpeg", "jpeg", fixture.JPEG(t, img, 85)},
		{"png", "png", fixture.PNG(t, img)},
		{"gif", "gif", fixture.GIF(t, img)},
		{"trailing data", "png", append(fixture.PNG(t, img), "trailing junk"...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, format, err := Decode(bytes.NewReader(tc.data), 120*80)
			if err != nil {
				t.Fatal(err)
			}
			if format != tc.format || got.Bounds() != img.Bounds() {
				t.Errorf("got a %s image of %v, want a %s of %v", format, got.Bounds(), tc.format, img.Bounds())
			}
			if h, _ := PDQ(got); Distance(h, mustHash(img)) > 40 {
				t.Error("the decoded image does not look like the original")
			}
		})
	}
}

func mustHash(img image.Image) Hash { h, _ := PDQ(img); return h }

func TestDecodeRefuses(t *testing.T) {
	good := fixture.JPEG(t, scene(6, 200, 100), 80)
	goodPNG := fixture.PNG(t, scene(6, 200, 100))
	goodGIF := fixture.GIF(t, scene(6, 200, 100))
	const max = 10_000_000
	cases := []struct {
		name     string
		data     []byte
		max      int64
		want     error  // ErrFormat or ErrInvalid; nil for *TooLargeError
		bytes    bool   // a *TooLargeError on memory rather than pixels
		inErrMsg string // text the message must have
	}{
		{"empty", nil, max, ErrFormat, false, "not a JPEG, PNG or GIF"},
		{"text", []byte("hello, world"), max, ErrFormat, false, ""},
		{"pdf", []byte("%PDF-1.7\n"), max, ErrFormat, false, ""},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), max, ErrFormat, false, ""},
		{"bmp", []byte("BM\x00\x00\x00\x00\x00\x00\x00\x00"), max, ErrFormat, false, ""},
		{"two bytes of jpeg", []byte{0xff, 0xd8}, max, ErrFormat, false, ""},
		{"jpeg header only", good[:20], max, ErrInvalid, false, "malformed"},
		{"jpeg truncated", good[:len(good)/2], max, ErrInvalid, false, "jpeg"},
		{"png truncated", goodPNG[:len(goodPNG)/2], max, ErrInvalid, false, "png"},
		{"gif truncated", goodGIF[:len(goodGIF)/2], max, ErrInvalid, false, "gif"},
		{"png bad crc", flipByte(goodPNG, 30), max, ErrInvalid, false, ""},
		{"png size 0", pngHeader(0, 10, 8, 0, 0), max, ErrInvalid, false, ""},
		{"gif frame outside the screen", gifHeader(10, 10, 1000, 1000), max, ErrInvalid, false, ""},
		// Decompression bombs: refused from the header.
		{"jpeg 60000x60000", jpegWithFrame(t, 0xc0, 60000, 60000), max, nil, false, "60000×60000 pixels, over the limit of 10000000 pixels"},
		{"png 100000x100000", pngHeader(100000, 100000, 8, 2, 0), max, nil, false, "100000×100000"},
		{"png 2^31-1 square", pngHeader(1<<31-1, 1<<31-1, 8, 6, 0), max, ErrInvalid, false, "dimension overflow"},
		{"gif 65535x65535", gifHeader(65535, 65535, 1, 1), max, nil, false, "65535×65535"},
		{"progressive jpeg", jpegWithFrame(t, 0xc2, 3000, 3000), max, nil, true, "needs 65 MB to decode, over the 39 MB allowed"},
		{"16-bit png", pngHeader(3000, 3000, 16, 6, 0), max, nil, true, "needs 69 MB"},
		{"interlaced rgba png", pngHeader(3000, 3000, 8, 6, 1), max, nil, true, "needs 69 MB"},
		{"zero limit", good, 0, nil, false, "limit of 0 pixels"},
		// Within the limits the same headers get to the decoder, which finds
		// the data does not match.
		{"baseline jpeg within limits", jpegWithFrame(t, 0xc0, 3000, 3000), max, ErrInvalid, false, ""},
		{"8-bit png within limits", pngHeader(3000, 3000, 8, 6, 0), max, ErrInvalid, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img, _, err := Decode(bytes.NewReader(tc.data), tc.max)
			if err == nil {
				t.Fatalf("decoded a %v image", img.Bounds())
			}
			if img != nil {
				t.Error("an image with an error")
			}
			if !strings.Contains(err.Error(), tc.inErrMsg) {
				t.Errorf("error %q does not say %q", err, tc.inErrMsg)
			}
			var tl *TooLargeError
			if tc.want != nil {
				if !errors.Is(err, tc.want) || errors.As(err, &tl) {
					t.Errorf("error %q, want %v", err, tc.want)
				}
				return
			}
			if !errors.As(err, &tl) {
				t.Fatalf("error %q, want a *TooLargeError", err)
			}
			if tl.MaxPixels != tc.max || (tl.DecodeBytes > 0) != tc.bytes {
				t.Errorf("got %+v", tl)
			}
			if errors.Is(err, ErrInvalid) || errors.Is(err, ErrFormat) {
				t.Error("a size error also claims to be a format error")
			}
		})
	}
}

func flipByte(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x55
	return c
}

// TestDecodeBombAllocatesNothing: refusing a huge image costs the header's
// bytes, not the image's.
func TestDecodeBombAllocatesNothing(t *testing.T) {
	bombs := map[string][]byte{
		"png":  pngHeader(50000, 50000, 16, 6, 0),
		"jpeg": jpegWithFrame(t, 0xc2, 65000, 65000),
		"gif":  gifHeader(65535, 65535, 65535, 65535),
	}
	for name, data := range bombs {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := Decode(bytes.NewReader(data), 24_000_000)
		runtime.ReadMemStats(&after)
		var tl *TooLargeError
		if !errors.As(err, &tl) {
			t.Fatalf("%s: %v, want a *TooLargeError", name, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%s: refusing allocated %d bytes", name, n)
		}
	}
}

// TestDecodeEstimates: the header-based estimate covers what the decoder
// really allocates, for the layouts the standard library can write.
func TestDecodeEstimates(t *testing.T) {
	src := scene(8, 600, 400)
	gray := image.NewGray(src.Bounds())
	for i := range gray.Pix {
		gray.Pix[i] = src.Pix[4*i]
	}
	rgba64 := image.NewRGBA64(src.Bounds())
	for y := range 400 {
		for x := range 600 {
			rgba64.Set(x, y, color.RGBA64{uint16(x * 100), uint16(y * 100), 1000, 0xffff})
		}
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"jpeg colour", fixture.JPEG(t, src, 90)},
		{"jpeg gray", fixture.JPEG(t, gray, 90)},
		{"png rgba", fixture.PNG(t, src)},
		{"png gray", fixture.PNG(t, gray)},
		{"png 16-bit", fixture.PNG(t, rgba64)},
		{"gif", fixture.GIF(t, src)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			img, format, err := Decode(bytes.NewReader(tc.data), 1<<30)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			cfg, _, _ := image.DecodeConfig(bytes.NewReader(tc.data))
			var est int64
			switch format {
			case "jpeg":
				est = jpegDecodeBytes(tc.data, int64(cfg.Width), int64(cfg.Height))
			case "png":
				est = pngDecodeBytes(tc.data, cfg.ColorModel, int64(cfg.Width), int64(cfg.Height))
			default:
				est = int64(cfg.Width * cfg.Height)
			}
			alloc := int64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("%T: estimate %d, allocated %d", img, est, alloc)
			// Allocation includes the decoder's fixed buffers (tens of kB).
			if est < alloc-200_000 || est > 2*alloc+200_000 {
				t.Errorf("estimate %d for %d bytes allocated", est, alloc)
			}
		})
	}
}
