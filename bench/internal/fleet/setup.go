package fleet

import (
	"context"
	"fmt"
	"io"
	"os"
)

// benchSetup is the start every benchmark command shares (benchFinish its end): the module root,
// a fresh temporary directory under tempDir named prefix*, and a sandbox
// niceness the process is not permitted to set dropped (nice may be nil).
// On failure it prints "<name>: <error>" and returns exit code 1; 0 means
// go on.
func benchSetup(name, tempDir, prefix string, nice *int, stderr io.Writer) (root, base string, code int) {
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

// benchFinish is the end every benchmark command shares: the run's
// directory is kept (and named) when something failed, the run was
// interrupted or keep is set, else removed; the exit code is 1 for a failed
// or interrupted run, else 0.
func benchFinish(ctx context.Context, name, base string, failed, keep bool, stderr io.Writer) int {
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
