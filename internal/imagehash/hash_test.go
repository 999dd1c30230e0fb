package imagehash

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // "" for an error
	}{
		{"lower", referenceBridge[Original], referenceBridge[Original]},
		{"upper", strings.ToUpper(referenceBridge[Original]), referenceBridge[Original]},
		{"zero", strings.Repeat("0", 64), strings.Repeat("0", 64)},
		{"short", referenceBridge[Original][:63], ""},
		{"long", referenceBridge[Original] + "0", ""},
		{"empty", "", ""},
		{"not hex", strings.Repeat("g", 64), ""},
		{"spaces", " " + referenceBridge[Original][1:], ""},
		{"0x prefix", "0x" + referenceBridge[Original][2:], ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Parse(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %v, want an error", tc.in, h)
				}
				if !strings.Contains(err.Error(), "64 hex digits") {
					t.Errorf("error %q does not say what a hash looks like", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.String() != tc.want {
				t.Errorf("String() = %s, want %s", h, tc.want)
			}
		})
	}
}

// TestHexLayout: the first hex digits are the highest bits (the last
// coefficients), as the reference prints its 16-bit words from the last.
func TestHexLayout(t *testing.T) {
	var h Hash
	h.setBit(255)
	h.setBit(0)
	if got := h.String(); got != "80"+strings.Repeat("0", 60)+"01" {
		t.Errorf("bits 255 and 0 print as %s", got)
	}
	h = Hash{}
	h.setBit(16) // word 1, bit 0: the 16-bit word "0001" printed 15th of 16
	if got := h.String(); got != strings.Repeat("0", 56)+"0001"+"0000" {
		t.Errorf("bit 16 prints as %s", got)
	}
}

func TestDistance(t *testing.T) {
	a, _ := Parse(referenceBridge[Original])
	cases := []struct {
		name string
		b    Hash
		want int
	}{
		{"same", a, 0},
		{"complement", complement(a), 256},
		{"one bit", flipBits(a, 77), 1},
		{"three bits", flipBits(a, 0, 128, 255), 3},
	}
	for _, tc := range cases {
		if got := Distance(a, tc.b); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
		if got := Distance(tc.b, a); got != tc.want {
			t.Errorf("%s reversed: %d, want %d", tc.name, got, tc.want)
		}
	}
	// Reference figure: the hashes of the photograph and of its rotation by
	// 90° that the Java reference test prints are 120 bits apart.
	x, _ := Parse("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	y, _ := Parse("30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af")
	if d := Distance(x, y); d != 120 {
		t.Errorf("reference pair: %d, want 120", d)
	}
}

func complement(h Hash) Hash {
	for i := range h {
		h[i] = ^h[i]
	}
	return h
}

func flipBits(h Hash, ks ...int) Hash {
	for _, k := range ks {
		h[31-k/8] ^= 1 << (k % 8)
	}
	return h
}

func TestHashJSON(t *testing.T) {
	a, _ := Parse(referenceBridge[Rotate90])
	b, err := json.Marshal(struct{ PDQ Hash }{a})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"PDQ":"` + referenceBridge[Rotate90] + `"}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	var back struct{ PDQ Hash }
	if err := json.Unmarshal(b, &back); err != nil || back.PDQ != a {
		t.Errorf("round trip: %v, %v", back.PDQ, err)
	}
	if err := json.Unmarshal([]byte(`{"PDQ":"abc"}`), &back); err == nil {
		t.Error("a short hash was accepted")
	}
}
