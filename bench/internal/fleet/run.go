package fleet

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Run is the benchmark command: it parses args, builds the binaries, runs
// every row on fresh processes and prints the report to stdout (progress
// and errors to stderr). It returns the exit code: 0 when every row ran
// (whatever it measured), 1 when a row failed or the run was interrupted,
// 2 for bad flags. Every child process is stopped before it returns.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := ParseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "ratelimit bench: %v\n", err)
		return 2
	}
	root, base, code := benchSetup("ratelimit bench", o.TempDir, "couponq-bench-", &o.SandboxNice, stderr)
	if code != 0 {
		return code
	}
	g := &group{}
	defer g.stopAll(time.Second)
	h := reportHeader{command: commandLine(args), date: time.Now(), machine: machineInfo(), code: codeState(root), opts: o}
	fmt.Fprintf(stderr, "building nats-server, sandbox and worker into %s\n", filepath.Join(base, "bin"))
	bins, err := buildBinaries(root, filepath.Join(base, "bin"))
	if err != nil {
		fmt.Fprintf(stderr, "ratelimit bench: %v\n", err)
		return 1
	}
	rows := planRows(o)
	results := make([]rowResult, 0, len(rows))
	failed := false
	for i, r := range rows {
		fmt.Fprintf(stderr, "row %d/%d: %s, %d workers, configured %d/s, real %s/s, warmup %s, window %s, backlog %d\n",
			i+1, len(rows), r.typ, r.workers, r.configured, limitText(r.real), r.warmup, r.window, r.backlog)
		res := runRow(ctx, g, bins, rowDir(base, i, r), o, r)
		results = append(results, res)
		if res.err != nil {
			failed = true
			fmt.Fprintf(stderr, "  FAILED: %v\n  logs: %s\n", res.err, res.dir)
		} else {
			fmt.Fprintf(stderr, "  max %d in 1 s, %.2f/s achieved, %d 429s of %d requests\n",
				res.stats.MaxAcceptedPerSecond, res.achieved(), res.stats.Status429, res.stats.Requests)
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "interrupted")
			break
		}
	}
	writeReport(stdout, h, results)
	return benchFinish(ctx, "ratelimit bench", base, failed, o.Keep, stderr)
}

// commandLine is the command that reproduces the run, from the repository root.
func commandLine(args []string) string {
	parts := []string{"go run ./bench/ratelimit"}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// codeState names the commit the binaries were built from and whether the
// working tree differed from it outside bench/ (others may be editing).
func codeState(root string) string {
	head, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	out, _ := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	var changed []string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if len(line) > 3 && !strings.HasPrefix(line[3:], "bench/") {
			changed = append(changed, line[3:])
		}
	}
	state := "commit " + strings.TrimSpace(string(head))
	if len(changed) > 0 {
		state += fmt.Sprintf(" plus uncommitted changes in %d files (%s)", len(changed), strings.Join(changed, ", "))
	}
	return state
}

// canRaisePriority reports whether nice(1) may start a program at the given
// negative niceness (nice runs it anyway when it may not, with a warning).
func canRaisePriority(n int) bool {
	out, err := exec.Command("nice", "-n", fmt.Sprint(n), "true").CombinedOutput()
	return err == nil && len(strings.TrimSpace(string(out))) == 0
}
