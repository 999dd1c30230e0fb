package exif

import (
	"encoding/binary"
	"math"
)

// Tags read, by directory.
const (
	tagArtist       = 0x013b
	tagCopyright    = 0x8298
	tagExifIFD      = 0x8769
	tagGPSIFD       = 0x8825
	tagXPComment    = 0x9c9c
	tagXPAuthor     = 0x9c9d
	tagCameraSerial = 0xc62f // DNG, in IFD0

	tagUserComment   = 0x9286
	tagImageUniqueID = 0xa420
	tagCameraOwner   = 0xa430
	tagBodySerial    = 0xa431
	tagLensSerial    = 0xa435

	tagGPSLatitudeRef  = 1
	tagGPSLatitude     = 2
	tagGPSLongitudeRef = 3
	tagGPSLongitude    = 4
)

// Field types and their sizes in bytes.
var typeSize = [...]uint64{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

const (
	typeRational  = 5
	typeSRational = 10
)

type ifdKind uint8

const (
	mainIFD ifdKind = iota // IFD0 and the directories chained after it
	exifIFD
	gpsIFD
)

var kindNames = [...]string{"image", "Exif", "GPS"}

type parser struct {
	b    []byte
	bo   binary.ByteOrder
	md   Metadata
	err  error
	seen []uint32
	gps  struct {
		latRef, lonRef byte
		lat, lon       []byte // three rationals each
	}
}

// ParseTIFF reports the personal metadata in EXIF data: a TIFF header (II
// or MM, then 42) and its image file directories, with the offsets counted
// from the header, as the EXIF blocks of JPEG, PNG and WebP files hold it.
func ParseTIFF(b []byte) (Metadata, error) {
	p := parser{b: b}
	if len(b) < 8 {
		return p.md, malformed("tiff: %d bytes, too short for a header", len(b))
	}
	switch string(b[:2]) {
	case "II":
		p.bo = binary.LittleEndian
	case "MM":
		p.bo = binary.BigEndian
	default:
		return p.md, malformed("tiff: byte order %q is neither II nor MM", b[:2])
	}
	if p.bo.Uint16(b[2:]) != 42 {
		return p.md, malformed("tiff: magic number %d, want 42", p.bo.Uint16(b[2:]))
	}
	type pending struct {
		off  uint32
		kind ifdKind
	}
	queue := []pending{{p.bo.Uint32(b[4:]), mainIFD}}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		if len(p.seen) == maxIFDs {
			p.fail("tiff: more than %d directories", maxIFDs)
			break
		}
		if next.off == 0 && next.kind == mainIFD {
			continue // end of the chain
		}
		if !p.visit(next.off) {
			p.fail("tiff: the %s directory at offset %d was already read (offset loop)", kindNames[next.kind], next.off)
			continue
		}
		nextIFD, exif, gps := p.readIFD(next.off, next.kind)
		if nextIFD != 0 {
			queue = append(queue, pending{nextIFD, mainIFD})
		}
		if exif != 0 {
			queue = append(queue, pending{exif, exifIFD})
		}
		if gps != 0 {
			queue = append(queue, pending{gps, gpsIFD})
		}
	}
	p.position()
	return p.md, p.err
}

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = malformed(format, args...)
	}
}

func (p *parser) visit(off uint32) bool {
	for _, s := range p.seen {
		if s == off {
			return false
		}
	}
	p.seen = append(p.seen, off)
	return true
}

// readIFD reads the directory at off and returns the offsets it points to:
// the next directory in the chain (main directories only), the Exif and
// the GPS directories (from IFD0). Zero means none.
func (p *parser) readIFD(off uint32, kind ifdKind) (next, exif, gps uint32) {
	name := kindNames[kind]
	if uint64(off)+2 > uint64(len(p.b)) {
		p.fail("tiff: the %s directory offset %d is outside the %d bytes of EXIF", name, off, len(p.b))
		return 0, 0, 0
	}
	n := uint64(p.bo.Uint16(p.b[off:]))
	if n > maxEntries {
		p.fail("tiff: the %s directory at offset %d has %d entries, over the limit of %d", name, off, n, maxEntries)
		return 0, 0, 0
	}
	start := uint64(off) + 2
	end := start + 12*n
	if end > uint64(len(p.b)) {
		p.fail("tiff: the %s directory at offset %d runs past the end of the EXIF", name, off)
		return 0, 0, 0
	}
	for e := start; e < end; e += 12 {
		entry := p.b[e : e+12]
		tag, typ, count := p.bo.Uint16(entry), p.bo.Uint16(entry[2:]), p.bo.Uint32(entry[4:])
		switch kind {
		case mainIFD:
			switch tag {
			case tagExifIFD, tagGPSIFD:
				if typ != 4 && typ != 13 || count != 1 { // LONG or IFD
					p.fail("tiff: the %s directory pointer at offset %d has type %d, count %d", name, e, typ, count)
					continue
				}
				if tag == tagExifIFD {
					exif = p.bo.Uint32(entry[8:])
				} else {
					gps = p.bo.Uint32(entry[8:])
				}
			case tagArtist:
				p.text(Artist, typ, count, entry)
			case tagCopyright:
				p.text(Copyright, typ, count, entry)
			case tagXPAuthor:
				p.text(XPAuthor, typ, count, entry)
			case tagXPComment:
				p.text(XPComment, typ, count, entry)
			case tagCameraSerial:
				p.text(BodySerial, typ, count, entry)
			}
		case exifIFD:
			switch tag {
			case tagUserComment:
				// Eight bytes name the character code, then the comment.
				if v, ok := p.value(typ, count, entry); ok && len(v) > 8 && !blank(v[8:]) {
					p.md.Fields |= Fields(UserComment)
				}
			case tagImageUniqueID:
				p.text(ImageUniqueID, typ, count, entry)
			case tagCameraOwner:
				p.text(CameraOwner, typ, count, entry)
			case tagBodySerial:
				p.text(BodySerial, typ, count, entry)
			case tagLensSerial:
				p.text(LensSerial, typ, count, entry)
			}
		case gpsIFD:
			switch tag {
			case tagGPSLatitudeRef, tagGPSLongitudeRef:
				if v, ok := p.value(typ, count, entry); ok && len(v) > 0 {
					if tag == tagGPSLatitudeRef {
						p.gps.latRef = v[0]
					} else {
						p.gps.lonRef = v[0]
					}
				}
			case tagGPSLatitude, tagGPSLongitude:
				p.md.Fields |= Fields(GPS)
				v, ok := p.value(typ, count, entry)
				if !ok {
					continue
				}
				if typ != typeRational && typ != typeSRational || count != 3 {
					p.fail("tiff: GPS coordinate of type %d, count %d; want 3 rationals", typ, count)
					continue
				}
				if tag == tagGPSLatitude {
					p.gps.lat = v
				} else {
					p.gps.lon = v
				}
			}
		}
	}
	if kind == mainIFD && end+4 <= uint64(len(p.b)) {
		next = p.bo.Uint32(p.b[end:])
	}
	return next, exif, gps
}

// value returns the bytes of an entry's value: in the entry itself when
// they fit in 4 bytes, else at the offset it holds.
func (p *parser) value(typ uint16, count uint32, entry []byte) ([]byte, bool) {
	if int(typ) >= len(typeSize) || typeSize[typ] == 0 {
		p.fail("tiff: tag 0x%04x has unknown type %d", p.bo.Uint16(entry), typ)
		return nil, false
	}
	size := typeSize[typ] * uint64(count)
	if size <= 4 {
		return entry[8 : 8+size], true
	}
	off := uint64(p.bo.Uint32(entry[8:]))
	if off+size > uint64(len(p.b)) {
		p.fail("tiff: the value of tag 0x%04x (%d bytes at offset %d) is outside the %d bytes of EXIF",
			p.bo.Uint16(entry), size, off, len(p.b))
		return nil, false
	}
	return p.b[off : off+size], true
}

// text marks f present when the entry's value is not blank.
func (p *parser) text(f Field, typ uint16, count uint32, entry []byte) {
	if v, ok := p.value(typ, count, entry); ok && !blank(v) {
		p.md.Fields |= Fields(f)
	}
}

// blank reports whether v holds only NULs and white space (in ASCII or
// UTF-16 code units of either byte order).
func blank(v []byte) bool {
	for _, c := range v {
		switch c {
		case 0, ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	return true
}

// position decodes the GPS coordinates once all directories are read.
func (p *parser) position() {
	if p.gps.lat == nil || p.gps.lon == nil {
		return
	}
	lat, ok1 := p.degrees(p.gps.lat)
	lon, ok2 := p.degrees(p.gps.lon)
	if !ok1 || !ok2 {
		return
	}
	if p.gps.latRef == 'S' || p.gps.latRef == 's' {
		lat = -lat
	}
	if p.gps.lonRef == 'W' || p.gps.lonRef == 'w' {
		lon = -lon
	}
	if math.Abs(lat) > 90 || math.Abs(lon) > 180 {
		return
	}
	p.md.Position = &Position{Latitude: lat, Longitude: lon}
}

// degrees reads degrees, minutes and seconds as three rationals. A 0/0
// part counts as 0, as some cameras write it for an unknown part.
func (p *parser) degrees(v []byte) (float64, bool) {
	var d float64
	scale := 1.0
	for i := range 3 {
		num, den := p.bo.Uint32(v[8*i:]), p.bo.Uint32(v[8*i+4:])
		switch {
		case den != 0:
			d += float64(num) / float64(den) / scale
		case num != 0:
			return 0, false
		}
		scale *= 60
	}
	return d, !math.IsNaN(d) && !math.IsInf(d, 0)
}
