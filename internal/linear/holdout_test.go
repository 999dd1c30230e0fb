package linear

import (
	"fmt"
	"testing"
)

func TestHoldoutStable(t *testing.T) {
	// The split must never change: the committed model was trained without
	// the held-out rows, and eval --holdout measures only them.
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"hatecheck:1", false}, {"hatecheck:7", true}, {"hatecheck:9", true}, {"hatecheck:11", true},
		{"davidson:0", false}, {"davidson:1", true}, {"uci-sms:2", false}, {"textdetox-de:0", true},
		{"textdetox-ru:17", false}, {"lingua-ar:0", false}, {"strongreject:0", false},
	} {
		if got := Holdout(tc.id); got != tc.want {
			t.Errorf("Holdout(%q) = %v, want %v: the split changed", tc.id, got, tc.want)
		}
	}
}

func TestHoldoutShare(t *testing.T) {
	const n = 100000
	held := 0
	for i := range n {
		if Holdout(fmt.Sprintf("row:%d", i)) {
			held++
		}
	}
	share := float64(held) / n
	if share < 0.19 || share > 0.21 {
		t.Errorf("held out %.3f of rows, want about %.2f", share, float64(HoldoutPercent)/100)
	}
}

func TestFoldShare(t *testing.T) {
	const n, k = 40000, 4
	var counts [k]int
	for i := range n {
		counts[fold(fmt.Sprintf("row:%d", i), k)]++
	}
	for f, c := range counts {
		if c < n/k*9/10 || c > n/k*11/10 {
			t.Errorf("fold %d has %d of %d rows", f, c, n)
		}
	}
}
