package ratebench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
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
	root, base, code := harness.Setup("ratelimit bench", o.TempDir, "couponq-bench-", &o.SandboxNice, stderr)
	if code != 0 {
		return code
	}
	g := &harness.Group{}
	defer g.StopAll(time.Second)
	h := reportHeader{Header: harness.Header{Command: harness.CommandLine("./bench/ratelimit", args), Date: time.Now(), Machine: harness.MachineInfo(), Code: harness.CodeState(root)}, opts: o}
	fmt.Fprintf(stderr, "building nats-server, sandbox and worker into %s\n", filepath.Join(base, "bin"))
	bins, err := harness.BuildBinaries(root, filepath.Join(base, "bin"))
	if err != nil {
		fmt.Fprintf(stderr, "ratelimit bench: %v\n", err)
		return 1
	}
	rows := PlanRows(o)
	results := make([]RowResult, 0, len(rows))
	failed := false
	for i, r := range rows {
		fmt.Fprintf(stderr, "row %d/%d: %s, %d workers, configured %d/s, real %s/s, warmup %s, window %s, backlog %d\n",
			i+1, len(rows), r.Type, r.Workers, r.Configured, limitText(r.Real), r.Warmup, r.Window, r.Backlog)
		res := RunRow(ctx, g, bins, rowDir(base, i, r), o, r)
		results = append(results, res)
		if res.Err != nil {
			failed = true
			fmt.Fprintf(stderr, "  FAILED: %v\n  logs: %s\n", res.Err, res.Dir)
		} else {
			fmt.Fprintf(stderr, "  max %d in 1 s, %.2f/s achieved, %d 429s of %d requests\n",
				res.Stats.MaxAcceptedPerSecond, res.Achieved(), res.Stats.Status429, res.Stats.Requests)
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "interrupted")
			break
		}
	}
	writeReport(stdout, h, results)
	return harness.Finish(ctx, "ratelimit bench", base, failed, o.Keep, stderr)
}
