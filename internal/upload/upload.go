// Package upload screens files attached to notes. It sniffs and unpacks
// them (package extract), hashes their images (imagehash) and reads their
// personal metadata (exif), looks the file and its images up in the hash
// banks (hashbank), and has the engine score the text and the findings.
package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/exif"
	"github.com/aup-dev/aup/internal/extract"
	"github.com/aup-dev/aup/internal/hashbank"
	"github.com/aup-dev/aup/internal/imagehash"
	"github.com/aup-dev/aup/internal/moderation"
)

// FileScreener scores what was found in a file. *engine.Engine is one.
type FileScreener interface {
	ScreenFile(ctx context.Context, f engine.File) (moderation.Verdict, error)
}

// Defaults of Config's zero values.
const (
	// DefaultMaxDecodePixels bounds the images decoded for a perceptual
	// hash: decoding takes up to 4 bytes a pixel, so 16 megapixels cost at
	// most 64 MB. Larger images are matched by SHA-256 only.
	DefaultMaxDecodePixels = 16 << 20
	// DefaultMaxImages is the number of images hashed per upload; an
	// archive of more is hashed up to it and says so.
	DefaultMaxImages = 64
)

// MaxClassifyImageBytes is the largest image shown to the hosted
// classifier: its base64 form stays well under the APIs' request limits.
const MaxClassifyImageBytes = 4 << 20

// Config configures a Scanner. Screener is required.
type Config struct {
	Screener FileScreener
	// Banks is the hash bank index to match against; nil matches nothing.
	Banks *hashbank.Index
	// Limits bound the unpacking of one upload.
	Limits extract.Limits
	// MaxDecodePixels and MaxImages bound image hashing (see the defaults).
	MaxDecodePixels int64
	MaxImages       int
	// ClassifyImages is how many of an upload's images are read whole for
	// the hosted classifier (0: none, when it takes no images); JPEG, PNG,
	// GIF and WebP images of at most MaxClassifyImageBytes.
	ClassifyImages int
	// Concurrency is how many uploads are unpacked and hashed at once
	// (default GOMAXPROCS); others wait. Each may take tens of megabytes.
	Concurrency int
	// TempDir is where nested archives are spooled ("" is os.TempDir()).
	TempDir string
}

// Scanner screens uploads. It is safe for concurrent use.
type Scanner struct {
	cfg   Config
	slots chan struct{}
}

// New returns a Scanner.
func New(cfg Config) (*Scanner, error) {
	if cfg.Screener == nil {
		return nil, errors.New("upload: Config.Screener is required")
	}
	if cfg.MaxDecodePixels <= 0 {
		cfg.MaxDecodePixels = DefaultMaxDecodePixels
	}
	if cfg.MaxImages <= 0 {
		cfg.MaxImages = DefaultMaxImages
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = runtime.GOMAXPROCS(0)
	}
	return &Scanner{cfg: cfg, slots: make(chan struct{}, cfg.Concurrency)}, nil
}

// File is an upload, spooled by the caller so that it can be read at any
// offset, and its SHA-256, computed while spooling.
type File struct {
	R           io.ReaderAt
	Size        int64
	SHA256      [32]byte
	Name        string // as sent; may be empty
	ContentType string // as declared; may be empty
}

// Result is the screening of an upload.
type Result struct {
	Verdict moderation.Verdict
	File    moderation.FileInfo
	// Excerpts is the text around the matches, labelled with their
	// sources, for a review case: moderators see what matched without the
	// whole file being stored.
	Excerpts string
	// TextBytes is how much text was screened; TextTruncated says there
	// was more than the limit. Members counts the archive members.
	TextBytes     int
	TextTruncated bool
	Members       int
}

// Signals Scan adds to the extractor's. Each is a detector name: the rules
// decide what it scores (see rules/README.md).
const (
	findingExifLocation = "exif_location"
	findingExifPersonal = "exif_personal"
)

// Scan screens f. Errors are *moderation.Error: ETOOLARGE or
// EUNPROCESSABLE when f breaches a limit, with a message safe to send to
// the caller (it may name a member of the upload, never its content);
// EUNAVAILABLE when the context ends while waiting for a slot.
func (s *Scanner) Scan(ctx context.Context, f File) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return Result{}, moderation.Errorf(moderation.EUNAVAILABLE, "gave up waiting for an upload screening slot: %v", context.Cause(ctx))
	}
	ex, err := extract.Extract(ctx, extract.Upload{R: f.R, Size: f.Size, Name: f.Name, ContentType: f.ContentType, TempDir: s.cfg.TempDir}, s.cfg.Limits)
	if err != nil {
		var ee *extract.Error
		if errors.As(err, &ee) {
			code := moderation.EUNPROCESSABLE
			if ee.Kind == extract.TooLarge {
				code = moderation.ETOOLARGE
			}
			return Result{}, moderation.Errorf(code, "%s", ee.Error())
		}
		return Result{}, fmt.Errorf("extract upload: %w", err)
	}
	defer ex.Close()

	sum := hex.EncodeToString(f.SHA256[:])
	res := Result{
		File:          moderation.FileInfo{SHA256: sum, MediaType: ex.MediaType, Size: f.Size},
		TextBytes:     ex.Text(),
		TextTruncated: ex.TextTruncated,
		Members:       ex.Members,
	}
	// The file name is not screened: names like "t.txt" or "IMG_2931"
	// are not prose, and the rules and the model read them as SMS spam.
	var file engine.File
	for _, p := range ex.Parts {
		file.Parts = append(file.Parts, engine.FilePart{Source: p.Path, Text: p.Text})
	}
	for _, sg := range ex.Signals {
		file.Findings = append(file.Findings, engine.Finding{Detector: string(sg.Kind), Source: sg.Path, Detail: sg.Detail})
	}
	for i, im := range ex.Images {
		if i == s.cfg.MaxImages {
			file.Findings = append(file.Findings, engine.Finding{Detector: string(extract.Unscanned), Source: im.Path,
				Detail: fmt.Sprintf("%s not hashed: over the %d an upload may have hashed", plural(len(ex.Images)-i, "more image was", "more images were"), s.cfg.MaxImages)})
			break
		}
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		info, pdq, findings := s.image(im)
		file.Findings = append(file.Findings, findings...)
		if sha, err := hex.DecodeString(info.SHA256); err == nil && len(sha) == sha256.Size {
			file.Banks = append(file.Banks, s.match([32]byte(sha), pdq, im.Path)...)
		}
		res.File.Images = append(res.File.Images, info)
		if len(file.Images) < s.cfg.ClassifyImages {
			if data, ok := classifiable(im); ok {
				file.Images = append(file.Images, moderation.Image{MediaType: im.MediaType, Data: data, Source: im.Path})
			}
		}
	}
	file.ImageCount = len(ex.Images)
	// After the images, so that a top-level image's hit names it.
	file.Banks = dedupeHits(append(file.Banks, s.match(f.SHA256, nil, "")...))

	v, err := s.cfg.Screener.ScreenFile(ctx, file)
	if err != nil {
		return Result{}, err
	}
	res.Verdict = v
	res.Excerpts = excerpts(v.Matches, file.Parts)
	return res, nil
}

// image hashes one image and reads its metadata. An image that cannot be
// hashed is reported, not an error: its SHA-256 is still matched.
func (s *Scanner) image(im extract.Image) (moderation.ImageInfo, *[32]byte, []engine.Finding) {
	info := moderation.ImageInfo{Path: im.Path, MediaType: im.MediaType, Width: im.Width, Height: im.Height}
	var findings []engine.Finding
	note := func(kind extract.SignalKind, format string, args ...any) {
		findings = append(findings, engine.Finding{Detector: string(kind), Source: im.Path, Detail: fmt.Sprintf(format, args...)})
	}
	rc, err := im.Open()
	if err != nil {
		note(extract.Unscanned, "image could not be read")
		return info, nil, findings
	}
	h := sha256.New()
	img, _, derr := imagehash.Decode(io.TeeReader(rc, h), s.cfg.MaxDecodePixels)
	_, cerr := io.Copy(h, rc) // the rest of the bytes, for the SHA-256
	rc.Close()
	if cerr != nil {
		note(extract.Unscanned, "image could not be read")
		return info, nil, findings
	}
	info.SHA256 = hex.EncodeToString(h.Sum(nil))

	var pdq *[32]byte
	var tooLarge *imagehash.TooLargeError
	switch {
	case derr == nil:
		hash, quality := imagehash.PDQ(img)
		info.PDQ, info.PDQQuality = hash.String(), quality
		p := [32]byte(hash)
		pdq = &p
	case errors.As(derr, &tooLarge):
		note(extract.Unscanned, "image of %d×%d pixels is too large to hash perceptually; matched by SHA-256 only", tooLarge.Width, tooLarge.Height)
	case errors.Is(derr, imagehash.ErrFormat):
		note(extract.Unscanned, "%s images are not hashed perceptually; matched by SHA-256 only", im.MediaType)
	default:
		note(extract.Malformed, "image is truncated or malformed; matched by SHA-256 only")
	}

	if rc, err := im.Open(); err == nil {
		md, err := exif.Read(rc)
		rc.Close()
		if err == nil {
			if md.Fields.Has(exif.GPS) {
				findings = append(findings, engine.Finding{Detector: findingExifLocation, Source: im.Path, Detail: "EXIF GPS position"})
			}
			if rest := md.Fields &^ exif.Fields(exif.GPS); rest != 0 {
				findings = append(findings, engine.Finding{Detector: findingExifPersonal, Source: im.Path, Detail: "EXIF " + rest.String()})
			}
		}
	}
	return info, pdq, findings
}

// classifiable returns im's bytes when the hosted classifier takes it.
func classifiable(im extract.Image) ([]byte, bool) {
	switch im.MediaType {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
	default:
		return nil, false
	}
	rc, err := im.Open()
	if err != nil {
		return nil, false
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxClassifyImageBytes+1))
	if err != nil || len(data) > MaxClassifyImageBytes {
		return nil, false
	}
	return data, true
}

// plural returns "1 one" or "n many".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// match looks a SHA-256 and, for an image, a PDQ hash up in the banks.
func (s *Scanner) match(sha [32]byte, pdq *[32]byte, source string) []engine.BankHit {
	if s.cfg.Banks == nil {
		return nil
	}
	var hits []engine.BankHit
	for _, m := range s.cfg.Banks.Match(&sha, pdq) {
		hits = append(hits, engine.BankHit{BankMatch: m, Source: source})
	}
	return hits
}

// dedupeHits keeps the first hit of each bank entry: an image upload's
// SHA-256 is looked up as the file's and as the image's.
func dedupeHits(hits []engine.BankHit) []engine.BankHit {
	seen := map[string]bool{}
	out := hits[:0]
	for _, h := range hits {
		if !seen[h.EntryID] {
			seen[h.EntryID] = true
			out = append(out, h)
		}
	}
	return out
}
