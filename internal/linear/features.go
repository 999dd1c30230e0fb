package linear

import (
	"math"
	"unicode/utf8"
)

// params are the feature settings. They are stored in the model file, so
// that a model is always scored with the features it was trained on.
type params struct {
	bits       uint8  // 2^bits buckets
	charMin    uint8  // shortest character n-gram, in characters (word boundaries count)
	charMax    uint8  // longest character n-gram
	wordNgrams uint8  // 1: word unigrams; 2: unigrams and bigrams
	window     uint32 // bytes of the word view scored at once
}

// Limits of the parameters a model file may carry.
const (
	minBits, maxBits = 10, 24
	maxCharN         = 8
	minWindow        = 64
	maxWindow        = 1 << 16
)

func (p params) valid() bool {
	return p.bits >= minBits && p.bits <= maxBits &&
		p.charMin >= 2 && p.charMin <= p.charMax && p.charMax <= maxCharN &&
		p.wordNgrams >= 1 && p.wordNgrams <= 2 &&
		p.window >= minWindow && p.window <= maxWindow
}

// Seeds keep the kinds of feature apart: the word "ab" and the character
// bigram "ab" are different features.
const (
	seedChar   = fnvOffset ^ 0x63 // 'c'
	seedWord   = fnvOffset ^ 0x77 // 'w'
	seedBigram = fnvOffset ^ 0x62 // 'b'
)

// entry is one distinct feature of a window: its bucket and its signed
// value, 1+ln(tf), before L2 normalisation.
type entry struct {
	bucket uint32
	val    float32
}

// maxSlots bounds the table of distinct features of one window, and so the
// memory of a call (1 MiB). A window of the default 2 KiB has at most about
// 10,000 features, far below maxDistinct; only a model with much larger
// windows or wider n-gram ranges would reach it, and then the later new
// features of a window would be ignored (the same in training and scoring).
const (
	maxSlots    = 1 << 17
	maxDistinct = maxSlots / 2
)

// extractor collects the distinct features of a window with their counts
// in an open-addressing table; its buffers are reused between calls.
type extractor struct {
	// slots holds a feature's mixed hash in its top 48 bits and its count
	// in the low 16 (saturating); 0 is an empty slot. One word a slot keeps
	// the table of a note within the L1 cache.
	slots []uint64
	used  []int32 // occupied slots, in insertion order
	mask  uint64
	buf   []byte  // a padded word
	offs  []int32 // rune offsets in buf
	ents  []entry
}

const countBits = 16

// features returns the features of the word-view window s (words are runs
// of bytes other than ' ') and the inverse of their L2 norm (0 without
// features). The entries are valid until the next call.
func (x *extractor) features(s string, p params) ([]entry, float32) {
	x.reset(tableSize(len(s), p))
	var prev uint64 // hash of the previous word
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != ' ' {
			j++
		}
		w := s[i:j]
		x.charGrams(w, p)
		wh := hashString(seedWord, w)
		x.add(wh)
		if p.wordNgrams >= 2 && prev != 0 {
			x.add((prev*fnvPrime ^ wh) ^ seedBigram)
		}
		prev, i = wh, j
	}
	return x.finish(p.bits)
}

// tableSize is a power of two above the number of features that a window of
// n bytes can have, within maxSlots. A note fills about a third of it, and
// its table stays in the L1 cache.
func tableSize(n int, p params) int {
	bound := (int(p.charMax-p.charMin)+3)*(n+2) + 16
	size := 64
	for size <= bound && size < maxSlots {
		size *= 2
	}
	return size
}

func (x *extractor) reset(size int) {
	if len(x.slots) < size {
		x.slots = make([]uint64, size)
	}
	x.mask = uint64(size - 1)
	x.used = x.used[:0]
	x.ents = x.ents[:0]
}

// charGrams adds the character n-grams of the word w padded with a space on
// each side, with every ASCII digit written as 0.
func (x *extractor) charGrams(w string, p params) {
	buf, offs := append(x.buf[:0], ' '), x.offs[:0]
	ascii := true
	for i := 0; i < len(w); i++ {
		c := w[i]
		if '0' <= c && c <= '9' {
			c = '0'
		}
		ascii = ascii && c < utf8.RuneSelf
		buf = append(buf, c)
	}
	buf = append(buf, ' ')
	x.buf = buf
	if ascii {
		// One byte a character.
		n := len(buf)
		for a := 0; a+int(p.charMin) <= n; a++ {
			h := seedChar
			for k := 1; k <= int(p.charMax) && a+k <= n; k++ {
				h = hashByte(h, buf[a+k-1])
				if k >= int(p.charMin) {
					x.add(h)
				}
			}
		}
		return
	}
	for i := 0; i < len(buf); {
		offs = append(offs, int32(i))
		if buf[i] < utf8.RuneSelf {
			i++
		} else {
			_, size := utf8.DecodeRune(buf[i:])
			i += size
		}
	}
	offs = append(offs, int32(len(buf)))
	x.offs = offs
	n := len(offs) - 1 // characters
	for a := 0; a+int(p.charMin) <= n; a++ {
		h := seedChar
		for k := 1; k <= int(p.charMax) && a+k <= n; k++ {
			for _, b := range buf[offs[a+k-1]:offs[a+k]] {
				h = hashByte(h, b)
			}
			if k >= int(p.charMin) {
				x.add(h)
			}
		}
	}
}

// add counts one occurrence of the feature with hash h.
func (x *extractor) add(h uint64) {
	k := mix64(h) &^ (1<<countBits - 1)
	if k == 0 {
		k = 1 << countBits
	}
	i := (k >> countBits) & x.mask
	for {
		switch s := x.slots[i]; {
		case s == 0:
			if len(x.used) >= maxDistinct {
				return
			}
			x.slots[i] = k | 1
			x.used = append(x.used, int32(i))
			return
		case s&^(1<<countBits-1) == k:
			if s&(1<<countBits-1) != 1<<countBits-1 {
				x.slots[i]++
			}
			return
		}
		i = (i + 1) & x.mask
	}
}

// finish turns the table into entries, in insertion order, and clears it.
// The bucket is the top bits of the mixed hash, the sign the lowest bit of
// its key.
func (x *extractor) finish(bits uint8) ([]entry, float32) {
	shift := 64 - bits
	var norm2 float32
	ents := x.ents[:0]
	for _, i := range x.used {
		s := x.slots[i]
		v := tf(uint32(s & (1<<countBits - 1)))
		norm2 += v * v
		if s>>countBits&1 != 0 {
			v = -v
		}
		ents = append(ents, entry{bucket: uint32(s >> shift), val: v})
		x.slots[i] = 0
	}
	x.used = x.used[:0]
	x.ents = ents
	if norm2 == 0 {
		return ents, 0
	}
	return ents, float32(1 / math.Sqrt(float64(norm2)))
}

// tf is the sublinear term frequency 1+ln(n).
func tf(n uint32) float32 {
	if n < uint32(len(tfTable)) {
		return tfTable[n]
	}
	return float32(1 + math.Log(float64(n)))
}

var tfTable = func() (t [64]float32) {
	for n := 1; n < len(t); n++ {
		t[n] = float32(1 + math.Log(float64(n)))
	}
	return t
}()

// nextWindow returns the length of the first window of the word view s: at
// most max bytes, ending after a space where there is one in the window's
// second half, else at a character boundary (a word longer than half a
// window is cut). It returns len(s) when s fits.
func nextWindow(s string, max int) int {
	if len(s) <= max {
		return len(s)
	}
	for i := max; i > max/2; i-- {
		if s[i-1] == ' ' {
			return i
		}
	}
	i := max
	for i > 1 && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}
