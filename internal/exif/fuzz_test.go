package exif

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/aup-dev/aup/internal/fixture"
)

func checkResult(t *testing.T, md Metadata, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
		t.Fatalf("undocumented error %v", err)
	}
	if md.Fields>>10 != 0 {
		t.Fatalf("unknown fields %b", md.Fields)
	}
	if p := md.Position; p != nil {
		if !md.Fields.Has(GPS) {
			t.Fatal("a position without the GPS field")
		}
		if math.IsNaN(p.Latitude) || math.IsNaN(p.Longitude) || math.Abs(p.Latitude) > 90 || math.Abs(p.Longitude) > 180 {
			t.Fatalf("position %+v", *p)
		}
	}
}

// FuzzParseTIFF: ParseTIFF never panics and reports only valid positions.
func FuzzParseTIFF(f *testing.F) {
	f.Add(fixture.TIFF(le, gpsDirs(le)))
	f.Add(fixture.TIFF(be, gpsDirs(be)))
	f.Add(loopTIFF())
	f.Add(longChain(10))
	f.Add(hugeCount())
	f.Add(exifToIFD0())
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := ParseTIFF(data)
		checkResult(t, md, err)
	})
}

// FuzzRead: Read never panics on any file.
func FuzzRead(f *testing.F) {
	gps := fixture.TIFF(be, gpsDirs(be))
	f.Add(exifJPEG(f, gps))
	f.Add(exifPNG(f, fixture.PNGChunk("eXIf", gps)))
	f.Add(webp([2]string{"EXIF", string(gps)}))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe1, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := Read(bytes.NewReader(data))
		checkResult(t, md, err)
	})
}
