package perfbench

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/bench/internal/ratebench"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"
)

// perfFailover (target 4): a product_coupon.update backlog at 20/s with
// redemptions every 200 ms, once healthy and once with the primary host
// refusing connections (the sandbox is the backup host). It reports the
// achieved rate, the redemptions' latency and the failover log lines.
func perfFailover(ctx context.Context, e *perfEnv) ([]perfLine, error) {
	var lines []perfLine
	var healthyP99 time.Duration = -1
	for _, down := range []bool{false, true} {
		name := "healthy"
		if down {
			name = "primary down"
		}
		dead, err := harness.FreePort() // nothing listens there: connection refused
		if err != nil {
			return lines, err
		}
		var c *harness.Cluster
		cfg := harness.ClusterConfig{LogLevel: "info"}
		if down {
			cfg.Tweak = func(doc map[string]any) {
				wc := doc["wechat"].(map[string]any)
				wc["backup_url"] = c.SandboxURL
				wc["base_url"] = fmt.Sprintf("http://127.0.0.1:%d", dead)
			}
		}
		c, err = perfCluster(ctx, e, "failover-"+map[bool]string{false: "healthy", true: "down"}[down], cfg)
		if err != nil {
			return lines, err
		}
		r := ratebench.Row{Scenario: "failover", Type: jobs.TypeProductCouponUpdate, Workers: 2, Configured: 20, Real: 20,
			Warmup: 3 * time.Second, Window: pick(e, 10*time.Second, 30*time.Second), Probe: true, Every: 200 * time.Millisecond}
		r.Backlog = int(20 * (r.Warmup + r.Window + 15*time.Second).Seconds())
		res := ratebench.RowResult{Row: r, Dir: c.Dir}
		err = ratebench.Measure(ctx, c, r, &res)
		logs, msgs := countLog(c, "fail", "backup", "circuit", "primary")
		c.Stop()
		if err != nil {
			return lines, err
		}
		p99 := harness.Percentile(res.Probe.Queued, 99)
		goal := ""
		if down {
			goal = fmt.Sprintf("≥ 95%%; p99 ≤ healthy + 50 ms = %s", harness.MS(healthyP99+50*time.Millisecond))
		} else {
			healthyP99 = p99
		}
		lines = append(lines,
			perfLine{"4 failover", fmt.Sprintf("%s: update rate / limit 20, redemption p50 / p99 (2 workers)", name),
				fmt.Sprintf("%.2f/s = %s; %s / %s", res.Achieved(), harness.Pct(res.Achieved()/20), harness.MS(harness.Percentile(res.Probe.Queued, 50)), harness.MS(p99)), goal},
			perfLine{"4 failover", fmt.Sprintf("  %s: worker log lines about failing over / circuit", name), fmt.Sprint(logs), map[bool]string{true: "one per state change"}[down]},
		)
		e.logf("%s: %.2f/s, redemptions p50 %s p99 %s (%d missing), log lines %d %v", name, res.Achieved(),
			harness.MS(harness.Percentile(res.Probe.Queued, 50)), harness.MS(p99), res.Probe.Missing, logs, msgs)
	}
	return lines, nil
}

// perfCPU (target 5): one worker drains busifavor.use jobs from a sandbox
// without limits; its CPU time per job is compared with one RSA-2048 sign
// + verify done by the SDK in this process right after, in the same run.
func perfCPU(ctx context.Context, e *perfEnv) ([]perfLine, error) {
	op := jobs.TypeBusifavorUse
	prof, tweak, err := harness.NewWorkerProfiler(e.o.Profile)
	if err != nil {
		return nil, err
	}
	c, err := perfCluster(ctx, e, "cpu", harness.ClusterConfig{Real: map[marketing.Operation]int{op: 0}, Tweak: tweak})
	if err != nil {
		return nil, err
	}
	defer c.Stop()
	n := pick(e, 2000, 4000)
	producer := jobs.NewProducer(c.JS, jobs.ProducerConfig{})
	if _, err := harness.EnqueueBacklog(ctx, producer, op, n); err != nil {
		return nil, err
	}
	w, err := harness.WatchResults(ctx, c.JS, nil, op)
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	if err := c.StartWorkers(ctx, 1); err != nil {
		return nil, err
	}
	skip := 100 // the first jobs warm up connections and caches
	if w.WaitTotal(ctx, op, skip, time.Minute).IsZero() {
		return nil, fmt.Errorf("no %d results within a minute", skip)
	}
	pid := c.Workers[0].PID()
	cpu0, ok0 := harness.ProcCPU(pid)
	got0 := w.Total(op)
	t0 := time.Now()
	if prof != nil {
		prof.StartCPU(ctx, pick(e, 4*time.Second, 9*time.Second))
	}
	if w.WaitTotal(ctx, op, n, 2*time.Minute).IsZero() {
		return nil, fmt.Errorf("not all %d results within 2 minutes", n)
	}
	cpu1, ok1 := harness.ProcCPU(pid)
	if prof != nil {
		if err := prof.Finish(ctx); err != nil {
			return nil, err
		}
		e.logf("cpu: profiles in %s", e.o.Profile)
	}
	jobsDone := w.Total(op) - got0
	el := time.Since(t0)
	if !ok0 || !ok1 || jobsDone <= 0 {
		return nil, fmt.Errorf("no CPU figures for the worker (/proc)")
	}
	perJob := time.Duration((cpu1 - cpu0) / float64(jobsDone) * float64(time.Second))
	pair, err := rsaPairCPU(c.KeysDir)
	if err != nil {
		return nil, err
	}
	signer := "Go signer"
	if e.o.WorkerTags != "" {
		signer = "worker built with -tags " + e.o.WorkerTags
	}
	e.logf("cpu: %d jobs in %s, worker %.2f s CPU: %s per job; RSA pair %s; ratio %.2f", jobsDone, el.Round(time.Millisecond), cpu1-cpu0, perJob, pair, float64(perJob)/float64(pair))
	return []perfLine{
		{"5 CPU", fmt.Sprintf("1 worker (%s), %d busifavor.use jobs (%.0f/s): worker CPU per job", signer, jobsDone, float64(jobsDone)/el.Seconds()), fmt.Sprintf("%.3f ms", float64(perJob)/1e6), ""},
		{"5 CPU", "  one SDK RSA-2048 sign + verify, same run", fmt.Sprintf("%.3f ms", float64(pair)/1e6), ""},
		{"5 CPU", "  ratio", fmt.Sprintf("%.2f×", float64(perJob)/float64(pair)), "≤ 1.15×"},
	}, nil
}

// rsaPairCPU is the CPU time of one SHA256-RSA2048 sign (wechatpay-go's
// utils.SignSHA256WithRSA, as the client signs) plus one verify, with the
// sandbox merchant's key, averaged over many in this process.
func rsaPairCPU(keysDir string) (time.Duration, error) {
	_, files, err := sandbox.GenerateMerchant(filepath.Join(keysDir, harness.MchID), harness.MchID)
	if err != nil {
		return 0, err
	}
	m, err := wechat.LoadMerchant(files)
	if err != nil {
		return 0, err
	}
	key := m.PrivateKey
	message := "POST\n/v3/marketing/busifavor/coupons/use\n1700000000\n0123456789abcdef0123456789abcdef\n{\"coupon_code\":\"x\"}\n"
	const n = 1000
	start := selfCPU()
	for range n {
		sig, err := utils.SignSHA256WithRSA(message, key)
		if err != nil {
			return 0, err
		}
		raw, _ := base64.StdEncoding.DecodeString(sig)
		sum := sha256.Sum256([]byte(message))
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], raw); err != nil {
			return 0, err
		}
	}
	return (selfCPU() - start) / n, nil
}

// selfCPU is this process's user+system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perfFleet8 (target 6): the ratelimit benchmark's busifavor.use row with 8
// workers at 500/s.
func perfFleet8(ctx context.Context, e *perfEnv) ([]perfLine, error) {
	o, err := ratebench.ParseOptions(nil, os.Stderr)
	if err != nil {
		return nil, err
	}
	o.SandboxNice = e.o.SandboxNice
	o.Scenarios = []string{ratebench.ScenarioBusifavor}
	o.BusifavorWorkers = []int{8}
	if e.o.Quick {
		o.Warmup, o.BusifavorWindow = 3*time.Second, 8*time.Second
	}
	rows := ratebench.PlanRows(o)
	dir, err := e.dir("fleet8")
	if err != nil {
		return nil, err
	}
	res := ratebench.RunRow(ctx, e.g, e.bins, dir, o, rows[0])
	if res.Err != nil {
		return nil, res.Err
	}
	u := res.Achieved() / float64(res.Configured)
	e.logf("fleet8: %.2f/s (%s), max %d in 1 s, %d 429s, machine %.2f of %d cores", res.Achieved(), harness.Pct(u), res.Stats.MaxAcceptedPerSecond, res.Stats.Status429, res.CPU.Machine, res.CPU.Cores)
	return []perfLine{
		{"6 fleet", "8 workers, busifavor.use 500/s: achieved / utilization", fmt.Sprintf("%.2f/s = %s", res.Achieved(), harness.Pct(u)), "≥ 97%"},
		{"6 fleet", "  most accepted in any 1 s / 429s", fmt.Sprintf("%d / %s", res.Stats.MaxAcceptedPerSecond, harness.Share(res.Stats.Status429, res.Stats.Requests)), "≤ 500 / 0"},
		{"6 fleet", "  CPU busy (machine) / workers (sum) / sandbox / nats-server", fmt.Sprintf("%.2f of %d / %.2f / %.2f / %.2f", res.CPU.Machine, res.CPU.Cores,
			res.CPU.Sum(res.PIDs.Workers...), res.CPU.Sum(res.PIDs.Sandbox), res.CPU.Sum(res.PIDs.NATS)), ""},
	}, nil
}
