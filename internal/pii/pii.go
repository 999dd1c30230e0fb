// Package pii finds personal data in a note: payment card numbers, IBANs,
// national identity numbers, e-mail addresses, phone numbers and credential
// pairs. It backs the $card, $iban, $national_id, $email, $phone and
// $credentials detectors of the rule lists.
//
// Find runs on the hot path of every check, on text that the pipeline has
// already NFKC-normalised and lower-cased. It scans bytes rather than running
// regular expressions, validates check digits wherever a format has them, and
// prefers a miss to a false positive: a number in an ordinary note must not
// read as personal data. Findings name what was found, never the value.
package pii

import (
	"cmp"
	"slices"
)

// Kind is the kind of personal data a finding holds.
type Kind string

// The kinds Find reports. Each is the name of a rule-list detector.
const (
	Card        Kind = "card"
	IBAN        Kind = "iban"
	NationalID  Kind = "national_id"
	Email       Kind = "email"
	Phone       Kind = "phone"
	Credentials Kind = "credentials"
)

// Finding is one piece of personal data in a text. Start and End are byte
// offsets into the text that was searched. Detail is a label that does not
// identify anyone: the card issuer ("visa"), the IBAN country ("de"), the
// identity document ("es_dni"), "international" or "national" for phones,
// "email" or "username" for credential pairs; it is empty for e-mail
// addresses.
type Finding struct {
	Kind       Kind
	Start, End int
	Detail     string
}

// Find returns the personal data in text, in order of Start and without
// overlaps: where two readings of the same bytes compete (a card number that
// also looks like a phone number), the more specific one is kept. It returns
// nil, without allocating, when there is nothing to report.
func Find(text string) []Finding {
	var out []Finding
	out = findNumbers(text, out)
	out = findEmails(text, out)
	out = findCredentials(text, out)
	if len(out) > 1 {
		out = resolve(out)
	}
	return out
}

// rank orders kinds for overlaps: lower wins. A validated number beats the
// looser shapes around it, and a credential pair beats the address inside it.
func rank(k Kind) int {
	switch k {
	case Card:
		return 0
	case IBAN:
		return 1
	case NationalID:
		return 2
	case Credentials:
		return 3
	case Email:
		return 4
	default:
		return 5
	}
}

// resolve sorts findings by Start and drops overlaps, keeping the better
// ranked finding of each overlapping group. It reuses fs.
func resolve(fs []Finding) []Finding {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		return cmp.Compare(rank(a.Kind), rank(b.Kind))
	})
	out := fs[:0]
	for _, f := range fs {
		// Kept findings are sorted and disjoint, so those overlapping f form
		// a tail of out.
		k := len(out)
		for k > 0 && out[k-1].End > f.Start {
			k--
		}
		if k < len(out) {
			beaten := false
			for _, g := range out[k:] {
				if rank(g.Kind) <= rank(f.Kind) {
					beaten = true
					break
				}
			}
			if beaten {
				continue
			}
			out = out[:k]
		}
		out = append(out, f)
	}
	return out
}
