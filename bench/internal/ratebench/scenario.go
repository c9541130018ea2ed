package ratebench

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/wechat/marketing"

	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

// issueBacklog is the issue's product_coupon.update backlog.
const issueBacklog = 100_000

// Row is one line of the table: a backlog of one job type drained by a
// number of workers, with the configured and the sandbox's real limit.
type Row struct {
	Scenario   string        // the --scenarios name it belongs to
	Type       jobs.Type     // the job type of the backlog
	Workers    int           // worker processes
	Configured int           // the workers' limit for Type, per second
	Real       int           // sandbox limit for Type; 0 = not enforced
	Warmup     time.Duration // from the first result to the window (settling time for degraded rows)
	Window     time.Duration // how long the sandbox's counts are measured
	Backlog    int           // jobs published before the workers start
	Probe      bool          // send redemptions through the queue in the window
	Every      time.Duration // interval of the probes (redemptions, direct API calls)
}

// RowResult is what one row measured.
type RowResult struct {
	Row
	Dir         string // the row's directory (logs are kept there on failure)
	Err         error  // why the row failed; nil when it ran
	enqueueTook time.Duration
	settle      sandbox.EndpointStats // warmup/settle phase, before the reset
	Stats       sandbox.EndpointStats // the window
	window      time.Duration         // measured length of the window
	Probe       harness.ProbeResult   // the redemptions and direct calls in the window
	backlogLeft uint64
	failures    []string
	CPU         harness.CPUUsage // CPU used during the window
	PIDs        RowPIDs          // the processes CPU is reported for
	killed      []string
	logNotes    []string
}

// RowPIDs names the processes whose CPU is reported.
type RowPIDs struct {
	Sandbox, NATS, bench int   // the sandbox, nats-server and the benchmark itself
	Workers              []int // the workers
}

// accepted is the number of requests in the window that passed the
// sandbox's limiter: answered, and not with 429.
func (r *RowResult) accepted() int64 {
	return r.Stats.Status2xx + r.Stats.Status4xx + r.Stats.Status5xx
}

// Achieved is the accepted requests per second of the window.
func (r *RowResult) Achieved() float64 {
	if r.window <= 0 {
		return 0
	}
	return float64(r.accepted()) / r.window.Seconds()
}

// PlanRows lists the rows the options ask for.
func PlanRows(o Options) []Row {
	var rows []Row
	add := func(scenario string, t jobs.Type, counts []int, configured int, factor float64, warmup, window time.Duration, probe bool) {
		real := int(math.Round(float64(configured) * factor))
		if factor == 1 && o.Unenforced {
			real = 0
		}
		for _, n := range counts {
			backlog := o.Backlog
			if backlog == 0 && t == jobs.TypeProductCouponUpdate && !o.Quick {
				backlog = issueBacklog
			}
			if backlog == 0 {
				backlog = int(math.Ceil(float64(configured) * (warmup + window + 10*time.Second).Seconds() * 1.3))
			}
			rows = append(rows, Row{Scenario: scenario, Type: t, Workers: n, Configured: configured, Real: real,
				Warmup: warmup, Window: window, Backlog: backlog, Probe: probe, Every: o.RedeemEvery})
		}
	}
	for _, s := range o.Scenarios {
		switch s {
		case ScenarioUpdate:
			add(s, jobs.TypeProductCouponUpdate, o.UpdateWorkers, o.UpdateLimit, 1, o.Warmup, o.Window, true)
		case ScenarioBusifavor:
			add(s, jobs.TypeBusifavorUse, o.BusifavorWorkers, o.BusifavorLimit, 1, o.Warmup, o.BusifavorWindow, false)
		case ScenarioUpdateDegraded:
			add(s, jobs.TypeProductCouponUpdate, o.DegradedWorkers, o.UpdateLimit, o.DegradedFactor, o.DegradedSettle, o.DegradedWindow, true)
		case ScenarioBusifavorDegraded:
			add(s, jobs.TypeBusifavorUse, o.DegradedWorkers, o.BusifavorLimit, o.DegradedFactor, o.DegradedSettle, o.DegradedWindow, false)
		}
	}
	return rows
}

// RunRow runs one row on fresh processes in dir and always stops them.
func RunRow(ctx context.Context, g *harness.Group, bins harness.Binaries, dir string, o Options, r Row) (res RowResult) {
	res = RowResult{Row: r, Dir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		res.Err = err
		return res
	}
	cfg := harness.ClusterConfig{
		Configured:  map[marketing.Operation]int{jobs.TypeProductCouponUpdate: o.UpdateLimit, jobs.TypeBusifavorUse: o.BusifavorLimit},
		Real:        map[marketing.Operation]int{jobs.TypeProductCouponUpdate: o.UpdateLimit, jobs.TypeBusifavorUse: o.BusifavorLimit},
		SyncAlways:  o.NATSSyncAlways,
		Headroom:    o.Headroom,
		SandboxNice: o.SandboxNice,
	}
	cfg.Configured[r.Type], cfg.Real[r.Type] = r.Configured, r.Real
	c, err := harness.StartCluster(ctx, g, bins, dir, cfg)
	defer func() {
		res.killed = c.Stop()
		res.logNotes = harness.LogNotes(c)
	}()
	if err != nil {
		res.Err = err
		return res
	}
	res.Err = Measure(ctx, c, r, &res)
	return res
}

// Measure enqueues the backlog, starts the workers, warms up, and measures
// the window.
func Measure(ctx context.Context, c *harness.Cluster, r Row, res *RowResult) error {
	producer := jobs.NewProducer(c.JS, jobs.ProducerConfig{})
	var err error
	if res.enqueueTook, err = harness.EnqueueBacklog(ctx, producer, r.Type, r.Backlog); err != nil {
		return err
	}
	w, err := harness.WatchResults(ctx, c.JS, harness.IsMeasured, r.Type)
	if err != nil {
		return err
	}
	defer w.Stop()
	client, err := harness.NewDirectClient(c.KeysDir, c.SandboxURL)
	if err != nil {
		return err
	}
	defer client.Close()
	pr := &harness.Prober{Producer: producer, Client: client, Watcher: w, Every: r.Every, Queue: r.Probe, DirectOp: jobs.TypeBusifavorUse}
	if r.Type == jobs.TypeBusifavorUse {
		pr.DirectOp = jobs.TypeBusifavorStockGet
	}
	if err := c.StartWorkers(ctx, r.Workers); err != nil {
		return err
	}
	fctx, cancel := context.WithTimeout(ctx, harness.FirstResultTimeout)
	err = w.FirstResult(fctx, r.Type)
	cancel()
	if err != nil {
		return fmt.Errorf("%w (logs in %s)", err, c.Dir)
	}
	// Warm up (redemptions too, so their limiter key exists before the window).
	pr.Run(ctx, "WU", r.Warmup)
	before, err := c.Admin.Stats(ctx)
	if err != nil {
		return err
	}
	res.settle = before[r.Type]
	res.PIDs = RowPIDs{Sandbox: c.Sandbox.PID(), NATS: c.NATS.PID(), bench: os.Getpid()}
	all := []int{res.PIDs.Sandbox, res.PIDs.NATS, res.PIDs.bench}
	for _, p := range c.Workers {
		res.PIDs.Workers = append(res.PIDs.Workers, p.PID())
		all = append(all, p.PID())
	}
	if err := c.Admin.ResetStats(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	cpu0 := harness.TakeCPU(all...)
	probed := make(chan harness.ProbeResult, 1)
	go func() { probed <- pr.Run(ctx, harness.MeasuredPrefix, r.Window) }()
	if err := harness.Sleep(ctx, time.Until(t0.Add(r.Window))); err != nil {
		return err
	}
	t1 := time.Now()
	after, err := c.Admin.Stats(ctx)
	if err != nil {
		return err
	}
	cpu1 := harness.TakeCPU(all...)
	res.window, res.Stats, res.CPU = t1.Sub(t0), after[r.Type], harness.UsageBetween(cpu0, cpu1)
	if res.backlogLeft, err = c.Pending(ctx, r.Type); err != nil {
		return err
	}
	res.Probe = <-probed
	res.failures = w.FailureSummary()
	for _, p := range c.Workers {
		if err := p.ExitError(); err != nil {
			return err
		}
	}
	return nil
}

// rowDir names a row's directory.
func rowDir(base string, i int, r Row) string {
	return filepath.Join(base, fmt.Sprintf("row%02d-%s-%dw", i+1, r.Scenario, r.Workers))
}
