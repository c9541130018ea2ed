package harness

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Setup is the start every benchmark command shares (Finish its end): the module root,
// a fresh temporary directory under tempDir named prefix*, and a sandbox
// niceness the process is not permitted to set dropped (nice may be nil).
// On failure it prints "<name>: <error>" and returns exit code 1; 0 means
// go on.
func Setup(name, tempDir, prefix string, nice *int, stderr io.Writer) (root, base string, code int) {
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return "", "", 1
	}
	base, err = os.MkdirTemp(tempDir, prefix)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return "", "", 1
	}
	if nice != nil && *nice < 0 && !canRaisePriority(*nice) {
		fmt.Fprintf(stderr, "%s: not permitted to run the sandbox at nice %d; it runs at normal priority and may be starved of CPU\n", name, *nice)
		*nice = 0
	}
	return root, base, 0
}

// Finish is the end every benchmark command shares: the run's
// directory is kept (and named) when something failed, the run was
// interrupted or keep is set, else removed; the exit code is 1 for a failed
// or interrupted run, else 0.
func Finish(ctx context.Context, name, base string, failed, keep bool, stderr io.Writer) int {
	if failed || ctx.Err() != nil || keep {
		fmt.Fprintf(stderr, "logs, configs and stores kept in %s\n", base)
	} else if err := os.RemoveAll(base); err != nil {
		fmt.Fprintf(stderr, "%s: remove %s: %v\n", name, base, err)
	}
	if failed || ctx.Err() != nil {
		return 1
	}
	return 0
}

// CodeState names the commit the binaries were built from and whether the
// working tree differed from it outside bench/ (others may be editing).
func CodeState(root string) string {
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

// CommandLine is the command that reproduces a run of the benchmark main
// at program (a path from the repository root, e.g. "./bench/ratelimit")
// with args, shell-quoted where needed.
func CommandLine(program string, args []string) string {
	parts := []string{"go run " + program}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// Header is what a run was: the command that reproduces it, when and where
// it ran, and the code it measured.
type Header struct {
	Command string    // the command line, from the repository root
	Date    time.Time // when the run started
	Machine string    // CPU, cores and memory
	Code    string    // commit and working-tree state
}
