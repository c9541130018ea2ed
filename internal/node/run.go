package node

import (
	"context"
	"sync"

	"go.uber.org/zap"
)

// Run runs the limiter and the worker until ctx ends, then shuts the worker
// down gracefully. The limiter outlives the worker, so in-flight jobs can
// still get budget while they finish. ready, when set, is called (in its own
// goroutine) once the worker is starting. Close the Node afterwards: Run and
// Close together finish within worker.shutdown_timeout of ctx ending.
func (rt *Node) Run(ctx context.Context, ready func(*Node)) error {
	lctx, stopLimiter := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := rt.Limiter.Run(lctx); err != nil {
			rt.log.Error("rate limiter stopped", zap.Error(err))
		}
	}()
	go func() {
		defer wg.Done()
		logLimiterStats(lctx, rt.Limiter, rt.log.Named("ratelimit"))
	}()
	if ready != nil {
		go ready(rt)
	}
	stopWatch := context.AfterFunc(ctx, rt.stopping)
	defer stopWatch()
	err := rt.Worker.Run(ctx)
	stopLimiter()
	wg.Wait()
	return err
}
