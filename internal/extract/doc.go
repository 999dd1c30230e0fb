// Package extract takes an upload apart for screening: it finds the real
// type of a file from its bytes, the text inside it for the text pipeline,
// the images inside it for perceptual hashing, and the signals that need no
// model at all (an executable, a macro, the EICAR test file, a name that
// lies about the content) — at the top level and inside archives, within
// [Limits] on depth, members, decompressed bytes, compression ratio, text
// and image size.
//
// The caller spools the request body to a file and calls
//
//	res, err := extract.Extract(ctx, extract.Upload{R: f, Size: n, Name: name, ContentType: ct}, extract.Limits{})
//	defer res.Close()
//
// and gets a [Result]: the sniffed MediaType, text Parts with a path each
// ("report.zip/inner.zip/notes.txt", "doc.pdf#page=3"), Images that can be
// opened again for hashing, and Signals. The upload is read through its
// io.ReaderAt where needed and never held in memory; a nested archive that
// must be read out of order is spooled to memory (up to 1 MiB) or to a
// temporary file removed by Close.
//
// Types. From magic numbers: PDF, ZIP (and inside it DOCX/XLSX/PPTX and
// their macro-enabled forms, ODT/ODS/ODP, EPUB, JAR, APK), GZIP, BZIP2,
// TAR, RAR, 7z, XZ, legacy Office (OLE), JPEG, PNG, GIF, WebP, BMP, TIFF,
// HEIC/HEIF/AVIF, MP4/QuickTime, PE, DOS, ELF, Mach-O (thin and fat), Java
// class. From content: #! scripts by interpreter, PowerShell, batch and
// VBScript by their vocabulary, HTML, SVG, XML, JSON, CSV, Markdown, and
// text in UTF-8, UTF-16 with a byte order mark, or 8-bit (read as
// Windows-1252).
//
// Text. Plain text, Markdown and CSV as they are; HTML's visible text (not
// scripts or styles) with alt and title attributes and link targets; XML's
// character data; JSON's string values; PDF page text (our own reader: it
// scans for objects, so truncated files still give their pages, and
// decodes fonts through ToUnicode maps or simple encodings); the text runs
// of DOCX, XLSX and PPTX and the text of ODF documents; and all of it again
// inside ZIP, GZIP, BZIP2 and TAR members, recursively.
//
// Refusals. A breached limit returns an [*Error] whose Kind tells the HTTP
// layer what to answer — TooLarge (413): more members or decompressed bytes
// than allowed; Unprocessable (422): archives nested too deep, a
// compression ratio or an image size typical of bombs, ZIP entries whose
// data overlap — and whose message names the limit and the member. Declared
// sizes are never trusted: bytes are counted as they come out of each
// decompressor. Too much text is not an error: collection stops and
// Result.TextTruncated is set. A malformed or truncated file is not an
// error either: what could be read is returned with a Malformed signal.
package extract
