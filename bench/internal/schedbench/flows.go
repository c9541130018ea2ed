package schedbench

import (
	"fmt"
	"strconv"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/ratelimit"
	"github.com/couponq/couponq/wechat/marketing"
)

// flowsCost is what one run of the flows scenario measured.
type flowsCost struct {
	flows, jobs  int
	took         time.Duration // first publish to last result
	startup      time.Duration // processes started until every worker heartbeats
	workerCPU    float64       // seconds, all workers, publish to last result
	natsCPU      float64
	rssStart     int64 // largest worker RSS once started, before any job
	rssPeak      int64 // largest worker peak RSS at the end
	natsRSS      int64 // nats-server's RSS at the end
	nats         harness.NATSCounters
	natsAfter    harness.NATSCounters
	kvBytes      uint64 // limiter state bucket
	accepted     int64
	status429    int64
	consumers    int // consumers on the flows stream after the run
	failedResult []string
	// firstWait are, per flow, the times from the start of the publish to
	// the flow's first result; spread the times from its first to its
	// last result.
	firstWait, spread []time.Duration
}

// runFlows: the same number of busifavor.use jobs at the same total rate,
// once in one flow and once spread over Flows merchant accounts; compares
// the workers' CPU per job and memory.
func runFlows(e *schedEnv) *schedReport {
	rep := &schedReport{name: "5. many flows"}
	one, err := flowsRun(e, rep, 1)
	if err != nil {
		rep.err = err
		return rep
	}
	many, err := flowsRun(e, rep, e.o.Flows)
	if err != nil {
		rep.err = err
		return rep
	}
	perJob := func(c flowsCost) float64 { return c.workerCPU / float64(c.jobs) * 1000 }
	growth := func(a, b float64) float64 { return b/a - 1 }
	g := growth(perJob(one), perJob(many))
	rep.add(fmt.Sprintf("worker CPU per job (%d workers summed): 1 flow / %d flows", e.o.Workers, many.flows),
		fmt.Sprintf("%.3f / %.3f ms (%+.1f%%)", perJob(one), perJob(many), 100*g), "≤ +10%", verdict(g <= 0.10))
	gp := growth(float64(one.rssPeak), float64(many.rssPeak))
	rep.add(fmt.Sprintf("worker peak RSS (largest worker): 1 flow / %d flows [after start-up, before jobs]", many.flows),
		fmt.Sprintf("%s / %s (%+.1f%%) [%s / %s]", harness.MiB(one.rssPeak), harness.MiB(many.rssPeak), 100*gp, harness.MiB(one.rssStart), harness.MiB(many.rssStart)),
		"≤ +10%", verdict(gp <= 0.10))
	for _, c := range []flowsCost{one, many} {
		rate := float64(c.jobs) / c.took.Seconds()
		rep.add(fmt.Sprintf("%d flow(s): %d jobs, total limit %g/s", c.flows, c.jobs, e.o.FlowRate),
			fmt.Sprintf("%.1f s (%.1f/s); 429s %d; NATS per job: %.1f msgs in, %.1f out, %.0f B in, %.0f B out, %.2f JS API calls; nats-server CPU %.3f ms/job",
				c.took.Seconds(), rate, c.status429,
				float64(c.nats.InMsgs)/float64(c.jobs), float64(c.nats.OutMsgs)/float64(c.jobs),
				float64(c.nats.InBytes)/float64(c.jobs), float64(c.nats.OutBytes)/float64(c.jobs),
				float64(c.nats.APITotal)/float64(c.jobs), c.natsCPU/float64(c.jobs)*1000),
			"", 0)
	}
	if many.flows > 1 {
		dc := many.consumers - one.consumers
		rep.add(fmt.Sprintf("state per flow in NATS (%d flows − 1 flow)", many.flows),
			fmt.Sprintf("%.2f consumers on %s per flow (%d vs %d); limiter bucket %.0f B per flow (%d vs %d B); JetStream memory %+.0f B per flow; nats-server RSS %s vs %s (%+.1f KiB per flow)",
				float64(dc)/float64(many.flows-1), worker.FlowsStream, many.consumers, one.consumers,
				float64(int64(many.kvBytes)-int64(one.kvBytes))/float64(many.flows-1), many.kvBytes, one.kvBytes,
				float64(many.natsAfter.Memory-one.natsAfter.Memory)/float64(many.flows-1),
				harness.MiB(many.natsRSS), harness.MiB(one.natsRSS), float64(many.natsRSS-one.natsRSS)/1024/float64(many.flows-1)),
			"", 0)
	}
	for _, c := range []flowsCost{one, many} {
		perFlow := c.jobs / c.flows
		ideal := time.Duration(float64(perFlow-1) / (e.o.FlowRate / float64(c.flows)) * float64(time.Second))
		rep.add(fmt.Sprintf("%d flow(s): per flow, publish start → first result; first → last of its %d results (paced: %s)", c.flows, perFlow, ideal.Round(time.Millisecond)),
			fmt.Sprintf("p50 %s, p99 %s, max %s; p50 %s, p99 %s, max %s",
				harness.MS(harness.Percentile(c.firstWait, 50)), harness.MS(harness.Percentile(c.firstWait, 99)), harness.MS(harness.Percentile(c.firstWait, 100)),
				harness.MS(harness.Percentile(c.spread, 50)), harness.MS(harness.Percentile(c.spread, 99)), harness.MS(harness.Percentile(c.spread, 100))),
			"", 0)
	}
	rep.note("start-up until every worker heartbeats: 1 flow %s, %d flows %s (sandbox keys shared: one RSA pair set for all accounts)",
		one.startup.Round(time.Millisecond), many.flows, many.startup.Round(time.Millisecond))
	for _, c := range []flowsCost{one, many} {
		if len(c.failedResult) > 0 {
			rep.note("%d flow(s): failed results %v", c.flows, c.failedResult)
		}
	}
	return rep
}

// flowsRun runs FlowJobs busifavor.use jobs over n merchant accounts whose
// limits add up to FlowRate.
func flowsRun(e *schedEnv, rep *schedReport, n int) (flowsCost, error) {
	ctx := e.ctx
	t := jobs.TypeBusifavorUse
	cost := flowsCost{flows: n, jobs: e.o.FlowJobs}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(firstFlowMchID + i)
	}
	per := e.o.FlowRate / float64(n)
	cfg := harness.ClusterConfig{
		Merchants: ids,
		// The sandbox allows half as much again: this run measures cost, and
		// at a configured 1/s the limiter's 1.5% headroom (15 ms) is less
		// than arrival jitter (bench/ratelimit measures limit accuracy).
		Real:         map[marketing.Operation]int{t: ceilRate(per * 1.5)},
		WorkerLimits: map[marketing.Operation]float64{t: per},
	}
	prof, tweak, err := newHeapProfiler(e.o.Profile, fmt.Sprintf("flows-%d", n))
	if err != nil {
		return cost, err
	}
	cfg.Tweak = tweak
	t0 := time.Now()
	c, stop, err := e.startRun(rep, fmt.Sprintf("flows-%d", n), cfg)
	defer stop()
	if err != nil {
		return cost, err
	}
	cost.startup = time.Since(t0)
	w, err := harness.WatchResults(ctx, c.JS, func(string) bool { return true })
	if err != nil {
		return cost, err
	}
	defer w.Stop()
	mon := harness.NATSMonitor{BaseURL: c.MonitorURL}
	var wpids []int
	for _, p := range c.Workers {
		wpids = append(wpids, p.PID())
		cost.rssStart = max(cost.rssStart, harness.ReadProcMem(p.PID()).RSS)
	}
	before, err := mon.Counters(ctx)
	if err != nil {
		return cost, err
	}
	cpu0 := harness.TakeCPU(append(wpids, c.NATS.PID())...)
	start := time.Now()
	producer := jobs.NewProducer(c.JS, jobs.ProducerConfig{})
	b := producer.NewBatch(jobs.BatchConfig{Window: 1024})
	for i := 0; i < e.o.FlowJobs; i++ {
		m := i % n
		s := jobSpec{typ: t, mchid: ids[m], prefix: fmt.Sprintf("F%05d", m)}
		if err := b.Add(ctx, t, s.job(i/n)); err != nil {
			return cost, fmt.Errorf("publish: %w", err)
		}
	}
	if rep, err := b.Wait(ctx); err != nil || len(rep.Failed) > 0 {
		return cost, fmt.Errorf("publish: %v (%d failed)", err, len(rep.Failed))
	}
	expect := time.Duration(float64(e.o.FlowJobs)/e.o.FlowRate*2*float64(time.Second)) + 2*time.Minute
	deadline := time.Now().Add(expect)
	for w.Total(t) < e.o.FlowJobs {
		if time.Now().After(deadline) {
			return cost, fmt.Errorf("%d flows: %d of %d results after %s (logs in %s)", n, w.Total(t), e.o.FlowJobs, expect, c.Dir)
		}
		if err := prof.sample(ctx, c); err != nil {
			return cost, err
		}
		if err := harness.Sleep(ctx, 50*time.Millisecond); err != nil {
			return cost, err
		}
	}
	cost.took = time.Since(start)
	cpu1 := harness.TakeCPU(append(wpids, c.NATS.PID())...)
	use := harness.UsageBetween(cpu0, cpu1)
	el := cpu1.At.Sub(cpu0.At).Seconds()
	cost.workerCPU = use.Sum(wpids...) * el
	cost.natsCPU = use.Sum(c.NATS.PID()) * el
	for _, pid := range wpids {
		cost.rssPeak = max(cost.rssPeak, harness.ReadProcMem(pid).Peak)
	}
	cost.natsRSS = harness.ReadProcMem(c.NATS.PID()).RSS
	if err := prof.finish(ctx, c); err != nil {
		return cost, err
	}
	after, err := mon.Counters(ctx)
	if err != nil {
		return cost, err
	}
	cost.nats, cost.natsAfter = after.Sub(before), after
	stats, err := c.Admin.Stats(ctx)
	if err != nil {
		return cost, err
	}
	s := stats[marketing.Operation(t)]
	cost.accepted, cost.status429 = s.Status2xx+s.Status4xx+s.Status5xx, s.Status429
	if st, err := c.JS.Stream(ctx, worker.FlowsStream); err == nil {
		if info, err := st.Info(ctx); err == nil {
			cost.consumers = info.State.Consumers
		}
	}
	if st, err := c.JS.Stream(ctx, "KV_"+ratelimit.DefaultStateBucket); err == nil {
		if info, err := st.Info(ctx); err == nil {
			cost.kvBytes = info.State.Bytes
		}
	}
	cost.failedResult = w.FailureSummary()
	cost.firstWait, cost.spread = w.PerFlowTimes(start)
	return cost, nil
}
