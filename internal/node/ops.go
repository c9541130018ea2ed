package node

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/couponq/couponq/internal/metrics"
	"github.com/couponq/couponq/internal/opshttp"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/marketing"
)

// newMetrics builds the node's Prometheus registry and metrics, labelled
// by the configured job types and merchant accounts only. The fleet gauges
// read the node's Snapshot and Ready at scrape time.
func (rt *Node) newMetrics() error {
	reg := metrics.NewRegistry()
	types := make([]string, 0, 4)
	for _, op := range marketing.Operations() {
		types = append(types, string(op))
	}
	mchids := make([]string, 0, len(rt.cfg.Merchants))
	for _, m := range rt.cfg.Merchants {
		mchids = append(mchids, m.MchID)
	}
	build := metrics.ReadBuildInfo()
	build.Signer = wechat.SignerBackend()
	m, err := metrics.New(reg, metrics.Config{
		Build: build, Types: types, Merchants: mchids,
		Source: rt, Ready: rt.Ready,
	})
	if err != nil {
		return err
	}
	rt.Registry, rt.Metrics = reg, m
	return nil
}

// observeAPI feeds the API latency histogram from the client.
func (rt *Node) observeAPI(op marketing.Operation, status int, d time.Duration) {
	rt.Metrics.APICall(string(op), metrics.StatusClass(status), d.Seconds())
}

// serveOps starts the operations HTTP server on http.listen (if set). An
// address already in use (a second worker on one machine) is a warning,
// not a failure: the worker runs without it.
func (rt *Node) serveOps(gatherer prometheus.Gatherer) error {
	addr := rt.cfg.HTTP.ListenAddr()
	if addr == "" {
		return nil
	}
	srv, err := opshttp.New(opshttp.Config{
		Clock:  rt.Clock,
		Listen: addr, Gatherer: gatherer, Local: rt.Metrics.Local(), Source: rt.Metrics, Ready: rt.Ready,
		Pprof: rt.cfg.HTTP.Pprof, Version: metrics.ReadBuildInfo().Version, Logger: rt.log.Named("http"),
	})
	if err != nil {
		return err
	}
	if err := srv.Start(context.Background()); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			rt.log.Warn("http.listen address in use (another worker on this machine?): running without metrics, health and dashboard",
				zap.String("listen", addr))
			return nil
		}
		return err
	}
	rt.HTTP = srv
	rt.closers = append(rt.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return nil
}
