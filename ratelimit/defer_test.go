package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A caller of a slow key whose next slot is far is sent away at once with
// the time to come back, and nothing is reserved for it; coming back then,
// it gets the slot, paced as before.
func TestReserveOrDeferSendsAFarCallerAway(t *testing.T) {
	b := setup(t)
	fc := newFakeClock()
	l := b.limiter(t, "w1", func(c *Config) {
		c.Clock = fc
		c.Limits = map[string]float64{"busifavor.use": 0.25}
	})
	key := Key{MchID: "1900000001", Type: "busifavor.use"}
	q, err := l.queue(key)
	require.NoError(t, err)

	first, later, err := l.ReserveOrDefer(b.ctx, key, 0)
	require.NoError(t, err)
	require.NotNil(t, first, "a new key's first slot is near")
	require.Zero(t, later)
	require.NoError(t, first.Wait(b.ctx))

	none, later, err := l.ReserveOrDefer(b.ctx, key, 0)
	require.NoError(t, err)
	require.Nil(t, none, "the next slot is four seconds away")
	iv := interval(rate(0.25, DefaultHeadroom, 1))
	want := time.Duration(iv) - horizon
	require.InDelta(t, float64(want), float64(later), float64(batchSpan+time.Millisecond))
	require.Eventually(t, func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.waiting == 0 && len(q.queue) == 0 && len(q.pool) == 0
	}, 5*time.Second, time.Millisecond, "nothing held for the deferred caller")

	fc.Advance(later)
	next, later, err := l.ReserveOrDefer(b.ctx, key, 0)
	require.NoError(t, err)
	require.NotNil(t, next, "back when the slot may be reserved")
	require.Zero(t, later)
	require.GreaterOrEqual(t, next.at-first.at, iv)
	next.Release()
}

// The driver sends a deferrable caller away when its reservation finds the
// horizon full (another process took the slot the cached state showed),
// while a plain Reserve keeps waiting.
func TestDriverDefersOnlyDeferrableWaiters(t *testing.T) {
	b := setup(t)
	cfg := func(c *Config) { c.Limits = map[string]float64{"busifavor.use": 0.25} }
	l1 := b.limiter(t, "w1", cfg)
	l2 := b.limiter(t, "w2", cfg)
	key := Key{MchID: "1900000001", Type: "busifavor.use"}

	held, err := l1.Reserve(b.ctx, key)
	require.NoError(t, err)
	defer held.Release()

	// w2 has never seen the key: it must ask its driver, which finds the
	// next slot four seconds away.
	s, later, err := l2.ReserveOrDefer(b.ctx, key, 0)
	require.NoError(t, err)
	require.Nil(t, s)
	require.GreaterOrEqual(t, later, deferAfter)
	q2, err := l2.queue(key)
	require.NoError(t, err)
	q2.mu.Lock()
	require.Empty(t, q2.pool, "nothing reserved for the deferred caller")
	q2.mu.Unlock()

	start := time.Now()
	s, err = l2.Reserve(b.ctx, key)
	require.NoError(t, err)
	require.Greater(t, time.Since(start), 500*time.Millisecond, "a plain Reserve waits for the slot")
	s.Release()
}
