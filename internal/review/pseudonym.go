package review

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// pseudonyms turns ids of people (users and reporters share the product's
// id space) into keyed pseudonyms: HMAC-SHA256 under Config.PseudonymKey.
// Without the key a pseudonym cannot be tied back to an id, not even by
// hashing candidate ids; with it, an id's pseudonym can be recomputed, so
// the audit log can still be searched by id and an erasure can find what it
// must rewrite.
type pseudonyms struct{ key []byte }

// pseudonymPrefix starts every pseudonym.
const pseudonymPrefix = "psn_"

func newPseudonyms(key []byte) pseudonyms { return pseudonyms{key: key} }

// sum is the keyed hash of the parts, in hex, 128 bits.
func (p pseudonyms) sum(domain string, parts ...string) string {
	mac := hmac.New(sha256.New, p.key)
	mac.Write([]byte(domain))
	for _, s := range parts {
		mac.Write([]byte{0})
		mac.Write([]byte(s))
	}
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// of returns the pseudonym of the person id ("" for none).
func (p pseudonyms) of(id string) string {
	if id == "" {
		return ""
	}
	return pseudonymPrefix + p.sum("person", id)
}

// actor returns an audit actor with a user's or reporter's id replaced by
// its pseudonym; moderators, keys and the system stay as they are.
func (p pseudonyms) actor(a string) string {
	for _, prefix := range []string{"user:", "reporter:"} {
		if id, ok := strings.CutPrefix(a, prefix); ok && !strings.HasPrefix(id, pseudonymPrefix) {
			return prefix + p.of(id)
		}
	}
	return a
}

// Pseudonym returns the keyed pseudonym that stands for the user or
// reporter id in the audit log and in the records an erasure keeps.
func (d *Desk) Pseudonym(id string) string { return d.psn.of(id) }
