package exif

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/aup-dev/aup/internal/fixture"
)

// BenchmarkRead reads the EXIF of a 1-megapixel JPEG with GPS and owner
// tags: Read stops at the image data, so the cost does not grow with the
// picture.
func BenchmarkRead(b *testing.B) {
	var pic bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 1200, 900))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 31 / 7)
	}
	if err := jpeg.Encode(&pic, img, nil); err != nil {
		b.Fatal(err)
	}
	dirs := gpsDirs(le)
	dirs[0].Entries = append(dirs[0].Entries, fixture.ASCII(tagArtist, "Jane Doe"), fixture.ASCII(tagCopyright, "Jane Doe"))
	data := fixture.WithSegments(pic.Bytes(), fixture.APP1(append([]byte(exifPrefix), fixture.TIFF(le, dirs)...)))
	b.ReportAllocs()
	for b.Loop() {
		md, err := Read(bytes.NewReader(data))
		if err != nil || md.Position == nil {
			b.Fatal(md, err)
		}
	}
}
