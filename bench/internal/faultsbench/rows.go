package faultsbench

import (
	"context"
	"fmt"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"
)

// faultRow is one line of the fault matrix: the processes it needs and the
// fault it injects. inject returns when the fault is over (healed), with a
// note for the table.
type faultRow struct {
	name   string
	env    faultEnvConfig
	inject func(ctx context.Context, e *faultEnv, fo Options) (note string, err error)
}

// faultRows lists every row of the matrix, most valuable first.
func faultRows(fo Options) []faultRow {
	base := faultEnvConfig{natsNodes: 1, workers: 3, ackWait: fo.AckWait, apiTimeout: fo.APITimeout}
	with := func(f func(*faultEnvConfig)) faultEnvConfig {
		c := base
		f(&c)
		return c
	}
	apiFault := func(kind sandbox.FaultKind, count int) func(context.Context, *faultEnv, Options) (string, error) {
		return func(ctx context.Context, e *faultEnv, _ Options) (string, error) {
			return fmt.Sprintf("next %d calls", count), e.admin.Inject(ctx, sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: kind, Count: count})
		}
	}
	return []faultRow{
		{name: "worker-sigkill-one", env: base, inject: func(ctx context.Context, e *faultEnv, _ Options) (string, error) {
			e.kill(e.workers[0])
			return "1 of 3 workers killed, not restarted", nil
		}},
		{name: "worker-sigkill-all", env: base, inject: func(ctx context.Context, e *faultEnv, _ Options) (string, error) {
			for _, w := range e.workers {
				e.kill(w)
			}
			for _, w := range e.workers {
				if err := w.start(e.g); err != nil {
					return "", err
				}
			}
			return "3 of 3 killed, restarted at once", nil
		}},
		{name: "nats-restart", env: base, inject: func(ctx context.Context, e *faultEnv, fo Options) (string, error) {
			n := e.nodes[0]
			n.p.Stop(harness.StopGrace)
			if err := harness.Sleep(ctx, fo.Outage); err != nil {
				return "", err
			}
			if err := n.start(e.g); err != nil {
				return "", err
			}
			return fmt.Sprintf("SIGTERM, down %s, same store", fo.Outage), nil
		}},
		{name: "nats-partition", env: with(func(c *faultEnvConfig) { c.natsProxy = true }), inject: func(ctx context.Context, e *faultEnv, fo Options) (string, error) {
			cut := fo.AckWait + 5*time.Second
			before, err := e.admin.Stats(ctx)
			if err != nil {
				return "", err
			}
			e.natsProxy.setCut(true)
			err = harness.Sleep(ctx, cut)
			after, serr := e.admin.Stats(ctx)
			e.natsProxy.setCut(false)
			if err != nil {
				return "", err
			}
			if serr != nil {
				return "", serr
			}
			calls := after[marketing.OpBusifavorUse].Requests - before[marketing.OpBusifavorUse].Requests
			return fmt.Sprintf("workers cut from NATS %s (ack_wait %s); %d API calls during the cut", cut, fo.AckWait, calls), nil
		}},
		{name: "api-500-before-effect", env: base, inject: apiFault(sandbox.FailBeforeEffect, 40)},
		{name: "api-500-after-effect", env: base, inject: apiFault(sandbox.FailAfterEffect, 40)},
		{name: "api-hang", env: base, inject: apiFault(sandbox.Hang, 6)},
		{name: "probe-signature", env: base, inject: apiFault(sandbox.ProbeSignature, 40)},
		{name: "429-storm", env: base, inject: func(ctx context.Context, e *faultEnv, fo Options) (string, error) {
			old, err := e.admin.Limits(ctx)
			if err != nil {
				return "", err
			}
			low := max(int(fo.Rate/4), 1)
			if _, err := e.admin.SetLimits(ctx, map[marketing.Operation]int{marketing.OpBusifavorUse: low}); err != nil {
				return "", err
			}
			serr := harness.Sleep(ctx, fo.Outage)
			before := old[marketing.OpBusifavorUse]
			if before == 0 {
				before = 500
			}
			if _, err := e.admin.SetLimits(ctx, map[marketing.Operation]int{marketing.OpBusifavorUse: before}); err != nil {
				return "", err
			}
			return fmt.Sprintf("API limit %d/s (load %.0f/s) for %s", low, fo.Rate, fo.Outage), serr
		}},
		{name: "primary-host-down", env: with(func(c *faultEnvConfig) { c.primaryProxy = true }), inject: func(ctx context.Context, e *faultEnv, fo Options) (string, error) {
			e.apiProxy.setCut(true)
			err := harness.Sleep(ctx, fo.Outage)
			e.apiProxy.setCut(false)
			return fmt.Sprintf("primary refuses connections for %s", fo.Outage), err
		}},
		{name: "stream-leader-kill", env: with(func(c *faultEnvConfig) { c.natsNodes = 3 }), inject: func(ctx context.Context, e *faultEnv, fo Options) (string, error) {
			i, err := e.streamLeader(ctx, "COUPONQ_FLOWS")
			if err != nil {
				return "", err
			}
			n := e.nodes[i]
			e.kill(n)
			if err := harness.Sleep(ctx, fo.Outage); err != nil {
				return "", err
			}
			if err := n.start(e.g); err != nil {
				return "", err
			}
			return fmt.Sprintf("SIGKILL of %s (leader of COUPONQ_FLOWS), back after %s", n.name, fo.Outage), nil
		}},
	}
}

// quickRows are the rows of --quick.
var quickRows = []string{"worker-sigkill-one", "worker-sigkill-all", "nats-restart", "nats-partition", "api-500-before-effect", "api-500-after-effect"}

// runFaultRow runs one row on fresh processes: steady load, the fault a
// third into it, then waits for every result.
func runFaultRow(ctx context.Context, g *harness.Group, bins harness.Binaries, dir string, fo Options, r faultRow) (res faultResult) {
	res = faultResult{name: r.name, dir: dir}
	e, err := startFaultEnv(ctx, g, bins, dir, r.env)
	defer func() {
		if e != nil {
			res.rawLogLines = rawLogLines(e)
			e.stop()
		}
	}()
	if err != nil {
		res.err = err
		return res
	}
	t, loadDone, err := startLoad(ctx, e, "F", fo.Rate, fo.Load)
	if err != nil {
		res.err = err
		return res
	}
	defer t.stop()
	if err := harness.Sleep(ctx, fo.Load/3); err != nil {
		res.err = err
		return res
	}
	res.faultAt = time.Now()
	note, err := r.inject(ctx, e, fo)
	res.healedAt = time.Now()
	res.note = note
	if err != nil {
		res.err = err
		return res
	}
	<-loadDone
	t.waitAll(ctx, fo.Drain)
	res.sum = t.summarize(res.healedAt)
	res.crashed = e.crashed()
	if res.effects, err = e.effects(ctx); err != nil {
		res.err = err
	}
	return res
}

// faultResult is one measured row.
type faultResult struct {
	name, dir, note   string
	err               error
	faultAt, healedAt time.Time
	sum               summary
	effects           int
	rawLogLines       int
	crashed           []string // workers that exited on their own
}
