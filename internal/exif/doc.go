// Package exif finds the personal metadata that photographs carry in EXIF:
// where they were taken (GPS latitude and longitude) and who took or owns
// them (artist, copyright owner, camera owner, camera and lens serial
// numbers, the Windows XPAuthor and XPComment tags, the image's unique id
// and the user comment). An upload that carries any of it gets a privacy
// signal.
//
// [Read] reports which of these fields an image has, as a set of [Field]s,
// and the GPS position in decimal degrees; it never returns the other
// values, so that they cannot end up in a log or a response. A field counts
// as present only when its value is not blank (cameras often write empty or
// space-filled Artist and Copyright tags). Callers must not log the
// position either.
//
// Read understands EXIF in JPEG (the APP1 "Exif" segment), PNG (the eXIf
// chunk) and WebP (the EXIF chunk); [ParseTIFF] reads the EXIF structure
// itself (a TIFF header and its image file directories) for other
// containers. XMP metadata, PNG text chunks and maker notes are not read.
//
// The parser is written for hostile input: it reads at most 64 KiB of EXIF
// from a JPEG and 1 MiB from a PNG or WebP, follows at most 8 directories
// of at most 1,000 entries each, checks every offset against the EXIF data,
// refuses a directory it has already read (offset loops), and never panics.
// On a malformed file it returns what it found before the damage together
// with an error wrapping [ErrMalformed]; the error says what is wrong and
// where, never the values.
package exif
