package perfbench

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

// perfRecovery (target 2): jobs held by SIGKILLed workers (one of three;
// all three, restarted a second later) while their API calls hang in a 3 s
// latency fault, and slow calls (8 s, longer than a short ack wait) with no
// kill. It reports when the last result arrived, and the requests and
// effects the sandbox saw (redeliveries, double effects).
func perfRecovery(ctx context.Context, e *perfEnv) ([]perfLine, error) {
	c, err := perfCluster(ctx, e, "recovery", harness.ClusterConfig{})
	if err != nil {
		return nil, err
	}
	defer c.Stop()
	w, err := harness.WatchResults(ctx, c.JS, func(id string) bool { return strings.Contains(id, "/BENCH-K") })
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	producer := jobs.NewProducer(c.JS, jobs.ProducerConfig{})
	if err := c.StartWorkers(ctx, 3); err != nil {
		return nil, err
	}
	const k = 24
	var lines []perfLine
	// hold publishes n jobs whose calls hang for delay and waits until the
	// sandbox holds all of them.
	done := 0
	hold := func(prefix string, n int, delay time.Duration) (sandbox.EndpointStats, map[string]int, error) {
		if err := c.Admin.Inject(ctx, sandbox.Fault{Op: jobs.TypeBusifavorUse, Kind: sandbox.Latency, Count: n, Delay: delay}); err != nil {
			return sandbox.EndpointStats{}, nil, err
		}
		st0, err := c.Admin.Stats(ctx)
		if err != nil {
			return sandbox.EndpointStats{}, nil, err
		}
		eff0, err := c.Admin.Effects(ctx)
		if err != nil {
			return sandbox.EndpointStats{}, nil, err
		}
		for i := range n {
			if _, err := producer.Publish(ctx, jobs.TypeBusifavorUse, harness.UseJob(prefix, i)); err != nil {
				return sandbox.EndpointStats{}, nil, err
			}
		}
		end := time.Now().Add(10 * time.Second)
		for time.Now().Before(end) {
			st, err := c.Admin.Stats(ctx)
			if err == nil && st[jobs.TypeBusifavorUse].Requests-st0[jobs.TypeBusifavorUse].Requests >= int64(n) {
				return st0[jobs.TypeBusifavorUse], toStrMap(eff0), nil
			}
			time.Sleep(10 * time.Millisecond)
		}
		return sandbox.EndpointStats{}, nil, fmt.Errorf("the sandbox did not see %d held calls within 10 s", n)
	}
	// after reports the requests and effects since st0/eff0.
	after := func(st0 sandbox.EndpointStats, eff0 map[string]int) (int64, int, error) {
		st, err := c.Admin.Stats(ctx)
		if err != nil {
			return 0, 0, err
		}
		eff, err := c.Admin.Effects(ctx)
		if err != nil {
			return 0, 0, err
		}
		return st[jobs.TypeBusifavorUse].Requests - st0.Requests, toStrMap(eff)[string(jobs.TypeBusifavorUse)] - eff0[string(jobs.TypeBusifavorUse)], nil
	}
	wait := pick(e, 45*time.Second, 60*time.Second)

	// One of three workers killed.
	st0, eff0, err := hold("KA", k, 3*time.Second)
	if err != nil {
		return lines, err
	}
	tKill := time.Now()
	c.Kill(0)
	c.DropWorkers(0)
	last := w.WaitTotal(ctx, jobs.TypeBusifavorUse, done+k, wait)
	done += k
	reqs, effects, err := after(st0, eff0)
	if err != nil {
		return lines, err
	}
	lines = append(lines, perfLine{"2 recovery", fmt.Sprintf("1 of 3 workers SIGKILLed with %d calls held fleet-wide (3 s each): last result after the kill", k),
		sinceText(last, tKill), "≤ 5 s"})
	lines = append(lines, perfLine{"2 recovery", "  requests / effects for those jobs", fmt.Sprintf("%d / %d", reqs, effects), fmt.Sprintf("effects = %d (no double effect)", k)})
	e.logf("one killed: last result %s after the kill; %d requests, %d effects; results at %s after the kill", sinceText(last, tKill), reqs, effects, arrivalsText(w, "KA", k, tKill))

	// All workers killed, restarted a second later.
	st0, eff0, err = hold("KB", k, 3*time.Second)
	if err != nil {
		return lines, err
	}
	for i := range c.Workers {
		c.Kill(i)
	}
	c.DropWorkers(0, 1)
	_ = harness.Sleep(ctx, time.Second)
	tRestart := time.Now()
	if err := c.StartWorkers(ctx, 3); err != nil {
		return lines, err
	}
	last = w.WaitTotal(ctx, jobs.TypeBusifavorUse, done+k, wait)
	done += k
	if reqs, effects, err = after(st0, eff0); err != nil {
		return lines, err
	}
	lines = append(lines, perfLine{"2 recovery", fmt.Sprintf("all 3 SIGKILLed with %d calls held, restarted 1 s later: last result after the restart", k),
		sinceText(last, tRestart), "≤ 5 s"})
	lines = append(lines, perfLine{"2 recovery", "  requests / effects for those jobs", fmt.Sprintf("%d / %d", reqs, effects), fmt.Sprintf("effects = %d", k)})
	e.logf("all killed: last result %s after the restart; %d requests, %d effects; results at %s after the restart", sinceText(last, tRestart), reqs, effects, arrivalsText(w, "KB", k, tRestart))

	// Slow calls, nobody killed: no redelivery while they are in progress.
	const slow = 6
	t0 := time.Now()
	st0, eff0, err = hold("KC", slow, 8*time.Second)
	if err != nil {
		return lines, err
	}
	last = w.WaitTotal(ctx, jobs.TypeBusifavorUse, done+slow, wait)
	if reqs, effects, err = after(st0, eff0); err != nil {
		return lines, err
	}
	lines = append(lines, perfLine{"2 recovery", fmt.Sprintf("%d calls taking 8 s, no kill: requests / effects / last result", slow),
		fmt.Sprintf("%d / %d / %s", reqs, effects, sinceText(last, t0)), fmt.Sprintf("%d requests (no redelivery storm)", slow)})
	e.logf("slow calls: %d requests, %d effects, last result after %s", reqs, effects, sinceText(last, t0))
	return lines, nil
}

// arrivalsText lists when the results of the n jobs with prefix arrived,
// in seconds after from, sorted.
func arrivalsText(w *harness.Watcher, prefix string, n int, from time.Time) string {
	var secs []float64
	for i := range n {
		if at, ok := w.Arrival(jobs.MsgID(jobs.TypeBusifavorUse, harness.UseRequestNo(prefix, i))); ok {
			secs = append(secs, at.Sub(from).Seconds())
		}
	}
	sort.Float64s(secs)
	parts := make([]string, len(secs))
	for i, v := range secs {
		parts[i] = fmt.Sprintf("%.1f", v)
	}
	return strings.Join(parts, " ")
}

func toStrMap[K ~string](m map[K]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func sinceText(t, from time.Time) string {
	if t.IsZero() {
		return "not all results within the wait"
	}
	return fmt.Sprintf("%.2f s", t.Sub(from).Seconds())
}
