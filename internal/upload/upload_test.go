package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aup-dev/aup/internal/extract"
	"github.com/aup-dev/aup/internal/fixture"
	"github.com/aup-dev/aup/internal/hashbank"
	"github.com/aup-dev/aup/internal/imagehash"
	"github.com/aup-dev/aup/internal/moderation"
)

// newScanner returns a Scanner that screens with the bundled engine.
func newScanner(t *testing.T, cfg Config) *Scanner {
	t.Helper()
	e, err := bundledEngine()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Screener = e
	if cfg.TempDir == "" {
		cfg.TempDir = t.TempDir()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fileOf is data uploaded as name.
func fileOf(name string, data []byte) File {
	return File{R: bytes.NewReader(data), Size: int64(len(data)), SHA256: sha256.Sum256(data), Name: name}
}

func mustScan(t *testing.T, s *Scanner, name string, data []byte) Result {
	t.Helper()
	res, err := s.Scan(t.Context(), fileOf(name, data))
	if err != nil {
		t.Fatalf("Scan(%s): %v", name, err)
	}
	return res
}

func signalsNamed(v moderation.Verdict, name string) []moderation.Signal {
	var out []moderation.Signal
	for _, s := range v.Signals {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// severity orders actions from allow to block.
func severity(a moderation.Action) int {
	return slices.Index([]moderation.Action{moderation.Allow, moderation.Review, moderation.Block}, a)
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Texts. The threat sits between two ordinary paragraphs longer than the
// context an excerpt keeps, so an excerpt must leave the first line out.
const (
	minutesStart = "Minutes of the residents' meeting, held in the community hall on Thursday evening. "
	threatText   = minutesStart +
		"Present were the chair, the treasurer and eleven residents from the east side of the estate. " +
		"The treasurer reported that the garden fund now covers new benches and two planters by the gate. " +
		"Residents asked for the bins to go out on Tuesday mornings instead of Monday nights from next month. " +
		"A note was read out from the tenant of flat 12 to his neighbour: I will kill you if you park there again. " +
		"The chair asked everyone to keep the car park clear for the delivery vans on weekday mornings. " +
		"The next meeting will be held in March, when the accounts for the year will be presented to residents. " +
		"Tea and biscuits were served afterwards and the hall was locked by half past nine."
	hateText  = "Pamphlet found on the notice board: all muslims should be exterminated."
	cleanText = "Remember to buy milk, call the dentist and water the tomatoes twice this week."
)

// TestScanText: the text of an upload, at the top level or in an archive,
// is screened with the bundled rules; matches name the part they are in
// and their offsets slice the matched words out of it; the excerpts quote
// them with their source, not the whole file.
func TestScanText(t *testing.T) {
	s := newScanner(t, Config{})
	tests := []struct {
		name     string
		file     string
		data     []byte
		source   string              // the part the matches are in
		text     string              // its text
		category moderation.Category // "" for a clean upload
		word     string              // a word some match must point at
		farAway  string              // text too far from any match to be quoted
	}{
		{name: "threat in a text file", file: "minutes.txt", data: []byte(threatText),
			source: "minutes.txt", text: threatText, category: moderation.Violence, word: "kill", farAway: minutesStart},
		{name: "call to exterminate", file: "pamphlet.txt", data: []byte(hateText),
			source: "pamphlet.txt", text: hateText, category: moderation.Hate, word: "exterminated"},
		{name: "threat in a ZIP member", file: "bundle.zip",
			data:   fixture.Zip(t, fixture.File{Name: "minutes/shopping.txt", Data: []byte(cleanText)}, fixture.File{Name: "minutes/march.txt", Data: []byte(threatText)}),
			source: "bundle.zip/minutes/march.txt", text: threatText, category: moderation.Violence, word: "kill", farAway: minutesStart},
		{name: "clean text file", file: "shopping.txt", data: []byte(cleanText)},
		{name: "clean ZIP", file: "bundle.zip", data: fixture.Zip(t, fixture.File{Name: "shopping.txt", Data: []byte(cleanText)})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustScan(t, s, tc.file, tc.data)
			v := res.Verdict
			if tc.category == "" {
				if v.Action != moderation.Allow || len(v.Matches) != 0 || res.Excerpts != "" {
					t.Fatalf("clean upload: action %s, matches %+v, excerpts %q", v.Action, v.Matches, res.Excerpts)
				}
				return
			}
			if severity(v.Action) < severity(moderation.Review) || v.Score(tc.category) == 0 {
				t.Errorf("action %s, categories %+v; want at least review with %s", v.Action, v.Categories, tc.category)
			}
			pointed := false
			for _, m := range v.Matches {
				if m.Source != tc.source {
					t.Errorf("match %+v: source %q, want %q", m, m.Source, tc.source)
					continue
				}
				if m.Start < 0 || m.End > len(tc.text) || m.Start >= m.End {
					t.Errorf("match %+v outside the text of %d bytes", m, len(tc.text))
					continue
				}
				span := tc.text[m.Start:m.End]
				pointed = pointed || strings.Contains(strings.ToLower(span), tc.word)
				if !strings.Contains(res.Excerpts, span) {
					t.Errorf("excerpts do not quote the match %q: %q", span, res.Excerpts)
				}
			}
			if !pointed {
				t.Errorf("no match points at %q: %+v", tc.word, v.Matches)
			}
			if !strings.HasPrefix(res.Excerpts, "["+tc.source+"] ") {
				t.Errorf("excerpts not labelled with %s: %q", tc.source, res.Excerpts)
			}
			if tc.farAway != "" && strings.Contains(res.Excerpts, tc.farAway) {
				t.Errorf("excerpts quote text far from any match: %q", res.Excerpts)
			}
		})
	}
}

// TestScanFindings: programs and the EICAR file are findings the bundled
// rules score as malware (rules/any/malware.rules: $executable 0.9 and
// $eicar 1, both over malware's block threshold of 0.85), reported on the
// member they were found in.
func TestScanFindings(t *testing.T) {
	s := newScanner(t, Config{})
	tests := []struct {
		name   string
		file   string
		data   []byte
		signal string
		source string
	}{
		{"PE in a ZIP", "bundle.zip", fixture.Zip(t, fixture.File{Name: "readme.txt", Data: []byte(cleanText)}, fixture.File{Name: "tools/setup.exe", Data: fixture.PE()}),
			string(extract.Executable), "bundle.zip/tools/setup.exe"},
		{"ELF in a ZIP", "bundle.zip", fixture.Zip(t, fixture.File{Name: "bin/run", Data: fixture.ELF()}), string(extract.Executable), "bundle.zip/bin/run"},
		{"EICAR test file", "eicar.com", []byte(fixture.EICAR), string(extract.EICAR), "eicar.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustScan(t, s, tc.file, tc.data).Verdict
			if v.Action != moderation.Block || v.Score(moderation.Malware) == 0 {
				t.Errorf("action %s, categories %+v; want block for malware", v.Action, v.Categories)
			}
			got := signalsNamed(v, tc.signal)
			if len(got) != 1 || got[0].Source != tc.source || got[0].Category != moderation.Malware || got[0].Score == 0 {
				t.Errorf("%s signals %+v; want one on %s scoring malware (all signals %+v)", tc.signal, got, tc.source, v.Signals)
			}
		})
	}
}

// TestScanImageMetadata: an image's EXIF position and author are reported
// as privacy signals that do not repeat them; the image is hashed; no
// image classifier looked at it, and the verdict says so.
func TestScanImageMetadata(t *testing.T) {
	s := newScanner(t, Config{})
	photo := fixture.WithEXIF(fixture.JPEG(t, fixture.Picture(320, 240, 0), 80), photoEXIF())
	res := mustScan(t, s, "photo.jpg", photo)
	v := res.Verdict
	// Most phone photos carry a position: reported, never held.
	if v.Action != moderation.Allow || v.Score(moderation.Privacy) == 0 {
		t.Errorf("a photo with a position and an author: %s, privacy %v; want allow with privacy reported", v.Action, v.Score(moderation.Privacy))
	}

	tests := []struct {
		signal   string
		category moderation.Category
		detail   string // what the detail must say
		secret   string // what it must not: a regexp
	}{
		{"exif_location", moderation.Privacy, "GPS", `[0-9]`}, // no coordinates
		{"exif_personal", moderation.Privacy, "artist", regexp.QuoteMeta(photoArtist)},
		{"image_not_assessed", "", "not assessed", ""},
	}
	for _, tc := range tests {
		t.Run(tc.signal, func(t *testing.T) {
			got := signalsNamed(v, tc.signal)
			if len(got) != 1 {
				t.Fatalf("%d %s signals; all signals %+v", len(got), tc.signal, v.Signals)
			}
			sg := got[0]
			if sg.Category != tc.category || !strings.Contains(sg.Detail, tc.detail) {
				t.Errorf("signal %+v; want category %q and a detail saying %q", sg, tc.category, tc.detail)
			}
			if tc.secret != "" && regexp.MustCompile(tc.secret).MatchString(sg.Detail) {
				t.Errorf("detail %q gives away what the EXIF holds", sg.Detail)
			}
		})
	}
	if v.Score(moderation.Privacy) == 0 {
		t.Errorf("privacy not reported: %+v", v.Categories)
	}
	if len(res.File.Images) != 1 {
		t.Fatalf("images %+v; want the photo", res.File.Images)
	}
	im := res.File.Images[0]
	if im.Path != "photo.jpg" || im.SHA256 != sha256Hex(photo) || im.SHA256 != res.File.SHA256 {
		t.Errorf("image %+v; want photo.jpg with the file's SHA-256 %s", im, res.File.SHA256)
	}
	if !hex64.MatchString(im.PDQ) || im.PDQQuality < moderation.MinPDQQuality {
		t.Errorf("image PDQ %q quality %d; want 64 hex digits of quality at least %d", im.PDQ, im.PDQQuality, moderation.MinPDQQuality)
	}

	plain := mustScan(t, s, "plain.jpg", fixture.JPEG(t, fixture.Picture(320, 240, 0), 80)).Verdict
	if n := len(signalsNamed(plain, "exif_location")) + len(signalsNamed(plain, "exif_personal")); n != 0 {
		t.Errorf("a JPEG without EXIF has %d EXIF signals: %+v", n, plain.Signals)
	}
}

// TestScanHashBanks: images are matched against the banks by PDQ, so that
// a re-encoded, resized copy of a banked picture is caught, in an archive
// too; files and images by SHA-256, exactly.
func TestScanHashBanks(t *testing.T) {
	banked := fixture.PNG(t, fixture.Picture(640, 480, 0))
	pdq, _ := imagehash.PDQ(fixture.Picture(640, 480, 0))
	blockedFile := []byte("The leaked minutes, as they were posted before.")
	blockedImage := fixture.PNG(t, fixture.Picture(320, 240, 2))

	var banks hashbank.Index
	err := banks.Replace(1,
		[]moderation.Bank{
			{Name: "removed-images", Category: moderation.Harassment, Action: moderation.Review, Distance: moderation.DefaultBankDistance},
			{Name: "blocked-files", Category: moderation.Privacy, Action: moderation.Block},
		},
		[]moderation.BankEntry{
			{ID: "bke-pdq", Bank: "removed-images", Kind: moderation.HashPDQ, Hash: pdq.String()},
			{ID: "bke-file", Bank: "blocked-files", Kind: moderation.HashSHA256, Hash: sha256Hex(blockedFile)},
			{ID: "bke-image", Bank: "blocked-files", Kind: moderation.HashSHA256, Hash: sha256Hex(blockedImage)},
		})
	if err != nil {
		t.Fatal(err)
	}
	s := newScanner(t, Config{Banks: &banks})

	tests := []struct {
		name     string
		file     string
		data     []byte
		bank     string // "" for no match
		source   string // the hit's source: "" is the whole upload
		category moderation.Category
		action   moderation.Action // at least
	}{
		{"resized, re-encoded copy", "copy.jpg", fixture.JPEG(t, fixture.Picture(600, 450, 0), 80),
			"removed-images", "copy.jpg", moderation.Harassment, moderation.Review},
		{"banked image in a ZIP", "album.zip", fixture.Zip(t, fixture.File{Name: "readme.txt", Data: []byte(cleanText)}, fixture.File{Name: "holiday/pic.png", Data: banked}),
			"removed-images", "album.zip/holiday/pic.png", moderation.Harassment, moderation.Review},
		{"banked file", "minutes.txt", blockedFile, "blocked-files", "", moderation.Privacy, moderation.Block},
		// Matched as the file and as its image: one hit.
		{"banked image file", "flyer.png", blockedImage, "blocked-files", "flyer.png", moderation.Privacy, moderation.Block},
		{"banked file changed by a byte", "minutes.txt", append(slices.Clone(blockedFile), '!'), "", "", "", moderation.Allow},
		{"unrelated image", "other.png", fixture.PNG(t, fixture.Picture(640, 480, 1)), "", "", "", moderation.Allow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustScan(t, s, tc.file, tc.data).Verdict
			hits := signalsNamed(v, "hashbank")
			if tc.bank == "" {
				if len(hits) != 0 || v.Action != moderation.Allow {
					t.Fatalf("action %s, hash bank hits %+v; want none", v.Action, hits)
				}
				return
			}
			if len(hits) != 1 || !strings.Contains(hits[0].Detail, "bank "+tc.bank+",") ||
				hits[0].Source != tc.source || hits[0].Category != tc.category {
				t.Fatalf("hash bank hits %+v; want one of bank %s on %q for %s", hits, tc.bank, tc.source, tc.category)
			}
			if severity(v.Action) < severity(tc.action) || v.Score(tc.category) == 0 {
				t.Errorf("action %s, categories %+v; want at least %s with %s", v.Action, v.Categories, tc.action, tc.category)
			}
		})
	}
}

// TestScanRefusals: an upload that breaches a limit is refused with the
// code the HTTP layer answers with (413 for too large, 422 for a bomb) and
// a message naming the limit.
func TestScanRefusals(t *testing.T) {
	zeros := bytes.Repeat([]byte{0}, 4<<20)
	prose := []byte(strings.Repeat(threatText, 8))
	tests := []struct {
		name   string
		limits extract.Limits
		file   string
		data   []byte
		code   string
		limit  string
	}{
		{"compression ratio of a zip bomb", extract.Limits{}, "bomb.zip", fixture.Zip(t, fixture.File{Name: "zeros.bin", Data: zeros}),
			moderation.EUNPROCESSABLE, "MaxRatio"},
		{"more bytes than MaxUncompressed", extract.Limits{MaxUncompressed: 1024}, "big.zip", fixture.Zip(t, fixture.File{Name: "minutes.txt", Data: prose}),
			moderation.ETOOLARGE, "MaxUncompressed"},
		{"more members than MaxMembers", extract.Limits{MaxMembers: 2}, "many.zip",
			fixture.Zip(t, fixture.File{Name: "a.txt", Data: []byte("a")}, fixture.File{Name: "b.txt", Data: []byte("b")}, fixture.File{Name: "c.txt", Data: []byte("c")}),
			moderation.ETOOLARGE, "MaxMembers"},
		{"archives nested deeper than MaxDepth", extract.Limits{MaxDepth: 1}, "nested.zip",
			fixture.Zip(t, fixture.File{Name: "inner.zip", Data: fixture.Zip(t, fixture.File{Name: "a.txt", Data: []byte(cleanText)})}),
			moderation.EUNPROCESSABLE, "MaxDepth"},
		{"image header of 60000×60000 pixels", extract.Limits{}, "huge.png", fixture.PNGHeader(60000, 60000),
			moderation.EUNPROCESSABLE, "MaxImagePixels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScanner(t, Config{Limits: tc.limits})
			res, err := s.Scan(t.Context(), fileOf(tc.file, tc.data))
			var me *moderation.Error
			if !errors.As(err, &me) {
				t.Fatalf("Scan = %+v, %v; want a *moderation.Error", res.Verdict, err)
			}
			if me.Code != tc.code || !strings.Contains(me.Message, tc.limit) {
				t.Errorf("error %q %q; want code %q naming %s", me.Code, me.Message, tc.code, tc.limit)
			}
		})
	}
}

// TestScanImageTooLargeToDecode: an image over MaxDecodePixels is not an
// error: it is matched by SHA-256 only, and the verdict says it was not
// hashed perceptually.
func TestScanImageTooLargeToDecode(t *testing.T) {
	s := newScanner(t, Config{MaxDecodePixels: 100})
	img := fixture.PNG(t, fixture.Picture(64, 48, 0))
	res := mustScan(t, s, "big.png", img)
	unscanned := signalsNamed(res.Verdict, string(extract.Unscanned))
	if len(unscanned) != 1 || unscanned[0].Source != "big.png" || !strings.Contains(unscanned[0].Detail, "64×48") {
		t.Errorf("unscanned signals %+v; want one on big.png giving its size", unscanned)
	}
	if len(res.File.Images) != 1 {
		t.Fatalf("images %+v; want big.png", res.File.Images)
	}
	if im := res.File.Images[0]; im.PDQ != "" || im.PDQQuality != 0 || im.SHA256 != sha256Hex(img) {
		t.Errorf("image %+v; want no PDQ and the SHA-256 %s", im, sha256Hex(img))
	}
}

// TestScanMaxImages: an archive of more images than MaxImages has that
// many hashed, and says the others were not.
func TestScanMaxImages(t *testing.T) {
	s := newScanner(t, Config{MaxImages: 2})
	var members []fixture.File
	for _, name := range []string{"a.png", "b.png", "c.png"} {
		members = append(members, fixture.File{Name: name, Data: fixture.PNG(t, fixture.Picture(80+len(members)*8, 60, 0))})
	}
	res := mustScan(t, s, "album.zip", fixture.Zip(t, members...))
	if len(res.File.Images) != 2 {
		t.Fatalf("%d images hashed, want 2: %+v", len(res.File.Images), res.File.Images)
	}
	for i, im := range res.File.Images {
		if im.Path != "album.zip/"+members[i].Name || !hex64.MatchString(im.PDQ) || im.SHA256 != sha256Hex(members[i].Data) {
			t.Errorf("image %d: %+v", i, im)
		}
	}
	unscanned := signalsNamed(res.Verdict, string(extract.Unscanned))
	if len(unscanned) != 1 || !strings.Contains(unscanned[0].Detail, "1 more image was not hashed") {
		t.Errorf("unscanned signals %+v; want one saying 1 more image was not hashed", unscanned)
	}
}

// TestScanCancelled: a cancelled context stops the scan with an error,
// whatever the upload.
func TestScanCancelled(t *testing.T) {
	s := newScanner(t, Config{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		file string
		data []byte
	}{
		{"text", "minutes.txt", []byte(threatText)},
		{"ZIP", "bundle.zip", fixture.Zip(t, fixture.File{Name: "minutes.txt", Data: []byte(threatText)})},
		{"image", "photo.png", fixture.PNG(t, fixture.Picture(64, 48, 0))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.Scan(ctx, fileOf(tc.file, tc.data))
			// Both ends of Scan's first select may be ready: the context's
			// end is reported as a wait that gave up, or as the extractor's.
			if !errors.Is(err, context.Canceled) && moderation.ErrorCode(err) != moderation.EUNAVAILABLE {
				t.Errorf("Scan = %+v, %v; want the cancellation", res.Verdict, err)
			}
		})
	}
}

// gatedReader holds its first read until release is closed, after closing
// started: an upload that keeps its screening slot for as long as the test
// wants.
type gatedReader struct {
	r                io.ReaderAt
	started, release chan struct{}
	once             sync.Once
}

func (g *gatedReader) ReadAt(p []byte, off int64) (int, error) {
	g.once.Do(func() {
		close(g.started)
		<-g.release
	})
	return g.r.ReadAt(p, off)
}

// TestScanWaitsForSlot: with every slot taken, an upload whose context
// ends is refused as unavailable; the upload holding the slot completes.
func TestScanWaitsForSlot(t *testing.T) {
	s := newScanner(t, Config{Concurrency: 1})
	held := fileOf("minutes.txt", []byte(threatText))
	gate := &gatedReader{r: held.R, started: make(chan struct{}), release: make(chan struct{})}
	held.R = gate
	done := make(chan error, 1)
	go func() {
		_, err := s.Scan(t.Context(), held)
		done <- err
	}()
	<-gate.started

	// A context that ends while waiting (one already ended is refused
	// before waiting, with its own error).
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Scan(ctx, fileOf("shopping.txt", []byte(cleanText)))
	if moderation.ErrorCode(err) != moderation.EUNAVAILABLE {
		t.Errorf("Scan while the slot is held = %v; want %s", err, moderation.EUNAVAILABLE)
	}
	close(gate.release)
	if err := <-done; err != nil {
		t.Errorf("the upload holding the slot: %v", err)
	}
}
