package extract

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// errTextFull stops a text extractor once Limits.MaxText is reached.
var errTextFull = errors.New("text limit reached")

type partBuf struct {
	path, mt string
	b        strings.Builder
}

// addText appends valid UTF-8 s to the part at path p. It returns false
// once the text limit is reached.
func (w *walker) addText(p, mt string, s []byte) bool {
	if w.res.TextTruncated {
		return false
	}
	full := false
	if room := w.lim.MaxText - w.textBytes; len(s) > room {
		s = s[:room]
		for len(s) > 0 && !utf8.Valid(s[max(0, len(s)-utf8.UTFMax):]) {
			s = s[:len(s)-1]
		}
		full = true
	}
	if len(s) > 0 {
		var pb *partBuf
		if k := len(w.text); k > 0 && w.text[k-1].path == p {
			pb = w.text[k-1]
		} else {
			pb = &partBuf{path: p, mt: mt}
			w.text = append(w.text, pb)
		}
		pb.b.Write(s)
		w.textBytes += len(s)
	}
	if full {
		w.res.TextTruncated = true
	}
	return !full
}

func (w *walker) flushText() {
	for _, pb := range w.text {
		t := pb.b.String()
		if strings.TrimSpace(t) == "" {
			continue
		}
		w.res.Parts = append(w.res.Parts, Part{Path: pb.path, MediaType: pb.mt, Text: t})
	}
	w.text = nil
}

// sink takes text in any chunks, makes it valid UTF-8 and hands it to the
// walker. Write fails with errTextFull once the limit is reached.
type sink struct {
	w        *walker
	path, mt string
	buf      []byte
}

func (s *sink) Write(b []byte) (int, error) {
	s.buf = append(s.buf, b...)
	if len(s.buf) >= 32<<10 {
		if err := s.flush(false); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

func (s *sink) WriteString(t string) {
	s.buf = append(s.buf, t...)
}

func (s *sink) WriteByte(c byte) error {
	s.buf = append(s.buf, c)
	return nil
}

// space adds a separator unless the text already ends in white space.
func (s *sink) space(c byte) {
	if n := len(s.buf); n > 0 && (s.buf[n-1] == ' ' || s.buf[n-1] == '\n' || s.buf[n-1] == '\t') {
		if c == '\n' && s.buf[n-1] != '\n' {
			s.buf[n-1] = '\n'
		}
		return
	}
	s.buf = append(s.buf, c)
}

// flush hands the buffered text over; unless final, an incomplete rune at
// the end waits for the next write.
func (s *sink) flush(final bool) error {
	if s.w == nil {
		s.buf = s.buf[:0]
		return nil
	}
	cut := len(s.buf)
	if !final {
		for i := 1; i <= utf8.UTFMax && i <= len(s.buf); i++ {
			c := s.buf[len(s.buf)-i]
			if c < 0x80 {
				break
			}
			if utf8.RuneStart(c) {
				if !utf8.FullRune(s.buf[len(s.buf)-i:]) {
					cut = len(s.buf) - i
				}
				break
			}
		}
	}
	chunk := s.buf[:cut]
	if !utf8.Valid(chunk) {
		chunk = bytes.ToValidUTF8(chunk, []byte("\uFFFD"))
	}
	ok := s.w.addText(s.path, s.mt, chunk)
	s.buf = append(s.buf[:0], s.buf[cut:]...)
	if !ok {
		return errTextFull
	}
	return nil
}

// textOf collects the text of a text file of type mt.
func (w *walker) textOf(n *node, mt string, head []byte, r io.Reader) error {
	if w.res.TextTruncated {
		return nil
	}
	switch encodingOf(head) {
	case encLatin:
		r = transform.NewReader(r, charmap.Windows1252.NewDecoder())
	default: // UTF-8 or UTF-16, with or without BOM
		r = transform.NewReader(r, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
	}
	s := &sink{w: w, path: n.path, mt: mt}
	var err error
	switch mt {
	case TypeHTML:
		err = w.htmlText(n, r, s)
	case TypeXML, TypeSVG:
		err = w.xmlScan(n, r, s, allText)
	case TypeJSON:
		err = jsonText(r, s)
	default:
		_, err = io.Copy(s, r)
	}
	if err == nil {
		err = s.flush(true)
	}
	if errors.Is(err, errTextFull) {
		return nil
	}
	return err
}

// xmlText collects the text of an Office part.
func (w *walker) xmlText(n *node, mt string, r io.Reader, mode textMode) error {
	if w.res.TextTruncated {
		return nil
	}
	s := &sink{w: w, path: n.path, mt: mt}
	m := allText
	if mode == ooxmlText {
		m = runText
	}
	err := w.xmlScan(n, r, s, m)
	if err == nil {
		err = s.flush(true)
	}
	if errors.Is(err, errTextFull) {
		return nil
	}
	return err
}

type xmlMode int

const (
	allText xmlMode = iota // all character data, words kept apart at tags
	runText                // only OOXML text runs (<w:t>, <a:t>, <t>)
)

// xmlScan is a small streaming XML reader for text: it never builds a
// token bigger than a tag name, expands only the predefined and numeric
// entities (no DTD, so no entity bombs), and keeps no tree.
func (w *walker) xmlScan(n *node, r io.Reader, s *sink, mode xmlMode) error {
	br := bufio.NewReaderSize(r, 32<<10)
	inRun := 0
	skip := ""
	var name []byte
	emit := func() bool { return skip == "" && (mode == allText || inRun > 0) }
	for {
		c, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		switch c {
		case '&':
			ent, err := readEntity(br)
			if err != nil {
				return err
			}
			if emit() {
				s.WriteString(ent)
			}
		case '<':
			kind, err := readTag(br, &name, func(b []byte) {
				if emit() {
					s.buf = append(s.buf, b...)
				}
			})
			if err != nil {
				return err
			}
			local := string(localName(name))
			if kind == tagOther {
				continue
			}
			switch mode {
			case runText:
				switch local {
				case "t":
					switch kind {
					case tagStart:
						inRun++
					case tagEnd:
						inRun = max(0, inRun-1)
					}
				case "p", "si", "tr":
					if kind == tagEnd {
						s.space('\n')
					}
				case "tab", "c":
					if kind != tagStart {
						s.space('\t')
					}
				case "br", "cr":
					s.space('\n')
				}
			case allText:
				switch {
				case local == "script" && kind != tagEnd:
					w.signal(ActiveContent, n.path, "a <script> element")
					if kind == tagStart {
						skip = local
					}
				case local == "style" && kind == tagStart:
					skip = local
				case kind == tagEnd && local == skip:
					skip = ""
				case local == "s" && kind != tagEnd:
					s.space(' ')
				case local == "tab":
					s.space('\t')
				case local == "p" || local == "h" || local == "line-break" || local == "title":
					s.space('\n')
				default:
					s.space(' ')
				}
			}
		default:
			if emit() {
				s.buf = append(s.buf, c)
			}
		}
		if len(s.buf) >= 32<<10 {
			if err := s.flush(false); err != nil {
				return err
			}
		}
	}
}

func localName(b []byte) []byte {
	if i := bytes.LastIndexByte(b, ':'); i >= 0 {
		return b[i+1:]
	}
	return b
}

type tagKind int

const (
	tagStart tagKind = iota
	tagEnd
	tagEmpty // <x/>
	tagOther // comment, CDATA, processing instruction, DOCTYPE
)

var errXML = errors.New("xml: malformed markup")

// readTag reads what follows a '<'. The name (at most 64 bytes) goes to
// *name; CDATA content goes to cdata.
func readTag(br *bufio.Reader, name *[]byte, cdata func([]byte)) (tagKind, error) {
	*name = (*name)[:0]
	c, err := br.ReadByte()
	if err != nil {
		return tagOther, eofIsMalformed(err)
	}
	switch c {
	case '!':
		p, _ := br.Peek(7)
		switch {
		case bytes.HasPrefix(p, []byte("--")):
			_, _ = br.Discard(2) // Peek has buffered these bytes: it cannot fail
			return tagOther, skipUntil(br, "-->", nil)
		case bytes.HasPrefix(p, []byte("[CDATA[")):
			_, _ = br.Discard(7) // Peek has buffered these bytes: it cannot fail
			return tagOther, skipUntil(br, "]]>", cdata)
		}
		return tagOther, skipUntil(br, ">", nil)
	case '?':
		return tagOther, skipUntil(br, "?>", nil)
	}
	kind := tagStart
	if c == '/' {
		kind = tagEnd
		if c, err = br.ReadByte(); err != nil {
			return tagOther, eofIsMalformed(err)
		}
	}
	for c != '>' && c != '/' && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
		if len(*name) < 64 {
			*name = append(*name, c)
		}
		if c, err = br.ReadByte(); err != nil {
			return tagOther, eofIsMalformed(err)
		}
	}
	var quote byte
	last := byte(0)
	for {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			if last == '/' && kind == tagStart {
				kind = tagEmpty
			}
			return kind, nil
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			last = c
		}
		if c, err = br.ReadByte(); err != nil {
			return tagOther, eofIsMalformed(err)
		}
	}
}

func eofIsMalformed(err error) error {
	if errors.Is(err, io.EOF) {
		return errXML
	}
	return err
}

// skipUntil reads past end, passing what it skips to keep (if any) in
// chunks.
func skipUntil(br *bufio.Reader, end string, keep func([]byte)) error {
	matched := 0
	var held []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			return eofIsMalformed(err)
		}
		if c == end[matched] {
			matched++
			if matched == len(end) {
				if keep != nil && len(held) > 0 {
					keep(held)
				}
				return nil
			}
			continue
		}
		if keep != nil {
			held = append(held, end[:matched]...)
			held = append(held, c)
			if len(held) >= 4096 {
				keep(held)
				held = held[:0]
			}
		}
		matched = 0
		if c == end[0] {
			matched = 1
		}
	}
}

// readEntity reads an entity reference after '&' and returns its text; an
// unknown one is returned as written.
func readEntity(br *bufio.Reader) (string, error) {
	var b [12]byte
	n := 0
	for n < len(b) {
		c, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return "&" + string(b[:n]), nil
			}
			return "", err
		}
		if c == ';' {
			return entityText(string(b[:n])), nil
		}
		if c == '<' || c == '&' || c == ' ' || c == '\n' {
			_ = br.UnreadByte() // right after a successful ReadByte: it cannot fail
			return "&" + string(b[:n]), nil
		}
		b[n] = c
		n++
	}
	return "&" + string(b[:n]), nil
}

func entityText(e string) string {
	switch e {
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "amp":
		return "&"
	case "quot":
		return `"`
	case "apos":
		return "'"
	case "nbsp":
		return " "
	}
	if strings.HasPrefix(e, "#") {
		var v uint64
		var err error
		if strings.HasPrefix(e, "#x") || strings.HasPrefix(e, "#X") {
			v, err = strconv.ParseUint(e[2:], 16, 32)
		} else {
			v, err = strconv.ParseUint(e[1:], 10, 32)
		}
		if err == nil && utf8.ValidRune(rune(v)) && v != 0 {
			return string(rune(v))
		}
		return "\uFFFD"
	}
	return "&" + e + ";"
}

// htmlText collects the visible text of an HTML page: text nodes outside
// scripts, styles and templates, and the alt, title and placeholder
// attributes and link targets, which readers see too. Scripts and event
// handlers are reported as active content.
func (w *walker) htmlText(n *node, r io.Reader, s *sink) error {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(1 << 20)
	skip := ""
	// text collects b. Write fails only with errTextFull, and past the text
	// limit the page is still read to the end for active content: the
	// error only ends the collecting.
	text := func(b []byte) {
		if _, err := s.Write(b); err != nil {
			s.w = nil
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return err
			}
			return nil
		case html.TextToken:
			if skip == "" {
				text(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tag, more := z.TagName()
			t := string(tag)
			switch t {
			case "script":
				w.signal(ActiveContent, n.path, "a <script> element")
				skip = t
			case "style", "template", "noscript":
				skip = t
			case "iframe", "object", "embed":
				w.signal(ActiveContent, n.path, "an <%s> element", t)
			}
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				key := string(k)
				switch {
				case key == "alt" || key == "title" || key == "placeholder" || key == "aria-label":
					s.space(' ')
					text(v)
					s.space(' ')
				case key == "href" || key == "action":
					if bytes.HasPrefix(bytes.ToLower(bytes.TrimSpace(v)), []byte("javascript:")) {
						w.signal(ActiveContent, n.path, "a javascript: link")
					}
					s.space(' ')
					text(v)
					s.space(' ')
				case strings.HasPrefix(key, "on") && len(key) > 3:
					w.signal(ActiveContent, n.path, "an %s event handler", key)
				}
			}
			if htmlBlock[t] {
				s.space('\n')
			}
		case html.EndTagToken:
			tag, _ := z.TagName()
			t := string(tag)
			if t == skip {
				skip = ""
			}
			if htmlBlock[t] {
				s.space('\n')
			}
		}
		if len(s.buf) >= 32<<10 {
			if err := s.flush(false); err != nil {
				return err
			}
		}
	}
}

var htmlBlock = map[string]bool{"p": true, "div": true, "br": true, "li": true, "tr": true, "td": true, "th": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "title": true, "section": true,
	"article": true, "blockquote": true, "pre": true, "table": true, "ul": true, "ol": true, "hr": true}

// jsonText collects the string values (not the keys) of a JSON document,
// one a line, streaming: no value is held whole.
func jsonText(r io.Reader, s *sink) error {
	return jsonScan(bufio.NewReaderSize(r, 32<<10), s)
}

var errJSON = errors.New("json: malformed")

// jsonPrefixValid reports whether h is the start of a JSON document.
func jsonPrefixValid(h []byte) bool {
	err := jsonScan(bufio.NewReader(bytes.NewReader(h)), &sink{})
	return err == nil || errors.Is(err, io.ErrUnexpectedEOF)
}

// jsonScan checks the grammar loosely (enough to tell JSON from prose) and
// writes string values to s.
func jsonScan(br *bufio.Reader, s *sink) error {
	const maxDepth = 10_000
	var stack []byte // '{' or '['
	expectKey := false
	done := false
	for {
		c, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				if len(stack) > 0 || !done {
					return io.ErrUnexpectedEOF
				}
				return nil
			}
			return err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
		case '{', '[':
			if expectKey || len(stack) >= maxDepth || (done && len(stack) == 0) {
				return errJSON
			}
			stack = append(stack, c)
			expectKey = c == '{'
		case '}', ']':
			if len(stack) == 0 || (c == '}') != (stack[len(stack)-1] == '{') {
				return errJSON
			}
			stack = stack[:len(stack)-1]
			expectKey = false
			done = len(stack) == 0
		case ',':
			if len(stack) == 0 {
				return errJSON
			}
			expectKey = stack[len(stack)-1] == '{'
		case ':':
			if len(stack) == 0 || stack[len(stack)-1] != '{' {
				return errJSON
			}
		case '"':
			key := expectKey
			expectKey = false
			if err := jsonString(br, s, !key); err != nil {
				return err
			}
			if !key {
				s.space('\n')
			}
			if len(stack) == 0 {
				done = true
			}
			if len(s.buf) >= 32<<10 {
				if err := s.flush(false); err != nil {
					return err
				}
			}
		default:
			if expectKey || (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' &&
				strings.IndexByte("truefalsnE", c) < 0 {
				return errJSON
			}
			if len(stack) == 0 {
				done = true
			}
		}
	}
}

// jsonString reads a string after its opening quote, writing it to s when
// keep is set.
func jsonString(br *bufio.Reader, s *sink, keep bool) error {
	var pend rune = -1 // a high surrogate waiting for its pair
	put := func(r rune) {
		if !keep {
			return
		}
		if pend >= 0 {
			if utf16.IsSurrogate(r) {
				r = utf16.DecodeRune(pend, r)
				pend = -1
				s.buf = utf8.AppendRune(s.buf, r)
				return
			}
			s.buf = utf8.AppendRune(s.buf, utf8.RuneError)
			pend = -1
		}
		if r >= 0xd800 && r < 0xdc00 {
			pend = r
			return
		}
		s.buf = utf8.AppendRune(s.buf, r)
	}
	for {
		c, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		switch c {
		case '"':
			if pend >= 0 && keep {
				s.buf = utf8.AppendRune(s.buf, utf8.RuneError)
			}
			return nil
		case '\\':
			e, err := br.ReadByte()
			if err != nil {
				return io.ErrUnexpectedEOF
			}
			switch e {
			case 'n':
				put('\n')
			case 't':
				put('\t')
			case 'r', 'b', 'f':
				put(' ')
			case 'u':
				var hex [4]byte
				if _, err := io.ReadFull(br, hex[:]); err != nil {
					return io.ErrUnexpectedEOF
				}
				v, err := strconv.ParseUint(string(hex[:]), 16, 16)
				if err != nil {
					return errJSON
				}
				put(rune(v))
			default:
				put(rune(e))
			}
		default:
			if keep {
				if pend >= 0 {
					s.buf = utf8.AppendRune(s.buf, utf8.RuneError)
					pend = -1
				}
				s.buf = append(s.buf, c)
			}
		}
		if keep && len(s.buf) >= 32<<10 && s.w != nil {
			if err := s.flush(false); err != nil {
				return err
			}
		}
	}
}
