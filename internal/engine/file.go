package engine

import (
	"context"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/aup-dev/aup/internal/moderation"
)

// File is what upload screening found in a file.
type File struct {
	// Parts are the texts found, each screened like a note.
	Parts []FilePart
	// Findings are facts about the file scored by the detector of the same
	// name ($executable, $macro, $exif_location...): the policy, not the
	// code, says what an executable earns. A finding no rule scores (its
	// detector is off, or it is only information, like an encrypted member
	// that was not inspected) is reported as a signal with score 0.
	Findings []Finding
	// Banks are the hash banks the file or its images were found in.
	Banks []BankHit
	// ImageCount is how many images the file has; Images are those of them
	// a hosted classifier that takes images may be shown. The rest, or all
	// of them without such a classifier, are reported as not assessed.
	ImageCount int
	Images     []moderation.Image
}

// FindingNotAssessed is the finding that images were not looked at.
const FindingNotAssessed = "image_not_assessed"

// BankHit is a hash bank match and the file or member it is about.
type BankHit struct {
	moderation.BankMatch
	Source string
}

// FilePart is text found in a file, and where (a member path, a page).
type FilePart struct {
	Source string
	Text   string
}

// Finding is one fact a detector scores.
type Finding struct {
	Detector string // e.g. "executable"
	Source   string // the file or member it concerns
	Detail   string // what was found; never the file's content
}

// partWindow is the most text screened at once: a part longer than the
// longest note is screened in windows of about this size, cut at spaces.
const partWindow = 64 << 10

// ScreenFile returns the verdict on a file. Each text is screened like a
// note (and cached like one), and a category scores its strongest text: a
// long document is not condemned by many mild matches adding up. Findings
// and bank matches then add their evidence: a blocking bank blocks, a
// reviewing bank scores its category's review threshold.
func (e *Engine) ScreenFile(ctx context.Context, f File) (moderation.Verdict, error) {
	cur := e.current.Load()
	v := moderation.Verdict{PolicyVersion: cur.version, Language: moderation.Language{Code: moderation.Undetermined}}
	longest := 0
	for _, p := range f.Parts {
		for off := 0; off < len(p.Text); {
			if err := ctx.Err(); err != nil {
				return moderation.Verdict{}, err
			}
			chunk := window(p.Text[off:], partWindow)
			pv, err := e.Screen(ctx, moderation.Content{Text: chunk})
			if err != nil {
				return moderation.Verdict{}, err
			}
			if len(chunk) > longest {
				longest, v.Language = len(chunk), pv.Language
			}
			for _, cs := range pv.Categories {
				keepMax(&v, cs)
			}
			for _, m := range pv.Matches {
				if len(v.Matches) < maxMatches {
					m.Start, m.End, m.Source = m.Start+off, m.End+off, p.Source
					v.Matches = append(v.Matches, m)
				}
			}
			for _, s := range pv.Signals {
				s.Source = p.Source
				v.Signals = append(v.Signals, s)
			}
			mergeClassifier(&v.Classifier, pv.Classifier)
			off += len(chunk)
		}
	}
	findings := f.Findings
	if fd, ok := e.screenImages(ctx, cur, &v, f); !ok {
		findings = append(slices.Clip(findings), fd)
	}
	counted := map[string]bool{}
	for _, fd := range findings {
		rule, ok := cur.detector[fd.Detector]
		if !ok {
			v.Signals = append(v.Signals, moderation.Signal{Name: fd.Detector, Detail: fd.Detail, Source: fd.Source})
			continue
		}
		r := &cur.rules[rule]
		v.Signals = append(v.Signals, moderation.Signal{Name: fd.Detector, Category: r.Category, Score: r.Score, Detail: fd.Detail, Source: fd.Source})
		if !counted[fd.Detector] { // ten executables are one piece of evidence
			counted[fd.Detector] = true
			combine(&v, r.Category, r.Score)
		}
	}
	for _, b := range f.Banks {
		score := 1.0
		if b.Action != moderation.Block {
			t, ok := cur.thresholds[b.Category]
			if !ok {
				continue
			}
			score = t.Review
		}
		v.Signals = append(v.Signals, moderation.Signal{Name: "hashbank", Category: b.Category, Score: score,
			Detail: fmt.Sprintf("bank %s, entry %s, %s distance %d", b.Bank, b.EntryID, b.Kind, b.Distance), Source: b.Source})
		keepMax(&v, moderation.CategoryScore{Category: b.Category, Score: score})
	}
	decide(&v, cur.thresholds)
	if v.Matches == nil {
		v.Matches = []moderation.Match{}
	}
	if v.Categories == nil {
		v.Categories = []moderation.CategoryScore{}
	}
	return v, nil
}

// screenImages shows f's images to the hosted classifier, when it takes
// images, and adds its estimates to v, each image's like a part's. ok is
// false when some images were not assessed, and fd then says which.
func (e *Engine) screenImages(ctx context.Context, cur *compiled, v *moderation.Verdict, f File) (fd Finding, ok bool) {
	if f.ImageCount == 0 {
		return Finding{}, true
	}
	if e.opts.Classifier == nil || !e.opts.Classifier.Images() {
		return Finding{Detector: FindingNotAssessed, Detail: fmt.Sprintf("the content of %s not assessed: no image classifier is configured; only hash banks were consulted",
			plural(f.ImageCount, "image was", "images were"))}, false
	}
	assessed, failed := 0, 0
	for _, im := range f.Images {
		if ctx.Err() != nil {
			break // the upload was given up: the rest are not assessed
		}
		var iv moderation.Verdict
		e.classify(ctx, &iv, cur, "", []moderation.Image{im})
		mergeClassifier(&v.Classifier, iv.Classifier)
		if iv.Classifier.Status != moderation.ClassifierOK {
			failed++
			continue
		}
		assessed++
		for _, s := range iv.Signals {
			s.Source = im.Source
			v.Signals = append(v.Signals, s)
		}
		for _, cs := range iv.Categories {
			keepMax(v, cs)
		}
	}
	if assessed == f.ImageCount {
		return Finding{}, true
	}
	detail := fmt.Sprintf("the content of %s of %d not assessed", plural(f.ImageCount-assessed, "image was", "images were"), f.ImageCount)
	if failed > 0 {
		detail += fmt.Sprintf(" (the classifier was unavailable for %d", failed)
		if rest := f.ImageCount - assessed - failed; rest > 0 {
			detail += fmt.Sprintf("; %d over its limits", rest)
		}
		detail += ")"
	} else {
		detail += " (over the classifier's limits on images per upload, size or type)"
	}
	return Finding{Detector: FindingNotAssessed, Detail: detail + "; only hash banks were consulted"}, false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// keepMax raises v's score for cs.Category to cs.Score.
func keepMax(v *moderation.Verdict, cs moderation.CategoryScore) {
	i := slices.IndexFunc(v.Categories, func(c moderation.CategoryScore) bool { return c.Category == cs.Category })
	switch {
	case i < 0:
		v.Categories = append(v.Categories, cs)
	case cs.Score > v.Categories[i].Score:
		v.Categories[i].Score = cs.Score
	}
}

// window returns the first n bytes of s or fewer, ending after a space
// when there is one in the last quarter, and never inside a character.
func window(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	for i := cut; i > n*3/4; {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if unicode.IsSpace(r) {
			return s[:i]
		}
		i -= size
	}
	return s[:cut]
}
