// Package normalize turns user text into the canonical forms that aup's rules
// are matched against, while keeping a map from every byte of those forms
// back to the byte range of the original text it came from: verdicts report
// byte offsets into the text the user sent, not into what the matcher saw.
//
// There are two views, one built from the other.
//
// [Fold] works on characters and gives a [Folded] text. It applies Unicode
// NFKC (fullwidth, mathematical, circled letters and ligatures become plain
// letters), lower-cases, drops invisible format characters (zero-width
// spaces and joiners, bidi controls, soft hyphens, tags, variation
// selectors), strips the diacritics of Latin, Greek and Cyrillic letters
// (those of other scripts are vowels and stay), and folds look-alike letters
// of other scripts into Latin ones, using the Unicode confusables data (UTS
// #39). A look-alike is folded only where the text shows it is meant as
// Latin: inside a word that also has Latin letters ("рaypal" → "paypal"), or
// when the whole word is made of look-alikes and the text is mostly Latin.
// Russian, Greek or Ukrainian text stays in its script. Latin letters typed
// inside a word whose other letters can only be Cyrillic or Greek go the
// other way ("пpивeт" with a Latin p and e → "привет"). The folded text keeps
// punctuation and spacing: language detection and the URL, e-mail and
// number detectors read it.
//
// [WordsOf] builds the [Words] view used for term matching: the words of the
// folded text separated by single spaces, with a space at each end, so that a
// term " w " can only match whole words ("ass" never matches "assassin").
// Inside words it undoes the usual disguises: leetspeak ("h3ll0", "@ss",
// "sh!t"), letters spaced out with one repeated separator ("f u c k",
// "p.o.r.n"), and repeated letters ("fuuuck"). Repeats are collapsed to one
// character and their count is kept in [Words.Run], so that a matcher can
// tell "as" from "ass": a term matches only where every character of the
// text repeats at least as often as in the term. A "*" between letters is
// kept as a wildcard character ("f*ck"). Scripts written without spaces
// (see [IsCJK]) are kept as they are.
//
// Rule terms go through the same two steps ([Skeleton]), so that a rule
// written plainly matches every disguise the normaliser undoes.
//
// Fold and WordsOf are on the path of every check: they reuse buffers and
// allocate little. Offsets are stored as int32: texts must be shorter than
// 2 GiB, far above any accepted body size.
package normalize
