package extract

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
)

// image checks an image's dimensions from its header and records it.
func (w *walker) image(n *node, mt string, head []byte, rest io.Reader) error {
	if n.ra == nil && n.reopen == nil {
		ra, size, err := w.materialize(n, rest)
		if err != nil {
			return err
		}
		n.ra, n.size = ra, size
	}
	var width, height int
	var err error
	counted := &counter{r: rest}
	switch mt {
	case TypeJPEG, TypePNG, TypeGIF:
		var cfg image.Config
		r := stream(n, counted)
		switch mt {
		case TypeJPEG:
			cfg, err = jpeg.DecodeConfig(r)
		case TypePNG:
			cfg, err = png.DecodeConfig(r)
		default:
			cfg, err = gif.DecodeConfig(r)
		}
		width, height = cfg.Width, cfg.Height
	case TypeWebP:
		width, height, err = webpSize(head)
	case TypeBMP:
		width, height, err = bmpSize(head)
	case TypeTIFF:
		width, height, err = tiffSize(n.ra, n.size)
	default: // HEIF family: the 'ispe' property, when it is near the start
		width, height = ispeSize(head)
	}
	if err != nil {
		w.signal(Malformed, n.path, "image header: %s", conciseErr(err))
		return nil
	}
	if px := int64(width) * int64(height); px > w.lim.MaxImagePixels || width < 0 || height < 0 {
		return unprocessable(n.path, "MaxImagePixels",
			"image of %d×%d pixels, more than %d: refused as a decompression bomb", width, height, w.lim.MaxImagePixels)
	}
	im := Image{Path: n.path, MediaType: mt, Width: width, Height: height}
	if n.ra != nil {
		ra, size := n.ra, n.size
		im.open = func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(ra, 0, size)), nil }
	} else {
		// Decompress once to count the bytes against the limits; the
		// caller's reads are bounded by that count.
		if _, err := io.Copy(io.Discard, counted); err != nil {
			return err
		}
		size := counted.n
		reopen := n.reopen
		im.open = func() (io.ReadCloser, error) {
			rc, err := reopen()
			if err != nil {
				return nil, err
			}
			return readCloser{io.LimitReader(rc, size), rc}, nil
		}
	}
	w.res.Images = append(w.res.Images, im)
	return nil
}

var errImageHeader = errors.New("truncated or unknown header")

func webpSize(h []byte) (int, int, error) {
	if len(h) < 30 {
		return 0, 0, errImageHeader
	}
	switch string(h[12:16]) {
	case "VP8 ":
		if h[23] != 0x9d || h[24] != 0x01 || h[25] != 0x2a {
			return 0, 0, errImageHeader
		}
		return int(binary.LittleEndian.Uint16(h[26:]) & 0x3fff), int(binary.LittleEndian.Uint16(h[28:]) & 0x3fff), nil
	case "VP8L":
		if h[20] != 0x2f {
			return 0, 0, errImageHeader
		}
		b := binary.LittleEndian.Uint32(h[21:])
		return int(b&0x3fff) + 1, int(b>>14&0x3fff) + 1, nil
	case "VP8X":
		u24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
		return u24(h[24:]) + 1, u24(h[27:]) + 1, nil
	}
	return 0, 0, errImageHeader
}

func bmpSize(h []byte) (int, int, error) {
	if len(h) < 26 {
		return 0, 0, errImageHeader
	}
	if binary.LittleEndian.Uint32(h[14:]) == 12 {
		return int(binary.LittleEndian.Uint16(h[18:])), int(binary.LittleEndian.Uint16(h[20:])), nil
	}
	wd := int64(int32(binary.LittleEndian.Uint32(h[18:])))
	ht := int64(int32(binary.LittleEndian.Uint32(h[22:])))
	if ht < 0 {
		ht = -ht // top-down
	}
	if wd < 0 {
		return 0, 0, errImageHeader
	}
	return int(wd), int(ht), nil
}

func tiffSize(ra io.ReaderAt, size int64) (int, int, error) {
	var hdr [8]byte
	if _, err := ra.ReadAt(hdr[:], 0); err != nil {
		return 0, 0, errImageHeader
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if hdr[0] == 'M' {
		bo = binary.BigEndian
	}
	off := int64(bo.Uint32(hdr[4:]))
	var cnt [2]byte
	if off <= 0 || off+2 > size {
		return 0, 0, errImageHeader
	}
	if _, err := ra.ReadAt(cnt[:], off); err != nil {
		return 0, 0, errImageHeader
	}
	n := min(int(bo.Uint16(cnt[:])), 500)
	ents := make([]byte, 12*n)
	if _, err := ra.ReadAt(ents, off+2); err != nil && err != io.EOF {
		return 0, 0, errImageHeader
	}
	var wd, ht int
	for i := 0; i+12 <= len(ents); i += 12 {
		e := ents[i:]
		v := int(bo.Uint32(e[8:]))
		if bo.Uint16(e[2:]) == 3 { // SHORT
			v = int(bo.Uint16(e[8:]))
		}
		switch bo.Uint16(e) {
		case 256:
			wd = v
		case 257:
			ht = v
		}
	}
	if wd == 0 || ht == 0 {
		return 0, 0, errImageHeader
	}
	return wd, ht, nil
}

// ispeSize returns the largest image spatial extent in a HEIF header.
func ispeSize(h []byte) (int, int) {
	var wd, ht int
	for i := 0; ; {
		j := bytes.Index(h[i:], []byte("ispe"))
		if j < 0 || i+j+16 > len(h) {
			return wd, ht
		}
		p := h[i+j+8:]
		ww, hh := int(binary.BigEndian.Uint32(p)), int(binary.BigEndian.Uint32(p[4:]))
		if int64(ww)*int64(hh) > int64(wd)*int64(ht) {
			wd, ht = ww, hh
		}
		i += j + 4
	}
}

// compressed unpacks a GZIP or BZIP2 stream as the container of one member.
func (w *walker) compressed(n *node, mt string, r io.Reader) error {
	if err := w.members(n, 1); err != nil {
		return err
	}
	in := &counter{r: r}
	var dr io.Reader
	name := n.name
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".tgz"), strings.HasSuffix(lower, ".tbz2"):
		name = name[:strings.LastIndexByte(name, '.')] + ".tar"
	case strings.HasSuffix(lower, ".gz"), strings.HasSuffix(lower, ".bz2"):
		name = name[:strings.LastIndexByte(name, '.')]
	default:
		name += ".content"
	}
	if mt == TypeGZIP && n.ra != nil && n.size > 18 {
		// The trailer gives the size modulo 4 GiB: a way to refuse an
		// honest bomb before unpacking it (a lying one is caught by the
		// meter).
		var isize [4]byte
		if _, err := n.ra.ReadAt(isize[:], n.size-4); err == nil {
			if err := w.declared(n.path, n.size, int64(binary.LittleEndian.Uint32(isize[:]))); err != nil {
				return err
			}
		}
	}
	if mt == TypeGZIP {
		zr, err := gzip.NewReader(bufio.NewReader(in))
		if err != nil {
			return err
		}
		dr = zr
	} else {
		dr = bzip2.NewReader(in)
	}
	c := child(n, name)
	c.r = &meter{w: w, r: dr, path: c.path, in: in}
	_, err := w.process(c)
	return err
}

// tar walks a TAR stream; its members are read once, in order.
func (w *walker) tar(n *node, r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := w.members(n, 1); err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != '\x00' {
			continue
		}
		c := child(n, hdr.Name)
		c.r = tr
		if _, err := w.process(c); err != nil {
			return err
		}
	}
}

// Legacy Office files are OLE compound files; their text is not extracted,
// but a VBA project or an installer's class id is found by name.
var (
	oleVBA = []byte("_\x00V\x00B\x00A\x00_\x00P\x00R\x00O\x00J\x00E\x00C\x00T\x00")
	oleMSI = []byte("\x84\x10\x0c\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46")
)

func (w *walker) ole(n *node, r io.Reader) error {
	buf := make([]byte, 64<<10)
	keep := 0
	vba, msi := false, false
	for {
		k, err := io.ReadFull(r, buf[keep:])
		chunk := buf[:keep+k]
		vba = vba || bytes.Contains(chunk, oleVBA)
		msi = msi || bytes.Contains(chunk, oleMSI)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return err
		}
		keep = copy(buf, chunk[len(chunk)-32:])
	}
	switch {
	case msi:
		w.signal(Executable, n.path, "Windows Installer package")
	case vba:
		w.signal(Macro, n.path, "VBA project in a legacy Office file")
	}
	w.signal(Unscanned, n.path, "legacy Office binary format: text not extracted")
	return nil
}
