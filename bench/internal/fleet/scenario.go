package fleet

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

// issueBacklog is the issue's product_coupon.update backlog.
const issueBacklog = 100_000

// row is one line of the table: a backlog of one job type drained by a
// number of workers, with the configured and the sandbox's real limit.
type row struct {
	scenario   string
	typ        jobs.Type
	workers    int
	configured int
	real       int // sandbox limit for typ; 0 = not enforced
	warmup     time.Duration
	window     time.Duration
	backlog    int
	probe      bool          // send redemptions through the queue in the window
	every      time.Duration // interval of the probes (redemptions, direct API calls)
}

// rowResult is what one row measured.
type rowResult struct {
	row
	dir         string
	err         error
	enqueueTook time.Duration
	settle      sandbox.EndpointStats // warmup/settle phase, before the reset
	stats       sandbox.EndpointStats // the window
	window      time.Duration         // measured length of the window
	probe       probeResult
	backlogLeft uint64
	failures    []string
	cpu         cpuUsage
	pids        rowPIDs
	killed      []string
	logNotes    []string
}

// rowPIDs names the processes whose CPU is reported.
type rowPIDs struct {
	sandbox, nats, bench int
	workers              []int
}

// accepted is the number of requests in the window that passed the
// sandbox's limiter: answered, and not with 429.
func (r *rowResult) accepted() int64 {
	return r.stats.Status2xx + r.stats.Status4xx + r.stats.Status5xx
}

// achieved is the accepted requests per second of the window.
func (r *rowResult) achieved() float64 {
	if r.window <= 0 {
		return 0
	}
	return float64(r.accepted()) / r.window.Seconds()
}

// planRows lists the rows the options ask for.
func planRows(o Options) []row {
	var rows []row
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
			rows = append(rows, row{scenario: scenario, typ: t, workers: n, configured: configured, real: real,
				warmup: warmup, window: window, backlog: backlog, probe: probe, every: o.RedeemEvery})
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

// runRow runs one row on fresh processes in dir and always stops them.
func runRow(ctx context.Context, g *group, bins binaries, dir string, o Options, r row) (res rowResult) {
	res = rowResult{row: r, dir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		res.err = err
		return res
	}
	cfg := clusterConfig{
		configured:  map[marketing.Operation]int{jobs.TypeProductCouponUpdate: o.UpdateLimit, jobs.TypeBusifavorUse: o.BusifavorLimit},
		real:        map[marketing.Operation]int{jobs.TypeProductCouponUpdate: o.UpdateLimit, jobs.TypeBusifavorUse: o.BusifavorLimit},
		syncAlways:  o.NATSSyncAlways,
		headroom:    o.Headroom,
		sandboxNice: o.SandboxNice,
	}
	cfg.configured[r.typ], cfg.real[r.typ] = r.configured, r.real
	c, err := startCluster(ctx, g, bins, dir, cfg)
	defer func() {
		res.killed = c.stop()
		res.logNotes = logNotes(c)
	}()
	if err != nil {
		res.err = err
		return res
	}
	res.err = measure(ctx, c, r, &res)
	return res
}

// measure enqueues the backlog, starts the workers, warms up, and measures
// the window.
func measure(ctx context.Context, c *cluster, r row, res *rowResult) error {
	producer := jobs.NewProducer(c.js, jobs.ProducerConfig{})
	var err error
	if res.enqueueTook, err = enqueueBacklog(ctx, producer, r.typ, r.backlog); err != nil {
		return err
	}
	w, err := watchResults(ctx, c.js, isMeasured, r.typ)
	if err != nil {
		return err
	}
	defer w.stop()
	client, err := newDirectClient(c.keysDir, c.sandboxURL)
	if err != nil {
		return err
	}
	defer client.Close()
	pr := &prober{producer: producer, client: client, w: w, every: r.every, queue: r.probe, directOp: jobs.TypeBusifavorUse}
	if r.typ == jobs.TypeBusifavorUse {
		pr.directOp = jobs.TypeBusifavorStockGet
	}
	if err := c.startWorkers(ctx, r.workers); err != nil {
		return err
	}
	fctx, cancel := context.WithTimeout(ctx, firstResultTimeout)
	err = w.firstResult(fctx, r.typ)
	cancel()
	if err != nil {
		return fmt.Errorf("%w (logs in %s)", err, c.dir)
	}
	// Warm up (redemptions too, so their limiter key exists before the window).
	pr.run(ctx, "WU", r.warmup)
	before, err := c.admin.Stats(ctx)
	if err != nil {
		return err
	}
	res.settle = before[r.typ]
	res.pids = rowPIDs{sandbox: c.sandbox.pid(), nats: c.nats.pid(), bench: os.Getpid()}
	all := []int{res.pids.sandbox, res.pids.nats, res.pids.bench}
	for _, p := range c.workers {
		res.pids.workers = append(res.pids.workers, p.pid())
		all = append(all, p.pid())
	}
	if err := c.admin.ResetStats(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	cpu0 := takeCPU(all...)
	probed := make(chan probeResult, 1)
	go func() { probed <- pr.run(ctx, measuredPrefix, r.window) }()
	if err := sleep(ctx, time.Until(t0.Add(r.window))); err != nil {
		return err
	}
	t1 := time.Now()
	after, err := c.admin.Stats(ctx)
	if err != nil {
		return err
	}
	cpu1 := takeCPU(all...)
	res.window, res.stats, res.cpu = t1.Sub(t0), after[r.typ], usageBetween(cpu0, cpu1)
	if res.backlogLeft, err = c.pending(ctx, r.typ); err != nil {
		return err
	}
	res.probe = <-probed
	res.failures = w.failureSummary()
	for _, p := range c.workers {
		if err := p.exitError(); err != nil {
			return err
		}
	}
	return nil
}

// rowDir names a row's directory.
func rowDir(base string, i int, r row) string {
	return filepath.Join(base, fmt.Sprintf("row%02d-%s-%dw", i+1, r.scenario, r.workers))
}
