package schedbench

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
)

// Scheduling scenario names accepted by --scenarios of bench/scheduling.
const (
	// SchedUpdateIsolation: merchant B's product_coupon.update jobs while
	// merchant A's campaign drains.
	SchedUpdateIsolation = "update-isolation"
	// SchedUseIsolation: B's busifavor.use redemptions while A publishes a
	// multiple of its limit.
	SchedUseIsolation = "use-isolation"
	// SchedPriority: one merchant's priority-1 updates during its own
	// priority-5 campaign.
	SchedPriority = "priority"
	// SchedFairness: one flow, two campaigns with fairness keys, the second
	// started later.
	SchedFairness = "fairness"
	// SchedFlows: many flows with work against one flow, same total rate.
	SchedFlows = "flows"
)

var schedScenarios = []string{SchedUpdateIsolation, SchedUseIsolation, SchedPriority, SchedFairness, SchedFlows}

// Options are the scheduling benchmark's settings, from flags.
type Options struct {
	// Quick shortens every scenario (under 3 minutes in all); flags given
	// explicitly still win.
	Quick bool
	// Scenarios to run, in order.
	Scenarios []string
	// Workers is the number of worker processes. Default 2.
	Workers int
	// Warmup runs before each measured window; Window is its length.
	Warmup, Window time.Duration
	// ProbeEvery is the interval of the measured single jobs.
	ProbeEvery time.Duration
	// Campaign is merchant A's product_coupon.update campaign in
	// update-isolation (the 100,000).
	Campaign int
	// UseLimitA is merchant A's busifavor.use limit in use-isolation (its
	// own limit, sandbox and workers alike); UseFactor the multiple of it A
	// publishes per second.
	UseLimitA int
	UseFactor float64
	// FairFirst and FairSecond are the two campaigns' sizes; FairDelay the
	// start of the second after the first.
	FairFirst, FairSecond int
	FairDelay             time.Duration
	// Flows is the number of flows (merchant accounts) of the many-flows
	// run; FlowJobs the jobs of each of the two runs; FlowRate their total
	// busifavor.use rate (the one flow's limit; each of the many flows gets
	// FlowRate/Flows).
	Flows, FlowJobs int
	FlowRate        float64
	// SandboxNice runs the sandbox under nice(1); see Options.SandboxNice.
	SandboxNice int
	// Profile, when set, is where the flows scenario writes the workers'
	// heap profiles (near each worker's RSS peak and at the end).
	Profile string
	// Keep keeps the temporary directory; TempDir is where it is made.
	Keep    bool
	TempDir string
}

// ParseOptions parses the scheduling benchmark's command line.
func ParseOptions(args []string, stderr io.Writer) (Options, error) {
	var o Options
	var scenarios string
	fs := flag.NewFlagSet("scheduling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./bench/scheduling [flags]\n\n"+
			"Flow scheduling benchmark: a real nats-server, the WeChat Pay sandbox enforcing the real limits per merchant and\n"+
			"2 worker processes; prints a Markdown table. The default run takes about 8 minutes on 2 cores, --quick about 2.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.BoolVar(&o.Quick, "quick", false, "smaller campaigns, fewer flows, short windows (under 3 minutes); explicit flags still win")
	fs.StringVar(&scenarios, "scenarios", strings.Join(schedScenarios, ","), "comma-separated scenarios: "+strings.Join(schedScenarios, ", "))
	fs.IntVar(&o.Workers, "workers", 2, "worker processes")
	fs.DurationVar(&o.Warmup, "warmup", 5*time.Second, "warmup before each measured window (quick: 2s)")
	fs.DurationVar(&o.Window, "window", 60*time.Second, "measured window of the isolation and priority scenarios (quick: 15s)")
	fs.DurationVar(&o.ProbeEvery, "probe-every", 250*time.Millisecond, "interval of the measured single jobs and of the direct API calls")
	fs.IntVar(&o.Campaign, "campaign", 100_000, "merchant A's product_coupon.update campaign in update-isolation (quick: 10000)")
	fs.IntVar(&o.UseLimitA, "use-limit-a", 100, "merchant A's own busifavor.use limit in use-isolation (500, the documented limit, makes A publish 5,000/s: more than a 2-core machine routes while it also signs and verifies 500 calls/s)")
	fs.Float64Var(&o.UseFactor, "use-factor", 10, "A publishes this multiple of its busifavor.use limit per second")
	fs.IntVar(&o.FairFirst, "fair-first", 2000, "jobs of the first campaign in fairness (quick: 600)")
	fs.IntVar(&o.FairSecond, "fair-second", 500, "jobs of the second campaign in fairness (quick: 150)")
	fs.DurationVar(&o.FairDelay, "fair-delay", 10*time.Second, "start of the second campaign after the first (quick: 5s)")
	fs.IntVar(&o.Flows, "flows", 2000, "flows (merchant accounts) with work in the many-flows run (quick: 200)")
	fs.IntVar(&o.FlowJobs, "flow-jobs", 10_000, "busifavor.use jobs of each of the one-flow and many-flows runs (quick: 2000)")
	fs.Float64Var(&o.FlowRate, "flow-rate", 200, "total busifavor.use rate of each run: the one flow's limit; each of the many flows gets rate/flows")
	fs.IntVar(&o.SandboxNice, "sandbox-nice", -10, "run the sandbox under nice -n N (negative needs privileges; 0: normal priority)")
	fs.StringVar(&o.Profile, "profile", "", "write the workers' heap profiles of the flows scenario into this directory (pprof on; not for the figures)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary directory with logs, configs and stores")
	fs.StringVar(&o.TempDir, "tmp", "", "parent of the temporary directory (default: the system temp dir)")
	if err := harness.ParseArgs(fs, args, &o.Quick, map[string]func(){
		"warmup":      func() { o.Warmup = 2 * time.Second },
		"window":      func() { o.Window = 15 * time.Second },
		"campaign":    func() { o.Campaign = 10_000 },
		"fair-first":  func() { o.FairFirst = 600 },
		"fair-second": func() { o.FairSecond = 150 },
		"fair-delay":  func() { o.FairDelay = 5 * time.Second },
		"flows":       func() { o.Flows = 200 },
		"flow-jobs":   func() { o.FlowJobs = 2000 },
	}); err != nil {
		return o, err
	}
	var err error
	if o.Scenarios, err = harness.PickNames("scenarios", "scenario", scenarios, schedScenarios); err != nil {
		return o, err
	}
	switch {
	case len(o.Scenarios) == 0:
		return o, fmt.Errorf("--scenarios: none given")
	case o.Workers < 1 || o.Workers > 16:
		return o, fmt.Errorf("--workers must be 1-16")
	case o.Window <= 0 || o.Warmup < 0 || o.FairDelay < 0:
		return o, fmt.Errorf("--window must be positive, --warmup and --fair-delay not negative")
	case o.ProbeEvery < 10*time.Millisecond:
		return o, fmt.Errorf("--probe-every must be at least 10ms")
	case o.Campaign < 1 || o.FairFirst < 1 || o.FairSecond < 1 || o.FlowJobs < 1:
		return o, fmt.Errorf("campaign and job counts must be positive")
	case o.UseLimitA < 1 || o.UseFactor <= 0:
		return o, fmt.Errorf("--use-limit-a and --use-factor must be positive")
	case o.Flows < 1 || o.Flows > 50_000:
		return o, fmt.Errorf("--flows must be 1-50000")
	case o.FlowRate <= 0:
		return o, fmt.Errorf("--flow-rate must be positive")
	case o.SandboxNice < -20 || o.SandboxNice > 19:
		return o, fmt.Errorf("--sandbox-nice must be in -20..19")
	}
	return o, nil
}
