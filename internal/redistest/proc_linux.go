package redistest

import "syscall"

// terminate asks redis-server to shut down cleanly.
var terminate = syscall.SIGTERM

// sysProcAttr makes the kernel kill redis-server if the test binary dies
// without stopping it (a panic, a -timeout, a SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
