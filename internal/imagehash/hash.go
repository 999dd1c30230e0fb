package imagehash

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
)

// Hash is a 256-bit PDQ hash. Its bytes are in the order of the 64 hex
// digits that PDQ tools print and exchange: the first byte is the first two
// digits. Bit k of the hash (k = 16·row + column of its DCT coefficient)
// is bit k%8 of byte 31 - k/8.
type Hash [32]byte

// String returns the hash as 64 lower-case hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes the hash as 64 hex digits (JSON strings, config).
func (h Hash) MarshalText() ([]byte, error) {
	b := make([]byte, 64)
	hex.Encode(b, h[:])
	return b, nil
}

// UnmarshalText decodes 64 hex digits, as [Parse] does.
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// Parse reads a hash written as 64 hex digits, in either case.
func Parse(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("imagehash: a PDQ hash is 64 hex digits, got %d characters", len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("imagehash: a PDQ hash is 64 hex digits: %w", err)
	}
	return h, nil
}

// Distance is the Hamming distance between two hashes: the number of bits,
// 0 to 256, in which they differ.
func Distance(a, b Hash) int {
	n := 0
	for i := 0; i < len(a); i += 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]))
	}
	return n
}

// bit reports whether bit k of the hash is set.
func (h *Hash) bit(k int) bool { return h[31-k/8]>>(k%8)&1 == 1 }

// setBit sets bit k of the hash.
func (h *Hash) setBit(k int) { h[31-k/8] |= 1 << (k % 8) }
