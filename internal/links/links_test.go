package links

import (
	"slices"
	"strings"
	"testing"
)

// want is an expected link; match is the text it spans, searched for after
// the previous link's end, so each case also checks offsets.
type want struct {
	kind  string
	host  string
	match string
}

var findCases = []struct {
	name string
	text string
	want []want
}{
	// URLs with a scheme.
	{"https", "go to https://example.com now", []want{{KindURL, "example.com", "https://example.com"}}},
	{"trailing punctuation", "see https://x.com/a).", []want{{KindURL, "x.com", "https://x.com/a"}}},
	{"port query fragment", "http://example.com:8080/x?y=1&z=2#top, ok", []want{{KindURL, "example.com", "http://example.com:8080/x?y=1&z=2#top"}}},
	{"ftp", "ftp://files.example.org/pub/", []want{{KindURL, "files.example.org", "ftp://files.example.org/pub/"}}},
	{"any scheme", "git+ssh://git.example.com/repo.git", []want{{KindURL, "git.example.com", "git+ssh://git.example.com/repo.git"}}},
	{"hxxp", "hxxps://evil-login.com/verify", []want{{KindURL, "evil-login.com", "hxxps://evil-login.com/verify"}}},
	{"h**p", "h**p://example.com", []want{{KindURL, "example.com", "h**p://example.com"}}},
	{"bracketed colon and dot", "http[:]//example[.]com/x", []want{{KindURL, "example.com", "http[:]//example[.]com/x"}}},
	{"user info", "http://bank.com@evil.example/login", []want{{KindURL, "evil.example", "http://bank.com@evil.example/login"}}},
	{"user and password", "http://user:pw@example.com/", []want{{KindURL, "example.com", "http://user:pw@example.com/"}}},
	{"ipv4", "http://192.168.0.1:8080/admin", []want{{KindURL, "192.168.0.1", "http://192.168.0.1:8080/admin"}}},
	{"ipv6", "http://[2001:db8::1]:8080/", []want{{KindURL, "2001:db8::1", "http://[2001:db8::1]:8080/"}}},
	{"single label", "http://localhost:3000", []want{{KindURL, "localhost", "http://localhost:3000"}}},
	{"root dot", "http://example.com./a", []want{{KindURL, "example.com", "http://example.com./a"}}},
	{"sentence dot", "visit http://example.com.", []want{{KindURL, "example.com", "http://example.com"}}},
	{"upper case", "HTTPS://EXAMPLE.COM/Path", []want{{KindURL, "example.com", "HTTPS://EXAMPLE.COM/Path"}}},
	{"balanced parens", "(https://en.wikipedia.org/wiki/foo_(bar))", []want{{KindURL, "en.wikipedia.org", "https://en.wikipedia.org/wiki/foo_(bar)"}}},
	{"quoted", `"https://example.com/a"`, []want{{KindURL, "example.com", "https://example.com/a"}}},
	{"address in query", "https://x.com/?to=a@example.com", []want{{KindURL, "x.com", "https://x.com/?to=a@example.com"}}},
	{"url in url", "https://web.archive.org/web/2020/http://example.com/", []want{{KindURL, "web.archive.org", "https://web.archive.org/web/2020/http://example.com/"}}},
	{"no host", "http:// and http://-x", nil},

	// Hosts without a scheme.
	{"www", "www.example.com", []want{{KindURL, "www.example.com", "www.example.com"}}},
	{"domain", "example.com", []want{{KindDomain, "example.com", "example.com"}}},
	{"domain end of sentence", "I use example.com.", []want{{KindDomain, "example.com", "example.com"}}},
	{"domain with path", "bit.ly/xyz!", []want{{KindURL, "bit.ly", "bit.ly/xyz"}}},
	{"domain with port", "example.com:8443", []want{{KindURL, "example.com", "example.com:8443"}}},
	{"sub domains", "a.b.example.co.uk", []want{{KindDomain, "a.b.example.co.uk", "a.b.example.co.uk"}}},
	{"private suffix", "foo.github.io", []want{{KindDomain, "foo.github.io", "foo.github.io"}}},
	{"file tld with path", "example.zip/file", []want{{KindURL, "example.zip", "example.zip/file"}}},
	{"idn", "bücher.de", []want{{KindDomain, "bücher.de", "bücher.de"}}},
	{"idn tld", "пример.рф", []want{{KindDomain, "пример.рф", "пример.рф"}}},
	{"chinese tld", "例子.中国", []want{{KindDomain, "例子.中国", "例子.中国"}}},
	{"in chinese text", "访问example.com了解", []want{{KindDomain, "example.com", "example.com"}}},
	{"url in chinese text", "访问https://example.com/a了解", []want{{KindURL, "example.com", "https://example.com/a"}}},
	{"unencoded path", "https://de.wikipedia.org/wiki/straße.", []want{{KindURL, "de.wikipedia.org", "https://de.wikipedia.org/wiki/straße"}}},
	{"two", "example.com or https://example.org/x, then", []want{
		{KindDomain, "example.com", "example.com"}, {KindURL, "example.org", "https://example.org/x"}}},

	// Obfuscated dots.
	{"[.]", "example[.]com", []want{{KindDomain, "example.com", "example[.]com"}}},
	{"(.)", "example(.)com", []want{{KindDomain, "example.com", "example(.)com"}}},
	{"{.}", "example{.}com", []want{{KindDomain, "example.com", "example{.}com"}}},
	{"[dot]", "go to example [dot] com now", []want{{KindDomain, "example.com", "example [dot] com"}}},
	{"(dot)", "example(dot)com", []want{{KindDomain, "example.com", "example(dot)com"}}},
	{"[ . ]", "example[ . ]com", []want{{KindDomain, "example.com", "example[ . ]com"}}},
	{"mixed dots", "a.example [.] co.uk/x", []want{{KindURL, "a.example.co.uk", "a.example [.] co.uk/x"}}},
	{"obfuscated file tld", "evil[.]zip", []want{{KindDomain, "evil.zip", "evil[.]zip"}}},

	// E-mail addresses.
	{"email", "mail john.doe+x@example.com.", []want{{KindEmail, "example.com", "john.doe+x@example.com"}}},
	{"mailto", "mailto:info@example.org", []want{{KindEmail, "example.org", "info@example.org"}}},
	{"email obfuscated", "john@example[.]com", []want{{KindEmail, "example.com", "john@example[.]com"}}},
	{"email and domain", "a@example.com and example.net", []want{
		{KindEmail, "example.com", "a@example.com"}, {KindDomain, "example.net", "example.net"}}},
	{"glued addresses", "a@example.ac%b@example.ac", []want{{KindEmail, "example.ac", "a@example.ac"}}},
	{"email bad tld", "a@b.c and me@localhost and x@file.txt", nil},

	// Not links.
	{"file names", "open file.txt, report.pdf and notes.docx", nil},
	{"file tlds", "run setup.py, read readme.md, unzip archive.zip", nil},
	{"abbreviations", "e.g. this, i.e. that, at 10 a.m. in the u.s.a.", nil},
	{"node.js", "written in node.js and vue.js", nil},
	{"versions", "v1.2.3 or 10.2.3.4 or 3.14", nil},
	{"bare ip", "ping 1.2.3.4", nil},
	{"unknown tld", "example.invalidtld", nil},
	{"path", "see docs/example.com and my_site.com", nil},
	{"spaced plain dot", "example . com and example dot com", nil},
	{"ellipsis", "wait...what", nil},
	{"windows path", `c:\windows\system32`, nil},
	{"empty", "", nil},
}

func TestFind(t *testing.T) {
	for _, tc := range findCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Find(tc.text)
			var exp []Link
			from := 0
			for _, w := range tc.want {
				k := strings.Index(tc.text[from:], w.match)
				if k < 0 {
					t.Fatalf("bad case: %q not in text", w.match)
				}
				start := from + k
				exp = append(exp, Link{Host: w.host, Start: start, End: start + len(w.match), Kind: w.kind})
				from = start + len(w.match)
			}
			if !slices.Equal(got, exp) {
				t.Errorf("Find(%q)\n got %v\nwant %v", tc.text, got, exp)
			}
		})
	}
}

// TestFindOffsets pins byte offsets after multi-byte characters.
func TestFindOffsets(t *testing.T) {
	text := "visitez « https://exemple.fr/été » 👍"
	got := Find(text)
	want := []Link{{Host: "exemple.fr", Start: 11, End: 35, Kind: KindURL}}
	if !slices.Equal(got, want) {
		t.Fatalf("Find(%q) = %v, want %v", text, got, want)
	}
}

func TestSuffixes(t *testing.T) {
	tests := []struct {
		host string
		want []string
	}{
		{"a.b.example.co.uk", []string{"a.b.example.co.uk", "b.example.co.uk", "example.co.uk"}},
		{"example.com", []string{"example.com"}},
		{"www.example.com.", []string{"www.example.com", "example.com"}},
		{"Example.COM", []string{"example.com"}},
		{"foo.blogspot.com", []string{"foo.blogspot.com", "blogspot.com"}},
		{"evil.github.io", []string{"evil.github.io", "github.io"}},
		{"a.例子.中国", []string{"a.例子.中国", "例子.中国"}},
		{"x.пример.рф", []string{"x.пример.рф", "пример.рф"}},
		{"a.b.example.invalidtld", []string{"a.b.example.invalidtld", "b.example.invalidtld", "example.invalidtld"}},
		{"192.168.0.1", []string{"192.168.0.1"}},
		{"2001:db8::1", []string{"2001:db8::1"}},
		{"localhost", []string{"localhost"}},
		{"co.uk", []string{"co.uk"}},
		{"", nil},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			if got := Suffixes(tc.host); !slices.Equal(got, tc.want) {
				t.Errorf("Suffixes(%q) = %q, want %q", tc.host, got, tc.want)
			}
		})
	}
}

// TestExtensionLists guards the two hand-written lists against the Public
// Suffix List: notTLDs must hold no top-level domain (or real links would
// be missed) and fileTLDs only real ones.
func TestExtensionLists(t *testing.T) {
	for _, ext := range notTLDs {
		if knownTLDSlow("x." + ext) {
			t.Errorf("notTLDs holds %q, a top-level domain", ext)
		}
	}
	for _, ext := range fileTLDs {
		if !knownTLD("x." + ext) {
			t.Errorf("fileTLDs holds %q, not a top-level domain", ext)
		}
	}
}

// knownTLDSlow is knownTLD without the notTLDs shortcut.
func knownTLDSlow(host string) bool {
	saved := notTLDs
	notTLDs = nil
	defer func() { notTLDs = saved }()
	return knownTLD(host)
}

func TestFindNothingAllocatesNothing(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { Find(quietNote) })
	if allocs != 0 {
		t.Errorf("Find on a note without links: %v allocations, want 0", allocs)
	}
}

func FuzzFind(f *testing.F) {
	for _, tc := range findCases {
		f.Add(tc.text)
	}
	f.Add(quietNote)
	f.Add(busyNote)
	f.Fuzz(func(t *testing.T, text string) {
		end := 0
		for _, l := range Find(text) {
			if l.Start < end || l.Start >= l.End || l.End > len(text) {
				t.Fatalf("Find(%q): bad span %v after end %d", text, l, end)
			}
			end = l.End
			if l.Host == "" || l.Host != strings.ToLower(l.Host) || strings.ContainsAny(l.Host, " /@[]") {
				t.Fatalf("Find(%q): bad host in %v", text, l)
			}
			if l.Kind != KindURL && l.Kind != KindDomain && l.Kind != KindEmail {
				t.Fatalf("Find(%q): bad kind in %v", text, l)
			}
			if len(Suffixes(l.Host)) == 0 {
				t.Fatalf("Find(%q): no suffixes for %v", text, l)
			}
		}
	})
}

// quietNote is a 300-byte note with abbreviations, versions, file names,
// times and prices but no link.
const quietNote = "Hi team, the review moved to 10:30 on 2024-05-01 in room 4b. " +
	"Budget is $1,000,000 (up 12.5%). See section 3.2 of the doc, v1.2.3 release " +
	"notes, e.g. the file report_final.pdf and app.js. Ratio 16:9, john 3:16. Call " +
	"me if anything changes, thanks! Order #a-20240501-77 shipped; tracking " +
	"1z999aa10123456784 arrives friday."

// busyNote is a note of the same size with a few links.
const busyNote = "Hi team, the phishing kit lives at hxxps://secure-login[.]example-bank.com/verify " +
	"and mirrors on bit.ly/3xYz and www.example.org. Reports went to abuse@example.net " +
	"on 2024-05-01 (see https://en.wikipedia.org/wiki/Phishing). Budget is " +
	"$1,000,000, e.g. v1.2.3, report.pdf, thanks!"

func BenchmarkFindQuiet(b *testing.B) {
	b.SetBytes(int64(len(quietNote)))
	b.ReportAllocs()
	for b.Loop() {
		Find(quietNote)
	}
}

func BenchmarkFindBusy(b *testing.B) {
	b.SetBytes(int64(len(busyNote)))
	b.ReportAllocs()
	for b.Loop() {
		Find(busyNote)
	}
}
