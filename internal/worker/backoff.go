package worker

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// backoffDelay is the wait before delivery attempt+1: exponential from
// initial, doubling, capped at max, with ±50% jitter (cenkalti/backoff).
// The attempt comes from the delivery count, so no goroutine waits.
func backoffDelay(attempt int, initial, max time.Duration) time.Duration {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = initial
	b.MaxInterval = max
	b.Multiplier = 2
	b.RandomizationFactor = 0.5
	b.MaxElapsedTime = 0
	b.Reset()
	d := b.NextBackOff()
	for i := 1; i < attempt; i++ {
		d = b.NextBackOff()
	}
	return d
}
