package extract

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The PDF reader is our own: it finds objects by scanning the file (so a
// truncated file or a broken cross-reference table still gives its pages),
// resolves them lazily through the io.ReaderAt, decodes streams through
// meters, and interprets only the text operators of content streams. Its
// memory is the object index (bounded by maxPDFObjects) and a few small
// caches; no stream is held whole except object streams and ToUnicode maps,
// which are bounded.

const (
	maxPDFObjects   = 250_000
	maxPDFCached    = 4096
	maxObjStmBytes  = 16 << 20
	maxCMapBytes    = 1 << 20
	maxPDFString    = 1 << 20
	maxPDFItems     = 200_000 // array and dictionary entries in one object
	maxPDFNesting   = 64
	maxFormNesting  = 4
	maxForms        = 10_000
	maxTrailers     = 64
	maxObjStms      = 10_000
	maxOperandStack = 4096
)

type (
	pdfName    string
	pdfString  string
	pdfKeyword string
	pdfArray   []any
	pdfDict    map[pdfName]any
	pdfRef     struct{ num, gen int64 }
	pdfStream  struct {
		dict   pdfDict
		off    int64 // first byte of data
		length int64
	}
)

var errPDFSyntax = errors.New("pdf: syntax error")

// pdfLexer reads PDF tokens and objects from a stream.
type pdfLexer struct {
	br      *bufio.Reader
	pos     int64
	back    []any // pushed-back tokens
	items   int
	scratch []byte
}

func (l *pdfLexer) readByte() (byte, error) {
	c, err := l.br.ReadByte()
	if err == nil {
		l.pos++
	}
	return c, err
}

func (l *pdfLexer) unread() {
	if l.br.UnreadByte() == nil {
		l.pos--
	}
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isPDFDelim(c byte) bool {
	return strings.IndexByte("()<>[]{}/%", c) >= 0
}

// integer reads a token that should be an integer, reporting false for
// anything else: another token, a malformed one or the end of the input.
func (l *pdfLexer) integer() (int64, bool) {
	t, err := l.token()
	if err != nil {
		return 0, false
	}
	n, ok := t.(int64)
	return n, ok
}

// name reads the rest of a name after its '/'. A name ends at white space,
// a delimiter or the end of the input, so it cannot fail; a malformed #xx
// escape is kept as it stands.
func (l *pdfLexer) name() pdfName {
	var b []byte
	for {
		c, err := l.readByte()
		if err != nil {
			return pdfName(b)
		}
		if isPDFSpace(c) || isPDFDelim(c) {
			l.unread()
			return pdfName(b)
		}
		if c == '#' {
			var h [2]byte
			if _, err := io.ReadFull(l.br, h[:]); err == nil {
				l.pos += 2
				if v, err := strconv.ParseUint(string(h[:]), 16, 8); err == nil {
					c = byte(v)
				}
			}
		}
		if len(b) < 256 {
			b = append(b, c)
		}
	}
}

// token returns the next token: int64, float64, bool, nil (null), pdfName,
// pdfString, or pdfKeyword (including "<<", ">>", "[", "]", "{", "}").
func (l *pdfLexer) token() (any, error) {
	if n := len(l.back); n > 0 {
		t := l.back[n-1]
		l.back = l.back[:n-1]
		return t, nil
	}
	var c byte
	var err error
	for {
		if c, err = l.readByte(); err != nil {
			return nil, err
		}
		if c == '%' {
			for c != '\n' && c != '\r' {
				if c, err = l.readByte(); err != nil {
					return nil, err
				}
			}
			continue
		}
		if !isPDFSpace(c) {
			break
		}
	}
	switch c {
	case '[', ']', '{', '}':
		return pdfKeyword(c), nil
	case '<':
		if c2, err := l.readByte(); err == nil && c2 == '<' {
			return pdfKeyword("<<"), nil
		} else if err == nil {
			l.unread()
		}
		return l.hexString()
	case '>':
		if c2, err := l.readByte(); err == nil && c2 == '>' {
			return pdfKeyword(">>"), nil
		} else if err == nil {
			l.unread()
		}
		return nil, errPDFSyntax
	case '(':
		return l.literalString()
	case '/':
		return l.name(), nil
	}
	b := append(l.scratch[:0], c)
	for {
		c, err := l.readByte()
		if err != nil {
			break
		}
		if isPDFSpace(c) || isPDFDelim(c) {
			l.unread()
			break
		}
		if len(b) < 64 {
			b = append(b, c)
		}
	}
	l.scratch = b
	if c := b[0]; c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' {
		if i, ok := smallInt(b); ok {
			return i, nil
		}
		s := string(b)
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f, nil
		}
		return float64(0), nil
	}
	if k, ok := pdfKeywords[string(b)]; ok {
		return k, nil
	}
	return pdfKeyword(b), nil
}

// smallInt parses the common case of a short unsigned integer.
func smallInt(b []byte) (int64, bool) {
	if len(b) > 9 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// pdfKeywords interns the operators, so that a content stream allocates no
// string per operator.
var pdfKeywords = func() map[string]any {
	m := map[string]any{"true": true, "false": false, "null": nil}
	for k := range strings.FieldsSeq("obj endobj stream endstream R BT ET Tf Tj TJ ' \" Td TD T* Tm Tc Tw Tz TL Tr Ts " +
		"Do BI ID EI q Q cm w J j M d ri i gs m l c v y h re S s f F f* B B* b b* n W W* CS cs SC SCN sc scn G g RG rg K k " +
		"sh BMC BDC EMC MP DP BX EX d0 d1 begincodespacerange endcodespacerange beginbfchar endbfchar beginbfrange endbfrange") {
		m[k] = pdfKeyword(k)
	}
	return m
}()

func (l *pdfLexer) hexString() (any, error) {
	var b []byte
	var hi byte
	odd := false
	for {
		c, err := l.readByte()
		if err != nil {
			return nil, err
		}
		if c == '>' {
			break
		}
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			continue
		}
		if odd {
			if len(b) < maxPDFString {
				b = append(b, hi<<4|v)
			}
		} else {
			hi = v
		}
		odd = !odd
	}
	if odd && len(b) < maxPDFString {
		b = append(b, hi<<4)
	}
	return pdfString(b), nil
}

func (l *pdfLexer) literalString() (any, error) {
	b := l.scratch[:0]
	defer func() { l.scratch = b[:0] }()
	depth := 1
	for {
		c, err := l.readByte()
		if err != nil {
			return nil, err
		}
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return pdfString(b), nil
			}
		case '\\':
			if c, err = l.readByte(); err != nil {
				return nil, err
			}
			switch c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r', '\n':
				if c == '\r' {
					if c2, err := l.readByte(); err == nil && c2 != '\n' {
						l.unread()
					}
				}
				continue
			default:
				if c >= '0' && c <= '7' {
					v := int(c - '0')
					for range 2 {
						c2, err := l.readByte()
						if err != nil {
							break
						}
						if c2 < '0' || c2 > '7' {
							l.unread()
							break
						}
						v = v*8 + int(c2-'0')
					}
					c = byte(v)
				}
			}
		}
		if len(b) < maxPDFString {
			b = append(b, c)
		}
	}
}

// object reads one object; a keyword that starts no object is returned as
// it is (operators in content streams, "obj", "stream", "endobj").
func (l *pdfLexer) object() (any, error) {
	return l.objectAt(0)
}

func (l *pdfLexer) objectAt(depth int) (any, error) {
	if depth > maxPDFNesting {
		return nil, errPDFSyntax
	}
	t, err := l.token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case pdfKeyword:
		switch t {
		case "[":
			var a pdfArray
			for {
				o, err := l.objectAt(depth + 1)
				if err != nil {
					return nil, err
				}
				if k, ok := o.(pdfKeyword); ok && k == "]" {
					return a, nil
				}
				if l.items++; l.items > maxPDFItems {
					return nil, errPDFSyntax
				}
				a = append(a, o)
			}
		case "<<":
			d := pdfDict{}
			for {
				k, err := l.objectAt(depth + 1)
				if err != nil {
					return nil, err
				}
				if kw, ok := k.(pdfKeyword); ok && kw == ">>" {
					return d, nil
				}
				name, ok := k.(pdfName)
				if !ok {
					continue // tolerate junk between entries
				}
				v, err := l.objectAt(depth + 1)
				if err != nil {
					return nil, err
				}
				if kw, ok := v.(pdfKeyword); ok && kw == ">>" {
					return d, nil
				}
				if l.items++; l.items > maxPDFItems {
					return nil, errPDFSyntax
				}
				d[name] = v
			}
		}
		return t, nil
	case int64:
		return l.refOrInt(t), nil
	}
	return t, nil
}

// refOrInt reads ahead after the integer n for "g R", the rest of a
// reference, and returns the reference, or n alone with what it read pushed
// back. n is a complete object either way, so a malformed token or the end
// of the input in the lookahead only ends the lookahead (the end of the
// input is met again on the next read).
func (l *pdfLexer) refOrInt(n int64) any {
	t2, err := l.token()
	if err != nil {
		return n
	}
	g, ok := t2.(int64)
	if !ok {
		l.back = append(l.back, t2)
		return n
	}
	t3, err := l.token()
	if err != nil {
		l.back = append(l.back, t2)
		return n
	}
	if k, ok := t3.(pdfKeyword); ok && k == "R" {
		return pdfRef{n, g}
	}
	l.back = append(l.back, t3, t2)
	return n
}

type objStmLoc struct {
	stm uint32
	off int64
}

type pdfDoc struct {
	w        *walker
	n        *node
	ra       io.ReaderAt
	size     int64
	offs     map[uint32]int64
	inStm    map[uint32]objStmLoc
	objStms  []int64 // offsets of object streams
	xrefs    []int64 // offsets of cross-reference streams
	trailers []int64 // offsets just after "trailer"
	trailer  pdfDict
	cache    map[uint32]any
	stmCache map[uint32][]byte
	fonts    map[any]*pdfFont
	images   map[pdfRef]bool
	resolves int
	sorted   []int64             // object offsets in order, for streamLength
	forms    int                 // form XObjects run, over the document
	running  map[*pdfStream]bool // forms on the current call stack
}

func (w *walker) pdf(n *node, ra io.ReaderAt, size int64) error {
	d := &pdfDoc{w: w, n: n, ra: ra, size: size, offs: map[uint32]int64{}, inStm: map[uint32]objStmLoc{},
		trailer: pdfDict{}, cache: map[uint32]any{}, stmCache: map[uint32][]byte{}, fonts: map[any]*pdfFont{},
		images: map[pdfRef]bool{}, running: map[*pdfStream]bool{}}
	if err := d.scan(); err != nil {
		return err
	}
	for _, off := range d.trailers {
		if t, ok := d.parseAt(off).(pdfDict); ok {
			d.mergeTrailer(t)
		}
	}
	for _, off := range d.xrefs {
		if s, ok := d.objectAtOffset(off).(*pdfStream); ok {
			d.mergeTrailer(s.dict)
		}
	}
	if d.trailer["Encrypt"] != nil {
		w.signal(Encrypted, n.path, "encrypted PDF: text not extracted")
		return nil
	}
	for _, off := range d.objStms {
		if err := d.indexObjStm(off); err != nil {
			return err
		}
	}
	root, _ := d.resolve(d.trailer["Root"]).(pdfDict)
	if root == nil {
		root = d.findCatalog()
		if root != nil {
			w.signal(Malformed, n.path, "no trailer: the document catalog was found by scanning")
		}
	}
	if root == nil {
		w.signal(Malformed, n.path, "no document catalog: no pages read")
		return nil
	}
	page := 0
	return d.pages(root["Pages"], nil, map[pdfRef]bool{}, 0, &page)
}

func (d *pdfDoc) mergeTrailer(t pdfDict) {
	for _, k := range []pdfName{"Root", "Encrypt", "Info"} {
		if v, ok := t[k]; ok {
			d.trailer[k] = v
		}
	}
}

// scan finds "n g obj", "trailer" and object and cross-reference streams.
func (d *pdfDoc) scan() error {
	const chunk, overlap = 1 << 20, 600
	buf := make([]byte, chunk+overlap)
	active := false
	for base := int64(0); base < d.size; base += chunk {
		if err := d.w.ctx.Err(); err != nil {
			return err
		}
		k, err := d.ra.ReadAt(buf[:min(int64(len(buf)), d.size-base)], base)
		if err != nil && err != io.EOF {
			return err
		}
		b := buf[:k]
		limit := min(chunk, len(b)) // matches starting past it are the next chunk's
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte("obj"))
			if j < 0 || i+j >= limit {
				break
			}
			p := i + j
			i = p + 3
			if p+3 < len(b) && !isPDFSpace(b[p+3]) && !isPDFDelim(b[p+3]) {
				continue
			}
			start, num, ok := objHeaderBefore(b, p)
			if !ok {
				continue
			}
			if len(d.offs) >= maxPDFObjects {
				d.w.signal(Unscanned, d.n.path, "more than %d objects: the rest were not read", maxPDFObjects)
				break
			}
			d.offs[uint32(num)] = base + int64(start)
			ahead := b[p:min(len(b), p+overlap)]
			if e := bytes.Index(ahead, []byte("stream")); e >= 0 {
				ahead = ahead[:e]
			}
			switch {
			case bytes.Contains(ahead, []byte("/ObjStm")) && len(d.objStms) < maxObjStms:
				d.objStms = append(d.objStms, base+int64(start))
			case bytes.Contains(ahead, []byte("/XRef")):
				if len(d.xrefs) == maxTrailers {
					d.xrefs = d.xrefs[1:]
				}
				d.xrefs = append(d.xrefs, base+int64(start))
			}
		}
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte("trailer"))
			if j < 0 || i+j >= limit {
				break
			}
			if len(d.trailers) == maxTrailers {
				d.trailers = d.trailers[1:] // the last ones win
			}
			d.trailers = append(d.trailers, base+int64(i+j+7))
			i += j + 7
		}
		if !active {
			active = d.activeContent(b[:limit])
		}
	}
	return nil
}

// objHeaderBefore parses "num gen " backwards from the "obj" at p.
func objHeaderBefore(b []byte, p int) (start int, num int64, ok bool) {
	i := p - 1
	digits := func() int {
		e := i
		for i >= 0 && b[i] >= '0' && b[i] <= '9' {
			i--
		}
		return e - i
	}
	spaces := func() int {
		e := i
		for i >= 0 && isPDFSpace(b[i]) {
			i--
		}
		return e - i
	}
	if spaces() == 0 || digits() == 0 || spaces() == 0 {
		return 0, 0, false
	}
	end := i + 1
	if n := digits(); n == 0 || n > 10 {
		return 0, 0, false
	}
	if i >= 0 && !isPDFSpace(b[i]) && !isPDFDelim(b[i]) && b[i] != 'j' { // "endobj12 0 obj" is seen in the wild
		return 0, 0, false
	}
	num, err := strconv.ParseInt(string(b[i+1:end]), 10, 64)
	if err != nil || num > math.MaxUint32 {
		return 0, 0, false
	}
	return i + 1, num, true
}

func (d *pdfDoc) activeContent(b []byte) bool {
	for _, k := range []string{"/JavaScript", "/JS", "/Launch", "/EmbeddedFile"} {
		if i := bytes.Index(b, []byte(k)); i >= 0 && (i+len(k) == len(b) || isPDFSpace(b[i+len(k)]) || isPDFDelim(b[i+len(k)])) {
			what := map[string]string{"/JavaScript": "JavaScript", "/JS": "JavaScript", "/Launch": "a launch action", "/EmbeddedFile": "an embedded file"}[k]
			d.w.signal(ActiveContent, d.n.path, "PDF with %s", what)
			return true
		}
	}
	return false
}

func (d *pdfDoc) lexerAt(off int64) *pdfLexer {
	if off < 0 || off > d.size {
		off = d.size
	}
	return &pdfLexer{br: bufio.NewReaderSize(io.NewSectionReader(d.ra, off, d.size-off), 2048)}
}

// parseAt parses one object at off (a trailer dictionary).
func (d *pdfDoc) parseAt(off int64) any {
	o, _ := d.lexerAt(off).object()
	return o
}

// objectAtOffset parses "n g obj <object> [stream]" at off.
func (d *pdfDoc) objectAtOffset(off int64) any {
	l := d.lexerAt(off)
	for range 3 {
		if _, err := l.token(); err != nil { // n g obj
			return nil
		}
	}
	o, err := l.object()
	if err != nil {
		return nil
	}
	dict, ok := o.(pdfDict)
	if !ok {
		return o
	}
	if t, err := l.token(); err != nil || t != pdfKeyword("stream") {
		return dict
	}
	// The data start after the end of line that follows "stream".
	if c, err := l.readByte(); err == nil {
		if c == '\r' {
			if c2, err := l.readByte(); err == nil && c2 != '\n' {
				l.unread()
			}
		} else if c != '\n' {
			l.unread()
		}
	}
	s := &pdfStream{dict: dict, off: off + l.pos}
	s.length = d.streamLength(s)
	return s
}

// streamLength trusts /Length only if "endstream" follows it.
func (d *pdfDoc) streamLength(s *pdfStream) int64 {
	if n, ok := d.resolve(s.dict["Length"]).(int64); ok && n >= 0 && s.off+n <= d.size {
		var tail [20]byte
		k, _ := d.ra.ReadAt(tail[:], s.off+n)
		if bytes.Contains(tail[:k], []byte("endstream")) {
			return n
		}
	}
	// Search for "endstream", up to the next object: the searches of all
	// streams together read the file about once.
	if d.sorted == nil {
		d.sorted = make([]int64, 0, len(d.offs))
		for _, off := range d.offs {
			d.sorted = append(d.sorted, off)
		}
		slices.Sort(d.sorted)
	}
	end := d.size
	if i, _ := slices.BinarySearch(d.sorted, s.off); i < len(d.sorted) {
		end = d.sorted[i]
	}
	buf := make([]byte, 64<<10)
	for pos := s.off; pos < end; pos += int64(len(buf) - 16) {
		k, _ := d.ra.ReadAt(buf, pos)
		if k <= 0 {
			break
		}
		if i := bytes.Index(buf[:k], []byte("endstream")); i >= 0 {
			n := pos + int64(i) - s.off
			for n > 0 {
				var c [1]byte
				if _, err := d.ra.ReadAt(c[:], s.off+n-1); err != nil {
					break
				}
				if b := c[0]; b != '\n' && b != '\r' {
					break
				}
				n--
			}
			return n
		}
		if k < len(buf) {
			break
		}
	}
	return end - s.off
}

func (d *pdfDoc) object(num uint32) any {
	if o, ok := d.cache[num]; ok {
		return o
	}
	var o any
	if off, ok := d.offs[num]; ok {
		o = d.objectAtOffset(off)
	} else if loc, ok := d.inStm[num]; ok {
		if data := d.objStm(loc.stm); data != nil && loc.off < int64(len(data)) {
			l := &pdfLexer{br: bufio.NewReader(bytes.NewReader(data[loc.off:]))}
			o, _ = l.object()
		}
	}
	if len(d.cache) >= maxPDFCached {
		clear(d.cache)
	}
	d.cache[num] = o
	return o
}

// resolve follows references.
func (d *pdfDoc) resolve(o any) any {
	for range 16 {
		r, ok := o.(pdfRef)
		if !ok {
			return o
		}
		if r.num < 0 || r.num > math.MaxUint32 {
			return nil
		}
		if d.resolves++; d.resolves > 64 {
			return nil // a Length that refers to itself, and such
		}
		o = d.object(uint32(r.num))
		d.resolves--
	}
	return nil
}

func (d *pdfDoc) indexObjStm(off int64) error {
	s, ok := d.objectAtOffset(off).(*pdfStream)
	if !ok {
		return nil
	}
	num := uint32(0)
	for k, v := range d.offs {
		if v == off {
			num = k
			break
		}
	}
	data, err := d.readStream(s, fmt.Sprintf("%s#obj=%d", d.n.path, num), maxObjStmBytes)
	if err != nil {
		return err
	}
	d.stmCache[num] = data
	d.activeContent(data)
	first, _ := d.resolve(s.dict["First"]).(int64)
	cnt, _ := d.resolve(s.dict["N"]).(int64)
	if first <= 0 || first > int64(len(data)) {
		return nil
	}
	l := &pdfLexer{br: bufio.NewReader(bytes.NewReader(data[:first]))}
	for i := int64(0); i < cnt; i++ {
		on, ok1 := l.integer()
		oo, ok2 := l.integer()
		if !ok1 || !ok2 {
			break // a malformed header: index the objects read so far
		}
		if on < 0 || on > math.MaxUint32 || oo < 0 || len(d.offs)+len(d.inStm) >= maxPDFObjects {
			continue
		}
		if _, direct := d.offs[uint32(on)]; !direct {
			d.inStm[uint32(on)] = objStmLoc{stm: num, off: first + oo}
		}
	}
	return nil
}

func (d *pdfDoc) objStm(num uint32) []byte {
	if b, ok := d.stmCache[num]; ok {
		return b
	}
	s, ok := d.object(num).(*pdfStream)
	if !ok {
		return nil
	}
	b, err := d.readStream(s, d.n.path, maxObjStmBytes)
	if err != nil {
		return nil
	}
	if len(d.stmCache) >= 8 {
		clear(d.stmCache)
	}
	d.stmCache[num] = b
	return b
}

// readStream decodes a whole stream of at most max bytes.
func (d *pdfDoc) readStream(s *pdfStream, p string, max int64) ([]byte, error) {
	r, err := d.decode(s, p)
	if err != nil {
		return nil, d.limitOnly(err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, max))
	return b, d.limitOnly(err)
}

// limitOnly keeps the errors that stop everything and reports the rest.
func (d *pdfDoc) limitOnly(err error) error {
	var le *Error
	var ioe *ioError
	if errors.As(err, &le) || errors.As(err, &ioe) {
		return err
	}
	if err != nil {
		d.w.signal(Malformed, d.n.path, "%s", conciseErr(err))
	}
	return nil
}

var errUnsupportedFilter = errors.New("pdf: unsupported stream filter")

// decode returns the decoded data of s through a meter; Close returns its
// decompressors to their pool.
func (d *pdfDoc) decode(s *pdfStream, p string) (io.ReadCloser, error) {
	var closers multiCloser
	in := &counter{r: io.NewSectionReader(d.ra, s.off, s.length)}
	var r io.Reader = in
	var filters []any
	switch f := d.resolve(s.dict["Filter"]).(type) {
	case pdfName:
		filters = []any{f}
	case pdfArray:
		filters = f
	}
	if len(filters) > 4 {
		return nil, errUnsupportedFilter
	}
	for i, f := range filters {
		name, _ := d.resolve(f).(pdfName)
		if parms := d.decodeParms(s, i); parms != nil {
			if p, _ := d.resolve(parms["Predictor"]).(int64); p > 1 {
				return nil, fmt.Errorf("%w: predictor %d", errUnsupportedFilter, p)
			}
		}
		switch name {
		case "FlateDecode", "Fl":
			zr, err := newZlib(r)
			if err != nil {
				return nil, err
			}
			closers = append(closers, zr)
			r = lenientEOF{zr}
		case "ASCIIHexDecode", "AHx":
			r = &asciiHex{br: bufio.NewReader(r)}
		case "ASCII85Decode", "A85":
			r = ascii85.NewDecoder(&until{br: bufio.NewReader(r), end: '~'})
		default:
			return nil, fmt.Errorf("%w %s", errUnsupportedFilter, cleanPath(string(name)))
		}
	}
	return readCloser{&meter{w: d.w, r: r, path: p, in: in}, closers}, nil
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	for _, c := range m {
		c.Close()
	}
	return nil
}

func (d *pdfDoc) decodeParms(s *pdfStream, i int) pdfDict {
	switch p := d.resolve(s.dict["DecodeParms"]).(type) {
	case pdfDict:
		return p
	case pdfArray:
		if i < len(p) {
			dp, _ := d.resolve(p[i]).(pdfDict)
			return dp
		}
	}
	return nil
}

// lenientEOF ends a zlib stream at a checksum error: many PDF writers get
// the checksum wrong, and the data are there.
type lenientEOF struct{ r io.Reader }

func (l lenientEOF) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if errors.Is(err, zlib.ErrChecksum) {
		err = io.EOF
	}
	return n, err
}

type asciiHex struct {
	br  *bufio.Reader
	eod bool
}

func (a *asciiHex) Read(p []byte) (int, error) {
	n := 0
	var pair []byte
	for n < len(p) && !a.eod {
		c, err := a.br.ReadByte()
		if err != nil {
			a.eod = true
			break
		}
		if c == '>' {
			a.eod = true
			break
		}
		if _, err := hex.DecodeString(string(c) + "0"); err != nil {
			continue
		}
		pair = append(pair, c)
		if len(pair) == 2 {
			v, _ := hex.DecodeString(string(pair))
			p[n] = v[0]
			n++
			pair = pair[:0]
		}
	}
	if len(pair) == 1 {
		v, _ := hex.DecodeString(string(pair) + "0")
		p[n] = v[0]
		n++
	}
	if n == 0 && a.eod {
		return 0, io.EOF
	}
	return n, nil
}

// until ends a stream at byte end (the "~>" of ASCII85), dropping white
// space the ascii85 package would not expect.
type until struct {
	br  *bufio.Reader
	end byte
	eod bool
}

func (u *until) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && !u.eod {
		c, err := u.br.ReadByte()
		if err != nil || c == u.end {
			u.eod = true
			break
		}
		p[n] = c
		n++
	}
	if n == 0 && u.eod {
		return 0, io.EOF
	}
	return n, nil
}

// findCatalog looks for the catalog among the objects when no trailer
// names it (a truncated file).
func (d *pdfDoc) findCatalog() pdfDict {
	i := 0
	for num := range d.offs {
		if i++; i > 20_000 {
			break
		}
		if dict, ok := d.object(num).(pdfDict); ok && dict["Type"] == pdfName("Catalog") {
			return dict
		}
	}
	return nil
}

// pages walks the page tree, inheriting resources, in document order.
func (d *pdfDoc) pages(o any, res pdfDict, seen map[pdfRef]bool, depth int, page *int) error {
	if depth > maxPDFNesting {
		return nil
	}
	if r, ok := o.(pdfRef); ok {
		if seen[r] {
			return nil
		}
		seen[r] = true
	}
	node, ok := d.resolve(o).(pdfDict)
	if !ok {
		return nil
	}
	if r, ok := d.resolve(node["Resources"]).(pdfDict); ok {
		res = r
	}
	kids, isTree := d.resolve(node["Kids"]).(pdfArray)
	if isTree && node["Type"] != pdfName("Page") {
		for _, k := range kids {
			if err := d.pages(k, res, seen, depth+1, page); err != nil {
				return err
			}
			if *page > d.w.lim.MaxPages {
				return nil
			}
		}
		return nil
	}
	*page++
	if *page > d.w.lim.MaxPages {
		d.w.res.TextTruncated = true
		return nil
	}
	if err := d.w.ctx.Err(); err != nil {
		return err
	}
	p := fmt.Sprintf("%s#page=%d", d.n.path, *page)
	s := &sink{w: d.w, path: p, mt: TypePDF}
	if d.w.res.TextTruncated {
		s.w = nil // still looks for images
	}
	err := d.content(node["Contents"], res, s, p, 0)
	if err == nil {
		err = s.flush(true)
	}
	if errors.Is(err, errTextFull) {
		err = nil
	}
	return d.limitOnly(err)
}

// content interprets the content stream(s) o with resources res.
func (d *pdfDoc) content(o any, res pdfDict, s *sink, p string, depth int) error {
	var streams []*pdfStream
	switch c := d.resolve(o).(type) {
	case *pdfStream:
		streams = append(streams, c)
	case pdfArray:
		for _, x := range c {
			if st, ok := d.resolve(x).(*pdfStream); ok {
				streams = append(streams, st)
			}
			if len(streams) > 1000 {
				break
			}
		}
	}
	var readers []io.Reader
	for _, st := range streams {
		r, err := d.decode(st, p)
		if err == nil {
			defer r.Close()
		}
		if err != nil {
			if errors.Is(err, errUnsupportedFilter) {
				d.w.signal(Unscanned, p, "%s", conciseErr(err))
				continue
			}
			return err
		}
		readers = append(readers, r, strings.NewReader("\n"))
	}
	if len(readers) == 0 {
		return nil
	}
	return d.interpret(io.MultiReader(readers...), res, s, p, depth)
}

func num(o any) float64 {
	switch v := o.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

// interpret runs the text operators of a content stream.
func (d *pdfDoc) interpret(r io.Reader, res pdfDict, s *sink, p string, depth int) error {
	l := &pdfLexer{br: bufio.NewReaderSize(r, 4096)}
	var ops []any
	var font *pdfFont
	fonts := map[pdfName]*pdfFont{}
	lastY := math.NaN()
	show := func(o any) {
		if str, ok := o.(pdfString); ok && s.w != nil {
			s.buf = font.appendText(s.buf, string(str))
		}
	}
	for {
		l.items = 0
		o, err := l.object()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if errors.Is(err, errPDFSyntax) {
				continue
			}
			return err
		}
		op, isOp := o.(pdfKeyword)
		if !isOp || op == "]" || op == ">>" {
			if len(ops) >= maxOperandStack {
				ops = ops[:0]
			}
			ops = append(ops, o)
			continue
		}
		arg := func(i int) any { // i-th operand from the end, 1-based
			if len(ops) >= i {
				return ops[len(ops)-i]
			}
			return nil
		}
		switch op {
		case "BT":
			s.space(' ')
		case "Tf":
			if name, ok := arg(2).(pdfName); ok {
				if font = fonts[name]; font == nil && len(fonts) < 1000 {
					font = d.font(res, name)
					fonts[name] = font
				}
			}
		case "Tj":
			show(arg(1))
		case "'", "\"":
			s.space('\n')
			show(arg(1))
		case "TJ":
			if a, ok := arg(1).(pdfArray); ok {
				for _, x := range a {
					if num(x) < -180 {
						s.space(' ')
					}
					show(x)
				}
			}
		case "Td", "TD":
			if num(arg(1)) != 0 {
				s.space('\n')
			} else {
				s.space(' ')
			}
		case "T*":
			s.space('\n')
		case "Tm":
			if y := num(arg(1)); y != lastY {
				s.space('\n')
				lastY = y
			} else {
				s.space(' ')
			}
		case "Do":
			if name, ok := arg(1).(pdfName); ok {
				if err := d.xobject(res, name, s, p, depth); err != nil {
					return err
				}
			}
		case "BI":
			if !skipInlineImage(l) {
				return nil // the image runs to the end of the stream
			}
		}
		ops = ops[:0]
		if len(s.buf) >= 32<<10 {
			if err := s.flush(false); err != nil {
				return err
			}
		}
	}
}

// skipInlineImage reads past "ID <data> EI", reporting false if the stream
// ends, or stops lexing, before the image does: an unterminated inline
// image leaves nothing after it to read.
func skipInlineImage(l *pdfLexer) bool {
	for {
		t, err := l.token()
		if err != nil {
			return false
		}
		if t == pdfKeyword("ID") {
			break
		}
	}
	var p0, p1, p2 byte // the last three bytes read
	for {
		c, err := l.readByte()
		if err != nil {
			return false
		}
		if isPDFSpace(p0) && p1 == 'E' && p2 == 'I' && (isPDFSpace(c) || isPDFDelim(c)) {
			return true
		}
		p0, p1, p2 = p1, p2, c
	}
}

// xobject runs a form or records a JPEG image.
func (d *pdfDoc) xobject(res pdfDict, name pdfName, s *sink, p string, depth int) error {
	xo, _ := d.resolve(res["XObject"]).(pdfDict)
	ref, _ := xo[name].(pdfRef)
	st, ok := d.resolve(xo[name]).(*pdfStream)
	if !ok {
		return nil
	}
	switch st.dict["Subtype"] {
	case pdfName("Form"):
		// A form may be drawn many times and draw others: bound the
		// depth, the total, and refuse a form inside itself.
		if depth >= maxFormNesting || d.running[st] || d.forms >= maxForms {
			return nil
		}
		d.forms++
		d.running[st] = true
		defer delete(d.running, st)
		fres, ok := d.resolve(st.dict["Resources"]).(pdfDict)
		if !ok {
			fres = res
		}
		return d.content(st, fres, s, p, depth+1)
	case pdfName("Image"):
		f := d.resolve(st.dict["Filter"])
		if a, ok := f.(pdfArray); ok && len(a) == 1 {
			f = d.resolve(a[0])
		}
		if f != pdfName("DCTDecode") || (ref != pdfRef{} && d.images[ref]) {
			return nil
		}
		d.images[ref] = true
		wd, _ := d.resolve(st.dict["Width"]).(int64)
		ht, _ := d.resolve(st.dict["Height"]).(int64)
		ip := fmt.Sprintf("%s&image=%s", p, cleanPath(string(name)))
		if wd < 0 || ht < 0 || wd > math.MaxInt32 || ht > math.MaxInt32 || wd*ht > d.w.lim.MaxImagePixels {
			return unprocessable(ip, "MaxImagePixels", "image of %d×%d pixels, more than %d: refused as a decompression bomb",
				wd, ht, d.w.lim.MaxImagePixels)
		}
		ra, off, n := d.ra, st.off, st.length
		d.w.res.Images = append(d.w.res.Images, Image{Path: ip, MediaType: TypeJPEG, Width: int(wd), Height: int(ht),
			open: func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(ra, off, n)), nil }})
	}
	return nil
}
