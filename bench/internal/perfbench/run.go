package perfbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
)

// Perf scenarios, one or more per target of issue 9.
const (
	PerfLatency  = "latency"  // target 1: first-request penalty, after a NATS restart, during a backlog
	PerfRecovery = "recovery" // target 2: jobs of SIGKILLed workers, slow calls
	PerfStorm    = "storm"    // target 3: a 5 s 429 storm
	PerfDegraded = "degraded" // target 3: real limit 60% of the configured one
	PerfFailover = "failover" // target 4: primary host refusing connections
	PerfCPU      = "cpu"      // target 5: worker CPU per job against one RSA sign + verify
	PerfFleet8   = "fleet8"   // target 6: 8 workers at 500/s
)

var allPerf = []string{PerfLatency, PerfRecovery, PerfStorm, PerfDegraded, PerfFailover, PerfCPU, PerfFleet8}

// Options are the perf benchmark's settings, from flags.
type Options struct {
	// Quick shortens every scenario (about 2 minutes in all... plus the
	// ack wait of the code under test in the recovery scenario).
	Quick bool
	// Scenarios to run, in order.
	Scenarios []string
	// Src is the module root the worker is built from; default the current
	// one. nats-server and the sandbox always come from the current one.
	Src string
	// WorkerTags are build tags for the worker only (for example "openssl":
	// the OpenSSL request signer); nats-server and the sandbox are built
	// without them, so the API side costs the same in both runs.
	WorkerTags string
	// SandboxNice as in ratebench.Options.
	SandboxNice int
	// Keep keeps the temporary directory.
	Keep bool
	// TempDir is where the run's directory is made.
	TempDir string
	// Profile, when set, is a directory where the cpu scenario writes the
	// worker's CPU profile (cpu.pprof) and allocation profile
	// (allocs.pprof), taken over /debug/pprof while it drains.
	Profile string
}

// ParseOptions parses the perf command line.
func ParseOptions(args []string, stderr io.Writer) (Options, error) {
	var o Options
	var scenarios string
	fs := flag.NewFlagSet("perf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./bench/perf [flags]\n\n"+
			"Latency, recovery and CPU benchmark with real processes (nats-server, sandbox, workers); prints one Markdown table.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.BoolVar(&o.Quick, "quick", false, "short scenarios (for CI)")
	fs.StringVar(&scenarios, "scenarios", strings.Join(allPerf, ","), "comma-separated scenarios: "+strings.Join(allPerf, ", "))
	fs.StringVar(&o.Src, "src", "", "module root to build the worker from (default: this checkout); for before/after comparisons")
	fs.StringVar(&o.WorkerTags, "worker-tags", "", "build tags for the worker only, e.g. openssl (the OpenSSL request signer; needs cgo and libssl-dev)")
	fs.IntVar(&o.SandboxNice, "sandbox-nice", -10, "run the sandbox under nice -n N (0: normal priority)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary directory with logs, configs and stores")
	fs.StringVar(&o.TempDir, "tmp", "", "parent of the temporary directory")
	fs.StringVar(&o.Profile, "profile", "", "directory for the worker's CPU and allocation profiles in the cpu scenario (profiling costs some CPU: not for the figures)")
	if err := harness.ParseArgs(fs, args, &o.Quick, nil); err != nil {
		return o, err
	}
	var err error
	if o.Scenarios, err = harness.PickNames("scenarios", "scenario", scenarios, allPerf); err != nil {
		return o, err
	}
	if len(o.Scenarios) == 0 {
		return o, errors.New("--scenarios: none given")
	}
	return o, nil
}

// perfLine is one measurement of the table.
type perfLine struct {
	target, what, value, goal string
}

// perfEnv is what every scenario gets.
type perfEnv struct {
	o      Options
	g      *harness.Group
	bins   harness.Binaries
	base   string
	stderr io.Writer
	n      int // scenario directories made
}

func (e *perfEnv) dir(name string) (string, error) {
	e.n++
	d := filepath.Join(e.base, fmt.Sprintf("%02d-%s", e.n, name))
	return d, os.MkdirAll(d, 0o755)
}

func (e *perfEnv) logf(format string, args ...any) { fmt.Fprintf(e.stderr, "  "+format+"\n", args...) }

// pick returns quick when running --quick, else full.
func pick[T any](e *perfEnv, quick, full T) T {
	if e.o.Quick {
		return quick
	}
	return full
}

// Run is the perf command; it returns the exit code (0: every
// scenario ran, 1: one failed or the run was interrupted, 2: bad flags).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := ParseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "perf bench: %v\n", err)
		return 2
	}
	src := ""
	if o.Src != "" {
		if src, err = filepath.Abs(o.Src); err != nil {
			fmt.Fprintf(stderr, "perf bench: --src: %v\n", err)
			return 2
		}
	}
	root, base, code := harness.Setup("perf bench", o.TempDir, "couponq-perf-", &o.SandboxNice, stderr)
	if code != 0 {
		return code
	}
	if src == "" {
		src = root
	}
	g := &harness.Group{}
	defer g.StopAll(time.Second)
	fmt.Fprintf(stderr, "building nats-server, sandbox (from %s) and worker (from %s, tags %q) into %s\n", root, src, o.WorkerTags, filepath.Join(base, "bin"))
	bins, err := harness.BuildBinaries(root, filepath.Join(base, "bin"))
	if err == nil && (src != root || o.WorkerTags != "") {
		err = buildWorker(src, bins.Worker, o.WorkerTags)
	}
	if err != nil {
		fmt.Fprintf(stderr, "perf bench: %v\n", err)
		return 1
	}
	e := &perfEnv{o: o, g: g, bins: bins, base: base, stderr: stderr}
	start := time.Now()
	var lines []perfLine
	failed := false
	for _, s := range o.Scenarios {
		fmt.Fprintf(stderr, "scenario %s\n", s)
		got, err := runPerfScenario(ctx, e, s)
		lines = append(lines, got...)
		if err != nil {
			failed = true
			fmt.Fprintf(stderr, "  FAILED: %v\n", err)
			lines = append(lines, perfLine{target: s, what: "scenario failed", value: err.Error()})
		}
		g.StopAll(time.Second)
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Fprintf(stdout, "## couponq perf benchmark\n\n- command: `go run ./bench/perf %s`\n- date: %s, took %s\n- machine: %s\n- worker built from: %s\n- sandbox at nice %d\n\n",
		strings.Join(args, " "), start.UTC().Format("2006-01-02 15:04 UTC"), time.Since(start).Round(time.Second), harness.MachineInfo(), harness.CodeState(src), o.SandboxNice)
	fmt.Fprintln(stdout, "| target | measurement | value | goal |")
	fmt.Fprintln(stdout, "|---|---|---|---|")
	for _, l := range lines {
		fmt.Fprintf(stdout, "| %s | %s | %s | %s |\n", l.target, l.what, strings.ReplaceAll(l.value, "|", "/"), l.goal)
	}
	return harness.Finish(ctx, "perf bench", base, failed, o.Keep, stderr)
}

func runPerfScenario(ctx context.Context, e *perfEnv, s string) ([]perfLine, error) {
	switch s {
	case PerfLatency:
		return perfLatency(ctx, e)
	case PerfRecovery:
		return perfRecovery(ctx, e)
	case PerfStorm:
		return perfStorm(ctx, e)
	case PerfDegraded:
		return perfDegraded(ctx, e)
	case PerfFailover:
		return perfFailover(ctx, e)
	case PerfCPU:
		return perfCPU(ctx, e)
	case PerfFleet8:
		return perfFleet8(ctx, e)
	}
	return nil, fmt.Errorf("unknown scenario %q", s)
}

// buildWorker builds cmd/worker of the module at src into out, with the
// build tags given (none if empty).
func buildWorker(src, out, tags string) error {
	cmd := exec.Command("go", "build", "-tags="+tags, "-o", out, "./cmd/worker")
	cmd.Dir = src
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build ./cmd/worker in %s: %w\n%s", src, err, b)
	}
	return nil
}
