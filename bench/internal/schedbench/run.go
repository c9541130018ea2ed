package schedbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/jobs"
)

// Merchant accounts of the scheduling scenarios.
const (
	merchantA = harness.MchID // the busy merchant
	merchantB = "1900000002"  // the merchant that must not notice A
	// yardstickMchID makes the direct API calls: same endpoints and load,
	// a budget nobody else uses.
	yardstickMchID = "1900009999"
	// firstFlowMchID is the first account of the many-flows run.
	firstFlowMchID = 1910000001
)

// finding is one line of the scheduling table: a measured figure next to
// its target.
type finding struct {
	scenario, figure, measured, target string
	met                                int // 1 met, -1 missed, 0 no target
}

// schedReport is what one scenario found.
type schedReport struct {
	name     string
	took     time.Duration
	findings []finding
	notes    []string
	err      error
	dirs     []string
	logNotes []string
	killed   []string
}

func (r *schedReport) add(figure, measured, target string, met int) {
	r.findings = append(r.findings, finding{scenario: r.name, figure: figure, measured: measured, target: target, met: met})
}

func (r *schedReport) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// verdict is 1 when ok, -1 otherwise.
func verdict(ok bool) int {
	if ok {
		return 1
	}
	return -1
}

// schedEnv is what every scenario gets.
type schedEnv struct {
	ctx    context.Context
	g      *harness.Group
	bins   harness.Binaries
	base   string
	o      Options
	stderr io.Writer
	runs   int
}

// startRun starts fresh processes for one run of a scenario (nats-server,
// sandbox, o.Workers workers) in its own directory. The returned stop
// stops them and records what they logged into rep; call it on every path.
func (e *schedEnv) startRun(rep *schedReport, name string, cfg harness.ClusterConfig) (*harness.Cluster, func(), error) {
	e.runs++
	dir := filepath.Join(e.base, fmt.Sprintf("run%02d-%s", e.runs, name))
	rep.dirs = append(rep.dirs, dir)
	stop := func() {}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, stop, err
	}
	cfg.SandboxNice = e.o.SandboxNice
	c, err := harness.StartCluster(e.ctx, e.g, e.bins, dir, cfg)
	stop = func() {
		rep.killed = append(rep.killed, c.Stop()...)
		for _, n := range harness.LogNotes(c) {
			rep.logNotes = append(rep.logNotes, name+": "+n)
		}
	}
	if err != nil {
		return c, stop, err
	}
	if err := c.StartWorkers(e.ctx, e.o.Workers); err != nil {
		return c, stop, err
	}
	return c, stop, nil
}

// Run is the scheduling benchmark command (bench/scheduling): it
// parses args, builds the binaries, runs every scenario on fresh processes
// and prints the report to stdout (progress and errors to stderr). It
// returns 0 when every scenario ran (whatever it measured), 1 when one
// failed or the run was interrupted, 2 for bad flags. Every child process
// is stopped before it returns.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := ParseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "scheduling bench: %v\n", err)
		return 2
	}
	root, base, code := harness.Setup("scheduling bench", o.TempDir, "couponq-sched-", &o.SandboxNice, stderr)
	if code != 0 {
		return code
	}
	g := &harness.Group{}
	defer g.StopAll(time.Second)
	started := time.Now()
	h := harness.Header{Command: harness.CommandLine("./bench/scheduling", args), Date: started, Machine: harness.MachineInfo(), Code: harness.CodeState(root)}
	fmt.Fprintf(stderr, "building nats-server, sandbox and worker into %s\n", filepath.Join(base, "bin"))
	bins, err := harness.BuildBinaries(root, filepath.Join(base, "bin"))
	if err != nil {
		fmt.Fprintf(stderr, "scheduling bench: %v\n", err)
		return 1
	}
	env := &schedEnv{ctx: ctx, g: g, bins: bins, base: base, o: o, stderr: stderr}
	scenarios := map[string]func(*schedEnv) *schedReport{
		SchedUpdateIsolation: runUpdateIsolation,
		SchedUseIsolation:    runUseIsolation,
		SchedPriority:        runPriority,
		SchedFairness:        runFairness,
		SchedFlows:           runFlows,
	}
	var reports []*schedReport
	failed := false
	for i, name := range o.Scenarios {
		fmt.Fprintf(stderr, "scenario %d/%d: %s\n", i+1, len(o.Scenarios), name)
		t0 := time.Now()
		rep := scenarios[name](env)
		rep.took = time.Since(t0)
		reports = append(reports, rep)
		if rep.err != nil {
			failed = true
			fmt.Fprintf(stderr, "  FAILED: %v\n", rep.err)
		}
		for _, f := range rep.findings {
			fmt.Fprintf(stderr, "  %s: %s (target %s)\n", f.figure, f.measured, f.target)
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "interrupted")
			break
		}
	}
	writeSchedReport(stdout, h, o, reports, time.Since(started))
	return harness.Finish(ctx, "scheduling bench", base, failed, o.Keep, stderr)
}

// waitIntake waits until the intake consumer of t has routed every job
// into the flows stream (nothing pending or unacknowledged), or timeout.
func waitIntake(ctx context.Context, c *harness.Cluster, t jobs.Type, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		n, err := c.Pending(ctx, t)
		if err == nil && n == 0 {
			return time.Since(start), nil
		}
		if err := harness.Sleep(ctx, 100*time.Millisecond); err != nil {
			return time.Since(start), fmt.Errorf("intake of %s did not finish within %s (%d pending): %w", t, timeout, n, err)
		}
	}
}
