// Package links finds links in a note: URLs, bare domain names and the
// domains of e-mail addresses, including the obfuscated spellings people use
// to slip links past filters ("hxxp://", "example[.]com", "example [dot]
// com"). It backs the $links detector and the host lists of the rule files.
//
// Find runs on the hot path of every check, on text that the pipeline has
// already NFKC-normalised and lower-cased. It scans bytes in one pass, in
// time linear in the text, without regular expressions. A bare name counts
// as a domain only when its top-level domain is real (golang.org/x/net's
// copy of the Public Suffix List), so "node.js", "e.g." and "v1.2.3" are
// not links.
package links

import (
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Link kinds.
const (
	// KindURL is a link with a scheme ("https://", "hxxp://"), a "www."
	// host, or a path or port after a bare domain ("bit.ly/x").
	KindURL = "url"
	// KindDomain is a bare domain name ("example.com").
	KindDomain = "domain"
	// KindEmail is the domain of an e-mail address.
	KindEmail = "email"
)

// Link is one link in a text. Host is the host name, lower-case, without
// port, user name or trailing dot, with obfuscated dots restored and
// internationalised names left in Unicode. Start and End are the byte
// offsets of the whole URL, domain or e-mail address in the searched text.
type Link struct {
	Host       string
	Start, End int
	Kind       string
}

// Find returns the links in text in order of Start, without overlaps (the
// address in "https://x.com/?to=a@b.com" is part of the URL). It returns
// nil, without allocating, when there is none.
func Find(text string) []Link {
	var out []Link
	out = findEmails(text, out)
	emails := len(out)
	out = findHosts(text, out, emails)
	if emails > 0 && len(out) > emails {
		// Merge the two sorted runs. A URL may contain an address found
		// first; the URL starts earlier and wins.
		slices.SortFunc(out, func(a, b Link) int { return a.Start - b.Start })
		kept := out[:1]
		for _, l := range out[1:] {
			if l.Start >= kept[len(kept)-1].End {
				kept = append(kept, l)
			}
		}
		out = kept
	}
	return out
}

// Suffixes returns host and each parent domain down to the registrable one:
// "a.b.example.co.uk" gives "a.b.example.co.uk", "b.example.co.uk" and
// "example.co.uk". A host list entry matches a link when it equals any of
// them. The registrable domain is taken under the ICANN suffixes only, so
// that a list can name a hosting platform ("workers.dev", "github.io") as
// well as one site on it. IP addresses and names without a registrable
// domain give just the host.
func Suffixes(host string) []string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return []string{host}
	}
	ascii := host
	if !isASCII(host) {
		a, err := idna.ToASCII(host)
		if err != nil || strings.Count(a, ".") != strings.Count(host, ".") {
			return []string{host}
		}
		ascii = a
	}
	labels := strings.Count(host, ".") + 1
	keep := strings.Count(icannSuffix(ascii), ".") + 2 // the suffix and one label
	if keep > labels {
		return []string{host}
	}
	out := make([]string, 0, labels-keep+1)
	for s, n := host, labels; ; n-- {
		out = append(out, s)
		if n == keep {
			return out
		}
		s = s[strings.IndexByte(s, '.')+1:]
	}
}

// icannSuffix returns the public suffix of domain under the ICANN section of
// the list, skipping private suffixes such as "blogspot.com".
func icannSuffix(domain string) string {
	for {
		ps, icann := publicsuffix.PublicSuffix(domain)
		dot := strings.IndexByte(ps, '.')
		if icann || dot < 0 {
			return ps
		}
		domain = ps[dot+1:]
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
