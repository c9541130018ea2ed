//go:build unix && !linux

package harness

import "syscall"

// childAttr puts a child in its own process group, so a terminal's Ctrl-C
// reaches only the benchmark, which then stops it in order.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
