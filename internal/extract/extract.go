package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Upload is a file to screen. The caller spools the request body (to a
// temporary file) and passes it as an io.ReaderAt: Extract reads it where it
// needs to and never holds it whole in memory.
type Upload struct {
	R           io.ReaderAt
	Size        int64
	Name        string // the file name as sent; may be empty
	ContentType string // the declared Content-Type; may be empty
	// TempDir is where nested archives that must be read out of order
	// (a ZIP inside a deflated ZIP member) are spooled; "" is os.TempDir().
	TempDir string
}

// Part is text found in the upload, for the text pipeline.
type Part struct {
	// Path names where the text came from: "notes.txt",
	// "report.zip/inner.zip/notes.txt", "doc.pdf#page=3",
	// "letter.docx/word/document.xml".
	Path      string
	MediaType string // the type of the file the text came from
	Text      string // UTF-8
}

// Image is an image found in the upload, for perceptual hashing. Its size
// was checked against Limits.MaxImagePixels from the header.
type Image struct {
	Path          string
	MediaType     string
	Width, Height int // 0 when the header does not give them (HEIF)
	open          func() (io.ReadCloser, error)
}

// Open returns the image's bytes. It may be called more than once, until
// the Result is closed.
func (im Image) Open() (io.ReadCloser, error) {
	if im.open == nil {
		return nil, errors.New("extract: image has no data")
	}
	return im.open()
}

// SignalKind names something found that screening should weigh.
type SignalKind string

// Signals.
const (
	// TypeMismatch: the extension or declared type disagrees with the
	// bytes. Detail says which.
	TypeMismatch SignalKind = "type_mismatch"
	// Executable: a native or bytecode program (PE, ELF, Mach-O, Java,
	// Android), at the top level or inside an archive.
	Executable SignalKind = "executable"
	// Script: a shell, Python, Perl, PowerShell, batch or VBScript file.
	Script SignalKind = "script"
	// Macro: an Office file with VBA or Basic macros, Excel 4.0 macro
	// sheets or ActiveX controls.
	Macro SignalKind = "macro"
	// EICAR: the antivirus test file.
	EICAR SignalKind = "eicar"
	// Encrypted: an encrypted archive member or PDF; its content was not
	// inspected.
	Encrypted SignalKind = "encrypted"
	// Malformed: a truncated or corrupt file or member; what could be
	// read was.
	Malformed SignalKind = "malformed"
	// ActiveContent: HTML or SVG with scripts, a PDF with JavaScript or
	// launch actions or embedded files.
	ActiveContent SignalKind = "active_content"
	// Unscanned: content that was not inspected: an archive format that
	// is not unpacked (RAR, 7z, XZ), an unsupported compression method,
	// a legacy Office binary file, a PDF font with no Unicode mapping.
	Unscanned SignalKind = "unscanned"
)

// Signal is one finding, with the path of the file or member it concerns.
type Signal struct {
	Kind   SignalKind
	Path   string
	Detail string
}

// Result is what Extract found. Close it when done with the images.
type Result struct {
	// MediaType is the type of the upload sniffed from its bytes.
	MediaType string
	Parts     []Part
	Images    []Image
	Signals   []Signal
	// TextTruncated: more text than Limits.MaxText (or PDF pages than
	// Limits.MaxPages) was found; the rest was not collected.
	TextTruncated bool
	// Members is the number of archive members examined; Uncompressed the
	// bytes all decompressors produced.
	Members      int
	Uncompressed int64

	temps []*os.File
}

// Has reports whether the result carries a signal of kind k.
func (r *Result) Has(k SignalKind) bool {
	for _, s := range r.Signals {
		if s.Kind == k {
			return true
		}
	}
	return false
}

// Text returns the length in bytes of all collected text.
func (r *Result) Text() int {
	n := 0
	for _, p := range r.Parts {
		n += len(p.Text)
	}
	return n
}

// Close removes the temporary files Extract spooled nested archives to.
// Images cannot be opened after it.
func (r *Result) Close() error {
	var errs []error
	for _, f := range r.temps {
		errs = append(errs, f.Close(), os.Remove(f.Name()))
	}
	r.temps = nil
	return errors.Join(errs...)
}

// Extract sniffs the upload, collects its text, images and signals, and
// unpacks archives, within lim. It returns an *Error when a limit is
// breached, ctx's error when cancelled, and an I/O error of up.R; a
// malformed file is not an error but a Malformed signal on a partial
// result.
func Extract(ctx context.Context, up Upload, lim Limits) (*Result, error) {
	if up.R == nil || up.Size < 0 {
		return nil, errors.New("extract: no upload")
	}
	w := &walker{ctx: ctx, lim: lim.withDefaults(), res: &Result{}, upSize: up.Size, tempDir: up.TempDir}
	name := baseName(up.Name)
	n := &node{path: name, name: name, declared: up.ContentType, ra: uploadReader{up.R}, size: up.Size}
	mt, err := w.process(n)
	w.flushText()
	w.res.MediaType = mt
	w.res.Uncompressed = w.total
	if err != nil {
		w.res.Close()
		return nil, err
	}
	return w.res, nil
}

func baseName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	if name == "." || name == "/" || name == "" {
		return "upload"
	}
	return cleanPath(name)
}

// cleanPath makes a member name safe to show: valid UTF-8, no control
// characters, bounded length.
func cleanPath(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "…"
	}
	return s
}

// node is one file being examined: the upload or an archive member. It has
// random access (ra) or is a stream read once (r). reopen, when set, gives
// a fresh stream of the same bytes (a ZIP member can be decompressed again).
type node struct {
	path     string
	name     string
	declared string
	depth    int
	ra       io.ReaderAt
	size     int64
	r        io.Reader
	reopen   func() (io.ReadCloser, error)
}

type walker struct {
	ctx     context.Context
	lim     Limits
	res     *Result
	upSize  int64
	total   int64
	tempDir string

	text      []*partBuf
	textBytes int
	seen      map[string]bool // signals already reported
}

// produced counts n decompressed bytes against the upload's budget.
func (w *walker) produced(p string, n int64) error {
	w.total += n
	if w.total > w.lim.MaxUncompressed {
		return tooLarge(p, "MaxUncompressed", "the upload expands to more than %d bytes", w.lim.MaxUncompressed)
	}
	if w.total > TotalRatioGrace {
		if r := float64(w.total) / float64(max(w.upSize, 1)); r > w.lim.MaxTotalRatio {
			return unprocessable(p, "MaxTotalRatio",
				"the upload expands %.0f times its size (%d bytes from %d): refused as a decompression bomb", r, w.total, w.upSize)
		}
	}
	return nil
}

func (w *walker) signal(k SignalKind, p, format string, args ...any) {
	key := string(k) + "\x00" + p
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	if w.seen[key] {
		return
	}
	w.seen[key] = true
	w.res.Signals = append(w.res.Signals, Signal{Kind: k, Path: p, Detail: fmt.Sprintf(format, args...)})
}

// fail turns a read error into a Malformed signal, unless it is a limit,
// a cancellation or an I/O error of the upload, which stop everything.
func (w *walker) fail(p string, err error) error {
	if err == nil {
		return nil
	}
	var le *Error
	if errors.As(err, &le) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ioe *ioError
	if errors.As(err, &ioe) {
		return ioe.err
	}
	w.signal(Malformed, p, "%s", conciseErr(err))
	return nil
}

func conciseErr(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "")
}

// ioError marks a read error of the upload itself (not of its content).
type ioError struct{ err error }

func (e *ioError) Error() string { return e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

// uploadReader reports read errors of the upload as ioErrors, so that a
// failing disk is not taken for a malformed file.
type uploadReader struct{ r io.ReaderAt }

func (u uploadReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := u.r.ReadAt(p, off)
	if err != nil && err != io.EOF {
		return n, &ioError{err}
	}
	return n, err
}

// head reads the first bytes of n, and for a stream returns a reader that
// still yields them.
func (w *walker) head(n *node) ([]byte, io.Reader, error) {
	buf := make([]byte, headSize)
	if n.ra != nil {
		k, err := n.ra.ReadAt(buf[:min(int64(headSize), n.size)], 0)
		if err != nil && err != io.EOF {
			return nil, nil, err
		}
		return buf[:k], nil, nil
	}
	k, err := io.ReadFull(n.r, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return buf[:k], io.MultiReader(bytes.NewReader(buf[:k]), n.r), err
}

// stream returns a fresh reader of all of n's bytes.
func stream(n *node, rest io.Reader) io.Reader {
	if n.ra != nil {
		return io.NewSectionReader(n.ra, 0, n.size)
	}
	return rest
}

// process examines one node and returns its media type.
func (w *walker) process(n *node) (string, error) {
	if err := w.ctx.Err(); err != nil {
		return "", err
	}
	head, rest, err := w.head(n)
	if err != nil {
		return TypeOctet, w.fail(n.path, err)
	}
	mt := Sniff(head)
	if isEICAR(head) {
		w.signal(EICAR, n.path, "the EICAR antivirus test file")
	}

	switch {
	case mt == TypeZIP:
		ra, size, err := w.materialize(n, rest)
		if err != nil {
			return mt, w.fail(n.path, err)
		}
		mt, err = w.zip(n, ra, size)
		if err != nil {
			return mt, err
		}
	case mt == TypeGZIP || mt == TypeBZ2:
		err = w.compressed(n, mt, stream(n, rest))
	case mt == TypeTAR:
		err = w.tar(n, stream(n, rest))
	case mt == TypePDF:
		ra, size, err2 := w.materialize(n, rest)
		if err2 != nil {
			return mt, w.fail(n.path, err2)
		}
		err = w.pdf(n, ra, size)
	case IsImage(mt):
		err = w.image(n, mt, head, rest)
	case IsExecutable(mt):
		w.signal(Executable, n.path, "%s", mt)
	case mt == TypeRAR || mt == Type7Z || mt == TypeXZ:
		w.signal(Unscanned, n.path, "%s archives are not unpacked", mt)
	case mt == TypeOLE:
		err = w.ole(n, stream(n, rest))
	case mt == TypeOctet, mt == TypeMP4, mt == TypeMOV:
		// Nothing to read.
	default: // text
		if IsScript(mt) {
			w.signal(Script, n.path, "%s", mt)
		}
		err = w.textOf(n, mt, head, stream(n, rest))
	}
	w.checkClaims(n, mt)
	return mt, w.fail(n.path, err)
}

// checkClaims compares the extension and declared type with the bytes.
func (w *walker) checkClaims(n *node, mt string) {
	if mt == TypeOctet {
		return
	}
	ext := extOf(n.name)
	if et, ok := extTypes[ext]; ok && !compatible(mt, et) {
		w.signal(TypeMismatch, n.path, "named %s but the content is %s", ext, mt)
	}
	if ct := claimedType(n.declared); ct != "" && !compatible(mt, ct) {
		w.signal(TypeMismatch, n.path, "declared %s but the content is %s", ct, mt)
	}
	// An executable's name given to something else is no threat; a
	// harmless name given to an executable is the signal that matters,
	// and the rule above catches it.
}

// inMemory is how much of a stream is spooled to memory before a
// temporary file takes over.
const inMemory = 1 << 20

// materialize gives random access to n, spooling a stream to memory (up to
// 1 MiB) or to a temporary file.
func (w *walker) materialize(n *node, rest io.Reader) (io.ReaderAt, int64, error) {
	if n.ra != nil {
		return n.ra, n.size, nil
	}
	var buf bytes.Buffer
	k, err := io.CopyN(&buf, rest, inMemory+1)
	if errors.Is(err, io.EOF) {
		return bytes.NewReader(buf.Bytes()), k, nil
	}
	if err != nil {
		return nil, 0, err
	}
	f, err := os.CreateTemp(w.tempDir, "aup-extract-*")
	if err != nil {
		return nil, 0, &ioError{fmt.Errorf("spool %s: %w", n.path, err)}
	}
	w.res.temps = append(w.res.temps, f)
	if _, err := f.Write(buf.Bytes()); err != nil {
		return nil, 0, &ioError{fmt.Errorf("spool %s: %w", n.path, err)}
	}
	m, err := io.Copy(f, rest)
	if err != nil {
		var le *Error
		if errors.As(err, &le) {
			return nil, 0, err
		}
		// A decompression error: keep what came out.
		w.signal(Malformed, n.path, "%s", conciseErr(err))
	}
	return uploadReader{f}, k + m, nil
}

// members counts k members of container n and checks the depth its
// members lie at.
func (w *walker) members(n *node, k int) error {
	w.res.Members += k
	if w.res.Members > w.lim.MaxMembers {
		return tooLarge(n.path, "MaxMembers", "more than %d archive members", w.lim.MaxMembers)
	}
	if k > 0 && n.depth+1 > w.lim.MaxDepth {
		return unprocessable(n.path, "MaxDepth", "archives nested more than %d deep", w.lim.MaxDepth)
	}
	return nil
}

// child makes the node of a member of container n.
func child(n *node, name string) *node {
	return &node{path: n.path + "/" + cleanPath(name), name: path.Base(name), depth: n.depth + 1}
}
