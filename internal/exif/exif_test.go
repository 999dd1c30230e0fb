package exif

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/fixture"
)

var (
	le fixture.Order = binary.LittleEndian
	be fixture.Order = binary.BigEndian
)

const (
	wantLat = 51 + 30.0/60 + 26.5/3600
	wantLon = -(7.0/60 + 3.99/3600)
)

func TestParseTIFF(t *testing.T) {
	type tc struct {
		name   string
		data   []byte
		fields Fields
		pos    *Position
		err    string // "" for none, else text of the error
	}
	var cases []tc
	for _, bo := range []fixture.Order{le, be} {
		cases = append(cases,
			tc{"gps " + bo.String(), fixture.TIFF(bo, gpsDirs(bo)), Fields(GPS), &Position{wantLat, wantLon}, ""},
			tc{"personal fields " + bo.String(), fixture.TIFF(bo, []fixture.Dir{
				{Entries: []fixture.Entry{
					fixture.ASCII(0x010f, "Camera maker"), fixture.ASCII(tagArtist, "Jane Doe"), fixture.ASCII(tagCopyright, "(c) Jane Doe"),
					utf16le(tagXPAuthor, "Jane"), utf16le(tagXPComment, "holiday"), fixture.ASCII(tagCameraSerial, "DNG123"),
					fixture.Pointer(tagExifIFD, 1),
				}},
				{Entries: []fixture.Entry{
					undefined(tagUserComment, []byte("ASCII\x00\x00\x00at home")),
					fixture.ASCII(tagImageUniqueID, "0123456789abcdef0123456789abcdef"),
					fixture.ASCII(tagCameraOwner, "Jane Doe"),
					fixture.ASCII(tagBodySerial, "123456"),
					fixture.ASCII(tagLensSerial, "987"),
				}},
			}), Fields(Artist | Copyright | XPAuthor | XPComment | BodySerial | UserComment | ImageUniqueID | CameraOwner | LensSerial), nil, ""},
		)
	}
	cases = append(cases,
		tc{"nothing personal", fixture.TIFF(le, []fixture.Dir{{Entries: []fixture.Entry{fixture.ASCII(0x010f, "Maker"), fixture.ASCII(0x0110, "Model"),
			{Tag: 0x0112, Type: 3, Count: 1, Data: le.AppendUint16(nil, 1)}}}}), 0, nil, ""},
		tc{"blank values", fixture.TIFF(le, []fixture.Dir{
			{Entries: []fixture.Entry{fixture.ASCII(tagArtist, ""), fixture.ASCII(tagCopyright, "    "), utf16le(tagXPAuthor, "  "), fixture.Pointer(tagExifIFD, 1)}},
			{Entries: []fixture.Entry{
				undefined(tagUserComment, []byte("ASCII\x00\x00\x00        ")),
				undefined(tagUserComment, []byte("UNICODE\x00\x00\x00\x20\x00")),
				undefined(tagUserComment, make([]byte, 8)),
				fixture.ASCII(tagBodySerial, "\x00\x00\x00\x00\x00"),
			}},
		}), 0, nil, ""},
		tc{"unicode user comment", fixture.TIFF(le, []fixture.Dir{
			{Entries: []fixture.Entry{fixture.Pointer(tagExifIFD, 1)}},
			{Entries: []fixture.Entry{undefined(tagUserComment, []byte("UNICODE\x00h\x00i\x00"))}},
		}), Fields(UserComment), nil, ""},
		tc{"artist in the thumbnail directory", fixture.TIFF(be, []fixture.Dir{
			{Entries: []fixture.Entry{fixture.ASCII(0x010f, "Maker")}, Next: 1},
			{Entries: []fixture.Entry{fixture.ASCII(tagArtist, "J")}},
		}), Fields(Artist), nil, ""},
		tc{"short values inside the entry", fixture.TIFF(le, []fixture.Dir{{Entries: []fixture.Entry{fixture.ASCII(tagArtist, "Jo")}}}), Fields(Artist), nil, ""},
		tc{"south and east", fixture.TIFF(le, []fixture.Dir{
			{Entries: []fixture.Entry{fixture.Pointer(tagGPSIFD, 1)}},
			{Entries: []fixture.Entry{fixture.ASCII(tagGPSLatitudeRef, "S"), fixture.Rationals(le, tagGPSLatitude, 33, 1, 52, 1, 0, 0),
				fixture.ASCII(tagGPSLongitudeRef, "E"), fixture.Rationals(le, tagGPSLongitude, 151, 1, 12, 1, 30, 1)}},
		}), Fields(GPS), &Position{-(33 + 52.0/60), 151 + 12.0/60 + 30.0/3600}, ""},
		tc{"gps without a position", fixture.TIFF(le, []fixture.Dir{
			{Entries: []fixture.Entry{fixture.Pointer(tagGPSIFD, 1)}},
			{Entries: []fixture.Entry{fixture.ASCII(tagGPSLatitudeRef, "N"), fixture.Rationals(le, tagGPSLatitude, 51, 0, 30, 1, 0, 1),
				fixture.Rationals(le, tagGPSLongitude, 0, 1, 0, 1, 0, 1)}},
		}), Fields(GPS), nil, ""},
		tc{"latitude beyond the pole", fixture.TIFF(le, []fixture.Dir{
			{Entries: []fixture.Entry{fixture.Pointer(tagGPSIFD, 1)}},
			{Entries: []fixture.Entry{fixture.Rationals(le, tagGPSLatitude, 95, 1, 0, 1, 0, 1), fixture.Rationals(le, tagGPSLongitude, 1, 1, 0, 1, 0, 1)}},
		}), Fields(GPS), nil, ""},
		tc{"only a timestamp in the gps directory", fixture.TIFF(le, []fixture.Dir{
			{Entries: []fixture.Entry{fixture.Pointer(tagGPSIFD, 1)}},
			{Entries: []fixture.Entry{fixture.Rationals(le, 7, 12, 1, 0, 1, 0, 1)}},
		}), 0, nil, ""},
		// Damage.
		tc{"empty", nil, 0, nil, "too short"},
		tc{"bad byte order", []byte("XX\x00\x2a\x00\x00\x00\x08"), 0, nil, "neither II nor MM"},
		tc{"bad magic", []byte("II\x2b\x00\x08\x00\x00\x00"), 0, nil, "magic number 43"},
		tc{"ifd0 outside", []byte("II\x2a\x00\xff\xff\x00\x00"), 0, nil, "outside the 8 bytes"},
		tc{"loop ifd0 to itself", loopTIFF(), Fields(Artist), nil, "offset loop"},
		tc{"exif pointer to ifd0", exifToIFD0(), Fields(Artist), nil, "offset loop"},
		tc{"exif and gps pointers to one directory", fixture.TIFF(le, []fixture.Dir{
			{Entries: []fixture.Entry{fixture.Pointer(tagExifIFD, 1), fixture.Pointer(tagGPSIFD, 1)}},
			{Entries: []fixture.Entry{fixture.ASCII(tagCameraOwner, "Jane")}},
		}), Fields(CameraOwner), nil, "already read"},
		tc{"too many entries", tooManyEntries(), 0, nil, "65535 entries, over the limit of 1000"},
		tc{"directory runs past the end", fixture.TIFF(le, []fixture.Dir{{Entries: []fixture.Entry{fixture.ASCII(tagArtist, "Jane")}}})[:20], 0, nil, "runs past the end"},
		tc{"value outside", valueOutside(), 0, nil, "outside the"},
		tc{"huge count", hugeCount(), 0, nil, "outside the"},
		tc{"unknown type", fixture.TIFF(le, []fixture.Dir{{Entries: []fixture.Entry{{Tag: tagArtist, Type: 99, Count: 1}}}}), 0, nil, "unknown type 99"},
		tc{"gps with one rational", fixture.TIFF(le, []fixture.Dir{
			{Entries: []fixture.Entry{fixture.Pointer(tagGPSIFD, 1)}},
			{Entries: []fixture.Entry{fixture.Rationals(le, tagGPSLatitude, 51, 1), fixture.Rationals(le, tagGPSLongitude, 1, 1, 0, 1, 0, 1)}},
		}), Fields(GPS), nil, "want 3 rationals"},
		tc{"gps pointer of the wrong type", fixture.TIFF(le, []fixture.Dir{
			{Entries: []fixture.Entry{{Tag: tagGPSIFD, Type: 3, Count: 1, Data: le.AppendUint16(nil, 8)}}},
		}), 0, nil, "has type 3"},
		tc{"long chain", longChain(20), Fields(Artist), nil, "more than 8 directories"},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md, err := ParseTIFF(tc.data)
			if tc.err == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want ErrMalformed saying %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "Jane") {
					t.Errorf("error %q shows a value", err)
				}
			}
			if md.Fields != tc.fields {
				t.Errorf("fields %v, want %v", md.Fields, tc.fields)
			}
			switch {
			case tc.pos == nil && md.Position != nil:
				t.Errorf("position %+v, want none", *md.Position)
			case tc.pos != nil && md.Position == nil:
				t.Errorf("no position, want %+v", *tc.pos)
			case tc.pos != nil && (math.Abs(md.Position.Latitude-tc.pos.Latitude) > 1e-9 ||
				math.Abs(md.Position.Longitude-tc.pos.Longitude) > 1e-9):
				t.Errorf("position %+v, want %+v", *md.Position, *tc.pos)
			}
		})
	}
}

// loopTIFF: IFD0 holds an Artist and chains to itself.
func loopTIFF() []byte {
	b := fixture.TIFF(le, []fixture.Dir{{Entries: []fixture.Entry{fixture.ASCII(tagArtist, "Jane")}}})
	le.PutUint32(b[8+2+12:], 8)
	return b
}

// exifToIFD0: IFD0 holds an Artist and an Exif pointer to itself.
func exifToIFD0() []byte {
	b := fixture.TIFF(le, []fixture.Dir{{Entries: []fixture.Entry{fixture.ASCII(tagArtist, "Jane"), fixture.Pointer(tagExifIFD, 1)}}, {}})
	le.PutUint32(b[8+2+12+8:], 8)
	return b
}

func tooManyEntries() []byte {
	b := fixture.TIFF(le, []fixture.Dir{{Entries: []fixture.Entry{fixture.ASCII(tagArtist, "Jane")}}})
	le.PutUint16(b[8:], 0xffff)
	return b
}

func valueOutside() []byte {
	b := fixture.TIFF(le, []fixture.Dir{{Entries: []fixture.Entry{fixture.ASCII(tagArtist, "Jane Doe")}}})
	le.PutUint32(b[8+2+8:], 1000)
	return b
}

func hugeCount() []byte {
	b := fixture.TIFF(be, []fixture.Dir{{Entries: []fixture.Entry{fixture.Rationals(be, tagArtist, 1, 2)}}})
	be.PutUint32(b[8+2+4:], 0xffffffff)
	return b
}

// longChain is n directories chained one after the other, the last with
// an Artist.
func longChain(n int) []byte {
	dirs := make([]fixture.Dir, n)
	for i := range dirs {
		dirs[i] = fixture.Dir{Entries: []fixture.Entry{fixture.ASCII(0x010f, "Maker")}, Next: i + 1}
	}
	dirs[0].Entries = append(dirs[0].Entries, fixture.ASCII(tagArtist, "J"))
	dirs[n-1].Next = 0
	return fixture.TIFF(le, dirs)
}

func TestRead(t *testing.T) {
	gps := fixture.TIFF(be, gpsDirs(be))
	artist := fixture.TIFF(le, []fixture.Dir{{Entries: []fixture.Entry{fixture.ASCII(tagArtist, "Jane Doe")}}})
	jpg := smallJPEG(t)
	cases := []struct {
		name   string
		data   []byte
		fields Fields
		pos    bool
		err    error
	}{
		{"jpeg with gps", exifJPEG(t, gps), Fields(GPS), true, nil},
		{"jpeg without exif", jpg, 0, false, nil},
		{"jpeg with xmp and exif", fixture.WithSegments(jpg, fixture.APP1([]byte("http://ns.adobe.com/xap/1.0/\x00<x/>")),
			fixture.APP1(append([]byte(exifPrefix), artist...))), Fields(Artist), false, nil},
		{"jpeg with two exif segments", fixture.WithSegments(jpg, fixture.APP1(append([]byte(exifPrefix), artist...)),
			fixture.APP1(append([]byte(exifPrefix), gps...))), Fields(Artist | GPS), true, nil},
		{"jpeg with fill bytes and restart markers", fixture.WithSegments(jpg, []byte{0xff, 0xff, 0xff, 0xd0},
			fixture.APP1(append([]byte(exifPrefix), artist...))), Fields(Artist), false, nil},
		{"jpeg exif after the image data is not read", append(jpg[:len(jpg)-2], fixture.APP1(append([]byte(exifPrefix), artist...))...), 0, false, nil},
		{"jpeg truncated in the exif", exifJPEG(t, gps)[:40], 0, false, ErrMalformed},
		{"jpeg truncated in the header", jpg[:30], 0, false, ErrMalformed},
		{"jpeg segment length 1", fixture.WithSegments(jpg, []byte{0xff, 0xe0, 0x00, 0x01}), 0, false, ErrMalformed},
		{"jpeg garbage between segments", fixture.WithSegments(jpg, []byte{0x00}), 0, false, ErrMalformed},
		{"jpeg with broken exif keeps what it found", exifJPEG(t, loopTIFF()), Fields(Artist), false, ErrMalformed},
		{"png with eXIf", exifPNG(t, fixture.PNGChunk("eXIf", gps)), Fields(GPS), true, nil},
		{"png with prefixed eXIf", exifPNG(t, fixture.PNGChunk("eXIf", append([]byte(exifPrefix), artist...))), Fields(Artist), false, nil},
		{"png without exif", smallPNG(t), 0, false, nil},
		{"png eXIf over the limit", exifPNG(t, binary.BigEndian.AppendUint32(nil, 2<<20))[:60], 0, false, ErrMalformed},
		{"png chunk length over 2^31", exifPNG(t, []byte("\xff\xff\xff\xfftEXt")), 0, false, ErrMalformed},
		{"png truncated", smallPNG(t)[:40], 0, false, ErrMalformed},
		{"webp with EXIF", webp([2]string{"VP8X", "0123456789"}, [2]string{"VP8 ", "abc"}, [2]string{"EXIF", string(gps)}), Fields(GPS), true, nil},
		{"webp without EXIF", webp([2]string{"VP8 ", "abcde"}), 0, false, nil},
		{"webp truncated", webp([2]string{"EXIF", string(gps)})[:30], 0, false, ErrMalformed},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), 0, false, ErrUnsupported},
		{"text", []byte("hello"), 0, false, ErrUnsupported},
		{"empty", nil, 0, false, ErrUnsupported},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md, err := Read(bytes.NewReader(tc.data))
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if md.Fields != tc.fields {
				t.Errorf("fields %v, want %v", md.Fields, tc.fields)
			}
			if (md.Position != nil) != tc.pos {
				t.Errorf("position %v, want one: %v", md.Position, tc.pos)
			}
			if tc.pos && math.Abs(md.Position.Latitude-wantLat) > 1e-9 {
				t.Errorf("latitude %v, want %v", md.Position.Latitude, wantLat)
			}
		})
	}
}

func TestReadWebPLimit(t *testing.T) {
	b := webp([2]string{"EXIF", ""})
	binary.LittleEndian.PutUint32(b[16:], 2<<20)
	if _, err := Read(bytes.NewReader(b)); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "over the 1048576-byte limit") {
		t.Errorf("error %v", err)
	}
}

func TestFields(t *testing.T) {
	s := Fields(GPS | LensSerial | UserComment)
	if got := s.String(); got != "gps,lens_serial,user_comment" {
		t.Errorf("String() = %q", got)
	}
	if !s.Has(GPS) || s.Has(Artist) {
		t.Error("Has")
	}
	if len(fieldNames) != 10 || Fields(UserComment<<1).String() != "" {
		t.Error("a field without a name")
	}
	if Fields(0).Names() != nil {
		t.Error("names of the empty set")
	}
}
