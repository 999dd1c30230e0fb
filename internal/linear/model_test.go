package linear

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
)

// modelFile returns the file of the shared synthetic model.
func modelFile(t testing.TB) []byte {
	t.Helper()
	m, _ := smallModel(t)
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// resum rewrites the checksum of a file edited by a test.
func resum(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	return b
}

func TestLoadRoundTrip(t *testing.T) {
	m, _ := smallModel(t)
	b := modelFile(t)
	m2, err := Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if m2.Version() != m.Version() || len(m.Version()) != 16 {
		t.Errorf("versions %q and %q", m.Version(), m2.Version())
	}
	b2, err := m2.MarshalBinary()
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("the file does not survive a round trip (err %v)", err)
	}
	text := "you idiot, claim your free prize now"
	if !slices.Equal(m.Classify(text), m2.Classify(text)) {
		t.Error("the loaded model scores differently")
	}
}

func TestLoadRejects(t *testing.T) {
	good := modelFile(t)
	edit := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	headEnd := len(magic) + 2 + 4 + 4 + 1 // the first head's name length
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"text", []byte("not a model at all, just some text"), "bad magic"},
		{"magic only", []byte(magic), "truncated"},
		{"newer format", edit(func(b []byte) []byte { b[len(magic)] = 9; return b }), "format version 9"},
		{"truncated header", good[:headEnd+3], "truncated"},
		{"truncated weights", good[:len(good)/2], "truncated"},
		{"no checksum", good[:len(good)-4], "truncated"},
		{"trailing bytes", append(slices.Clone(good), 0), "after the checksum"},
		{"flipped weight", edit(func(b []byte) []byte { b[len(b)-100] ^= 0x40; return b }), "checksum mismatch"},
		{"flipped checksum", edit(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), "checksum mismatch"},
		{"bits out of range", edit(func(b []byte) []byte { b[len(magic)+2] = 40; return resum(b) }), "feature settings"},
		{"no heads", edit(func(b []byte) []byte { b[headEnd-1] = 0; return resum(b) }), "0 heads"},
		{"unknown category", edit(func(b []byte) []byte { b[headEnd+1] = 'X'; return resum(b) }), "unknown category"},
		{"threshold not a probability", edit(func(b []byte) []byte {
			off := headEnd + 1 + int(b[headEnd])
			binary.LittleEndian.PutUint64(b[off:], math.Float64bits(math.NaN()))
			return resum(b)
		}), "not a probability"},
		{"infinite weight", edit(func(b []byte) []byte {
			off := headEnd + 1 + int(b[headEnd]) + 8 + 4
			binary.LittleEndian.PutUint32(b[off:], math.Float32bits(float32(math.Inf(1))))
			return resum(b)
		}), "not finite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(bytes.NewReader(tc.file))
			if err == nil {
				t.Fatalf("loaded a broken file (%d heads)", len(m.heads))
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want an ErrFormat that mentions %q", err, tc.want)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLoadReadError(t *testing.T) {
	if _, err := Load(failingReader{}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v", err)
	}
}

func TestClassifyEdgeCases(t *testing.T) {
	m, _ := smallModel(t)
	nh := len(m.Heads())
	for _, tc := range []struct{ name, text string }{
		{"empty", ""},
		{"spaces", "   \n\t "},
		{"punctuation", "!!! ??? ..."},
		{"invalid UTF-8", "you \xff\xfe idiot \xc3"},
		{"one huge word", strings.Repeat("a", 100<<10)},
		{"huge text", strings.Repeat("milk bread garden meeting ", 40<<10)},
		{"expanding characters", strings.Repeat("\ufdfa", 5000)}, // NFKC: 33 bytes each
		{"mixed scripts", "пpивeт 你好世界 مرحبا idiot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := m.Classify(tc.text)
			if len(got) != nh {
				t.Fatalf("%d scores, want %d", len(got), nh)
			}
			for _, s := range got {
				if !(s.P >= 0 && s.P <= 1) {
					t.Errorf("%s: P = %v", s.Category, s.P)
				}
			}
			if again := m.Classify(tc.text); !slices.Equal(got, again) {
				t.Errorf("not deterministic: %v then %v", got, again)
			}
		})
	}
	var nilModel *Model
	if nilModel.Classify("x") != nil {
		t.Error("a nil model scores")
	}
}

// A short violation inside a long benign text is scored in its own window,
// not averaged away.
func TestClassifyLongText(t *testing.T) {
	m, _ := smallModel(t)
	bad := "you idiot moron"
	padding := strings.Repeat("milk bread garden meeting tomorrow ", 2000)
	alone := m.Classify(bad)[0]
	for _, text := range []string{padding + bad, bad + " " + padding, padding + bad + " " + padding} {
		got := m.Classify(text)[0]
		if got.P < got.Threshold {
			t.Errorf("harassment P = %.3f in a %d-byte text, %.3f alone (threshold %.3f)", got.P, len(text), alone.P, got.Threshold)
		}
	}
	if got := m.Classify(padding)[0]; got.P >= got.Threshold {
		t.Errorf("benign long text flagged: P = %.3f", got.P)
	}
}

func TestClassifyConcurrent(t *testing.T) {
	m, _ := smallModel(t)
	texts := []string{"you idiot", "free cash prize, claim now", "milk and bread", strings.Repeat("garden ", 3000)}
	want := make([][]float64, len(texts))
	for i, s := range texts {
		for _, sc := range m.Classify(s) {
			want[i] = append(want[i], sc.P)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := (g + i) % len(texts)
				for h, sc := range m.Classify(texts[k]) {
					if sc.P != want[k][h] {
						t.Errorf("text %d head %d: %v, want %v", k, h, sc.P, want[k][h])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestNextWindow(t *testing.T) {
	for _, tc := range []struct {
		s    string
		max  int
		want int
	}{
		{" a b ", 10, 5},
		{" aaaa bbbb cccc ", 8, 6},             // after the space that ends "aaaa"
		{" " + strings.Repeat("x", 20), 8, 8},  // a long word is cut
		{" é" + strings.Repeat("é", 10), 8, 7}, // at a character boundary
	} {
		if got := nextWindow(tc.s, tc.max); got != tc.want {
			t.Errorf("nextWindow(%q, %d) = %d, want %d", tc.s, tc.max, got, tc.want)
		}
	}
}

func TestFeatures(t *testing.T) {
	p := DefaultOptions().params()
	var x extractor
	count := func(s string) int { ents, _ := x.features(s, p); return len(ents) }
	// " ab " has the 3-grams " ab", "ab " and the 4-gram " ab ", plus the
	// word itself.
	if got := count(" ab "); got != 4 {
		t.Errorf("%d features for one two-letter word, want 4", got)
	}
	// Digits are one digit to the n-grams, not to the words.
	e1, _ := x.features(" 12345 ", p)
	a := slices.Clone(e1)
	e2, _ := x.features(" 99999 ", p)
	same := 0
	for i := range a {
		if a[i] == e2[i] {
			same++
		}
	}
	if same != len(a)-1 {
		t.Errorf("%d of %d features shared by two numbers of five digits, want all but the word", same, len(a))
	}
	// Repeats count once each, with a sublinear weight.
	one := count(" spam ")
	ents, inv := x.features(" spam spam spam ", p)
	if len(ents) != one+1 || ents[0].val*ents[0].val != tf(3)*tf(3) || inv <= 0 {
		t.Errorf("repeated word: %d features, first %v", len(ents), ents[0])
	}
	if ents, inv := x.features(" ", p); len(ents) != 0 || inv != 0 {
		t.Errorf("no words: %d features, inv %v", len(ents), inv)
	}
}
