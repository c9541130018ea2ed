package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// 429s in a row with no accepted answer put the key into a storm for the
// whole fleet (probe budget); the first accepted answer anywhere ends it and
// restores the full budget.
func TestStormProbesUntilTheAPIAcceptsAgain(t *testing.T) {
	b := setup(t)
	fc := newFakeClock()
	l := b.limiter(t, "w1", func(c *Config) { c.Clock = fc })
	other := b.limiter(t, "w2", nil)
	key := Key{MchID: "1900000001", Type: "busifavor.use"}
	_, err := l.Wait(b.ctx, key)
	require.NoError(t, err)
	_, err = other.Wait(b.ctx, key)
	require.NoError(t, err)

	budget := func(l *Limiter) float64 {
		ks, _ := statsFor(l, key)
		return ks.Budget / ks.Limit
	}
	a := defaultAIMD()
	for i := range a.stormRun {
		l.Throttled(b.ctx, key)
		if i < a.stormRun-1 {
			require.Greater(t, budget(l), a.probe, "no storm before %d 429s over %s", a.stormRun, a.stormSpan)
		}
		fc.Advance(a.stormSpan/time.Duration(a.stormRun-1) + time.Millisecond)
	}
	require.Eventually(t, func() bool { return budget(other) == a.probe }, 10*time.Second, 5*time.Millisecond,
		"the other worker sees the storm")

	other.Accepted(b.ctx, key)
	require.Eventually(t, func() bool { return budget(l) == 1 }, 10*time.Second, 5*time.Millisecond,
		"one accepted answer ends it for everyone")
}

// An accepted answer between 429s means a lower limit, not a storm.
func TestAcceptedAnswersBetween429sAreNoStorm(t *testing.T) {
	b := setup(t)
	fc := newFakeClock()
	l := b.limiter(t, "w1", func(c *Config) { c.Clock = fc })
	key := Key{MchID: "1900000001", Type: "busifavor.use"}
	_, err := l.Wait(b.ctx, key)
	require.NoError(t, err)
	a := defaultAIMD()
	for range 3 * a.stormRun {
		l.Throttled(b.ctx, key)
		l.Accepted(b.ctx, key)
		fc.Advance(a.stormSpan / time.Duration(a.stormRun))
	}
	ks, _ := statsFor(l, key)
	require.Greater(t, ks.Budget/ks.Limit, a.probe)
}
