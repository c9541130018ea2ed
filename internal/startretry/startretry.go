// Package startretry retries what a worker needs at start — connecting to
// NATS, creating streams, consumers and buckets — with exponential backoff,
// logging every failed try, until it succeeds, ctx ends or an optional
// give-up time passes. A worker started before NATS, or with several others
// on a cluster still electing its leaders, waits instead of exiting.
package startretry

import (
	"context"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.uber.org/zap"
)

// Backoff bounds between tries.
const (
	firstWait = 250 * time.Millisecond
	maxWait   = 5 * time.Second
	// tryTimeout bounds one try, so a request lost in a leader election
	// is tried again rather than waited on.
	tryTimeout = 10 * time.Second
)

// Do calls fn until it returns nil. giveUp > 0 bounds the whole effort
// (the last error is returned, wrapped with what); 0 retries until ctx
// ends. Every failed try is logged at warn level with its attempt number
// and the wait before the next.
func Do(ctx context.Context, log *zap.Logger, what string, giveUp time.Duration, fn func(context.Context) error) error {
	if log == nil {
		log = zap.NewNop()
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = firstWait
	bo.MaxInterval = maxWait
	bo.MaxElapsedTime = 0
	bo.Reset()
	start := time.Now()
	for try := 1; ; try++ {
		tctx, cancel := context.WithTimeout(ctx, tryTimeout)
		err := fn(tctx)
		cancel()
		if err == nil {
			if try > 1 {
				log.Info("start: succeeded after retrying", zap.String("what", what), zap.Int("tries", try),
					zap.Duration("after", time.Since(start).Round(time.Millisecond)))
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w (stopped: %w)", what, err, ctx.Err())
		}
		wait := bo.NextBackOff()
		if giveUp > 0 && time.Since(start)+wait > giveUp {
			return fmt.Errorf("%s: giving up after %d tries over %s (nats.connect_timeout): %w", what, try, time.Since(start).Round(time.Millisecond), err)
		}
		log.Warn("start: not ready yet; retrying", zap.String("what", what), zap.Int("try", try),
			zap.Duration("retry_in", wait.Round(time.Millisecond)), zap.Error(err))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w (stopped: %w)", what, err, ctx.Err())
		}
	}
}
