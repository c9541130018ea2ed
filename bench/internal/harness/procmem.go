package harness

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ProcMem is a process's resident memory in bytes: now (VmRSS) and its
// peak so far (VmHWM), from /proc/<pid>/status; zero where unknown.
type ProcMem struct{ RSS, Peak int64 }

// ReadProcMem reads pid's ProcMem from /proc/<pid>/status.
func ReadProcMem(pid int) ProcMem {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcMem{}
	}
	defer f.Close()
	var m ProcMem
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			m.RSS = kb * 1024
		case "VmHWM":
			m.Peak = kb * 1024
		}
	}
	return m
}

// MiB formats bytes as MiB.
func MiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
