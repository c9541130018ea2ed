package harness

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc CPU times (100 on Linux).
const clockTicks = 100

// MachineInfo describes the host in one line: cores, CPU model, OS, Go.
func MachineInfo() string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	kernel := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = " " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%d cores (%s), %s/%s%s, %s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, kernel, runtime.Version())
}

// CPUSnapshot is the machine's and some processes' CPU time at one moment.
type CPUSnapshot struct {
	At         time.Time       // when it was taken
	busy, all  float64         // machine, in seconds summed over cores
	procs      map[int]float64 // pid → user+system seconds
	procsKnown bool
}

// TakeCPU reads /proc; on systems without it the snapshot is empty and
// CPUUsage reports nothing.
func TakeCPU(pids ...int) CPUSnapshot {
	s := CPUSnapshot{At: time.Now(), procs: map[int]float64{}}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return s
	}
	// user nice system idle iowait irq softirq steal [guest guest_nice,
	// already counted in user and nice].
	for i, f := range fields[1:min(len(fields), 9)] {
		v, _ := strconv.ParseFloat(f, 64)
		v /= clockTicks
		s.all += v
		if i != 3 && i != 4 && i != 7 { // idle, iowait, steal
			s.busy += v
		}
	}
	s.procsKnown = true
	for _, pid := range pids {
		if v, ok := ProcCPU(pid); ok {
			s.procs[pid] = v
		}
	}
	return s
}

// ProcCPU returns a process's user+system CPU seconds from /proc/<pid>/stat.
func ProcCPU(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// Fields after the command name (which may contain spaces) start at
	// field 3 (state); utime and stime are fields 14 and 15.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (u + st) / clockTicks, true
}

// CPUUsage is CPU used between two snapshots, in cores (1.0 = one core busy).
type CPUUsage struct {
	Known   bool    // false where /proc could not be read
	Machine float64 // busy cores
	Cores   int     // the machine's cores
	procs   map[int]float64
}

// UsageBetween is the CPU used from snapshot a to snapshot b.
func UsageBetween(a, b CPUSnapshot) CPUUsage {
	u := CPUUsage{Known: a.procsKnown && b.procsKnown, Cores: runtime.NumCPU(), procs: map[int]float64{}}
	el := b.At.Sub(a.At).Seconds()
	if !u.Known || el <= 0 {
		return u
	}
	u.Machine = (b.busy - a.busy) / el
	if d := b.all - a.all; d > 0 {
		// Scale busy time by the share of all time, robust to tick skew.
		u.Machine = (b.busy - a.busy) / d * float64(u.Cores)
	}
	for pid, v := range b.procs {
		if v0, ok := a.procs[pid]; ok {
			u.procs[pid] = (v - v0) / el
		}
	}
	return u
}

// Sum adds the usage of pids.
func (u CPUUsage) Sum(pids ...int) float64 {
	t := 0.0
	for _, p := range pids {
		t += u.procs[p]
	}
	return t
}
