package extract

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"slices"
	"strings"
	"sync"
)

// The ZIP reader is our own rather than archive/zip's: it reads the central
// directory one record at a time into small records (archive/zip keeps a
// large struct per entry and trusts the declared count), finds entries whose
// data overlap (the "zbsm" bombs that make one compressed kernel count as
// many members), and decompresses through meters that never trust the
// declared sizes.

type zipEntry struct {
	name   string
	flags  uint16
	method uint16
	crc    uint32
	csize  uint64
	usize  uint64
	off    int64 // local header
	data   int64 // compressed data, once the local header is read
}

const maxNameKept = 1024

var errNoZipDirectory = errors.New("zip: end of central directory not found (truncated?)")

// zipDirectory reads the entries of the ZIP in ra. It stops at maxEntries+1.
func zipDirectory(ra io.ReaderAt, size int64, maxEntries int) ([]zipEntry, error) {
	tailLen := min(size, 22+65535)
	tail := make([]byte, tailLen)
	if _, err := ra.ReadAt(tail, size-tailLen); err != nil && err != io.EOF {
		return nil, err
	}
	i := bytes.LastIndex(tail, []byte("PK\x05\x06"))
	for i >= 0 && i+22 > len(tail) {
		i = bytes.LastIndex(tail[:i], []byte("PK\x05\x06"))
	}
	if i < 0 {
		return nil, errNoZipDirectory
	}
	eocd := tail[i:]
	eocdPos := size - tailLen + int64(i)
	count := uint64(binary.LittleEndian.Uint16(eocd[10:]))
	cdSize := uint64(binary.LittleEndian.Uint32(eocd[12:]))
	cdOff := uint64(binary.LittleEndian.Uint32(eocd[16:]))
	if count == 0xffff || cdSize == 0xffffffff || cdOff == 0xffffffff {
		// ZIP64: the locator sits just before the end record.
		if loc := int64(i) - 20; loc >= 0 && bytes.HasPrefix(tail[loc:], []byte("PK\x06\x07")) {
			z64 := int64(binary.LittleEndian.Uint64(tail[loc+8:]))
			rec := make([]byte, 56)
			if z64 >= 0 && z64 < size {
				if _, err := ra.ReadAt(rec, z64); err == nil && bytes.HasPrefix(rec, []byte("PK\x06\x06")) {
					count = binary.LittleEndian.Uint64(rec[32:])
					cdSize = binary.LittleEndian.Uint64(rec[40:])
					cdOff = binary.LittleEndian.Uint64(rec[48:])
					eocdPos = z64
				}
			}
		}
	}
	if cdSize > uint64(eocdPos) || cdOff > uint64(eocdPos) {
		return nil, fmt.Errorf("zip: central directory out of bounds")
	}
	// Data prepended to the archive (self-extractors) shifts every offset.
	base := eocdPos - int64(cdSize) - int64(cdOff)
	if base < 0 {
		base = 0
	}
	cdStart := int64(cdOff) + base
	_ = count // the declared count is not trusted: records are read until the directory ends
	br := bufio.NewReaderSize(io.NewSectionReader(ra, cdStart, int64(cdSize)), 64<<10)
	var entries []zipEntry
	var hdr [46]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF {
				break
			}
			return entries, fmt.Errorf("zip: central directory truncated after %d entries", len(entries))
		}
		if !bytes.HasPrefix(hdr[:], []byte("PK\x01\x02")) {
			if len(entries) == 0 {
				return nil, fmt.Errorf("zip: no central directory record at %d", cdStart)
			}
			break
		}
		e := zipEntry{
			flags:  binary.LittleEndian.Uint16(hdr[8:]),
			method: binary.LittleEndian.Uint16(hdr[10:]),
			crc:    binary.LittleEndian.Uint32(hdr[16:]),
			csize:  uint64(binary.LittleEndian.Uint32(hdr[20:])),
			usize:  uint64(binary.LittleEndian.Uint32(hdr[24:])),
			off:    int64(binary.LittleEndian.Uint32(hdr[42:])),
		}
		nameLen := int(binary.LittleEndian.Uint16(hdr[28:]))
		extraLen := int(binary.LittleEndian.Uint16(hdr[30:]))
		commentLen := int(binary.LittleEndian.Uint16(hdr[32:]))
		var name []byte
		var err error
		if name, err = readKept(br, nameLen, maxNameKept); err != nil {
			return entries, fmt.Errorf("zip: central directory truncated")
		}
		e.name = string(name)
		extra := make([]byte, extraLen)
		if _, err := io.ReadFull(br, extra); err != nil {
			return entries, fmt.Errorf("zip: central directory truncated")
		}
		if _, err := br.Discard(commentLen); err != nil {
			return entries, fmt.Errorf("zip: central directory truncated")
		}
		zip64Extra(&e, extra)
		e.off += base
		entries = append(entries, e)
		if len(entries) > maxEntries {
			break
		}
	}
	return entries, nil
}

// readKept reads n bytes and keeps the first keep of them.
func readKept(br *bufio.Reader, n, keep int) ([]byte, error) {
	b := make([]byte, min(n, keep))
	if _, err := io.ReadFull(br, b); err != nil {
		return nil, err
	}
	_, err := br.Discard(n - len(b))
	return b, err
}

func zip64Extra(e *zipEntry, extra []byte) {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if n > len(extra) {
			return
		}
		if id == 1 {
			f := extra[:n]
			next := func() (uint64, bool) {
				if len(f) < 8 {
					return 0, false
				}
				v := binary.LittleEndian.Uint64(f)
				f = f[8:]
				return v, true
			}
			if e.usize == 0xffffffff {
				if v, ok := next(); ok {
					e.usize = v
				}
			}
			if e.csize == 0xffffffff {
				if v, ok := next(); ok {
					e.csize = v
				}
			}
			if e.off == 0xffffffff {
				if v, ok := next(); ok && v < 1<<62 {
					e.off = int64(v)
				}
			}
		}
		extra = extra[n:]
	}
}

// locate reads the local headers, sets each entry's data offset, and
// refuses entries whose data overlap another's.
func locate(ra io.ReaderAt, size int64, entries []zipEntry, p string) error {
	var lh [30]byte
	for i := range entries {
		e := &entries[i]
		e.data = -1
		if e.off < 0 || e.off+30 > size {
			continue
		}
		if _, err := ra.ReadAt(lh[:], e.off); err != nil && err != io.EOF {
			return err
		}
		if !bytes.HasPrefix(lh[:], []byte("PK\x03\x04")) {
			continue
		}
		e.data = e.off + 30 + int64(binary.LittleEndian.Uint16(lh[26:])) + int64(binary.LittleEndian.Uint16(lh[28:]))
	}
	idx := make([]int, 0, len(entries))
	for i := range entries {
		if entries[i].data >= 0 {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case entries[a].off < entries[b].off:
			return -1
		case entries[a].off > entries[b].off:
			return 1
		}
		return 0
	})
	for k := 1; k < len(idx); k++ {
		a, b := &entries[idx[k-1]], &entries[idx[k]]
		end := a.data + int64(min(a.csize, uint64(size)))
		if a.off == b.off || end > b.off {
			return unprocessable(p+"/"+cleanPath(b.name), "",
				"ZIP entries overlap %q: refused as a zip bomb", cleanPath(a.name))
		}
	}
	return nil
}

// zip walks a ZIP or a ZIP-based document and returns its refined type.
func (w *walker) zip(n *node, ra io.ReaderAt, size int64) (string, error) {
	left := w.lim.MaxMembers - w.res.Members
	entries, err := zipDirectory(ra, size, left)
	if err != nil && len(entries) == 0 {
		var ioe *ioError
		if errors.As(err, &ioe) {
			return TypeZIP, err
		}
		w.signal(Malformed, n.path, "%s", conciseErr(err))
		return TypeZIP, nil
	}
	if err != nil {
		w.signal(Malformed, n.path, "%s", conciseErr(err))
	}
	if err := w.members(n, len(entries)); err != nil {
		return TypeZIP, err
	}
	if err := locate(ra, size, entries, n.path); err != nil {
		return TypeZIP, err
	}
	var declared uint64
	for i := range entries {
		e := &entries[i]
		declared += min(e.usize, 1<<62)
		if err := w.declared(n.path+"/"+cleanPath(e.name), int64(min(e.csize, 1<<62)), int64(min(e.usize, 1<<62))); err != nil {
			return TypeZIP, err
		}
	}
	if int64(min(declared, 1<<62)) > w.lim.MaxUncompressed-w.total {
		return TypeZIP, tooLarge(n.path, "MaxUncompressed", "declared to expand to %d bytes, more than %d", declared, w.lim.MaxUncompressed)
	}
	doc := w.classifyZip(n, ra, size, entries)
	if IsExecutable(doc.mt) {
		w.signal(Executable, n.path, "%s", doc.mt)
		return doc.mt, nil
	}
	if doc.macro != "" {
		w.signal(Macro, n.path, "%s", doc.macro)
	}
	for i := range entries {
		e := &entries[i]
		if strings.HasSuffix(e.name, "/") && e.usize == 0 {
			continue // a directory
		}
		if err := w.ctx.Err(); err != nil {
			return doc.mt, err
		}
		c := child(n, e.name)
		if e.data < 0 {
			w.signal(Malformed, c.path, "local header missing")
			continue
		}
		if e.flags&1 != 0 || e.method == 99 {
			w.signal(Encrypted, c.path, "encrypted archive member")
			if t, ok := extTypes[extOf(e.name)]; ok && (IsExecutable(t) || IsScript(t)) {
				w.signal(Executable, c.path, "encrypted, named as %s", t)
			}
			continue
		}
		mode := doc.textMode(e.name)
		if mode == skipPart {
			continue
		}
		if e.method != 0 && e.method != 8 && e.method != 12 {
			w.signal(Unscanned, c.path, "compression method %d is not supported", e.method)
			continue
		}
		if err := w.zipMember(c, ra, size, e, mode); err != nil {
			return doc.mt, err
		}
	}
	return doc.mt, nil
}

// openEntry decompresses entry e, metered unless reopened for the caller.
func (w *walker) openEntry(p string, ra io.ReaderAt, size int64, e *zipEntry, metered bool) io.ReadCloser {
	csize := int64(min(e.csize, uint64(max(0, size-e.data))))
	in := &counter{r: io.NewSectionReader(ra, e.data, csize)}
	var r io.Reader
	var closer io.Closer
	switch e.method {
	case 0:
		r = in
	case 8:
		fr := newFlate(in)
		r, closer = fr, fr
	default:
		r = bzip2.NewReader(in)
	}
	if metered {
		r = &meter{w: w, r: r, path: p, in: in}
	}
	r = &crcReader{r: r, h: crc32.NewIEEE(), want: e.crc}
	return readCloser{r, closer}
}

type readCloser struct {
	io.Reader
	c io.Closer
}

func (r readCloser) Close() error {
	if r.c != nil {
		return r.c.Close()
	}
	return nil
}

// crcReader checks the CRC-32 at the end of a member.
type crcReader struct {
	r    io.Reader
	h    hash.Hash32
	want uint32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && c.h.Sum32() != c.want {
		return n, errors.New("zip: checksum mismatch")
	}
	return n, err
}

func (w *walker) zipMember(c *node, ra io.ReaderAt, size int64, e *zipEntry, mode textMode) error {
	rc := w.openEntry(c.path, ra, size, e, true)
	defer rc.Close()
	if mode != genericPart {
		return w.fail(c.path, w.xmlText(c, officeType(mode), rc, mode))
	}
	if e.method == 0 && e.data+int64(e.csize) <= size {
		c.ra, c.size = io.NewSectionReader(ra, e.data, int64(e.csize)), int64(e.csize)
		if err := w.produced(c.path, c.size); err != nil {
			return err
		}
	} else {
		c.r = rc
		c.reopen = func() (io.ReadCloser, error) { return w.openEntry(c.path, ra, size, e, false), nil }
	}
	_, err := w.process(c)
	return err
}

// zipDoc is what the member names (and a few small members) say a ZIP is.
type zipDoc struct {
	mt    string
	macro string
	kind  string // "ooxml", "odf" or ""
}

type textMode int

const (
	genericPart textMode = iota // process as a file of its own
	skipPart                    // an Office part with no text (styles, relations)
	ooxmlText                   // the text runs (<w:t>, <a:t>, <t>) of an OOXML part
	odfText                     // all character data of an ODF part
)

func officeType(m textMode) string {
	if m == odfText {
		return "application/vnd.oasis.opendocument"
	}
	return "application/vnd.openxmlformats-officedocument"
}

func (d *zipDoc) textMode(name string) textMode {
	lower := strings.ToLower(name)
	switch d.kind {
	case "ooxml":
		for _, p := range []string{"word/document.xml", "word/header", "word/footer", "word/footnotes.xml", "word/endnotes.xml",
			"word/comments.xml", "xl/sharedstrings.xml", "xl/worksheets/sheet", "xl/comments", "ppt/slides/slide",
			"ppt/notesslides/notesslide", "ppt/comments/", "docprops/core.xml"} {
			if strings.HasPrefix(lower, p) && strings.HasSuffix(lower, ".xml") {
				return ooxmlText
			}
		}
		if strings.HasSuffix(lower, ".xml") || strings.HasSuffix(lower, ".rels") || strings.HasSuffix(lower, ".vml") {
			return skipPart
		}
	case "odf":
		if lower == "content.xml" {
			return odfText
		}
		if strings.HasSuffix(lower, ".xml") || lower == "mimetype" || lower == "meta-inf/manifest.xml" || strings.HasSuffix(lower, ".rdf") {
			return skipPart
		}
	}
	return genericPart
}

func (w *walker) classifyZip(n *node, ra io.ReaderAt, size int64, entries []zipEntry) zipDoc {
	names := make(map[string]int, len(entries))
	var vba, macroSheets, activeX, basic string
	for i, e := range entries {
		lower := strings.ToLower(e.name)
		names[lower] = i
		switch {
		case strings.HasSuffix(lower, "vbaproject.bin"):
			vba = e.name
		case strings.HasPrefix(lower, "xl/macrosheets/"):
			macroSheets = e.name
		case strings.Contains(lower, "activex/"):
			activeX = e.name
		case strings.HasPrefix(lower, "basic/") && !strings.HasSuffix(lower, "/") && e.usize > 0,
			strings.HasPrefix(lower, "scripts/") && !strings.HasSuffix(lower, "/"):
			basic = e.name
		}
	}
	has := func(s string) bool { _, ok := names[s]; return ok }
	small := func(s string, max int) []byte {
		i, ok := names[s]
		if !ok || entries[i].data < 0 || entries[i].flags&1 != 0 {
			return nil
		}
		rc := w.openEntry(n.path+"/"+s, ra, size, &entries[i], true)
		defer rc.Close()
		b, _ := io.ReadAll(io.LimitReader(rc, int64(max)))
		return b
	}
	d := zipDoc{mt: TypeZIP}
	switch {
	case has("[content_types].xml") && (has("word/document.xml") || has("xl/workbook.xml") || has("ppt/presentation.xml")):
		d.kind = "ooxml"
		ct := bytes.ToLower(small("[content_types].xml", 256<<10))
		macroEnabled := bytes.Contains(ct, []byte("macroenabled")) || vba != ""
		switch {
		case has("word/document.xml"):
			d.mt = pick(macroEnabled, TypeDOCM, TypeDOCX)
		case has("xl/workbook.xml"):
			d.mt = pick(macroEnabled, TypeXLSM, TypeXLSX)
		default:
			d.mt = pick(macroEnabled, TypePPTM, TypePPTX)
		}
		switch {
		case vba != "":
			d.macro = "VBA project " + cleanPath(vba)
		case macroSheets != "":
			d.macro = "Excel 4.0 macro sheet " + cleanPath(macroSheets)
		case activeX != "":
			d.macro = "ActiveX control " + cleanPath(activeX)
		case macroEnabled:
			d.macro = "declared macro-enabled"
		}
	case has("mimetype"):
		mt := strings.TrimSpace(string(small("mimetype", 100)))
		switch mt {
		case TypeODT, TypeODS, TypeODP, "application/vnd.oasis.opendocument.graphics":
			d.kind, d.mt = "odf", mt
			if basic != "" {
				d.macro = "Basic or script macros " + cleanPath(basic)
			}
		case TypeEPUB:
			d.mt = TypeEPUB
		}
	case has("androidmanifest.xml") && has("classes.dex"):
		d.mt = TypeAPK
	case has("meta-inf/manifest.mf") && (hasSuffix(entries, ".class")):
		d.mt = TypeJAR
	}
	return d
}

func hasSuffix(entries []zipEntry, suffix string) bool {
	for _, e := range entries {
		if strings.HasSuffix(strings.ToLower(e.name), suffix) {
			return true
		}
	}
	return false
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// Flate and zlib readers hold a 32 KiB window; archives of many small
// members and PDFs of many pages reuse them. Each open gets its own handle,
// so a second Close cannot return a reader another open is using.
var flatePool, zlibPool sync.Pool

type pooled struct {
	io.ReadCloser
	pool *sync.Pool
	done bool
}

func (p *pooled) Close() error {
	if p.done {
		return nil
	}
	p.done = true
	err := p.ReadCloser.Close()
	p.pool.Put(p.ReadCloser)
	return err
}

func newFlate(r io.Reader) io.ReadCloser {
	if f, ok := flatePool.Get().(io.ReadCloser); ok && f.(flate.Resetter).Reset(r, nil) == nil {
		return &pooled{ReadCloser: f, pool: &flatePool}
	}
	return &pooled{ReadCloser: flate.NewReader(r), pool: &flatePool}
}

func newZlib(r io.Reader) (io.ReadCloser, error) {
	if z, ok := zlibPool.Get().(io.ReadCloser); ok {
		if err := z.(zlib.Resetter).Reset(r, nil); err != nil {
			zlibPool.Put(z)
			return nil, err
		}
		return &pooled{ReadCloser: z, pool: &zlibPool}, nil
	}
	z, err := zlib.NewReader(r)
	if err != nil {
		return nil, err
	}
	return &pooled{ReadCloser: z, pool: &zlibPool}, nil
}
