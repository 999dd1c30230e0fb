package linear

// HoldoutPercent is the share of labelled rows in the held-out split.
const HoldoutPercent = 20

// Holdout reports whether the labelled row with this id is in the held-out
// split: about HoldoutPercent% of rows, chosen by a hash of the id, the same
// on every machine and independent of file order. aup train never trains on
// them; aup eval --holdout measures only them.
func Holdout(id string) bool {
	return splitHash("aup-holdout", id)%100 < HoldoutPercent
}

// fold assigns a training row to one of k cross-fitting folds, by a hash of
// its id that is independent of the holdout split.
func fold(id string, k int) int {
	return int(splitHash("aup-fold", id) % uint64(k))
}

// splitHash hashes salt, a zero byte and id.
func splitHash(salt, id string) uint64 {
	h := hashString(fnvOffset, salt)
	h = hashByte(h, 0)
	return mix64(hashString(h, id))
}

// 64-bit FNV-1a.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

func hashByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// mix64 is the SplitMix64 finaliser: FNV's low and high bits are not
// equally well mixed, and buckets, signs and table slots take different
// bits.
func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
