package extract

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/fixture"
)

// FuzzExtract: no input makes Extract panic, return an error other than an
// *Error, or break its limits; the text is valid UTF-8 and images open.
func FuzzExtract(f *testing.F) {
	jpg := mkimage(f, "jpeg", 16, 16)
	for _, seed := range [][]byte{
		[]byte("plain text note"), []byte("# md\n- a\n- b\n**x**"), []byte("a,b,c\n1,2,3\n4,5,6\n"),
		[]byte(`{"a": ["x", {"b": "\ud83d\ude00"}]}`), []byte("<html><body><p>hi</p><script>x</script></body></html>"),
		[]byte(`<?xml version="1.0"?><a>t&amp;<![CDATA[c]]></a>`), utf16le("utf16 text"), []byte(fixture.EICAR),
		[]byte("#!/bin/sh\necho"), fixture.ELF(), fixture.PE(), machoFat(), javaClass(), fixture.PNGHeader(10, 10),
		mkimage(f, "png", 4, 4), jpg, mkimage(f, "gif", 4, 4),
		fixture.Zip(f, fixture.File{Name: "a.txt", Data: []byte("zipped")}, fixture.File{Name: "b.zip", Data: fixture.Zip(f, fixture.File{Name: "c.txt", Data: []byte("inner")})}),
		mkgzip(f, mktar(f, fixture.File{Name: "t.txt", Data: []byte("tarred")})),
		mkdocx(f, []string{"docx text"}), mkxlsx(f, "cell"), mkodt(f, "odt text"),
		mkpdf(f, pdfOpts{pages: [][]string{{"pdf text"}}}),
		mkpdf(f, pdfOpts{compress: true, toUnicode: true, pages: [][]string{{"cmap text é"}}}),
		mkpdf(f, pdfOpts{noTrailer: true, jpeg: jpg, pages: [][]string{{"truncated"}}}),
		overlapZip(f),
	} {
		f.Add(seed)
	}
	lim := Limits{MaxText: 64 << 10, MaxUncompressed: 16 << 20, MaxMembers: 200, MaxImagePixels: 1 << 20, MaxPages: 50}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Extract(context.Background(), Upload{R: bytes.NewReader(data), Size: int64(len(data)), Name: "f.bin", TempDir: t.TempDir()}, lim)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" || e.Path == "" {
				t.Fatalf("error %v is not a complete *Error", err)
			}
			return
		}
		defer res.Close()
		if res.Text() > lim.MaxText {
			t.Fatalf("%d bytes of text, limit %d", res.Text(), lim.MaxText)
		}
		if res.Uncompressed > lim.MaxUncompressed {
			t.Fatalf("%d bytes decompressed, limit %d", res.Uncompressed, lim.MaxUncompressed)
		}
		for _, p := range res.Parts {
			if !utf8.ValidString(p.Text) || !utf8.ValidString(p.Path) {
				t.Fatalf("part %q: invalid UTF-8", p.Path)
			}
		}
		for _, im := range res.Images {
			if int64(im.Width)*int64(im.Height) > lim.MaxImagePixels {
				t.Fatalf("image %s of %dx%d passed", im.Path, im.Width, im.Height)
			}
			rc, err := im.Open()
			if err != nil {
				t.Fatalf("open %s: %v", im.Path, err)
			}
			// A fuzzed member may be corrupt and fail mid-read; only that
			// reading it neither panics nor hangs is under test here.
			_, _ = io.Copy(io.Discard, io.LimitReader(rc, 64<<20))
			rc.Close()
		}
	})
}
