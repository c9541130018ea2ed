package node

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/couponq/couponq/ratelimit"
)

// statsInterval is how often the worker logs its rate-limit view.
const statsInterval = time.Minute

// logLimiterStats logs, every statsInterval until ctx ends, one line per
// (merchant, type) with the fleet budget, the live worker count and the time
// this worker's jobs spent waiting for budget since the previous line.
func logLimiterStats(ctx context.Context, l *ratelimit.Limiter, log *zap.Logger) {
	t := time.NewTicker(statsInterval)
	defer t.Stop()
	prev := map[ratelimit.Key]ratelimit.KeyStats{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s := l.Stats()
		for _, k := range s.Keys {
			p := prev[k.Key]
			waits := k.Waits - p.Waits
			var avg time.Duration
			if waits > 0 {
				avg = (k.WaitTotal - p.WaitTotal) / time.Duration(waits)
			}
			log.Info("rate limit",
				zap.String("mchid", k.Key.MchID), zap.String("type", k.Key.Type),
				zap.Float64("limit", k.Limit), zap.Float64("budget", k.Budget), zap.Float64("paced_rate", k.Rate),
				zap.Int("workers", s.Workers), zap.Uint64("requests", waits), zap.Duration("avg_budget_wait", avg),
				zap.Duration("max_budget_wait_ever", k.WaitMax), zap.Int("waiting_now", k.Waiting),
				zap.Uint64("api_429s", k.Throttled-p.Throttled), zap.Bool("nats_unavailable", k.Unavailable))
			prev[k.Key] = k
		}
	}
}
