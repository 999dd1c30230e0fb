package exif

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// order writes and reads integers in one byte order.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// entry is one directory entry of a hand-built EXIF block. Its value is
// data, already in the block's byte order, or, when ifd > 0, the offset of
// directory ifd (a LONG pointer).
type entry struct {
	tag   uint16
	typ   uint16
	count uint32
	data  []byte
	ifd   int
}

// dir is a directory: its entries and the index of the directory chained
// after it (0 for none).
type dir struct {
	entries []entry
	next    int
}

// tiff lays out a TIFF header, the directories in order (directory 0 at
// offset 8) and then the values that do not fit in their entries.
func tiff(bo order, dirs []dir) []byte {
	offs := make([]uint32, len(dirs))
	off := uint32(8)
	for i, d := range dirs {
		offs[i] = off
		off += 2 + 12*uint32(len(d.entries)) + 4
	}
	var head, data bytes.Buffer
	if bo.String() == "LittleEndian" {
		head.WriteString("II")
	} else {
		head.WriteString("MM")
	}
	head.Write(bo.AppendUint16(nil, 42))
	head.Write(bo.AppendUint32(nil, 8))
	for _, d := range dirs {
		head.Write(bo.AppendUint16(nil, uint16(len(d.entries))))
		for _, e := range d.entries {
			head.Write(bo.AppendUint16(nil, e.tag))
			head.Write(bo.AppendUint16(nil, e.typ))
			head.Write(bo.AppendUint32(nil, e.count))
			switch {
			case e.ifd > 0:
				head.Write(bo.AppendUint32(nil, offs[e.ifd]))
			case len(e.data) <= 4:
				v := make([]byte, 4)
				copy(v, e.data)
				head.Write(v)
			default:
				head.Write(bo.AppendUint32(nil, off+uint32(data.Len())))
				data.Write(e.data)
			}
		}
		next := uint32(0)
		if d.next > 0 {
			next = offs[d.next]
		}
		head.Write(bo.AppendUint32(nil, next))
	}
	return append(head.Bytes(), data.Bytes()...)
}

func ascii(tag uint16, s string) entry {
	return entry{tag: tag, typ: 2, count: uint32(len(s) + 1), data: []byte(s + "\x00")}
}

func undefined(tag uint16, b []byte) entry {
	return entry{tag: tag, typ: 7, count: uint32(len(b)), data: b}
}

// utf16le encodes s for the XP* tags (type BYTE, UTF-16LE, NUL-terminated).
func utf16le(tag uint16, s string) entry {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	b = append(b, 0, 0)
	return entry{tag: tag, typ: 1, count: uint32(len(b)), data: b}
}

func rationals(bo order, tag uint16, parts ...uint32) entry {
	var b []byte
	for _, p := range parts {
		b = bo.AppendUint32(b, p)
	}
	return entry{tag: tag, typ: typeRational, count: uint32(len(parts) / 2), data: b}
}

func pointer(tag uint16, ifd int) entry { return entry{tag: tag, typ: 4, count: 1, ifd: ifd} }

// gpsDirs is IFD0 pointing to a GPS directory with 51°30'26.5"N 0°7'39.9"W.
func gpsDirs(bo order) []dir {
	return []dir{
		{entries: []entry{ascii(0x010f, "Camera maker"), pointer(tagGPSIFD, 1)}},
		{entries: []entry{
			ascii(tagGPSLatitudeRef, "N"),
			rationals(bo, tagGPSLatitude, 51, 1, 30, 1, 265, 10),
			ascii(tagGPSLongitudeRef, "W"),
			rationals(bo, tagGPSLongitude, 0, 1, 7, 1, 3990, 1000),
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
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// withSegments inserts segments (marker, payload) after the SOI of a JPEG.
func withSegments(jpg []byte, segs ...[]byte) []byte {
	out := []byte{0xff, 0xd8}
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

func app1(payload []byte) []byte {
	seg := []byte{0xff, 0xe1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	return append(seg, payload...)
}

func exifJPEG(tb testing.TB, t []byte) []byte {
	return withSegments(smallJPEG(tb), app1(append([]byte(exifPrefix), t...)))
}

func smallPNG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.White)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	return binary.BigEndian.AppendUint32(b, crc.Sum32())
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
