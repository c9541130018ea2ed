package schedbench

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/marketing"
)

// intakeTimeout bounds the wait for a campaign to be routed into the flows
// stream.
const intakeTimeout = 10 * time.Minute

// apiSlack is the allowance over the API's own latency.
const apiSlack = 50 * time.Millisecond

// runUpdateIsolation: merchant A enqueues a product_coupon.update campaign
// in the contract's plain form (no priority, no key); meanwhile and after,
// merchant B sends single updates. B's enqueue→result latency must stay
// within the API's own latency plus 50 ms, while A's flow uses its budget.
func runUpdateIsolation(e *schedEnv) *schedReport {
	rep := &schedReport{name: "1. update isolation"}
	rep.err = isolation(e, rep, jobs.TypeProductCouponUpdate, 0)
	return rep
}

// runUseIsolation: the same for busifavor.use, with A publishing
// UseFactor times its limit per second throughout.
func runUseIsolation(e *schedEnv) *schedReport {
	rep := &schedReport{name: "2. use isolation"}
	rep.err = isolation(e, rep, jobs.TypeBusifavorUse, e.o.UseLimitA)
	return rep
}

// isolation runs one isolation scenario for type t. limitA 0: A keeps the
// default limit and enqueues the campaign up front; otherwise A has that
// limit and publishes UseFactor times it per second during the run.
func isolation(e *schedEnv, rep *schedReport, t jobs.Type, limitA int) error {
	ctx := e.ctx
	cfg := harness.ClusterConfig{Merchants: []string{merchantA, merchantB}, Yardstick: yardstickMchID}
	limit := marketing.Operation(t).AssumedLimit()
	if limitA > 0 && limitA != limit {
		cfg.MerchantLimits = map[string]map[marketing.Operation]int{merchantA: {t: limitA}}
		limit = limitA
	}
	c, stop, err := e.startRun(rep, string(t), cfg)
	defer stop()
	if err != nil {
		return err
	}
	a := jobSpec{typ: t, mchid: merchantA, prefix: "A"}
	bIntake := jobSpec{typ: t, mchid: merchantB, prefix: "BI"}
	b := jobSpec{typ: t, mchid: merchantB, prefix: "BW"}
	zIntake := jobSpec{typ: t, mchid: yardstickMchID, prefix: "ZI"}
	z := jobSpec{typ: t, mchid: yardstickMchID, prefix: "ZW"}
	w, err := harness.WatchResults(ctx, c.JS, func(id string) bool {
		return strings.HasPrefix(id, bIntake.idPrefix()) || strings.HasPrefix(id, b.idPrefix())
	})
	if err != nil {
		return err
	}
	defer w.Stop()
	direct, err := directClientFor(c.KeysDir, c.SandboxURL, yardstickMchID)
	if err != nil {
		return err
	}
	defer direct.Close()
	producer := jobs.NewProducer(c.JS, jobs.ProducerConfig{})
	probe := func(s, y jobSpec, done <-chan struct{}) *jobProbe {
		return &jobProbe{producer: producer, w: w, spec: s, every: e.o.ProbeEvery, direct: direct, yardstick: y, done: done}
	}

	// Phase 1: A's jobs arrive; B probes from the start.
	var published int
	pubErr := make(chan error, 1)
	phase1 := make(chan struct{})
	intakeRes := make(chan harness.ProbeResult, 1)
	go func() { intakeRes <- probe(bIntake, zIntake, phase1).run(ctx, time.Hour) }()
	if limitA == 0 {
		took, err := publishAll(ctx, producer, a, 0, e.o.Campaign)
		if err != nil {
			close(phase1)
			<-intakeRes
			return err
		}
		routed, err := waitIntake(ctx, c, t, intakeTimeout)
		close(phase1)
		if err != nil {
			<-intakeRes
			return err
		}
		rep.note("A's campaign of %d jobs was published in %s and routed into its flow %s later", e.o.Campaign, took.Round(time.Millisecond), routed.Round(time.Millisecond))
	} else {
		rate := e.o.UseFactor * float64(limitA)
		run := e.o.Warmup + e.o.Window + 2*time.Second
		go func() {
			n, err := publishPaced(ctx, producer, a, rate, run)
			published = n
			pubErr <- err
		}()
		if err := harness.Sleep(ctx, e.o.Warmup); err != nil {
			close(phase1)
			<-intakeRes
			return err
		}
		close(phase1)
	}
	in := <-intakeRes
	if limitA == 0 {
		rep.add(fmt.Sprintf("B's %s while A's %d jobs are published and routed (%d probes)", t, e.o.Campaign, len(in.Queued)),
			latencyText(in), "none (the contract subject is one FIFO per type until intake routes it)", 0)
		if err := harness.Sleep(ctx, e.o.Warmup); err != nil {
			return err
		}
	}

	// Phase 2: the measured window.
	if err := c.Admin.ResetStats(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	cpu0 := harness.TakeCPU(c.PIDs()...)
	res := probe(b, z, nil).run(ctx, e.o.Window)
	window := time.Since(t0) // includes the wait for the last results
	rep.note("%s", c.CPUNote(harness.UsageBetween(cpu0, harness.TakeCPU(c.PIDs()...))))
	statsA, err := c.Admin.StatsFor(ctx, merchantA)
	if err != nil {
		return err
	}
	statsB, err := c.Admin.StatsFor(ctx, merchantB)
	if err != nil {
		return err
	}
	backlogA, err := flowBacklog(ctx, c, t, merchantA)
	if err != nil {
		return err
	}
	if limitA > 0 {
		if err := <-pubErr; err != nil {
			return err
		}
		rep.note("A published %d %s jobs in %s (%.0f/s, %g× its limit %d/s)", published, t, (e.o.Warmup + e.o.Window + 2*time.Second).Round(time.Second),
			float64(published)/(e.o.Warmup+e.o.Window+2*time.Second).Seconds(), e.o.UseFactor, limitA)
	}
	sA := statsA[marketing.Operation(t)]
	accepted := sA.Status2xx + sA.Status4xx + sA.Status5xx
	achieved := float64(accepted) / window.Seconds()
	api99 := harness.Percentile(res.Direct, 99)
	target := api99 + apiSlack
	rep.add(fmt.Sprintf("B's %s enqueue→result p50 / p99 (%d probes) [API p50 / p99]", t, len(res.Queued)),
		fmt.Sprintf("%s [API %s / %s]", latencyText(res), harness.MS(harness.Percentile(res.Direct, 50)), harness.MS(api99)),
		fmt.Sprintf("p99 ≤ API p99 + 50 ms = %s", harness.MS(target)),
		verdict(res.Missing == 0 && res.Failed == 0 && len(res.Queued) > 0 && harness.Percentile(res.Queued, 99) <= target))
	rep.add(fmt.Sprintf("A's utilization of %d/s; max in any sliding 1 s", limit),
		fmt.Sprintf("%s (%.2f/s); max %d; 429s %d", harness.Pct(achieved/float64(limit)), achieved, sA.MaxAcceptedPerSecond, sA.Status429),
		fmt.Sprintf("≥ 97%%; max ≤ %d", limit),
		verdict(achieved/float64(limit) >= 0.97 && sA.MaxAcceptedPerSecond <= int64(limit)))
	rep.note("window %.1f s; A: %d requests, %d accepted, %d 429s, %d still queued in its flow after the window", window.Seconds(), sA.Requests, accepted, sA.Status429, backlogA)
	sB := statsB[marketing.Operation(t)]
	rep.note("B: %d requests, %d 429s; probes: %d measured, %d without result within %s, %d publish errors; direct API calls %d, %d errors",
		sB.Requests, sB.Status429, len(res.Queued), res.Missing, harness.ResultGrace, res.Failed, len(res.Direct), res.DirectFailed)
	rep.note("%s", storageNote(ctx, c))
	if res.DirectErr != nil {
		rep.note("last direct API error: %v", res.DirectErr)
	}
	if lag, err := c.Pending(ctx, t); err == nil && lag > 0 {
		rep.note("after the window %d jobs were still waiting for intake in %s (not yet routed to their flows)", lag, jobs.JobsStream)
	}
	if backlogA == 0 {
		rep.note("WARNING: A's backlog ran out during the window")
	}
	if f := w.FailureSummary(); len(f) > 0 {
		rep.note("failed results: %s", strings.Join(f, ", "))
	}
	return nil
}

// latencyText is "p50 / p99 ms" of the queued latencies, with the maximum
// and any missing results.
func latencyText(r harness.ProbeResult) string {
	s := fmt.Sprintf("%s / %s (max %s)", harness.MS(harness.Percentile(r.Queued, 50)), harness.MS(harness.Percentile(r.Queued, 99)), harness.MS(harness.Percentile(r.Queued, 100)))
	if r.Missing > 0 || r.Failed > 0 {
		s += fmt.Sprintf("; %d missing, %d not published", r.Missing, r.Failed)
	}
	return s
}

// flowBacklog counts the jobs of one flow waiting in the flows stream.
func flowBacklog(ctx context.Context, c *harness.Cluster, t jobs.Type, id string) (uint64, error) {
	s, err := c.JS.Stream(ctx, worker.FlowsStream)
	if err != nil {
		return 0, fmt.Errorf("flows stream: %w", err)
	}
	var n uint64
	filter := worker.FlowSubjectPrefix + string(t) + "." + id + ".>"
	sub, err := s.Info(ctx, harness.JetStreamSubjects(filter))
	if err != nil {
		return 0, fmt.Errorf("flows stream: %w", err)
	}
	for _, v := range sub.State.Subjects {
		n += v
	}
	return n, nil
}

// ceilRate is the smallest whole limit at or above r (at least 1): the
// sandbox counts whole requests per sliding second.
func ceilRate(r float64) int { return max(1, int(math.Ceil(r-1e-9))) }

// storageNote gives the bytes per stored message of the flows and results
// streams: what a waiting job and a kept result cost in storage.
func storageNote(ctx context.Context, c *harness.Cluster) string {
	var parts []string
	for _, name := range []string{jobs.JobsStream, worker.FlowsStream, jobs.ResultsStream} {
		s, err := c.JS.Stream(ctx, name)
		if err != nil {
			continue
		}
		info, err := s.Info(ctx)
		if err != nil || info.State.Msgs == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d msgs, %.0f B each", name, info.State.Msgs, float64(info.State.Bytes)/float64(info.State.Msgs)))
	}
	return "storage after the window: " + strings.Join(parts, "; ")
}
