package ratelimit

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A caller with a backlog takes its next slots in one compare-and-set; the
// pooled ones follow the pace and cost no round trip.
func TestReserveAheadPoolsTheNextSlots(t *testing.T) {
	b := setup(t)
	fc := newFakeClock()
	l := b.limiter(t, "w1", func(c *Config) { c.Clock = fc })
	key := Key{MchID: "1900000001", Type: "busifavor.use"} // 500/s: 12 slots per 25 ms

	var slots []int64
	for i := range 6 {
		s, err := l.ReserveAhead(b.ctx, key, 5-i)
		require.NoError(t, err)
		slots = append(slots, s.at)
		fc.Advance(max(s.Due(), 0))
		require.NoError(t, s.Wait(b.ctx))
	}
	ks, _ := statsFor(l, key)
	require.Equal(t, uint64(1), ks.Reservations, "one compare-and-set for six slots")
	require.Equal(t, uint64(6), ks.Slots)
	iv := interval(rate(500, DefaultHeadroom, 1))
	for i := 1; i < len(slots); i++ {
		require.Equal(t, iv, slots[i]-slots[i-1], "evenly paced")
	}

	// Without a backlog each slot is its own reservation, as before.
	for range 2 {
		s, err := l.Reserve(b.ctx, key)
		require.NoError(t, err)
		fc.Advance(max(s.Due(), 0))
		require.NoError(t, s.Wait(b.ctx))
	}
	ks, _ = statsFor(l, key)
	require.Equal(t, uint64(3), ks.Reservations)
	require.Equal(t, uint64(8), ks.Slots)
}
