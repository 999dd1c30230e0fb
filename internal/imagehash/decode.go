package imagehash

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
)

// Errors of [Decode], besides [*TooLargeError].
var (
	// ErrFormat: the data is not a JPEG, PNG or GIF image. Other image
	// formats (WebP, HEIC, AVIF, BMP, TIFF) are not read.
	ErrFormat = errors.New("imagehash: not a JPEG, PNG or GIF image")
	// ErrInvalid: the image is truncated or malformed, or uses a feature
	// the standard decoders do not support (such as 12-bit JPEG).
	ErrInvalid = errors.New("imagehash: truncated or malformed image")
)

// TooLargeError is the error of [Decode] for an image over its limit,
// known from the header before any pixel is decoded.
type TooLargeError struct {
	Format        string // "jpeg", "png" or "gif"
	Width, Height int
	MaxPixels     int64
	// DecodeBytes is the memory the decoder would take and MaxBytes what
	// the limit allows (4 bytes a pixel); both are 0 when the pixel count
	// alone is over the limit.
	DecodeBytes, MaxBytes int64
}

func (e *TooLargeError) Error() string {
	if e.DecodeBytes == 0 {
		return fmt.Sprintf("imagehash: the %s image is %d×%d pixels, over the limit of %d pixels",
			e.Format, e.Width, e.Height, e.MaxPixels)
	}
	return fmt.Sprintf("imagehash: the %s image of %d×%d pixels needs %d MB to decode, over the %d MB allowed for %d pixels",
		e.Format, e.Width, e.Height, ceilMB(e.DecodeBytes), ceilMB(e.MaxBytes), e.MaxPixels)
}

func ceilMB(n int64) int64 { return (n + 1<<20 - 1) >> 20 }

// bytesPerPixelAllowed is the decode memory a pixel of the limit allows:
// that of an 8-bit RGBA image.
const bytesPerPixelAllowed = 4

// Decode decodes a JPEG, PNG or GIF image (the first frame of a GIF). It
// reads the header first and refuses with a [*TooLargeError], before
// decoding any pixel, an image of more than maxPixels pixels or one whose
// decoding would take more memory than an 8-bit RGBA image of maxPixels
// pixels (4 bytes a pixel): a progressive JPEG keeps all its DCT
// coefficients while decoding, 5 times the memory of a baseline one; a
// 16-bit PNG takes 8 bytes a pixel, an interlaced PNG twice its size.
// A baseline colour JPEG takes 1.5 to 3 bytes a pixel. maxPixels must be
// positive. Data that is not one of the three formats gives [ErrFormat];
// a truncated or malformed image gives an error wrapping [ErrInvalid].
// Decode reads r to the end of the image, not necessarily to EOF.
func Decode(r io.Reader, maxPixels int64) (img image.Image, format string, err error) {
	var head bytes.Buffer
	br := io.TeeReader(r, &head)
	var sig [8]byte
	n, err := io.ReadFull(br, sig[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		if errors.Is(err, io.EOF) {
			return nil, "", ErrFormat
		}
		return nil, "", fmt.Errorf("imagehash: read: %w", err)
	}
	var decodeConfig func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	head8 := string(sig[:n])
	switch {
	case strings.HasPrefix(head8, "\xff\xd8\xff"):
		format, decodeConfig, decode = "jpeg", jpeg.DecodeConfig, jpeg.Decode
	case head8 == "\x89PNG\r\n\x1a\n":
		format, decodeConfig, decode = "png", png.DecodeConfig, png.Decode
	case strings.HasPrefix(head8, "GIF87a") || strings.HasPrefix(head8, "GIF89a"):
		format, decodeConfig, decode = "gif", gif.DecodeConfig, gif.Decode
	default:
		return nil, "", ErrFormat
	}
	// The standard decoders are meant never to panic; should one, on input
	// crafted against it, the upload is refused rather than the process.
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("%w: the %s decoder failed: %v", ErrInvalid, format, p)
		}
	}()
	cfg, err := decodeConfig(io.MultiReader(bytes.NewReader(sig[:n]), br))
	if err != nil {
		return nil, format, invalid(format, err)
	}
	if err := checkSize(format, cfg, head.Bytes(), maxPixels); err != nil {
		return nil, format, err
	}
	img, err = decode(io.MultiReader(bytes.NewReader(head.Bytes()), r))
	if err != nil {
		return nil, format, invalid(format, err)
	}
	return img, format, nil
}

func invalid(format string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrInvalid, format, err)
}

// checkSize refuses an image over the limits; head holds the bytes read so
// far, the header up to the size at least.
func checkSize(format string, cfg image.Config, head []byte, maxPixels int64) error {
	w, h := int64(cfg.Width), int64(cfg.Height)
	tooLarge := &TooLargeError{Format: format, Width: cfg.Width, Height: cfg.Height, MaxPixels: maxPixels}
	maxPixels = min(maxPixels, 1<<40) // far above any real limit; keeps the products below in range
	if w*h > maxPixels || maxPixels <= 0 {
		return tooLarge
	}
	var need int64
	switch format {
	case "jpeg":
		need = jpegDecodeBytes(head, w, h)
	case "png":
		need = pngDecodeBytes(head, cfg.ColorModel, w, h)
	default: // GIF: one byte a pixel of the frame, inside the logical screen
		need = w * h
	}
	if allowed := bytesPerPixelAllowed * maxPixels; need > allowed {
		tooLarge.DecodeBytes, tooLarge.MaxBytes = need, allowed
		return tooLarge
	}
	return nil
}

// jpegDecodeBytes estimates what image/jpeg allocates for a w×h JPEG whose
// header is in head: one byte a sample of each component at its sampling
// factors, plus 4 bytes a sample of coefficients for a progressive JPEG, plus
// the RGBA or CMYK image it converts to for 3-component non-YCbCr and
// 4-component JPEGs (counted for every 4-component one). Without a frame
// header it assumes the worst, a progressive 4:4:4 colour image.
func jpegDecodeBytes(head []byte, w, h int64) int64 {
	sof, ok := jpegFrameHeader(head)
	if !ok {
		return w * h * 3 * 5
	}
	progressive := sof.marker == 0xc2
	var samples int64
	for _, c := range sof.comps {
		samples += w * h * int64(c.h*c.v) / int64(sof.hmax*sof.vmax)
	}
	need := samples
	if progressive {
		need += 4 * samples
	}
	if len(sof.comps) == 4 {
		need += 4 * w * h
	}
	return need
}

type jpegSOF struct {
	marker     byte
	comps      []struct{ h, v int }
	hmax, vmax int
}

// jpegFrameHeader finds the first SOF segment by walking the segments from
// the start of the file.
func jpegFrameHeader(b []byte) (jpegSOF, bool) {
	var sof jpegSOF
	i := 2 // after SOI
	for i+4 <= len(b) {
		if b[i] != 0xff {
			return sof, false
		}
		m := b[i+1]
		if m == 0xff { // fill byte
			i++
			continue
		}
		if m == 0x01 || (m >= 0xd0 && m <= 0xd8) { // standalone markers
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return sof, false
		}
		seg := b[i+4 : i+2+n]
		if m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
			if len(seg) < 6 {
				return sof, false
			}
			nc := int(seg[5])
			if nc < 1 || nc > 4 || len(seg) < 6+3*nc {
				return sof, false
			}
			sof.marker = m
			for k := range nc {
				f := seg[6+3*k+1]
				hf, vf := int(f>>4), int(f&15)
				if hf < 1 || vf < 1 {
					return sof, false
				}
				sof.comps = append(sof.comps, struct{ h, v int }{hf, vf})
				sof.hmax, sof.vmax = max(sof.hmax, hf), max(sof.vmax, vf)
			}
			return sof, true
		}
		if m == 0xda { // start of scan before any frame header
			return sof, false
		}
		i += 2 + n
	}
	return sof, false
}

// pngDecodeBytes is what image/png allocates: the image in the colour model
// the header gives, twice that for an interlaced image (each pass is
// decoded into an image of its own, then copied).
func pngDecodeBytes(head []byte, cm color.Model, w, h int64) int64 {
	var bpp int64
	switch cm {
	case color.GrayModel:
		bpp = 1
	case color.Gray16Model:
		bpp = 2
	case color.RGBAModel, color.NRGBAModel:
		bpp = 4
	case color.RGBA64Model, color.NRGBA64Model:
		bpp = 8
	default: // a palette
		bpp = 1
	}
	need := bpp * w * h
	// IHDR's data starts at byte 16; the interlace method is its 13th byte.
	if len(head) > 28 && head[28] == 1 {
		need *= 2
	}
	return need
}
