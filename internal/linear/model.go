package linear

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"sync"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/normalize"
)

// maxHeads bounds the heads of a model.
const maxHeads = 64

// Model is a trained classifier: feature settings and one logistic
// regression head per category. It is immutable and safe for concurrent use.
type Model struct {
	p       params
	heads   []head
	codes   []int8    // bucket-major: codes[b*len(heads)+h]
	table   []float32 // per head, 256 weight values indexed by uint8(code)
	version string
}

// head is one category's logistic regression.
type head struct {
	cat       moderation.Category
	threshold float64
	bias      float32
}

// Head describes one head of a model.
type Head struct {
	Category moderation.Category
	// Threshold is the probability at and above which the model's
	// operating point says a human should review.
	Threshold float64
}

// Heads lists the model's heads in the order Classify reports them.
func (m *Model) Heads() []Head {
	hs := make([]Head, len(m.heads))
	for i, h := range m.heads {
		hs[i] = Head{Category: h.cat, Threshold: h.threshold}
	}
	return hs
}

// Version is a short hash of the model file: two files with the same
// version score every text alike.
func (m *Model) Version() string { return m.version }

// Classify scores text for every head, in the order of [Model.Heads]. It
// normalises the text itself (normalize.Fold, then normalize.WordsOf). A
// text whose word view is longer than the model's window (2 KiB at the
// default settings) is scored window by window, cut between words, and each
// head reports its highest probability over the windows: the whole text is
// scored, the work is linear in its length, and a violation at the end of a
// long text counts as much as one at its start. Memory is the normaliser's
// views of the text (about 40 bytes a byte) and one window's feature table.
// Classify is safe for concurrent use.
func (m *Model) Classify(text string) []moderation.ModelScore {
	if m == nil {
		return nil
	}
	f := normalize.Fold(text)
	w := normalize.WordsOf(&f)
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	nh := len(m.heads)
	sc.z = grow(sc.z, nh)
	sc.best = grow(sc.best, nh)
	s := w.Text
	for first := true; first || len(s) > 0; first = false {
		n := nextWindow(s, int(m.p.window))
		ents, inv := sc.x.features(s[:n], m.p)
		m.logits(ents, inv, sc.z)
		for h, z := range sc.z {
			if first || z > sc.best[h] {
				sc.best[h] = z
			}
		}
		s = s[n:]
	}
	out := make([]moderation.ModelScore, nh)
	for h, hd := range m.heads {
		out[h] = moderation.ModelScore{Category: hd.cat, P: sigmoid(sc.best[h]), Threshold: hd.threshold}
	}
	return out
}

// scratch is the reusable state of one Classify call.
type scratch struct {
	x       extractor
	z, best []float32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// logits sets z[h] to head h's log-odds for the features ents with inverse
// norm inv. Training computes its held-out scores with the same function.
func (m *Model) logits(ents []entry, inv float32, z []float32) {
	nh := len(m.heads)
	codes := m.codes
	h := 0
	// Four heads at a time, in registers: scoring is most of a call.
	for ; h+4 <= nh; h += 4 {
		t0 := (*[256]float32)(m.table[h<<8:])
		t1 := (*[256]float32)(m.table[(h+1)<<8:])
		t2 := (*[256]float32)(m.table[(h+2)<<8:])
		t3 := (*[256]float32)(m.table[(h+3)<<8:])
		var a0, a1, a2, a3 float32
		for _, e := range ents {
			o := int(e.bucket)*nh + h
			r := codes[o : o+4 : o+4]
			v := e.val
			a0 += v * t0[uint8(r[0])]
			a1 += v * t1[uint8(r[1])]
			a2 += v * t2[uint8(r[2])]
			a3 += v * t3[uint8(r[3])]
		}
		z[h], z[h+1], z[h+2], z[h+3] = a0, a1, a2, a3
	}
	for ; h < nh; h++ {
		t := (*[256]float32)(m.table[h<<8:])
		var a float32
		for _, e := range ents {
			a += e.val * t[uint8(codes[int(e.bucket)*nh+h])]
		}
		z[h] = a
	}
	for h := range z[:nh] {
		z[h] = m.heads[h].bias + z[h]*inv
	}
}

func sigmoid(z float32) float64 { return 1 / (1 + math.Exp(-float64(z))) }

// The model file, little-endian:
//
//	magic       8 bytes  "AUPLINR\x00"
//	format      uint16   1
//	bits        uint8    2^bits buckets
//	charMin     uint8    character n-gram lengths
//	charMax     uint8
//	wordNgrams  uint8    1 or 2
//	window      uint32   bytes of word view scored at once
//	heads       uint8    number of heads, then for each:
//	  nameLen   uint8, name (a moderation.Category)
//	  threshold float64
//	  bias      float32
//	  table     256 × float32: the weight of each code, indexed by uint8(code)
//	codes       2^bits × heads int8, bucket-major
//	crc         uint32   CRC-32 (IEEE) of everything before it
const (
	magic         = "AUPLINR\x00"
	formatVersion = 1
	maxFileBytes  = 1 << 30
)

// ErrFormat is wrapped by every error Load returns for a file that is not a
// valid model.
var ErrFormat = errors.New("linear model")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// Load reads a model file.
func Load(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read linear model: %w", err)
	}
	if len(data) > maxFileBytes {
		return nil, formatErr("file is larger than %d bytes", maxFileBytes)
	}
	return parse(data)
}

func parse(data []byte) (*Model, error) {
	if len(data) < len(magic) || string(data[:len(magic)]) != magic {
		return nil, formatErr("not a model file (bad magic)")
	}
	d := decoder{b: data[len(magic):]}
	if v := d.u16(); d.err == nil && v != formatVersion {
		return nil, formatErr("format version %d, this aup reads %d", v, formatVersion)
	}
	m := &Model{}
	m.p = params{bits: d.u8(), charMin: d.u8(), charMax: d.u8(), wordNgrams: d.u8(), window: d.u32()}
	nh := int(d.u8())
	if d.err != nil {
		return nil, d.err
	}
	if !m.p.valid() {
		return nil, formatErr("feature settings out of range (bits %d, n-grams %d-%d, word n-grams %d, window %d)",
			m.p.bits, m.p.charMin, m.p.charMax, m.p.wordNgrams, m.p.window)
	}
	if nh == 0 || nh > maxHeads {
		return nil, formatErr("%d heads, want 1 to %d", nh, maxHeads)
	}
	m.heads = make([]head, nh)
	m.table = make([]float32, nh*256)
	seen := map[moderation.Category]bool{}
	for h := range m.heads {
		name := moderation.Category(d.bytes(int(d.u8())))
		hd := head{cat: name, threshold: d.f64(), bias: d.f32()}
		for i := range 256 {
			m.table[h<<8|i] = d.f32()
		}
		if d.err != nil {
			return nil, d.err
		}
		switch {
		case !name.Valid():
			return nil, formatErr("head %d: unknown category %q", h, name)
		case seen[name]:
			return nil, formatErr("head %d: category %q twice", h, name)
		case !(hd.threshold >= 0 && hd.threshold <= 1):
			return nil, formatErr("head %s: threshold %v is not a probability", name, hd.threshold)
		case !finite(float64(hd.bias)):
			return nil, formatErr("head %s: bias is not finite", name)
		}
		for _, v := range m.table[h<<8 : h<<8+256] {
			if !finite(float64(v)) {
				return nil, formatErr("head %s: weight table is not finite", name)
			}
		}
		seen[name] = true
		m.heads[h] = hd
	}
	n := nh << m.p.bits
	switch rest := len(d.b); {
	case rest < n+4:
		return nil, formatErr("truncated: %d bytes of weights and checksum, want %d", rest, n+4)
	case rest > n+4:
		return nil, formatErr("%d bytes after the checksum", rest-(n+4))
	}
	body := data[:len(data)-4]
	if got, want := crc32.ChecksumIEEE(body), binary.LittleEndian.Uint32(data[len(data)-4:]); got != want {
		return nil, formatErr("checksum mismatch (file corrupted)")
	}
	m.codes = make([]int8, n)
	for i, b := range d.b[:n] {
		m.codes[i] = int8(b)
	}
	sum := sha256.Sum256(data)
	m.version = hex.EncodeToString(sum[:8])
	return m, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// decoder reads little-endian fields; after the first short read every
// read returns zero and err says where the file ended.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return make([]byte, n)
	}
	if len(d.b) < n {
		d.err = formatErr("truncated: the file ends in its header")
		return make([]byte, n)
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8() uint8          { return d.take(1)[0] }
func (d *decoder) u16() uint16        { return binary.LittleEndian.Uint16(d.take(2)) }
func (d *decoder) u32() uint32        { return binary.LittleEndian.Uint32(d.take(4)) }
func (d *decoder) f32() float32       { return math.Float32frombits(d.u32()) }
func (d *decoder) f64() float64       { return math.Float64frombits(binary.LittleEndian.Uint64(d.take(8))) }
func (d *decoder) bytes(n int) string { return string(d.take(n)) }

// MarshalBinary encodes the model in the file format that Load reads.
func (m *Model) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(magic)
	le := binary.LittleEndian
	b.Write(le.AppendUint16(nil, formatVersion))
	b.Write([]byte{m.p.bits, m.p.charMin, m.p.charMax, m.p.wordNgrams})
	b.Write(le.AppendUint32(nil, m.p.window))
	if len(m.heads) == 0 || len(m.heads) > maxHeads {
		return nil, fmt.Errorf("linear model: %d heads", len(m.heads))
	}
	b.WriteByte(byte(len(m.heads)))
	for h, hd := range m.heads {
		if len(hd.cat) > 255 {
			return nil, fmt.Errorf("linear model: category name %q too long", hd.cat)
		}
		b.WriteByte(byte(len(hd.cat)))
		b.WriteString(string(hd.cat))
		b.Write(le.AppendUint64(nil, math.Float64bits(hd.threshold)))
		b.Write(le.AppendUint32(nil, math.Float32bits(hd.bias)))
		for _, v := range m.table[h<<8 : h<<8+256] {
			b.Write(le.AppendUint32(nil, math.Float32bits(v)))
		}
	}
	for _, c := range m.codes {
		b.WriteByte(byte(c))
	}
	b.Write(le.AppendUint32(nil, crc32.ChecksumIEEE(b.Bytes())))
	return b.Bytes(), nil
}
