package upload

import (
	"encoding/binary"
	"sync"

	"github.com/aup-dev/aup/internal/engine"
	"github.com/aup-dev/aup/internal/fixture"
	"github.com/aup-dev/aup/internal/lingua"
	"github.com/aup-dev/aup/internal/rules"
	bundled "github.com/aup-dev/aup/rules"
)

// Fixtures are built by the tests with the standard library.

// bundledEngine is the engine aup ships: the bundled rules and the real
// language detector (no statistical model, so verdicts follow the rules).
// It is built once: loading the detector takes a while.
var bundledEngine = sync.OnceValues(func() (*engine.Engine, error) {
	set, err := rules.Load(bundled.FS)
	if err != nil {
		return nil, err
	}
	det, err := lingua.New(lingua.Options{})
	if err != nil {
		return nil, err
	}
	return engine.New(set, engine.Options{Detector: det})
})

// Tags of the EXIF fixture.
const (
	tagGPSLatitudeRef  = 0x0001
	tagGPSLatitude     = 0x0002
	tagGPSLongitudeRef = 0x0003
	tagGPSLongitude    = 0x0004
	tagArtist          = 0x013b
	tagGPSIFD          = 0x8825
)

// photoArtist is who the EXIF fixture says took the photo.
const photoArtist = "Jane Q. Photographer"

// photoEXIF is an EXIF block naming the artist, with a GPS position of
// 51°30'26.50"N 0°7'39.90"W.
func photoEXIF() []byte {
	le := binary.LittleEndian
	return fixture.TIFF(le, []fixture.Dir{
		{Entries: []fixture.Entry{fixture.ASCII(tagArtist, photoArtist), fixture.Pointer(tagGPSIFD, 1)}},
		{Entries: []fixture.Entry{
			fixture.ASCII(tagGPSLatitudeRef, "N"),
			fixture.Rationals(le, tagGPSLatitude, 51, 1, 30, 1, 2650, 100),
			fixture.ASCII(tagGPSLongitudeRef, "W"),
			fixture.Rationals(le, tagGPSLongitude, 0, 1, 7, 1, 3990, 100),
		}},
	})
}
