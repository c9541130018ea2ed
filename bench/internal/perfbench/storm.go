package perfbench

import (
	"context"
	"fmt"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"
)

// stormLimit is the busifavor.use limit of the 429 scenarios (the L).
const stormLimit = 200

// perfStorm (target 3): a busifavor.use backlog at L=200/s with three
// workers; after a warmup the sandbox answers 429 to everything for 5 s.
// It reports how fast the fleet falls to a probe rate, what it sends
// during the storm, how fast the rest of the backlog drains after it, and
// how many log lines the storm cost.
func perfStorm(ctx context.Context, e *perfEnv) ([]perfLine, error) {
	op := jobs.TypeBusifavorUse
	c, err := perfCluster(ctx, e, "storm", harness.ClusterConfig{
		Configured: map[marketing.Operation]int{op: stormLimit},
		LogLevel:   "info",
	})
	if err != nil {
		return nil, err
	}
	defer c.Stop()
	const warm, storm = 3 * time.Second, 5 * time.Second
	backlog := stormLimit * 12
	producer := jobs.NewProducer(c.JS, jobs.ProducerConfig{})
	if _, err := harness.EnqueueBacklog(ctx, producer, op, backlog); err != nil {
		return nil, err
	}
	w, err := harness.WatchResults(ctx, c.JS, nil, op)
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	if err := c.StartWorkers(ctx, 3); err != nil {
		return nil, err
	}
	fctx, cancel := context.WithTimeout(ctx, harness.FirstResultTimeout)
	err = w.FirstResult(fctx, op)
	cancel()
	if err != nil {
		return nil, err
	}
	smp := startSampler(ctx, c, op)
	defer smp.stop()
	_ = harness.Sleep(ctx, warm)
	logs0, _ := countLog(c, "429", "rate limit", "throttl", "storm")
	ts := time.Now()
	if err := c.Admin.Inject(ctx, sandbox.Fault{Op: op, Kind: sandbox.RateLimited, Count: 1 << 30}); err != nil {
		return nil, err
	}
	_ = harness.Sleep(ctx, storm)
	if err := c.Admin.ClearFaults(ctx); err != nil {
		return nil, err
	}
	te := time.Now()
	left := backlog - w.Total(op)
	tf := w.WaitTotal(ctx, op, backlog, 2*time.Minute)
	time.Sleep(100 * time.Millisecond) // one more sample
	logs1, msgs := countLog(c, "429", "rate limit", "throttl", "storm")
	first := smp.first429(ts)
	during := smp.between(ts, te)
	var lines []perfLine
	probeMax := smp.maxRequestsPerSecond(ts.Add(time.Second), te)
	lines = append(lines,
		perfLine{"3 storm", fmt.Sprintf("L=%d/s, 3 workers, 429 to everything for %s: requests / 429s during the storm", stormLimit, storm),
			fmt.Sprintf("%d / %d", during.Requests, during.Status429), ""},
		perfLine{"3 storm", "  most requests in any 1 s from 1 s after the first 429 to the storm's end",
			fmt.Sprint(probeMax), fmt.Sprintf("≤ %d (10%% of L)", stormLimit/10)},
		perfLine{"3 storm", "  first 429 seen after the storm began (50 ms sampling)", sinceText(first, ts), ""},
		perfLine{"3 storm", fmt.Sprintf("  backlog left at the storm's end (%d jobs) drained in", left), sinceText(tf, te),
			fmt.Sprintf("≤ %.2f s (left/L + 1 s)", float64(left)/stormLimit+1)},
		perfLine{"3 storm", "  worker log lines about 429s / rate limits during and after the storm", fmt.Sprintf("%d", logs1-logs0), "one per state change"},
	)
	e.logf("storm: %d requests, %d 429s, probe max %d/s, drained %d in %s; log lines %d: %v", during.Requests, during.Status429, probeMax, left, sinceText(tf, te), logs1-logs0, msgs)
	return lines, nil
}

// perfDegraded (target 3): the sandbox's real busifavor.use limit is 60% of
// the configured 200/s; a burst of 10 s worth of jobs at the real limit
// (and, in the full run, 60 s worth) arrives at an idle fleet of three
// workers. It reports the share of 429s and the accepted rate against the
// real limit.
func perfDegraded(ctx context.Context, e *perfEnv) ([]perfLine, error) {
	op := jobs.TypeBusifavorUse
	real := stormLimit * 6 / 10
	var lines []perfLine
	for _, secs := range pick(e, []int{10}, []int{10, 60}) {
		c, err := perfCluster(ctx, e, fmt.Sprintf("degraded-%ds", secs), harness.ClusterConfig{
			Configured: map[marketing.Operation]int{op: stormLimit},
			Real:       map[marketing.Operation]int{op: real},
		})
		if err != nil {
			return lines, err
		}
		line, err := degradedBurst(ctx, e, c, real, secs)
		c.Stop()
		if err != nil {
			return lines, err
		}
		lines = append(lines, line...)
	}
	return lines, nil
}

func degradedBurst(ctx context.Context, e *perfEnv, c *harness.Cluster, real, secs int) ([]perfLine, error) {
	op := jobs.TypeBusifavorUse
	w, err := harness.WatchResults(ctx, c.JS, nil, op)
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	if err := c.StartWorkers(ctx, 3); err != nil {
		return nil, err
	}
	if err := c.Admin.ResetStats(ctx); err != nil {
		return nil, err
	}
	n := real * secs
	producer := jobs.NewProducer(c.JS, jobs.ProducerConfig{})
	t0 := time.Now()
	if _, err := harness.EnqueueBacklog(ctx, producer, op, n); err != nil {
		return nil, err
	}
	tf := w.WaitTotal(ctx, op, n, time.Duration(secs)*time.Second*4+30*time.Second)
	st, err := c.Admin.Stats(ctx)
	if err != nil {
		return nil, err
	}
	s := st[op]
	el := tf.Sub(t0)
	if tf.IsZero() {
		el = time.Since(t0)
	}
	accepted := s.Status2xx + s.Status4xx + s.Status5xx
	rate := float64(accepted) / el.Seconds()
	e.logf("degraded %ds: %d requests, %d 429s, %d accepted in %s (%.1f/s of real %d)", secs, s.Requests, s.Status429, accepted, el.Round(time.Millisecond), rate, real)
	goal := "≤ 3% 429s"
	if secs >= 60 {
		goal = "≤ 0.5% 429s"
	}
	return []perfLine{
		{"3 degraded", fmt.Sprintf("real limit %d of configured %d/s, 3 workers, burst of %d jobs (%d s at the real limit): 429s / requests", real, stormLimit, n, secs),
			harness.Share(s.Status429, s.Requests), goal},
		{"3 degraded", "  accepted rate while draining / real limit", fmt.Sprintf("%.1f/s = %s", rate, harness.Pct(rate/float64(real))), "≥ 90%"},
	}, nil
}
