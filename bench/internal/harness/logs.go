package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// LogNotes summarises what a row's processes logged at warn level or above
// (workers and sandbox log JSON at warn; nats-server's [WRN] and [ERR]
// lines), as "<process kind>: <level> <message> ×n", so a row's table line
// can be read together with what the processes complained about.
func LogNotes(c *Cluster) []string {
	counts := map[string]int{}
	for _, p := range c.Workers {
		countJSONLog(p.LogPath, "workers", counts)
	}
	if c.Sandbox != nil {
		countJSONLog(c.Sandbox.LogPath, "sandbox", counts)
	}
	if c.NATS != nil {
		countNATSLog(c.NATS.LogPath, counts)
	}
	out := make([]string, 0, len(counts))
	for k, n := range counts {
		out = append(out, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(out)
	return out
}

func countJSONLog(path, kind string, counts map[string]int) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64*1024), 1024*1024)
	for s.Scan() {
		line := s.Bytes()
		var e struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(line, &e) != nil || e.Level == "" {
			// The sandbox prints a banner on stdout; anything else unstructured
			// (a panic) is worth a note.
			if kind != "sandbox" && len(strings.TrimSpace(string(line))) > 0 {
				counts[kind+": unstructured output"]++
			}
			continue
		}
		if e.Level == "debug" || e.Level == "info" {
			continue
		}
		counts[fmt.Sprintf("%s: %s %q", kind, e.Level, e.Msg)]++
	}
}

func countNATSLog(path string, counts map[string]int) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		for _, tag := range []string{"[WRN]", "[ERR]", "[FTL]"} {
			if _, msg, ok := strings.Cut(line, tag); ok {
				msg = strings.TrimSpace(msg)
				if len(msg) > 100 {
					msg = msg[:100] + "…"
				}
				counts[fmt.Sprintf("nats-server: %s %s", tag, msg)]++
			}
		}
	}
}
