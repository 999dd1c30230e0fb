package extract

import (
	"fmt"
	"io"
)

// Limits bound the work and memory one upload may cost. A zero field takes
// its default (see [DefaultLimits]). Breaching a limit stops the extraction
// with an [*Error], except MaxText, which only stops text collection.
type Limits struct {
	// MaxDepth is how deeply containers (ZIP, GZIP, TAR, Office files) may
	// nest: the upload is at depth 0, the members of a ZIP upload at depth 1.
	// A container whose members would lie deeper is refused. Default 3.
	MaxDepth int
	// MaxMembers is the number of archive members examined, over all
	// archives of the upload. Default 10,000.
	MaxMembers int
	// MaxUncompressed is the number of bytes all decompressors together may
	// produce (ZIP, GZIP and PDF streams, at every level). Default 1 GiB.
	MaxUncompressed int64
	// MaxRatio is the largest compression ratio of one member or stream,
	// checked once it has produced RatioGrace bytes. Default 200 (deflate
	// cannot exceed about 1,030; ordinary text stays under 20).
	MaxRatio float64
	// MaxTotalRatio is the largest ratio of all decompressed bytes to the
	// size of the upload, checked past TotalRatioGrace bytes. Default 100.
	MaxTotalRatio float64
	// MaxText is the number of bytes of text collected. Past it,
	// collection stops and [Result.TextTruncated] is set; it is not an
	// error. Default 4 MiB.
	MaxText int
	// MaxImagePixels is the largest width×height of an image, read from its
	// header before anything decodes it (decoding takes 1.5 to 4 bytes a
	// pixel). Default 50 megapixels.
	MaxImagePixels int64
	// MaxPages is the number of PDF pages read per document; later pages
	// are skipped and the text marked truncated. Default 2,000.
	MaxPages int
}

// Ratio checks start once this many bytes came out, so that small, very
// compressible files are never taken for bombs.
const (
	RatioGrace      = 1 << 20
	TotalRatioGrace = 16 << 20
)

// DefaultLimits are the limits of a zero Limits.
var DefaultLimits = Limits{
	MaxDepth:        3,
	MaxMembers:      10_000,
	MaxUncompressed: 1 << 30,
	MaxRatio:        200,
	MaxTotalRatio:   100,
	MaxText:         4 << 20,
	MaxImagePixels:  50_000_000,
	MaxPages:        2_000,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxMembers > 0 {
		d.MaxMembers = l.MaxMembers
	}
	if l.MaxUncompressed > 0 {
		d.MaxUncompressed = l.MaxUncompressed
	}
	if l.MaxRatio > 0 {
		d.MaxRatio = l.MaxRatio
	}
	if l.MaxTotalRatio > 0 {
		d.MaxTotalRatio = l.MaxTotalRatio
	}
	if l.MaxText > 0 {
		d.MaxText = l.MaxText
	}
	if l.MaxImagePixels > 0 {
		d.MaxImagePixels = l.MaxImagePixels
	}
	if l.MaxPages > 0 {
		d.MaxPages = l.MaxPages
	}
	return d
}

// Kind says how the HTTP layer should answer an [Error].
type Kind string

const (
	// TooLarge: the upload is bigger than the service screens (HTTP 413).
	TooLarge Kind = "too_large"
	// Unprocessable: a bomb or a structure the service refuses to unpack
	// (HTTP 422).
	Unprocessable Kind = "unprocessable"
)

// Error is the error Extract returns when the upload breaches a limit. Its
// message names the limit and the member, and is safe to show to the user.
type Error struct {
	Kind  Kind
	Limit string // the Limits field breached, e.g. "MaxRatio"; "" for structural refusals
	Path  string // the member or stream where it happened
	Msg   string
}

func (e *Error) Error() string {
	if e.Limit == "" {
		return fmt.Sprintf("%s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s (limit %s)", e.Path, e.Msg, e.Limit)
}

func tooLarge(path, limit, format string, args ...any) *Error {
	return &Error{Kind: TooLarge, Limit: limit, Path: path, Msg: fmt.Sprintf(format, args...)}
}

func unprocessable(path, limit, format string, args ...any) *Error {
	return &Error{Kind: Unprocessable, Limit: limit, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// meter counts the output of one decompressor against the member's ratio
// and the upload's budget. in counts the compressed bytes consumed; it may
// be nil when the input size is known up front (inSize).
type meter struct {
	w      *walker
	r      io.Reader
	path   string
	in     *counter
	inSize int64
	out    int64
}

func (m *meter) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if n > 0 {
		m.out += int64(n)
		if lerr := m.w.produced(m.path, int64(n)); lerr != nil {
			return n, lerr
		}
		if m.out > RatioGrace {
			in := m.inSize
			if m.in != nil {
				in = m.in.n
			}
			if in < 1 {
				in = 1
			}
			if r := float64(m.out) / float64(in); r > m.w.lim.MaxRatio {
				return n, unprocessable(m.path, "MaxRatio",
					"compression ratio above %.0f:1 (%d bytes from %d): refused as a decompression bomb", m.w.lim.MaxRatio, m.out, in)
			}
		}
	}
	return n, err
}

// declared refuses a member whose declared sizes already make it a bomb.
// Declared sizes can only refuse: they are never trusted to accept.
func (w *walker) declared(p string, csize, usize int64) error {
	if usize > w.lim.MaxUncompressed {
		return tooLarge(p, "MaxUncompressed", "declared to expand to %d bytes, more than %d", usize, w.lim.MaxUncompressed)
	}
	if usize > RatioGrace && float64(usize)/float64(max(csize, 1)) > w.lim.MaxRatio {
		return unprocessable(p, "MaxRatio", "declared compression ratio above %.0f:1 (%d bytes from %d): refused as a decompression bomb",
			w.lim.MaxRatio, usize, csize)
	}
	return nil
}
