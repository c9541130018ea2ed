package ratebench

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
)

// Scenario names accepted by --scenarios.
const (
	// ScenarioUpdate: product_coupon.update backlog, limits agree, with
	// busifavor.use redemptions measured during it.
	ScenarioUpdate = "update"
	// ScenarioBusifavor: busifavor.use backlog at its (high) limit.
	ScenarioBusifavor = "busifavor"
	// ScenarioUpdateDegraded: product_coupon.update backlog with the
	// sandbox's real limit a fraction (--degraded-factor) of the configured one.
	ScenarioUpdateDegraded = "update-degraded"
	// ScenarioBusifavorDegraded: the same for busifavor.use.
	ScenarioBusifavorDegraded = "busifavor-degraded"
)

// rateScenarios are the rate benchmark's scenarios, in the order they run
// by default.
var rateScenarios = []string{ScenarioUpdate, ScenarioBusifavor, ScenarioUpdateDegraded, ScenarioBusifavorDegraded}

// Options are the benchmark's settings, from flags.
type Options struct {
	// Quick shortens every phase (about 2 minutes in all); flags given
	// explicitly still win.
	Quick bool
	// Scenarios to run, in order.
	Scenarios []string
	// UpdateWorkers, BusifavorWorkers and DegradedWorkers are the worker
	// counts of the rows of each scenario.
	UpdateWorkers, BusifavorWorkers, DegradedWorkers []int
	// Warmup runs after the first result arrives, before measuring.
	Warmup time.Duration
	// Window is the measured time of the update rows.
	Window time.Duration
	// BusifavorWindow is the measured time of the busifavor rows.
	BusifavorWindow time.Duration
	// DegradedSettle is the warmup of the degraded rows (the limiter finds
	// the real limit meanwhile); DegradedWindow their measured time.
	DegradedSettle, DegradedWindow time.Duration
	// DegradedFactor is the sandbox's real limit as a fraction of the
	// configured one in the degraded rows.
	DegradedFactor float64
	// UpdateLimit and BusifavorLimit are the configured limits.
	UpdateLimit, BusifavorLimit int
	// Backlog is the number of jobs enqueued per row; 0: the issue's
	// 100,000 for product_coupon.update rows (with --quick, as for the
	// others) and, for busifavor.use rows, enough for the row at the
	// configured rate with 30% margin.
	Backlog int
	// RedeemEvery is the interval between redemptions (and direct API
	// calls) during the update rows' window.
	RedeemEvery time.Duration
	// NATSSyncAlways runs nats-server with sync_interval: always (fsync
	// before every acknowledgement) instead of its default.
	NATSSyncAlways bool
	// Unenforced runs the rows whose limits agree with the sandbox's limit
	// off, so "max in any 1 s" shows an overshoot directly instead of as 429s.
	Unenforced bool
	// Headroom, when not 0, is written into the workers' ratelimit.headroom
	// (a diagnostic: how much arrival jitter the pacing leaves room for);
	// 0 keeps the workers' default.
	Headroom float64
	// SandboxNice, when not 0, starts the sandbox under nice(1) with this
	// niceness. The sandbox stands in for a remote API; starved of CPU by
	// the workers on the same machine it counts requests late and in bursts
	// (with 8 workers at 500/s on 2 cores: answers 0.5-1.5 s late, 600 counted
	// in one second). Default -10; when that is not permitted the sandbox
	// runs at normal priority and the report says so.
	SandboxNice int
	// Keep keeps the temporary directory (logs, configs, stores).
	Keep bool
	// TempDir is where the run's directory is made; default os.TempDir().
	TempDir string
}

// ParseOptions parses the command line. Usage and errors go to stderr;
// flag.ErrHelp is returned for --help.
func ParseOptions(args []string, stderr io.Writer) (Options, error) {
	var o Options
	var scenarios, updW, bfW, degW string
	fs := flag.NewFlagSet("ratelimit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./bench/ratelimit [flags]\n\n"+
			"Fleet rate-limit benchmark: a real nats-server, the WeChat Pay sandbox enforcing the true limit and N worker\n"+
			"processes; prints a Markdown table. The default run takes about 8 minutes on 2 cores, --quick about 2.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.BoolVar(&o.Quick, "quick", false, "short phases and fewer rows (about 2 minutes); explicit flags still win")
	fs.StringVar(&scenarios, "scenarios", strings.Join(rateScenarios, ","),
		"comma-separated rows to run: update, busifavor, update-degraded, busifavor-degraded (quick: the first three)")
	fs.StringVar(&updW, "workers", "1,2,4,8", "worker counts of the update rows")
	fs.StringVar(&bfW, "busifavor-workers", "1,2,4,8", "worker counts of the busifavor rows (quick: 1,4)")
	fs.StringVar(&degW, "degraded-workers", "4", "worker counts of the degraded rows")
	fs.DurationVar(&o.Warmup, "warmup", 5*time.Second, "warmup after the first result, before measuring (quick: 3s)")
	fs.DurationVar(&o.Window, "window", 30*time.Second, "measured window of the update rows (quick: 10s)")
	fs.DurationVar(&o.BusifavorWindow, "busifavor-window", 20*time.Second, "measured window of the busifavor rows (quick: 8s)")
	fs.DurationVar(&o.DegradedSettle, "degraded-settle", 30*time.Second, "settling time of the degraded rows before measuring (quick: 15s)")
	fs.DurationVar(&o.DegradedWindow, "degraded-window", 60*time.Second, "measured window of the degraded rows (quick: 20s)")
	fs.Float64Var(&o.DegradedFactor, "degraded-factor", 0.6, "real limit of the degraded rows as a fraction of the configured limit")
	fs.IntVar(&o.UpdateLimit, "update-limit", 20, "configured product_coupon.update limit per second")
	fs.IntVar(&o.BusifavorLimit, "busifavor-limit", 500, "configured busifavor.use limit per second")
	fs.IntVar(&o.Backlog, "backlog", 0, "jobs enqueued per row (0: 100000 for product_coupon.update rows as in the issue, else enough for the row at the configured rate plus 30%)")
	fs.DurationVar(&o.RedeemEvery, "redeem-every", 200*time.Millisecond, "interval of busifavor.use redemptions (and direct API calls) during the update rows")
	fs.BoolVar(&o.NATSSyncAlways, "nats-sync-always", false, "run nats-server with sync_interval: always (fsync before each ack) instead of its default (fsync every 2 min)")
	fs.BoolVar(&o.Unenforced, "unenforced", false, "rows whose limits agree: sandbox limit off, so max in any 1 s shows overshoot directly")
	fs.Float64Var(&o.Headroom, "headroom", 0, "workers' ratelimit.headroom (0: their default, 0.985); a diagnostic for jitter")
	fs.IntVar(&o.SandboxNice, "sandbox-nice", -10, "run the sandbox under nice -n N so the workers do not starve the API stand-in of CPU (negative needs privileges; 0: normal priority)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary directory with logs, configs and stores")
	fs.StringVar(&o.TempDir, "tmp", "", "parent of the temporary directory (default: the system temp dir)")
	if err := harness.ParseArgs(fs, args, &o.Quick, map[string]func(){
		"scenarios":         func() { scenarios = ScenarioUpdate + "," + ScenarioBusifavor + "," + ScenarioUpdateDegraded },
		"busifavor-workers": func() { bfW = "1,4" },
		"warmup":            func() { o.Warmup = 3 * time.Second },
		"window":            func() { o.Window = 10 * time.Second },
		"busifavor-window":  func() { o.BusifavorWindow = 8 * time.Second },
		"degraded-settle":   func() { o.DegradedSettle = 15 * time.Second },
		"degraded-window":   func() { o.DegradedWindow = 20 * time.Second },
	}); err != nil {
		return o, err
	}
	var err error
	if o.Scenarios, err = harness.PickNames("scenarios", "scenario", scenarios, rateScenarios); err != nil {
		return o, err
	}
	if len(o.Scenarios) == 0 {
		return o, fmt.Errorf("--scenarios: none given")
	}
	for _, l := range []struct {
		flag string
		s    string
		dst  *[]int
	}{{"workers", updW, &o.UpdateWorkers}, {"busifavor-workers", bfW, &o.BusifavorWorkers}, {"degraded-workers", degW, &o.DegradedWorkers}} {
		if *l.dst, err = parseCounts(l.s); err != nil {
			return o, fmt.Errorf("--%s: %w", l.flag, err)
		}
	}
	switch {
	case o.UpdateLimit < 1 || o.BusifavorLimit < 1:
		return o, fmt.Errorf("limits must be at least 1")
	case o.DegradedFactor <= 0 || o.DegradedFactor > 1:
		return o, fmt.Errorf("--degraded-factor must be in (0, 1]")
	case o.Window <= 0 || o.BusifavorWindow <= 0 || o.DegradedWindow <= 0:
		return o, fmt.Errorf("windows must be positive")
	case o.Warmup < 0 || o.DegradedSettle < 0 || o.Backlog < 0:
		return o, fmt.Errorf("warmup, settle and backlog must not be negative")
	case o.SandboxNice < -20 || o.SandboxNice > 19:
		return o, fmt.Errorf("--sandbox-nice must be in -20..19")
	case o.Headroom < 0 || o.Headroom > 1:
		return o, fmt.Errorf("--headroom must be in (0, 1], or 0 for the default")
	case o.RedeemEvery < 10*time.Millisecond:
		return o, fmt.Errorf("--redeem-every must be at least 10ms")
	}
	return o, nil
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 64 {
			return nil, fmt.Errorf("%q is not a worker count (1-64)", f)
		}
		out = append(out, n)
	}
	return out, nil
}
