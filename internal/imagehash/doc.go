// Package imagehash computes the PDQ perceptual hash of images and decodes
// uploaded images without letting a small file claim a huge amount of
// memory.
//
// PDQ is the 256-bit perceptual hash that Meta published for sharing hashes
// of known harmful images between platforms (ThreatExchange, StopNCII and
// other hash-sharing programmes exchange PDQ hashes as 64 hex digits). Two
// images that look alike have hashes a small Hamming distance apart; the
// reference tooling treats a distance of 31 or less (of 256) as a match.
// Resizing, re-encoding, small brightness or colour changes and light crops
// move a hash by a few to a few tens of bits; unrelated images are about 128
// bits apart.
//
// [PDQ] follows the reference implementation step by step: luminance from
// RGB (0.299 R + 0.587 G + 0.114 B; the Y plane as it is for YCbCr images
// such as JPEGs, which is that same sum up to rounding), a tent-filter
// downsample to 64×64 made of two passes of box filters along each axis
// (Jarosz, window ⌈size/128⌉) sampled at the centres of 64 cells, the 2-D
// DCT of that grid keeping the 16×16 lowest frequencies after the constant
// one, and one bit per coefficient: set when it is above the median of the
// 256. The quality score (0 to 100) counts the significant gradients of the
// 64×64 grid: flat or nearly flat images score low, and their hashes should
// not be matched (the reference suggests ignoring hashes of quality below 50).
// Images smaller than 5 pixels on a side have the zero hash and quality 0.
// The filter passes run row by row, so hashing needs a few kilobytes besides
// the decoded image, whatever its size.
//
// PDQ is not invariant under rotation or mirroring; [PDQDihedral] gives the
// hashes of the eight rotations and mirror images of an image in one pass,
// computed from the DCT as the reference does, so that a bank of original
// hashes also catches rotated or mirrored re-uploads.
//
// [Decode] reads JPEG, PNG and GIF (the first frame) with the standard
// library's decoders. It reads the header first and refuses, before anything
// is allocated, images with more than a given number of pixels or whose
// decoding would take more memory than an 8-bit RGBA image of that many
// pixels (a progressive JPEG keeps every DCT coefficient while it decodes,
// 5 times the memory of the image; a 16-bit PNG takes 8 bytes a pixel). Its
// errors tell the cases apart: [ErrFormat] for data that is no image it
// reads (WebP, HEIC, BMP, TIFF are not read), [ErrInvalid] for a truncated
// or malformed image, and [*TooLargeError] for the limit.
package imagehash
