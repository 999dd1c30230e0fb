package exif

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
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
	dirs[0].entries = append(dirs[0].entries, ascii(tagArtist, "Jane Doe"), ascii(tagCopyright, "Jane Doe"))
	data := withSegments(pic.Bytes(), app1(append([]byte(exifPrefix), tiff(le, dirs)...)))
	b.ReportAllocs()
	for b.Loop() {
		md, err := Read(bytes.NewReader(data))
		if err != nil || md.Position == nil {
			b.Fatal(md, err)
		}
	}
}
