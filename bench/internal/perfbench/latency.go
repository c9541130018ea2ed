package perfbench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/jobs"
)

// latencyPrefix marks the light-load redemptions of the latency scenario.
const latencyPrefix = "L"

// perfLatency (target 1): light checkout load on a fresh cluster (the very
// first job included), again right after a nats-server restart (memory
// state lost), and during a product_coupon.update backlog. Each job's
// enqueue→result latency is compared with the API's own latency, measured
// with direct signed calls interleaved with the jobs.
func perfLatency(ctx context.Context, e *perfEnv) ([]perfLine, error) {
	c, err := perfCluster(ctx, e, "latency", harness.ClusterConfig{})
	if err != nil {
		return nil, err
	}
	defer c.Stop()
	w, err := harness.WatchResults(ctx, c.JS, func(id string) bool {
		return strings.HasPrefix(id, string(jobs.TypeBusifavorUse)+"/BENCH-"+latencyPrefix)
	}, jobs.TypeProductCouponUpdate)
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	client, err := harness.NewDirectClient(c.KeysDir, c.SandboxURL)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	pr := &harness.Prober{Client: client, DirectOp: jobs.TypeBusifavorUse}
	producer := jobs.NewProducer(c.JS, jobs.ProducerConfig{})
	if err := c.StartWorkers(ctx, 2); err != nil {
		return nil, err
	}
	var lines []perfLine
	phase := func(name, prefix string, n int, every time.Duration) error {
		q, direct, err := sendSeries(ctx, c, producer, pr, w, prefix, n, every)
		if err != nil {
			return err
		}
		got, missing := latencies(q)
		api99 := harness.Percentile(direct, 99)
		first := "missing"
		if q[0] >= 0 {
			first = harness.MS(q[0])
		}
		maxLat := harness.Percentile(got, 100)
		e.logf("%s: first %s, p50 %s, p99 %s, max %s, API p50 %s p99 %s, %d missing", name, first,
			harness.MS(harness.Percentile(got, 50)), harness.MS(harness.Percentile(got, 99)), harness.MS(maxLat), harness.MS(harness.Percentile(direct, 50)), harness.MS(api99), missing)
		lines = append(lines,
			perfLine{"1 latency", fmt.Sprintf("%s: %d jobs at %.0f/s, enqueue→result first / p50 / p99 / max", name, n, float64(time.Second)/float64(every)),
				fmt.Sprintf("%s / %s / %s / %s%s", first, harness.MS(harness.Percentile(got, 50)), harness.MS(harness.Percentile(got, 99)), harness.MS(maxLat), missingText(missing)),
				fmt.Sprintf("p99 and first ≤ API p99 + 20 ms = %s", harness.MS(api99+20*time.Millisecond))},
			perfLine{"1 latency", name + ": API's own latency p50 / p99 (direct calls)", fmt.Sprintf("%s / %s", harness.MS(harness.Percentile(direct, 50)), harness.MS(api99)), ""},
		)
		return nil
	}
	n := pick(e, 60, 200)
	if err := phase("fresh cluster", latencyPrefix+"A", n, 50*time.Millisecond); err != nil {
		return lines, err
	}
	e.logf("restarting nats-server")
	t0 := time.Now()
	if err := c.RestartNATS(ctx); err != nil {
		return lines, fmt.Errorf("restart nats-server: %w", err)
	}
	e.logf("every worker heartbeats again %s after the restart began", time.Since(t0).Round(time.Millisecond))
	if err := phase("right after a nats-server restart", latencyPrefix+"B", pick(e, 60, 100), 50*time.Millisecond); err != nil {
		return lines, err
	}
	backlog := pick(e, 400, 800)
	if _, err := harness.EnqueueBacklog(ctx, producer, jobs.TypeProductCouponUpdate, backlog); err != nil {
		return lines, err
	}
	fctx, cancel := context.WithTimeout(ctx, harness.FirstResultTimeout)
	err = w.FirstResult(fctx, jobs.TypeProductCouponUpdate)
	cancel()
	if err != nil {
		return lines, err
	}
	if err := phase("during a product_coupon.update backlog", latencyPrefix+"C", pick(e, 50, 150), 100*time.Millisecond); err != nil {
		return lines, err
	}
	return lines, nil
}

func missingText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d without result)", n)
}
