package fleet

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// procMem is a process's resident memory in bytes: now (VmRSS) and its
// peak so far (VmHWM), from /proc/<pid>/status; zero where unknown.
type procMem struct{ rss, peak int64 }

func readProcMem(pid int) procMem {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procMem{}
	}
	defer f.Close()
	var m procMem
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
			m.rss = kb * 1024
		case "VmHWM":
			m.peak = kb * 1024
		}
	}
	return m
}

// mib formats bytes as MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
