//go:build !linux

package redistest

import (
	"os"
	"syscall"
)

// terminate asks redis-server to shut down cleanly.
var terminate os.Signal = syscall.SIGTERM

func sysProcAttr() *syscall.SysProcAttr { return nil }
