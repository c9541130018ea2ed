package ratelimit

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A slow key's driver that has to wait for its next slot to come within
// reach parks on a timer instead of sleeping in its goroutine; the caller
// still gets the slot, paced as before.
func TestSlowKeyDriverParksAndStillServesTheNextSlot(t *testing.T) {
	b := setup(t)
	fc := newFakeClock()
	l := b.limiter(t, "w1", func(c *Config) {
		c.Clock = fc
		c.Limits = map[string]float64{"busifavor.use": 1}
	})
	key := Key{MchID: "1900000001", Type: "busifavor.use"}

	// Hold the one slot that fits in the horizon at 1/s, so the next is
	// out of reach.
	first, err := l.Reserve(b.ctx, key)
	require.NoError(t, err)
	got := make(chan *Slot, 1)
	go func() {
		s, err := l.Reserve(b.ctx, key)
		if err != nil {
			s = nil
		}
		got <- s
	}()

	q, err := l.queue(key)
	require.NoError(t, err)
	parked := func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.unpark != nil && len(q.queue) == 1
	}
	require.Eventually(t, parked, 5*time.Second, time.Millisecond, "the driver parks while the caller waits")

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case s := <-got:
			require.NotNil(t, s, "the parked driver came back and served the caller")
			iv := interval(rate(1, DefaultHeadroom, 1))
			require.GreaterOrEqual(t, s.at-first.at, iv, "paced one interval after the slot held")
			first.Release()
			s.Release()
			return
		default:
		}
		if d, ok := fc.NextIn(); ok {
			fc.Advance(d) // the parked driver's timer (and any short sleep after it)
		}
		runtime.Gosched()
	}
	t.Fatal("no slot within 10s")
}
