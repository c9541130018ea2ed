package schedbench

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/marketing"
)

// priorityTarget is the bound on an urgent job's latency during its
// own merchant's campaign.
const priorityTarget = 300 * time.Millisecond

// runPriority: merchant A runs a priority-5 product_coupon.update campaign
// (the enqueue default for campaigns: priority 5, the campaign as fairness
// key) and meanwhile sends single priority-1 updates; each takes the flow's
// next slot.
func runPriority(e *schedEnv) *schedReport {
	rep := &schedReport{name: "3. priority"}
	rep.err = priority(e, rep)
	return rep
}

func priority(e *schedEnv, rep *schedReport) error {
	ctx := e.ctx
	t := jobs.TypeProductCouponUpdate
	limit := marketing.Operation(t).AssumedLimit()
	c, stop, err := e.startRun(rep, "priority", harness.ClusterConfig{Yardstick: yardstickMchID})
	defer stop()
	if err != nil {
		return err
	}
	campaign := jobSpec{typ: t, mchid: merchantA, prefix: "C", priority: jobs.LeastUrgent, key: "campaign-1"}
	urgent := jobSpec{typ: t, mchid: merchantA, prefix: "U", priority: jobs.MostUrgent}
	z := jobSpec{typ: t, mchid: yardstickMchID, prefix: "Z"}
	w, err := harness.WatchResults(ctx, c.JS, func(id string) bool { return strings.HasPrefix(id, urgent.idPrefix()) })
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
	// Enough campaign to outlast the window with a margin.
	n := int(math.Ceil(float64(limit) * (e.o.Warmup + e.o.Window + 30*time.Second).Seconds()))
	took, err := publishAll(ctx, producer, campaign, 0, n)
	if err != nil {
		return err
	}
	if _, err := waitIntake(ctx, c, t, intakeTimeout); err != nil {
		return err
	}
	if err := harness.Sleep(ctx, e.o.Warmup); err != nil {
		return err
	}
	if err := c.Admin.ResetStats(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	p := &jobProbe{producer: producer, w: w, spec: urgent, every: e.o.ProbeEvery, direct: direct, yardstick: z}
	cpu0 := harness.TakeCPU(c.PIDs()...)
	res := p.run(ctx, e.o.Window)
	window := time.Since(t0)
	rep.note("%s", c.CPUNote(harness.UsageBetween(cpu0, harness.TakeCPU(c.PIDs()...))))
	stats, err := c.Admin.StatsFor(ctx, merchantA)
	if err != nil {
		return err
	}
	backlog, err := flowBacklog(ctx, c, t, merchantA)
	if err != nil {
		return err
	}
	s := stats[marketing.Operation(t)]
	accepted := s.Status2xx + s.Status4xx + s.Status5xx
	achieved := float64(accepted) / window.Seconds()
	rep.add(fmt.Sprintf("A's priority-1 update enqueue→result p50 / p99, one every %s during its priority-5 campaign at %d/s (%d probes) [API p50 / p99]",
		e.o.ProbeEvery, limit, len(res.Queued)),
		fmt.Sprintf("%s [API %s / %s]", latencyText(res), harness.MS(harness.Percentile(res.Direct, 50)), harness.MS(harness.Percentile(res.Direct, 99))),
		"p99 ≤ 300 ms", verdict(res.Missing == 0 && len(res.Queued) > 0 && harness.Percentile(res.Queued, 99) <= priorityTarget))
	rep.add(fmt.Sprintf("A's utilization of %d/s (campaign + urgent); max in any sliding 1 s", limit),
		fmt.Sprintf("%s (%.2f/s); max %d; 429s %d", harness.Pct(achieved/float64(limit)), achieved, s.MaxAcceptedPerSecond, s.Status429),
		fmt.Sprintf("≥ 97%%; max ≤ %d", limit), verdict(achieved/float64(limit) >= 0.97 && s.MaxAcceptedPerSecond <= int64(limit)))
	rep.note("campaign of %d priority-5 jobs published in %s; %d still queued after the window (must be > 0); window %.1f s",
		n, took.Round(time.Millisecond), backlog, window.Seconds())
	if f := w.FailureSummary(); len(f) > 0 {
		rep.note("failed results: %s", strings.Join(f, ", "))
	}
	return nil
}

// runFairness: one flow (merchant A, product_coupon.update), two campaigns
// with their own fairness keys at the same priority; the second starts
// FairDelay after the first. While both have work each should get half
// the flow's budget.
func runFairness(e *schedEnv) *schedReport {
	rep := &schedReport{name: "4. fairness"}
	rep.err = fairness(e, rep)
	return rep
}

func fairness(e *schedEnv, rep *schedReport) error {
	ctx := e.ctx
	t := jobs.TypeProductCouponUpdate
	limit := marketing.Operation(t).AssumedLimit()
	c, stop, err := e.startRun(rep, "fairness", harness.ClusterConfig{})
	defer stop()
	if err != nil {
		return err
	}
	k1 := jobSpec{typ: t, mchid: merchantA, prefix: "K1", priority: jobs.LeastUrgent, key: "campaign-1"}
	k2 := jobSpec{typ: t, mchid: merchantA, prefix: "K2", priority: jobs.LeastUrgent, key: "campaign-2"}
	w, err := harness.WatchResults(ctx, c.JS, func(id string) bool {
		return strings.HasPrefix(id, k1.idPrefix()) || strings.HasPrefix(id, k2.idPrefix())
	})
	if err != nil {
		return err
	}
	defer w.Stop()
	producer := jobs.NewProducer(c.JS, jobs.ProducerConfig{})
	if _, err := publishAll(ctx, producer, k1, 0, e.o.FairFirst); err != nil {
		return err
	}
	start1 := time.Now()
	if err := harness.Sleep(ctx, e.o.FairDelay); err != nil {
		return err
	}
	start2 := time.Now()
	if _, err := publishAll(ctx, producer, k2, 0, e.o.FairSecond); err != nil {
		return err
	}
	// Wait for the second campaign's last result: at half the budget.
	expect := time.Duration(float64(e.o.FairSecond)/float64(limit)*2*float64(time.Second)) + time.Minute
	deadline := time.Now().Add(expect)
	for w.CountPrefix(k2.idPrefix()) < e.o.FairSecond {
		if time.Now().After(deadline) {
			return fmt.Errorf("campaign-2: %d of %d results after %s", w.CountPrefix(k2.idPrefix()), e.o.FairSecond, expect)
		}
		if err := harness.Sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	a1, a2 := w.ArrivalsWithPrefix(k1.idPrefix()), w.ArrivalsWithPrefix(k2.idPrefix())
	end := a2[len(a2)-1]
	if len(a1) >= e.o.FairFirst && a1[len(a1)-1].Before(end) {
		end = a1[len(a1)-1]
		rep.note("WARNING: campaign-1 finished before campaign-2; the shared interval ends with it")
	}
	n1, n2 := countBetween(a1, start2, end.Add(time.Nanosecond)), countBetween(a2, start2, end.Add(time.Nanosecond))
	span := end.Sub(start2)
	share2 := float64(n2) / float64(n1+n2)
	// The share in each 5 s slice of the interval, to show it holds
	// throughout and not only on average.
	const slice = 5 * time.Second
	lo, hi := 1.0, 0.0
	for s := start2; s.Add(slice).Before(end) || s.Add(slice).Equal(end); s = s.Add(slice) {
		m1, m2 := countBetween(a1, s, s.Add(slice)), countBetween(a2, s, s.Add(slice))
		if m1+m2 == 0 {
			continue
		}
		f := float64(m2) / float64(m1+m2)
		lo, hi = min(lo, f), max(hi, f)
	}
	ok := share2 >= 0.4 && share2 <= 0.6
	rep.add(fmt.Sprintf("share of the flow's budget while both campaigns have work (%.1f s): campaign-1 (%d jobs) / campaign-2 (%d jobs, started %s later)",
		span.Seconds(), e.o.FairFirst, e.o.FairSecond, e.o.FairDelay),
		fmt.Sprintf("%s / %s (%d / %d results, %.2f/s together); campaign-2's share per 5 s slice %s-%s",
			harness.Pct(1-share2), harness.Pct(share2), n1, n2, float64(n1+n2)/span.Seconds(), harness.Pct(lo), harness.Pct(hi)),
		"each 50% ± 10%", verdict(ok))
	rep.note("campaign-1 alone before campaign-2: %d results in %.1f s; campaign-2's first result %s after its publish started",
		countBetween(a1, start1, start2), start2.Sub(start1).Seconds(), harness.MS(a2[0].Sub(start2)))
	if f := w.FailureSummary(); len(f) > 0 {
		rep.note("failed results: %s", strings.Join(f, ", "))
	}
	return nil
}

// countBetween counts the sorted times in [from, to).
func countBetween(ts []time.Time, from, to time.Time) int {
	i := sort.Search(len(ts), func(i int) bool { return !ts[i].Before(from) })
	j := sort.Search(len(ts), func(i int) bool { return !ts[i].Before(to) })
	return j - i
}
