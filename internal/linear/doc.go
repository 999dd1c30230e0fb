// Package linear is aup's built-in statistical classifier: one logistic
// regression head per policy category over hashed character and word
// n-grams of the normalised text, trained by `aup train` from the labelled
// data and loaded from a compact binary file (models/linear.bin).
//
// Features. A text goes through [normalize.Fold] and [normalize.WordsOf], so
// that the model sees the same de-obfuscated words as the rules (case,
// accents, leetspeak, homoglyphs, spaced-out letters and repeated letters
// undone). From the word view it takes character n-grams of every word with
// its boundaries marked (" idiot " gives " id", "idi", ..., "ot " for n = 3,
// digits counted as one digit "0", which carries across languages, spellings
// and obfuscations) plus word unigrams and bigrams. Each feature is hashed
// (64-bit FNV-1a, then a mixer) into one of 2^bits buckets with a sign taken
// from the hash (the signed hashing trick, so collisions cancel on average
// instead of adding up); its value is the sublinear term frequency 1+ln(tf),
// and the vector is L2-normalised.
//
// Scoring. Each head's probability is the logistic function of a bias plus
// the dot product of the feature vector with its weights. Weights are stored
// as int8 codes per bucket and head, decoded by a 256-entry table per head
// (a square-law codebook: fine steps near zero, where most weights are).
// Long texts are scored in windows of the word view (see [Model.Classify]):
// the work is linear in the text and the memory per call is bounded.
//
// Training ([Train]) is deterministic: the same examples and options give the
// same model file, byte for byte, on the same platform.
package linear
