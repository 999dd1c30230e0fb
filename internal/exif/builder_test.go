package exif

import (
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/aup-dev/aup/internal/fixture"
)

func undefined(tag uint16, b []byte) fixture.Entry {
	return fixture.Entry{Tag: tag, Type: 7, Count: uint32(len(b)), Data: b}
}

// utf16le encodes s for the XP* tags (type BYTE, UTF-16LE, NUL-terminated).
func utf16le(tag uint16, s string) fixture.Entry {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	b = append(b, 0, 0)
	return fixture.Entry{Tag: tag, Type: 1, Count: uint32(len(b)), Data: b}
}

// gpsDirs is IFD0 pointing to a GPS directory with 51°30'26.5"N 0°7'39.9"W.
func gpsDirs(bo fixture.Order) []fixture.Dir {
	return []fixture.Dir{
		{Entries: []fixture.Entry{fixture.ASCII(0x010f, "Camera maker"), fixture.Pointer(tagGPSIFD, 1)}},
		{Entries: []fixture.Entry{
			fixture.ASCII(tagGPSLatitudeRef, "N"),
			fixture.Rationals(bo, tagGPSLatitude, 51, 1, 30, 1, 265, 10),
			fixture.ASCII(tagGPSLongitudeRef, "W"),
			fixture.Rationals(bo, tagGPSLongitude, 0, 1, 7, 1, 3990, 1000),
		}},
	}
}

// smallJPEG is a real JPEG to carry the EXIF segments.
func smallJPEG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	return fixture.JPEG(tb, img, jpeg.DefaultQuality)
}

func exifJPEG(tb testing.TB, t []byte) []byte { return fixture.WithEXIF(smallJPEG(tb), t) }

func smallPNG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.White)
	return fixture.PNG(tb, img)
}

// exifPNG puts an eXIf chunk after IHDR (8-byte signature, 25-byte IHDR).
func exifPNG(tb testing.TB, chunk []byte) []byte {
	p := smallPNG(tb)
	out := append([]byte{}, p[:33]...)
	out = append(out, chunk...)
	return append(out, p[33:]...)
}

// webp is a RIFF WEBP file with the given chunks (fourcc, data).
func webp(chunks ...[2]string) []byte {
	var body []byte
	body = append(body, "WEBP"...)
	for _, c := range chunks {
		body = append(body, c[0]...)
		body = binary.LittleEndian.AppendUint32(body, uint32(len(c[1])))
		body = append(body, c[1]...)
		if len(c[1])%2 == 1 {
			body = append(body, 0)
		}
	}
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	return append(out, body...)
}
