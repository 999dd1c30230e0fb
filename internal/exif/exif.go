package exif

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Field is one kind of personal metadata.
type Field uint16

// The fields Read looks for.
const (
	GPS           Field = 1 << iota // GPS latitude or longitude
	Artist                          // Artist (IFD0 0x013B)
	Copyright                       // Copyright owner (0x8298)
	CameraOwner                     // CameraOwnerName (Exif 0xA430)
	BodySerial                      // BodySerialNumber (Exif 0xA431), or DNG CameraSerialNumber (0xC62F)
	LensSerial                      // LensSerialNumber (Exif 0xA435)
	XPAuthor                        // Windows XPAuthor (0x9C9D)
	XPComment                       // Windows XPComment (0x9C9C)
	ImageUniqueID                   // ImageUniqueID (Exif 0xA420)
	UserComment                     // UserComment (Exif 0x9286)
)

var fieldNames = [...]string{"gps", "artist", "copyright", "camera_owner", "body_serial", "lens_serial",
	"xp_author", "xp_comment", "image_unique_id", "user_comment"}

// Fields is a set of fields.
type Fields uint16

// Has reports whether f is in the set.
func (s Fields) Has(f Field) bool { return s&Fields(f) != 0 }

// Names lists the fields in the set by their snake_case names ("gps",
// "artist", "body_serial", ...), in the order of the constants.
func (s Fields) Names() []string {
	var out []string
	for i, name := range fieldNames {
		if s.Has(Field(1) << i) {
			out = append(out, name)
		}
	}
	return out
}

// String joins the names with commas.
func (s Fields) String() string { return strings.Join(s.Names(), ",") }

// Metadata is what Read found.
type Metadata struct {
	Fields Fields
	// Position is set when the GPS latitude and longitude decode to a
	// position on Earth. Fields has GPS whenever either tag is present,
	// even if it does not decode.
	Position *Position
}

// Position is a GPS position in decimal degrees: north and east positive.
type Position struct {
	Latitude, Longitude float64
}

// Errors.
var (
	// ErrMalformed: the file or its EXIF is truncated or inconsistent.
	ErrMalformed = errors.New("exif: malformed metadata")
	// ErrUnsupported: the data is not a JPEG, PNG or WebP file.
	ErrUnsupported = errors.New("exif: not a JPEG, PNG or WebP file")
)

// Limits.
const (
	maxChunkEXIF = 1 << 20 // EXIF bytes read from a PNG or WebP chunk
	maxIFDs      = 8       // directories followed
	maxEntries   = 1000    // entries in one directory
	maxSegments  = 1 << 16 // JPEG segments, PNG or WebP chunks scanned
)

// Read reports the personal EXIF metadata of a JPEG, PNG or WebP file. It
// reads r up to the EXIF data in a JPEG (which comes before the image
// data) and to the end of a PNG or WebP. Data of another format gives
// ErrUnsupported; a file without EXIF gives an empty Metadata and no error.
func Read(r io.Reader) (Metadata, error) {
	br := bufio.NewReader(r)
	sig, _ := br.Peek(12)
	switch {
	case bytes.HasPrefix(sig, []byte{0xff, 0xd8}):
		return readJPEG(br)
	case bytes.HasPrefix(sig, []byte("\x89PNG\r\n\x1a\n")):
		return readPNG(br)
	case len(sig) == 12 && string(sig[:4]) == "RIFF" && string(sig[8:]) == "WEBP":
		return readWebP(br)
	}
	return Metadata{}, ErrUnsupported
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// merger collects the metadata of several EXIF blocks in one file.
type merger struct {
	md  Metadata
	err error
}

func (m *merger) add(tiff []byte) {
	md, err := ParseTIFF(tiff)
	m.md.Fields |= md.Fields
	if m.md.Position == nil {
		m.md.Position = md.Position
	}
	if m.err == nil {
		m.err = err
	}
}

func (m *merger) result(err error) (Metadata, error) {
	if m.err != nil {
		err = m.err
	}
	return m.md, err
}

// exifPrefix starts the EXIF APP1 segment of a JPEG, and some writers put
// it in front of the TIFF data of PNG and WebP chunks too.
const exifPrefix = "Exif\x00\x00"

func readJPEG(br *bufio.Reader) (Metadata, error) {
	var m merger
	if _, err := br.Discard(2); err != nil {
		return m.result(malformed("jpeg: %v", err))
	}
	for range maxSegments {
		b, err := br.ReadByte()
		if err != nil {
			return m.result(malformed("jpeg: no image data after the header"))
		}
		if b != 0xff {
			return m.result(malformed("jpeg: a segment does not start with a marker"))
		}
		marker, err := br.ReadByte()
		for err == nil && marker == 0xff { // fill bytes
			marker, err = br.ReadByte()
		}
		if err != nil {
			return m.result(malformed("jpeg: truncated marker"))
		}
		switch {
		case marker == 0xda || marker == 0xd9: // start of scan, end of image
			return m.result(nil)
		case marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7): // no length
			continue
		}
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return m.result(malformed("jpeg: truncated segment length"))
		}
		n := int(binary.BigEndian.Uint16(l[:])) - 2
		if n < 0 {
			return m.result(malformed("jpeg: segment length %d is below 2", n+2))
		}
		if marker != 0xe1 {
			if _, err := br.Discard(n); err != nil {
				return m.result(malformed("jpeg: truncated segment"))
			}
			continue
		}
		seg := make([]byte, n)
		if _, err := io.ReadFull(br, seg); err != nil {
			return m.result(malformed("jpeg: truncated APP1 segment"))
		}
		if tiff, ok := bytes.CutPrefix(seg, []byte(exifPrefix)); ok {
			m.add(tiff)
		}
	}
	return m.result(malformed("jpeg: more than %d segments before the image data", maxSegments))
}

func readPNG(br *bufio.Reader) (Metadata, error) {
	var m merger
	if _, err := br.Discard(8); err != nil {
		return m.result(malformed("png: %v", err))
	}
	for range maxSegments {
		var h [8]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return m.result(malformed("png: truncated before IEND"))
		}
		n := binary.BigEndian.Uint32(h[:4])
		typ := string(h[4:])
		if n > math.MaxInt32 {
			return m.result(malformed("png: %q chunk length %d is over 2^31-1", typ, n))
		}
		switch typ {
		case "IEND":
			return m.result(nil)
		case "eXIf":
			if n > maxChunkEXIF {
				return m.result(malformed("png: eXIf chunk of %d bytes is over the %d-byte limit", n, maxChunkEXIF))
			}
			data := make([]byte, n)
			if _, err := io.ReadFull(br, data); err != nil {
				return m.result(malformed("png: truncated eXIf chunk"))
			}
			data, _ = bytes.CutPrefix(data, []byte(exifPrefix))
			m.add(data)
			n = 0
		}
		if _, err := discard(br, int64(n)+4); err != nil { // data and CRC
			return m.result(malformed("png: truncated %q chunk", typ))
		}
	}
	return m.result(malformed("png: more than %d chunks", maxSegments))
}

func readWebP(br *bufio.Reader) (Metadata, error) {
	var m merger
	if _, err := br.Discard(12); err != nil {
		return m.result(malformed("webp: %v", err))
	}
	for range maxSegments {
		var h [8]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			if errors.Is(err, io.EOF) { // chunks end with the file
				return m.result(nil)
			}
			return m.result(malformed("webp: truncated chunk header"))
		}
		typ, n := string(h[:4]), int64(binary.LittleEndian.Uint32(h[4:]))
		pad := n & 1
		if typ == "EXIF" {
			if n > maxChunkEXIF {
				return m.result(malformed("webp: EXIF chunk of %d bytes is over the %d-byte limit", n, maxChunkEXIF))
			}
			data := make([]byte, n)
			if _, err := io.ReadFull(br, data); err != nil {
				return m.result(malformed("webp: truncated EXIF chunk"))
			}
			data, _ = bytes.CutPrefix(data, []byte(exifPrefix))
			m.add(data)
			n = 0
		}
		if _, err := discard(br, n+pad); err != nil {
			return m.result(malformed("webp: truncated %q chunk", typ))
		}
	}
	return m.result(malformed("webp: more than %d chunks", maxSegments))
}

// discard skips n bytes.
func discard(br *bufio.Reader, n int64) (int64, error) {
	got, err := io.CopyN(io.Discard, br, n)
	if err == nil && got < n {
		err = io.ErrUnexpectedEOF
	}
	return got, err
}
