package harness

import "syscall"

// childAttr puts a child in its own process group (so a terminal's Ctrl-C
// reaches only the benchmark, which then stops it in order) and has the
// kernel kill it if the benchmark dies without cleaning up.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
