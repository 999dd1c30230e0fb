package extract

import (
	"bytes"
	"encoding/binary"
	"mime"
	"path"
	"strings"
	"unicode/utf8"
)

// Media types Extract reports. ZIP-based formats are told apart by their
// members (see zip.go); everything else by its first bytes.
const (
	TypeOctet = "application/octet-stream"

	TypePDF  = "application/pdf"
	TypeZIP  = "application/zip"
	TypeGZIP = "application/gzip"
	TypeBZ2  = "application/x-bzip2"
	TypeTAR  = "application/x-tar"
	TypeRAR  = "application/vnd.rar"
	Type7Z   = "application/x-7z-compressed"
	TypeXZ   = "application/x-xz"
	TypeOLE  = "application/x-ole-storage" // legacy Office (.doc, .xls, .ppt, .msi)

	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	TypePPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	TypeDOCM = "application/vnd.ms-word.document.macroenabled.12"
	TypeXLSM = "application/vnd.ms-excel.sheet.macroenabled.12"
	TypePPTM = "application/vnd.ms-powerpoint.presentation.macroenabled.12"
	TypeODT  = "application/vnd.oasis.opendocument.text"
	TypeODS  = "application/vnd.oasis.opendocument.spreadsheet"
	TypeODP  = "application/vnd.oasis.opendocument.presentation"
	TypeEPUB = "application/epub+zip"
	TypeJAR  = "application/java-archive"
	TypeAPK  = "application/vnd.android.package-archive"

	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeGIF  = "image/gif"
	TypeWebP = "image/webp"
	TypeBMP  = "image/bmp"
	TypeTIFF = "image/tiff"
	TypeHEIC = "image/heic"
	TypeHEIF = "image/heif"
	TypeAVIF = "image/avif"
	TypeSVG  = "image/svg+xml"
	TypeMP4  = "video/mp4"
	TypeMOV  = "video/quicktime"

	TypePE     = "application/vnd.microsoft.portable-executable"
	TypeDOSExe = "application/x-dosexec"
	TypeELF    = "application/x-elf"
	TypeMachO  = "application/x-mach-binary"
	TypeClass  = "application/java-vm"

	TypeShell      = "text/x-shellscript"
	TypePython     = "text/x-python"
	TypePerl       = "text/x-perl"
	TypeScript     = "text/x-script" // any other #! interpreter
	TypePowerShell = "text/x-powershell"
	TypeBatch      = "application/x-bat"
	TypeVBScript   = "text/vbscript"

	TypeHTML     = "text/html"
	TypeXML      = "application/xml"
	TypeJSON     = "application/json"
	TypeCSV      = "text/csv"
	TypeMarkdown = "text/markdown"
	TypeText     = "text/plain"
)

// headSize is how many leading bytes sniffing looks at.
const headSize = 4096

// IsExecutable reports whether t is a native or bytecode executable.
func IsExecutable(t string) bool {
	switch t {
	case TypePE, TypeDOSExe, TypeELF, TypeMachO, TypeClass, TypeJAR, TypeAPK:
		return true
	}
	return false
}

// IsScript reports whether t is a script a shell or interpreter runs.
func IsScript(t string) bool {
	switch t {
	case TypeShell, TypePython, TypePerl, TypeScript, TypePowerShell, TypeBatch, TypeVBScript:
		return true
	}
	return false
}

// IsImage reports whether t is a still image format.
func IsImage(t string) bool {
	switch t {
	case TypeJPEG, TypePNG, TypeGIF, TypeWebP, TypeBMP, TypeTIFF, TypeHEIC, TypeHEIF, TypeAVIF:
		return true
	}
	return false
}

// Sniff returns the media type of a file from its first bytes (up to 4 KiB
// are looked at). ZIP-based formats come back as TypeZIP: Extract refines
// them from the members.
func Sniff(head []byte) string {
	h := head
	if len(h) > headSize {
		h = h[:headSize]
	}
	switch {
	case len(h) == 0:
		return TypeText
	case bytes.HasPrefix(h, []byte("%PDF-")):
		return TypePDF
	case bytes.HasPrefix(h, []byte("PK\x03\x04")), bytes.HasPrefix(h, []byte("PK\x05\x06")), bytes.HasPrefix(h, []byte("PK\x07\x08PK")):
		return TypeZIP
	case bytes.HasPrefix(h, []byte("\x1f\x8b")):
		return TypeGZIP
	case bytes.HasPrefix(h, []byte("BZh")) && len(h) > 3 && h[3] >= '1' && h[3] <= '9':
		return TypeBZ2
	case bytes.HasPrefix(h, []byte("Rar!\x1a\x07")):
		return TypeRAR
	case bytes.HasPrefix(h, []byte("7z\xbc\xaf\x27\x1c")):
		return Type7Z
	case bytes.HasPrefix(h, []byte("\xfd7zXZ\x00")):
		return TypeXZ
	case bytes.HasPrefix(h, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return TypeOLE
	case bytes.HasPrefix(h, []byte("\xff\xd8\xff")):
		return TypeJPEG
	case bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG
	case bytes.HasPrefix(h, []byte("GIF87a")), bytes.HasPrefix(h, []byte("GIF89a")):
		return TypeGIF
	case len(h) >= 12 && bytes.HasPrefix(h, []byte("RIFF")) && string(h[8:12]) == "WEBP":
		return TypeWebP
	case bytes.HasPrefix(h, []byte("II*\x00")), bytes.HasPrefix(h, []byte("MM\x00*")):
		return TypeTIFF
	case isBMP(h):
		return TypeBMP
	case bytes.HasPrefix(h, []byte("\x7fELF")):
		return TypeELF
	case bytes.HasPrefix(h, []byte("MZ")) && isMZ(h):
		if isPE(h) {
			return TypePE
		}
		return TypeDOSExe
	}
	if t := sniffMachO(h); t != "" {
		return t
	}
	if t := sniffFtyp(h); t != "" {
		return t
	}
	if len(h) > 262 && string(h[257:262]) == "ustar" {
		return TypeTAR
	}
	return sniffText(h)
}

func isBMP(h []byte) bool {
	if len(h) < 26 || h[0] != 'B' || h[1] != 'M' {
		return false
	}
	// The DIB header size is one of a few fixed values.
	switch binary.LittleEndian.Uint32(h[14:18]) {
	case 12, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// isMZ tells a DOS/PE header from a text file that starts with "MZ".
func isMZ(h []byte) bool {
	if len(h) < 64 {
		return false
	}
	return !utf8.Valid(h[:64]) || bytes.IndexByte(h[:64], 0) >= 0
}

func isPE(h []byte) bool {
	off := int(binary.LittleEndian.Uint32(h[0x3c:0x40]))
	return off > 0 && off+4 <= len(h) && string(h[off:off+4]) == "PE\x00\x00"
}

func sniffMachO(h []byte) string {
	if len(h) < 8 {
		return ""
	}
	switch binary.BigEndian.Uint32(h) {
	case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe:
		return TypeMachO
	case 0xcafebabe, 0xcafebabf:
		// Fat Mach-O and Java class files share this magic: a fat header
		// counts its architectures (a few), a class file gives its version
		// (45 and up).
		if n := binary.BigEndian.Uint32(h[4:]); n > 0 && n < 40 {
			return TypeMachO
		}
		return TypeClass
	}
	return ""
}

// sniffFtyp reads the ISO base media brand (HEIC, AVIF, MP4, QuickTime).
func sniffFtyp(h []byte) string {
	if len(h) < 12 || string(h[4:8]) != "ftyp" {
		return ""
	}
	size := int(binary.BigEndian.Uint32(h))
	if size < 12 || size > len(h) {
		size = min(len(h), 64)
	}
	var heif, mp4 bool
	for i := 8; i+4 <= size; i += 4 {
		if i == 12 {
			continue // minor version
		}
		switch string(h[i : i+4]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx":
			return TypeHEIC
		case "avif", "avis":
			return TypeAVIF
		case "mif1", "msf1":
			heif = true
		case "qt  ":
			return TypeMOV
		case "isom", "iso2", "mp41", "mp42", "avc1", "M4V ", "dash", "M4A ":
			mp4 = true
		}
	}
	switch {
	case heif:
		return TypeHEIF
	case mp4:
		return TypeMP4
	}
	return ""
}

// The EICAR test file: antivirus products detect it as a virus by
// agreement, so that screening can be tested without real malware.
const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// isEICAR: the file starts with the test string (the standard allows
// trailing white space up to 128 bytes; scanners accept more).
func isEICAR(h []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(h, " \t\r\n"), []byte(eicar))
}

// textEncoding is how sniffText judged the bytes.
type textEncoding int

const (
	encBinary textEncoding = iota
	encUTF8
	encUTF16
	encLatin // 8-bit text, read as Windows-1252
)

func encodingOf(h []byte) textEncoding {
	switch {
	case bytes.HasPrefix(h, []byte("\xef\xbb\xbf")):
		return encUTF8
	case bytes.HasPrefix(h, []byte("\xff\xfe")), bytes.HasPrefix(h, []byte("\xfe\xff")):
		return encUTF16
	}
	if bytes.IndexByte(h, 0) >= 0 {
		return encBinary
	}
	ctl := 0
	for _, c := range h {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b {
			ctl++
		}
	}
	if ctl*100 > len(h) {
		return encBinary
	}
	// A rune cut by the end of the head is not an error.
	v := h
	for i := 0; i < utf8.UTFMax && len(v) > 0 && !utf8.Valid(v); i++ {
		v = v[:len(v)-1]
	}
	if utf8.Valid(v) && len(h)-len(v) < utf8.UTFMax {
		return encUTF8
	}
	return encLatin
}

// sniffText tells the kinds of text apart, or returns TypeOctet.
func sniffText(h []byte) string {
	enc := encodingOf(h)
	if enc == encBinary {
		return TypeOctet
	}
	if enc == encUTF16 {
		h = utf16Head(h)
	}
	s := bytes.TrimPrefix(h, []byte("\xef\xbb\xbf"))
	t := bytes.TrimLeft(s, " \t\r\n")
	if bytes.HasPrefix(s, []byte("#!")) {
		return interpreterType(s)
	}
	if isEICAR(t) {
		return TypeText
	}
	lower := bytes.ToLower(t)
	switch {
	case bytes.HasPrefix(lower, []byte("<?xml")):
		switch {
		case bytes.Contains(lower, []byte("<svg")):
			return TypeSVG
		case bytes.Contains(lower, []byte("<html")):
			return TypeHTML
		}
		return TypeXML
	case bytes.HasPrefix(lower, []byte("<svg")):
		return TypeSVG
	case isHTML(lower):
		return TypeHTML
	}
	if t := scriptByContent(lower); t != "" {
		return t
	}
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') && jsonPrefixValid(t) {
		return TypeJSON
	}
	if isCSV(s) {
		return TypeCSV
	}
	if isMarkdown(s) {
		return TypeMarkdown
	}
	return TypeText
}

// utf16Head decodes a UTF-16 head well enough to sniff it.
func utf16Head(h []byte) []byte {
	be := h[0] == 0xfe
	var out []byte
	for i := 2; i+1 < len(h); i += 2 {
		u := binary.LittleEndian.Uint16(h[i:])
		if be {
			u = binary.BigEndian.Uint16(h[i:])
		}
		out = utf8.AppendRune(out, rune(u))
	}
	return out
}

func interpreterType(s []byte) string {
	line := s[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	f := strings.Fields(string(line))
	if len(f) == 0 {
		return TypeScript
	}
	prog := path.Base(f[0])
	if prog == "env" {
		prog = ""
		for _, a := range f[1:] {
			if !strings.HasPrefix(a, "-") {
				prog = path.Base(a)
				break
			}
		}
	}
	prog = strings.TrimRight(prog, "0123456789.")
	switch prog {
	case "sh", "bash", "zsh", "ksh", "dash", "ash", "csh", "tcsh", "fish", "busybox":
		return TypeShell
	case "python", "pypy":
		return TypePython
	case "perl":
		return TypePerl
	case "pwsh", "powershell":
		return TypePowerShell
	case "node", "nodejs", "deno", "bun":
		return "text/javascript"
	}
	return TypeScript
}

var htmlStarts = []string{"<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<h1", "<div",
	"<font", "<table", "<a", "<style", "<title", "<b", "<br", "<p", "<meta", "<link", "<form", "<!--"}

func isHTML(lower []byte) bool {
	for _, p := range htmlStarts {
		if bytes.HasPrefix(lower, []byte(p)) && len(lower) > len(p) {
			if c := lower[len(p)]; c == ' ' || c == '>' || c == '\t' || c == '\n' || c == '\r' || c == '/' || p == "<!--" {
				return true
			}
		}
	}
	return false
}

// PowerShell, batch and VBScript have no magic number; they are told by
// their vocabulary. Each needs several independent indicators, and a
// Markdown code fence (a document about scripts) rules them out.
var (
	psIndicators = []string{"invoke-expression", "iex(", "iex (", "new-object ", "downloadstring(", "downloadfile(",
		"frombase64string(", "-encodedcommand", "-executionpolicy", "set-executionpolicy", "$env:", "[system.",
		"write-host ", "get-childitem", "invoke-webrequest", "start-process ", "param(", "$psscriptroot",
		"out-null", "-erroraction ", "[cmdletbinding(", "$_.", "foreach-object", "where-object", "get-item"}
	batIndicators = []string{"@echo off", "\nset ", "\ngoto ", "\nrem ", "%~dp0", "\nif exist ", "\ncall ", "%errorlevel%", "\nstart \"\""}
	vbsIndicators = []string{"wscript.", "createobject(", "\ndim ", "\nset ", "\nend sub", "\nsub ", "on error resume next", "\nend function"}
)

func scriptByContent(lower []byte) string {
	if bytes.Contains(lower, []byte("```")) {
		return ""
	}
	count := func(ind []string) int {
		n := 0
		for _, s := range ind {
			if bytes.Contains(lower, []byte(s)) {
				n++
			}
		}
		return n
	}
	lf := append([]byte{'\n'}, lower...)
	switch {
	case count(psIndicators) >= 3:
		return TypePowerShell
	case bytes.HasPrefix(lower, []byte("@echo off")) || count(batIndicators) >= 3 && !bytes.Contains(lf, []byte("\ndim ")):
		return TypeBatch
	case bytes.Contains(lower, []byte("wscript.")) && count(vbsIndicators) >= 3:
		return TypeVBScript
	}
	return ""
}

// isCSV: at least three complete lines (or two with two delimiters each)
// with the same number of one delimiter, counted outside quotes.
func isCSV(s []byte) bool {
	lines := bytes.Split(s, []byte("\n"))
	if len(lines) > 0 {
		lines = lines[:len(lines)-1] // the last line may be cut
	}
	if len(lines) > 20 {
		lines = lines[:20]
	}
	if len(lines) < 2 {
		return false
	}
	for _, d := range []byte{',', ';', '\t', '|'} {
		want := -1
		ok := true
		for _, l := range lines {
			n, inQ := 0, false
			for _, c := range l {
				switch {
				case c == '"':
					inQ = !inQ
				case c == d && !inQ:
					n++
				}
			}
			if want < 0 {
				want = n
			}
			if n != want || n == 0 {
				ok = false
				break
			}
		}
		if ok && (len(lines) >= 3 || want >= 2) {
			return true
		}
	}
	return false
}

func isMarkdown(s []byte) bool {
	n := 0
	for l := range bytes.SplitSeq(s, []byte("\n")) {
		l = bytes.TrimRight(l, "\r")
		switch {
		case bytes.HasPrefix(l, []byte("# ")), bytes.HasPrefix(l, []byte("## ")), bytes.HasPrefix(l, []byte("### ")),
			bytes.HasPrefix(l, []byte("```")), bytes.HasPrefix(l, []byte("- [ ] ")), bytes.HasPrefix(l, []byte("> ")):
			n += 2
		case bytes.HasPrefix(l, []byte("- ")), bytes.HasPrefix(l, []byte("* ")), bytes.HasPrefix(l, []byte("1. ")):
			n++
		}
		if i := bytes.Index(l, []byte("](")); i > 0 && bytes.IndexByte(l[:i], '[') >= 0 {
			n++
		}
		if bytes.Contains(l, []byte("**")) {
			n++
		}
	}
	return n >= 3
}

// Claimed types: a file's extension and declared Content-Type are checked
// against the sniffed type. Families group the types one may stand for
// another (a .txt may hold CSV; a .zip may hold a DOCX).
var extTypes = map[string]string{
	".pdf": TypePDF, ".zip": TypeZIP, ".gz": TypeGZIP, ".tgz": TypeGZIP, ".bz2": TypeBZ2, ".tar": TypeTAR,
	".rar": TypeRAR, ".7z": Type7Z, ".xz": TypeXZ, ".doc": TypeOLE, ".xls": TypeOLE, ".ppt": TypeOLE, ".msi": TypeOLE,
	".docx": TypeDOCX, ".xlsx": TypeXLSX, ".pptx": TypePPTX, ".docm": TypeDOCM, ".xlsm": TypeXLSM, ".pptm": TypePPTM,
	".dotm": TypeDOCM, ".xltm": TypeXLSM, ".potm": TypePPTM,
	".odt": TypeODT, ".ods": TypeODS, ".odp": TypeODP, ".epub": TypeEPUB, ".jar": TypeJAR, ".apk": TypeAPK,
	".jpg": TypeJPEG, ".jpeg": TypeJPEG, ".jpe": TypeJPEG, ".jfif": TypeJPEG, ".png": TypePNG, ".gif": TypeGIF,
	".webp": TypeWebP, ".bmp": TypeBMP, ".tif": TypeTIFF, ".tiff": TypeTIFF, ".heic": TypeHEIC, ".heif": TypeHEIF,
	".avif": TypeAVIF, ".svg": TypeSVG, ".mp4": TypeMP4, ".m4v": TypeMP4, ".mov": TypeMOV,
	".exe": TypePE, ".dll": TypePE, ".scr": TypePE, ".sys": TypePE, ".com": TypeDOSExe, ".elf": TypeELF, ".so": TypeELF,
	".dylib": TypeMachO, ".class": TypeClass,
	".sh": TypeShell, ".bash": TypeShell, ".zsh": TypeShell, ".py": TypePython, ".pl": TypePerl, ".ps1": TypePowerShell,
	".psm1": TypePowerShell, ".bat": TypeBatch, ".cmd": TypeBatch, ".vbs": TypeVBScript, ".js": "text/javascript",
	".html": TypeHTML, ".htm": TypeHTML, ".xhtml": TypeHTML, ".xml": TypeXML, ".json": TypeJSON, ".csv": TypeCSV,
	".tsv": TypeCSV, ".md": TypeMarkdown, ".markdown": TypeMarkdown, ".txt": TypeText, ".log": TypeText, ".text": TypeText,
}

var typeAliases = map[string]string{
	"application/x-zip-compressed": TypeZIP, "application/x-zip": TypeZIP, "application/x-pdf": TypePDF,
	"application/x-gzip": TypeGZIP, "application/x-gtar": TypeTAR, "application/x-rar-compressed": TypeRAR,
	"image/jpg": TypeJPEG, "image/pjpeg": TypeJPEG, "image/x-png": TypePNG, "image/x-ms-bmp": TypeBMP,
	"image/x-icon": TypeBMP, "text/x-markdown": TypeMarkdown, "text/comma-separated-values": TypeCSV,
	"text/xml": TypeXML, "application/xhtml+xml": TypeHTML, "text/x-python-script": TypePython,
	"application/x-sh": TypeShell, "application/x-shellscript": TypeShell, "application/x-msdownload": TypePE,
	"application/x-msdos-program": TypePE, "application/exe": TypePE, "application/x-executable": TypeELF,
	"application/x-mach-o-executable": TypeMachO, "application/msword": TypeOLE, "application/vnd.ms-excel": TypeOLE,
	"application/vnd.ms-powerpoint": TypeOLE, "application/x-bat": TypeBatch, "application/javascript": "text/javascript",
	"application/x-javascript": "text/javascript", "text/tab-separated-values": TypeCSV,
}

// claimedType normalises a declared Content-Type ("" when absent or generic).
func claimedType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !strings.Contains(mt, "/") {
		return ""
	}
	if a, ok := typeAliases[mt]; ok {
		mt = a
	}
	if mt == TypeOctet || mt == "binary/octet-stream" || mt == "application/unknown" {
		return ""
	}
	return mt
}

func family(t string) string {
	switch {
	case t == TypeText, t == TypeCSV, t == TypeMarkdown, t == TypeJSON, t == TypeXML, t == TypeHTML:
		return "text"
	case IsScript(t), t == "text/javascript":
		return "script"
	case t == TypeDOCX || t == TypeDOCM:
		return "docx"
	case t == TypeXLSX || t == TypeXLSM:
		return "xlsx"
	case t == TypePPTX || t == TypePPTM:
		return "pptx"
	case t == TypePE || t == TypeDOSExe:
		return "exe"
	case t == TypeHEIC || t == TypeHEIF || t == TypeAVIF:
		return "heif"
	case t == TypeMP4 || t == TypeMOV:
		return "mp4"
	}
	return t
}

// compatible reports whether content of type sniffed may fairly be called
// claimed.
func compatible(sniffed, claimed string) bool {
	if claimed == "" || claimed == sniffed {
		return true
	}
	fs, fc := family(sniffed), family(claimed)
	switch {
	case fs == fc:
		return true
	case fc == "script" && fs == "text":
		return true // a script without #! reads as text
	case claimed == TypeZIP:
		return zipBased(sniffed)
	case claimed == TypeSVG:
		return fs == "text"
	case sniffed == TypeSVG:
		return fc == "text"
	case strings.HasPrefix(claimed, "text/") && fs == "text":
		return true // text/x-c, text/x-log ...: any text
	}
	return false
}

func zipBased(t string) bool {
	switch t {
	case TypeZIP, TypeDOCX, TypeXLSX, TypePPTX, TypeDOCM, TypeXLSM, TypePPTM, TypeODT, TypeODS, TypeODP, TypeEPUB, TypeJAR, TypeAPK:
		return true
	}
	return false
}

func extOf(name string) string {
	return strings.ToLower(path.Ext(name))
}
