package engine

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/aup-dev/aup/internal/moderation"
	"github.com/aup-dev/aup/internal/rules"
)

func fileEngine(t *testing.T) *Engine {
	t.Helper()
	fsys := testRules()
	fsys["any/malware.rules"] = &fstest.MapFile{Data: []byte("$executable | score=0.9\n$macro | score=0.6\n")}
	set, err := rules.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(set, Options{Detector: &fixedLang{lang: english}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestScreenFile(t *testing.T) {
	e := fileEngine(t)
	ctx := context.Background()
	long := strings.Repeat("nothing to see here at all ", 3000) // ~80 KiB: two windows
	tests := []struct {
		name    string
		file    File
		action  moderation.Action
		scores  map[moderation.Category]float64
		signals []string
	}{
		{"clean text", File{Parts: []FilePart{{"a.txt", "meeting at noon"}}}, moderation.Allow, nil, nil},
		{"a part blocks", File{Parts: []FilePart{{"a.txt", "meeting at noon"}, {"b.zip/c.txt", "they are vermin"}}},
			moderation.Block, map[moderation.Category]float64{moderation.Hate: 0.9}, nil},
		{"parts do not add up", File{Parts: []FilePart{{"a.txt", "go back to your country"}, {"b.txt", "go back to their country"}}},
			moderation.Review, map[moderation.Category]float64{moderation.Hate: 0.6}, nil},
		{"an executable blocks, counted once", File{Findings: []Finding{{"executable", "x.zip/a.exe", "PE"}, {"executable", "x.zip/b.exe", "PE"}}},
			moderation.Block, map[moderation.Category]float64{moderation.Malware: 0.9}, []string{"executable", "executable"}},
		{"a detector that is off is reported unscored", File{Findings: []Finding{{"exif_location", "p.jpg", "GPS"}}}, moderation.Allow, nil, []string{"exif_location"}},
		{"a reviewing bank", File{Banks: []BankHit{{BankMatch: moderation.BankMatch{Bank: "removed", Category: moderation.Sexual, Action: moderation.Review, Kind: moderation.HashPDQ, Distance: 4}}}},
			moderation.Review, map[moderation.Category]float64{moderation.Sexual: 0.5}, []string{"hashbank"}},
		{"a blocking bank", File{Banks: []BankHit{{BankMatch: moderation.BankMatch{Bank: "known", Category: moderation.ChildSafety, Action: moderation.Block, Kind: moderation.HashSHA256}}}},
			moderation.Block, map[moderation.Category]float64{moderation.ChildSafety: 1}, []string{"hashbank"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := e.ScreenFile(ctx, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if v.Action != tc.action {
				t.Errorf("action %s, want %s: %+v", v.Action, tc.action, v)
			}
			for cat, want := range tc.scores {
				if got := v.Score(cat); got != want {
					t.Errorf("%s scores %v, want %v", cat, got, want)
				}
			}
			var names []string
			for _, s := range v.Signals {
				names = append(names, s.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.signals, ",") {
				t.Errorf("signals %v, want %v", names, tc.signals)
			}
		})
	}

	t.Run("offsets point into the part across windows", func(t *testing.T) {
		text := long + "they are vermin"
		v, err := e.ScreenFile(ctx, File{Parts: []FilePart{{"big.txt", text}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Matches) != 1 || v.Matches[0].Source != "big.txt" || text[v.Matches[0].Start:v.Matches[0].End] != "vermin" {
			t.Fatalf("matches %+v", v.Matches)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := e.ScreenFile(ctx, File{Parts: []FilePart{{"a.txt", "x"}}}); err == nil {
			t.Fatal("a cancelled screening succeeded")
		}
	})
}

func TestWindow(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"aaaa bbbb cccc", 12, "aaaa bbbb "},
		{"aaaaaaaaaaaaaa", 8, "aaaaaaaa"},
		{"ééééé", 5, "éé"}, // never inside a character
	} {
		if got := window(tc.s, tc.n); got != tc.want {
			t.Errorf("window(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
