// Package lingua implements moderation.LanguageDetector with lingua-go
// (github.com/pemistahl/lingua-go), kept off the hot path.
//
// Lingua alone is too slow for the check path. On this 2-core machine it
// takes about 0.5 ms per 300-byte note (median), even in low-accuracy mode
// and restricted to one script's languages. Its high-accuracy models also
// cost 1–3 s of start-up and about 470 MB resident. So Detect looks at the
// first SampleBytes (256) bytes of the text, with links and e-mail addresses
// blanked out, and tries cheap steps first:
//
//  1. Script. Letters are counted per Unicode script. Text with no letters,
//     fewer than 3 letters of its main script, or no script holding 2/3 of
//     the (weighted) letters is und. Kana → ja; Han without kana → zh;
//     Devanagari → hi; Arabic script → ar (und when it is spelled like
//     Persian or Urdu); a script with no language in the set (Hangul, Greek,
//     Hebrew, ...) → und.
//  2. Russian against Ukrainian. і ї є ґ → uk; ы э ъ ё → ru. When neither
//     or both appear, lingua {ru, uk} decides, weighted by how likely each
//     language is to lack its marker letters over that many letters.
//  3. Function words (Latin script). Each word that belongs to exactly one
//     language of the set counts for that language. Three or more such words
//     and a confidence of at least 0.95 decide (a softmax in which each word
//     makes its language ten times likelier). On the eval sentences these
//     answers were right 99.96% of the time.
//  4. Lingua. Otherwise, lingua restricted to the script's languages of the
//     set decides, in low-accuracy mode (trigrams), with models preloaded by
//     New. Latin or Cyrillic text that gets this far with under 10 letters
//     or 2 words is und, and so is an answer under MinConfidence (0.5).
//
// Measured on this machine while other jobs loaded it (load average 5–8),
// with the default options:
//
//   - Detect on 300-byte notes (testdata): 1–6 µs, no allocations; median
//     over the mix 2.6 µs.
//   - Eval sentences joined into texts of 250+ bytes, 15 languages (5,623
//     texts): median 4.1 µs, p90 6 µs, p99 0.5–0.7 ms (lingua decides 6%).
//     On the eval sentences themselves, which are short: median 3 µs, p90
//     0.2–0.3 ms, p99 0.4–1.9 ms (lingua decides 31%).
//   - New: 45–65 ms. After New: Go heap in use 11 MiB, resident 34 MB.
//     After 100,000 calls on the eval sentences: resident 49 MB.
//   - Accuracy on the eval sentences of the 15 languages (14,141 rows;
//     lingua-go's test data, run by TestAccuracy): 0.988, und 0.3%; on the
//     texts of 250+ bytes: 0.998. High-accuracy mode scores the same (0.989)
//     with three times as many und answers.
//
// Text in a language outside the set gets the nearest language of the set,
// unless Options.Others lists it. With all the other Latin-script languages
// lingua knows, 98.7% of such eval sentences are und, but accuracy on the
// set drops to 0.981 and p90 goes up to 3.5 ms.
//
// cmd/langbench prints start-up time, memory and per-call times for a fresh
// process. TestAccuracyConfigurations (-lingua.compare) compares the
// configurations that were tried, and BenchmarkDetectEval gives latency
// percentiles.
package lingua
