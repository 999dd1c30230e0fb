package moderation

import "time"

// HashKind is the kind of hash a bank entry holds.
type HashKind string

const (
	// HashPDQ is Meta's 256-bit perceptual hash of an image, written as 64
	// hex digits; it matches within a bank's Hamming distance.
	HashPDQ HashKind = "pdq"
	// HashSHA256 is the SHA-256 of a file's bytes, written as 64 hex
	// digits; it matches exactly.
	HashSHA256 HashKind = "sha256"
)

// Valid reports whether k is a known hash kind.
func (k HashKind) Valid() bool { return k == HashPDQ || k == HashSHA256 }

// DefaultBankDistance is the PDQ distance a bank matches within when it does
// not say: 31 of 256 bits, the threshold Meta recommends for PDQ.
const DefaultBankDistance = 31

// MaxBankDistance bounds a bank's distance: beyond it, unrelated images
// start to match (two random PDQ hashes differ in about 128 bits).
const MaxBankDistance = 64

// Bank is a hash bank: hashes of known media (known abuse material shared
// by a hash-sharing programme, images moderators removed) and what a match
// earns.
type Bank struct {
	Name     string   `json:"name"`
	Category Category `json:"category"`
	Action   Action   `json:"action"` // review or block
	// Distance is the largest Hamming distance at which a PDQ hash matches.
	Distance    int       `json:"distance"`
	Description string    `json:"description,omitempty"`
	Entries     int       `json:"entries"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// BankEntry is one hash in a bank.
type BankEntry struct {
	ID   string   `json:"id"`
	Bank string   `json:"bank"`
	Kind HashKind `json:"kind"`
	Hash string   `json:"hash"` // lower-case hex
	Note string   `json:"note,omitempty"`
	// DecisionID is the moderator's decision that added the entry, if any.
	DecisionID string    `json:"decision_id,omitempty"`
	AddedBy    string    `json:"added_by"`
	AddedAt    time.Time `json:"added_at"`
}

// BankMatch is a file or image found in a bank.
type BankMatch struct {
	Bank     string   `json:"bank"`
	EntryID  string   `json:"entry_id"`
	Kind     HashKind `json:"kind"`
	Distance int      `json:"distance"` // 0 for SHA-256
	Category Category `json:"category"`
	Action   Action   `json:"action"`
}

// FileInfo describes a screened upload by what it is, never by what it says.
type FileInfo struct {
	SHA256    string `json:"sha256"`     // of the bytes, lower-case hex
	MediaType string `json:"media_type"` // sniffed from the bytes
	Size      int64  `json:"size"`
	// Images are the images in the upload (the upload itself, or archive
	// members and document attachments), with their hashes.
	Images []ImageInfo `json:"images,omitempty"`
}

// ImageInfo is one image of an upload.
type ImageInfo struct {
	// Path is where the image is: the upload's name, or a member path.
	Path      string `json:"path"`
	MediaType string `json:"media_type"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
	SHA256    string `json:"sha256"`
	// PDQ is the perceptual hash and PDQQuality its quality (0 to 100;
	// under MinPDQQuality the image is too flat for the hash to mean
	// much). PDQ is empty when the image could not be decoded.
	PDQ        string `json:"pdq,omitempty"`
	PDQQuality int    `json:"pdq_quality,omitempty"`
}

// MinPDQQuality is the PDQ quality below which a hash is not added to a
// bank: Meta's reference implementation ignores hashes under 50, which
// come from near-uniform images that match too much.
const MinPDQQuality = 50
