package extract

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/fixture"
)

// Fixtures are built by the tests with the standard library.

func mkgzip(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func mktar(tb testing.TB, files ...fixture.File) []byte {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: 0o644, Size: int64(len(f.Data)), Typeflag: tar.TypeReg}); err != nil {
			tb.Fatal(err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>%s</Types>`

func mkdocx(tb testing.TB, paras []string, extra ...fixture.File) []byte {
	var body strings.Builder
	for _, p := range paras {
		// Split each paragraph into two runs, as Word does.
		h := len(p) / 2
		fmt.Fprintf(&body, `<w:p><w:r><w:t>%s</w:t></w:r><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>`, xmlEscape(p[:h]), xmlEscape(p[h:]))
	}
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` +
		body.String() + `<w:sectPr/></w:body></w:document>`
	files := []fixture.File{
		{Name: "[Content_Types].xml", Data: []byte(fmt.Sprintf(contentTypes, `<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>`))},
		{Name: "_rels/.rels", Data: []byte(`<Relationships/>`)},
		{Name: "word/document.xml", Data: []byte(doc)},
		{Name: "word/styles.xml", Data: []byte(`<w:styles><w:style><w:name w:val="Normal"/><w:t>NOTTEXT</w:t></w:style></w:styles>`)},
	}
	return fixture.Zip(tb, append(files, extra...)...)
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func mkxlsx(tb testing.TB, cells ...string) []byte {
	var sst strings.Builder
	for _, c := range cells {
		fmt.Fprintf(&sst, `<si><t>%s</t></si>`, xmlEscape(c))
	}
	return fixture.Zip(tb,
		fixture.File{Name: "[Content_Types].xml", Data: []byte(fmt.Sprintf(contentTypes, ""))},
		fixture.File{Name: "xl/workbook.xml", Data: []byte(`<workbook><sheets><sheet name="Sheet1"/></sheets></workbook>`)},
		fixture.File{Name: "xl/sharedStrings.xml", Data: []byte(`<sst>` + sst.String() + `</sst>`)},
		fixture.File{Name: "xl/worksheets/sheet1.xml", Data: []byte(`<worksheet><sheetData><row><c t="s"><v>0</v></c><c t="inlineStr"><is><t>inline cell</t></is></c></row></sheetData></worksheet>`)},
	)
}

func mkpptx(tb testing.TB, text string) []byte {
	return fixture.Zip(tb,
		fixture.File{Name: "[Content_Types].xml", Data: []byte(fmt.Sprintf(contentTypes, ""))},
		fixture.File{Name: "ppt/presentation.xml", Data: []byte(`<p:presentation/>`)},
		fixture.File{Name: "ppt/slides/slide1.xml", Data: []byte(`<p:sld><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>` + xmlEscape(text) + `</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`)},
	)
}

func mkodt(tb testing.TB, text string, extra ...fixture.File) []byte {
	files := []fixture.File{
		{Name: "mimetype", Data: []byte(TypeODT), Stored: true},
		{Name: "META-INF/manifest.xml", Data: []byte(`<manifest:manifest/>`)},
		{Name: "content.xml", Data: []byte(`<?xml version="1.0"?><office:document-content><office:body><office:text><text:h>Title</text:h><text:p>` +
			xmlEscape(text) + `<text:s/>end</text:p></office:text></office:body></office:document-content>`)},
		{Name: "styles.xml", Data: []byte(`<office:document-styles>NOTTEXT</office:document-styles>`)},
	}
	return fixture.Zip(tb, append(files, extra...)...)
}

// pdfPage is the text of one page, shown line by line.
type pdfOpts struct {
	pages      [][]string
	compress   bool
	noTrailer  bool // cut the cross-reference table and trailer off
	toUnicode  bool // show text as 2-byte codes through a ToUnicode CMap
	jpeg       []byte
	encrypt    bool
	javascript bool
}

// mkpdf writes a PDF by hand: catalog, page tree, one content stream per
// page, a Helvetica font (or a Type0 font with a ToUnicode map), an
// optional JPEG image on page 1, and a correct cross-reference table.
func mkpdf(tb testing.TB, o pdfOpts) []byte {
	tb.Helper()
	var b bytes.Buffer
	var offs []int
	obj := func(body string) int {
		offs = append(offs, b.Len())
		n := len(offs)
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
		return n
	}
	stream := func(dict string, data []byte) int {
		offs = append(offs, b.Len())
		n := len(offs)
		fmt.Fprintf(&b, "%d 0 obj\n<< %s /Length %d >>\nstream\n", n, dict, len(data))
		b.Write(data)
		b.WriteString("\nendstream\nendobj\n")
		return n
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	catalog := obj("") // placeholder numbers: 1 catalog, 2 pages
	pagesObj := obj("")
	var font int
	if o.toUnicode {
		cmap := "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n" +
			"1 beginbfrange <0020> <007E> <0020> endbfrange\n2 beginbfchar <0100> <00E9> <0101> <D83DDE00> endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end"
		tu := stream("", []byte(cmap))
		font = obj(fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /Foo /Encoding /Identity-H /ToUnicode %d 0 R >>", tu))
	} else {
		font = obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	}
	var img int
	if o.jpeg != nil {
		cfg, _ := jpeg.DecodeConfig(bytes.NewReader(o.jpeg))
		img = stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode", cfg.Width, cfg.Height), o.jpeg)
	}
	var kids []string
	for i, lines := range o.pages {
		var cs strings.Builder
		cs.WriteString("BT /F1 12 Tf 72 720 Td 14 TL\n")
		for _, l := range lines {
			if o.toUnicode {
				var h strings.Builder
				for _, r := range l {
					switch r {
					case 'é':
						h.WriteString("0100")
					case '😀':
						h.WriteString("0101")
					default:
						fmt.Fprintf(&h, "%04X", r)
					}
				}
				fmt.Fprintf(&cs, "<%s> Tj T*\n", h.String())
				continue
			}
			esc := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(l)
			// Split the line into a TJ array with kerning, as producers do.
			h := len(esc) / 2
			for h > 0 && esc[h-1] == '\\' {
				h--
			}
			fmt.Fprintf(&cs, "[(%s) -20 (%s)] TJ T*\n", esc[:h], esc[h:])
		}
		cs.WriteString("ET\n")
		if i == 0 && img != 0 {
			cs.WriteString("q 100 0 0 100 72 72 cm /Im0 Do Q\n")
		}
		data := []byte(cs.String())
		dict := ""
		if o.compress {
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			if _, err := zw.Write(data); err != nil {
				tb.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				tb.Fatal(err)
			}
			data, dict = z.Bytes(), "/Filter /FlateDecode"
		}
		content := stream(dict, data)
		res := fmt.Sprintf("<< /Font << /F1 %d 0 R >>", font)
		if img != 0 {
			res += fmt.Sprintf(" /XObject << /Im0 %d 0 R >>", img)
		}
		res += " >>"
		kids = append(kids, fmt.Sprintf("%d 0 R", obj(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources %s /Contents %d 0 R >>", pagesObj, res, content))))
	}
	// Fill in the catalog and page tree by appending new versions (an
	// incremental-update style redefinition keeps the offsets simple).
	js := ""
	if o.javascript {
		js = fmt.Sprintf(" /OpenAction %d 0 R", obj("<< /S /JavaScript /JS (app.alert\\('hi'\\)) >>"))
	}
	offs[catalog-1] = b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /Catalog /Pages %d 0 R%s >>\nendobj\n", catalog, pagesObj, js)
	offs[pagesObj-1] = b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n", pagesObj, strings.Join(kids, " "), len(kids))
	enc := ""
	if o.encrypt {
		enc = fmt.Sprintf(" /Encrypt %d 0 R", obj("<< /Filter /Standard /V 1 /R 2 /O (x) /U (y) /P -4 >>"))
	}
	if o.noTrailer {
		return b.Bytes()
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, off := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, catalog, enc, xref)
	return b.Bytes()
}

func mkimage(tb testing.TB, kind string, w, h int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), uint8(x ^ y), 255})
		}
	}
	switch kind {
	case "png":
		return fixture.PNG(tb, img)
	case "jpeg":
		return fixture.JPEG(tb, img, 80)
	case "gif":
		return fixture.GIF(tb, img)
	}
	tb.Fatalf("no image kind %q", kind)
	return nil
}

func machoFat() []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b, 0xcafebabe)
	binary.BigEndian.PutUint32(b[4:], 2)
	return b
}

func machoThin() []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b, 0xfeedfacf)
	return b
}

func javaClass() []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b, 0xcafebabe)
	binary.BigEndian.PutUint32(b[4:], 61) // minor 0, major 61
	return b
}

func utf16le(s string) []byte {
	b := []byte{0xff, 0xfe}
	for _, r := range s {
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	return b
}

// overlapZip is a "zbsm"-style archive: two central directory entries whose
// data overlap (both point at the same local file).
func overlapZip(tb testing.TB) []byte {
	one := fixture.Zip(tb, fixture.File{Name: "a.txt", Data: bytes.Repeat([]byte("a"), 1000)})
	// Find the central directory record and duplicate it.
	i := bytes.Index(one, []byte("PK\x01\x02"))
	j := bytes.Index(one, []byte("PK\x05\x06"))
	cd := one[i:j]
	eocd := append([]byte(nil), one[j:]...)
	var b bytes.Buffer
	b.Write(one[:i])
	b.Write(cd)
	cd2 := append([]byte(nil), cd...)
	cd2[46] = 'b' // name "b.txt"
	b.Write(cd2)
	binary.LittleEndian.PutUint16(eocd[8:], 2)
	binary.LittleEndian.PutUint16(eocd[10:], 2)
	binary.LittleEndian.PutUint32(eocd[12:], uint32(2*len(cd)))
	b.Write(eocd)
	return b.Bytes()
}

// lieSizes rewrites every declared uncompressed size of a ZIP to 1 byte,
// as a bomb would to pass a check of declared sizes.
func lieSizes(z []byte) []byte {
	z = append([]byte(nil), z...)
	for i := 0; ; {
		j := bytes.Index(z[i:], []byte("PK\x01\x02"))
		if j < 0 {
			break
		}
		binary.LittleEndian.PutUint32(z[i+j+24:], 1)
		i += j + 4
	}
	for i := 0; ; {
		j := bytes.Index(z[i:], []byte("PK\x07\x08"))
		if j < 0 {
			break
		}
		binary.LittleEndian.PutUint32(z[i+j+12:], 1)
		i += j + 4
	}
	return z
}

// lieISize sets a GZIP trailer's size to 1.
func lieISize(z []byte) []byte {
	z = append([]byte(nil), z...)
	binary.LittleEndian.PutUint32(z[len(z)-4:], 1)
	return z
}
