package upload

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"sync"
	"testing"

	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/lingua"
	"github.com/aup-dev/aup/internal/rules"
	bundled "github.com/aup-dev/aup/rules"
)

// Fixtures are built by the tests with the standard library.

// bundledEngine is the engine aup ships: the bundled rules and the real
// language detector (no statistical model, so verdicts follow the rules).
// It is built once: loading the detector takes a while.
var bundledEngine = sync.OnceValues(func() (*engine.Engine, error) {
	set, err := rules.Load(bundled.FS)
	if err != nil {
		return nil, err
	}
	det, err := lingua.New(lingua.Options{})
	if err != nil {
		return nil, err
	}
	return engine.New(set, engine.Options{Detector: det})
})

// member is a file in a ZIP.
type member struct {
	name string
	data []byte
}

func mkzip(tb testing.TB, files ...member) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(f.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// picture draws a w×h image with structure a perceptual hash can see:
// gradients, a disc and bars. The same picture at another size is the same
// picture to PDQ.
func picture(w, h int) image.Image { return drawing(w, h, 0.35, 0.4, 3) }

// otherPicture is another drawing: the disc and the bars elsewhere.
func otherPicture(w, h int) image.Image { return drawing(w, h, 0.7, 0.2, 2) }

func drawing(w, h int, discX, discY float64, barEvery int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			c := color.RGBA{uint8(255 * fx), uint8(255 * fy), 128, 255}
			if dx, dy := fx-discX, fy-discY; dx*dx+dy*dy < 0.04 {
				c = color.RGBA{240, 240, 30, 255}
			}
			if int(fx*10)%barEvery == 0 && fy > 0.7 {
				c = color.RGBA{20, 20, 20, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func encodePNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// pngHeader is a PNG signature and IHDR claiming w×h, with a valid CRC:
// what a decompression bomb starts with.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 2 // 8-bit RGB
	b.Write(binary.BigEndian.AppendUint32(nil, 13))
	b.Write(ihdr)
	b.Write(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(ihdr)))
	return b.Bytes()
}

func elfFile() []byte {
	b := make([]byte, 128)
	copy(b, "\x7fELF\x02\x01\x01")
	return b
}

func peFile() []byte {
	b := make([]byte, 256)
	copy(b, "MZ\x90\x00\x03")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00\x64\x86")
	return b
}

const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// TIFF types and the tags of the EXIF fixtures.
const (
	typeASCII    = 2
	typeLong     = 4
	typeRational = 5

	tagGPSLatitudeRef  = 0x0001
	tagGPSLatitude     = 0x0002
	tagGPSLongitudeRef = 0x0003
	tagGPSLongitude    = 0x0004
	tagArtist          = 0x013b
	tagGPSIFD          = 0x8825
)

// tiffEntry is one directory entry of a hand-built little-endian TIFF
// block: its value, or, when sub > 0, a pointer to directory sub.
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte
	sub      int
}

func asciiEntry(tag uint16, s string) tiffEntry {
	return tiffEntry{tag: tag, typ: typeASCII, count: uint32(len(s) + 1), data: []byte(s + "\x00")}
}

// degrees is a GPS coordinate as three rationals: degrees, minutes and
// hundredths of seconds.
func degrees(tag uint16, d, m, centisec uint32) tiffEntry {
	var b []byte
	for _, v := range []uint32{d, 1, m, 1, centisec, 100} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return tiffEntry{tag: tag, typ: typeRational, count: 3, data: b}
}

// tiff lays out a TIFF header, the directories in order (directory 0 at
// offset 8) and then the values that do not fit in their entries.
func tiff(dirs ...[]tiffEntry) []byte {
	le := binary.LittleEndian
	offs := make([]uint32, len(dirs))
	off := uint32(8)
	for i, d := range dirs {
		offs[i] = off
		off += 2 + 12*uint32(len(d)) + 4
	}
	head := le.AppendUint32([]byte("II\x2a\x00"), 8)
	var data []byte
	for _, d := range dirs {
		head = le.AppendUint16(head, uint16(len(d)))
		for _, e := range d {
			head = le.AppendUint16(head, e.tag)
			head = le.AppendUint16(head, e.typ)
			head = le.AppendUint32(head, e.count)
			switch {
			case e.sub > 0:
				head = le.AppendUint32(head, offs[e.sub])
			case len(e.data) <= 4:
				v := make([]byte, 4)
				copy(v, e.data)
				head = append(head, v...)
			default:
				head = le.AppendUint32(head, off+uint32(len(data)))
				data = append(data, e.data...)
			}
		}
		head = le.AppendUint32(head, 0)
	}
	return append(head, data...)
}

// photoArtist is who the EXIF fixture says took the photo.
const photoArtist = "Jane Q. Photographer"

// photoEXIF is an EXIF block naming the artist, with a GPS position of
// 51°30'26.50"N 0°7'39.90"W.
func photoEXIF() []byte {
	return tiff(
		[]tiffEntry{asciiEntry(tagArtist, photoArtist), {tag: tagGPSIFD, typ: typeLong, count: 1, sub: 1}},
		[]tiffEntry{
			asciiEntry(tagGPSLatitudeRef, "N"),
			degrees(tagGPSLatitude, 51, 30, 2650),
			asciiEntry(tagGPSLongitudeRef, "W"),
			degrees(tagGPSLongitude, 0, 7, 3990),
		},
	)
}

// withEXIF inserts an APP1 Exif segment holding block after a JPEG's SOI.
func withEXIF(jpg, block []byte) []byte {
	payload := append([]byte("Exif\x00\x00"), block...)
	seg := binary.BigEndian.AppendUint16([]byte{0xff, 0xe1}, uint16(len(payload)+2))
	out := append([]byte{0xff, 0xd8}, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}
