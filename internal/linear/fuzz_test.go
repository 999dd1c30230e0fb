package linear

import (
	"bytes"
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
)

// tinyModel is a valid model of the smallest size, built by hand.
func tinyModel() *Model {
	p := params{bits: minBits, charMin: 3, charMax: 4, wordNgrams: 2, window: minWindow}
	m := &Model{p: p, heads: []head{{cat: moderation.Hate, threshold: 0.5, bias: -1}, {cat: moderation.Spam, threshold: 0.7}},
		codes: make([]int8, 2<<minBits), table: make([]float32, 2*256)}
	for i := range m.codes {
		m.codes[i] = int8(i*37) % 100
	}
	for i := range m.table {
		m.table[i] = float32(int8(i)) / 64
	}
	return m
}

// FuzzLoad: Load never panics, and a file it accepts is a working model
// that encodes back to the same bytes.
func FuzzLoad(f *testing.F) {
	good, err := tinyModel().MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[:40])
	f.Add([]byte(magic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		if got := m.Classify("some text, пример, \xff"); len(got) != len(m.heads) {
			t.Fatalf("%d scores for %d heads", len(got), len(m.heads))
		}
		back, err := m.MarshalBinary()
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("accepted a file that does not encode back to itself (err %v)", err)
		}
	})
}

func TestTinyModel(t *testing.T) {
	b, err := tinyModel().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Classify("hello there, a long enough text to need several windows of sixty-four bytes each"); len(got) != 2 {
		t.Fatalf("%d scores", len(got))
	}
}
