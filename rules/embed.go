// Package rules embeds the bundled rule lists and policy, so that the aup
// binary screens with them from any directory. AUP_RULES_DIR replaces them
// with a folder on disk, which can then be edited and reloaded.
package rules

import "embed"

// FS holds the bundled rules folder.
//
//go:embed policy.conf */*.rules hosts/*.hosts
var FS embed.FS
