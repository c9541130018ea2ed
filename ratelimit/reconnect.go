package ratelimit

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// watchReconnects re-creates the state and members buckets as soon as the
// connection is back after a disconnect, and restarts the watchers. A
// restarted single-replica server has lost both (memory storage); creating
// the state bucket at once, rather than at the first reservation, starts
// the clock of epoch.go early: a key's first slot waits for
// bucket creation + horizon, which has passed by the time most jobs come.
func (l *Limiter) watchReconnects(nc *nats.Conn) {
	defer l.wg.Done()
	ch := nc.StatusChanged(nats.CONNECTED)
	defer nc.RemoveStatusListener(ch)
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-ch:
		}
		ctx, cancel := context.WithTimeout(l.ctx, opTimeout)
		for _, b := range []*bucket{l.state, l.members} {
			if _, err := b.ensure(ctx); err != nil {
				l.log.Debug("re-create KV bucket after reconnect", zap.String("bucket", b.cfg.Bucket), zap.Error(err))
			}
		}
		cancel()
		l.restartWatchers()
	}
}
