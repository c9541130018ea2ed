package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestIntervalNeverExceedsRate(t *testing.T) {
	for _, r := range []float64{492.5, 19.7, 1, 0.05, 333.3333} {
		iv := interval(r)
		require.GreaterOrEqual(t, float64(iv)*r, float64(time.Second), "rate %v", r)
		require.Less(t, float64(iv-1)*r, float64(time.Second), "rate %v: rounded up by more than 1ns", r)
	}
}

func TestHorizonAndBatchCap(t *testing.T) {
	require.Equal(t, 12, batchCap(interval(492.5)), "25 ms at 492.5/s")
	require.Equal(t, 1, batchCap(interval(20)))
}

func TestReserve(t *testing.T) {
	const iv, hz = 2 * ms, 250 * ms
	now := 1_000 * sec

	t.Run("idle key starts now", func(t *testing.T) {
		g, tat, retry := reserve(now-5*sec, now, iv, hz, 3)
		require.Equal(t, grant{first: now, step: iv, n: 3}, g)
		require.Equal(t, now+3*iv, tat)
		require.Zero(t, retry)
	})
	t.Run("busy key continues at tat", func(t *testing.T) {
		g, tat, _ := reserve(now+10*ms, now, iv, hz, 4)
		require.Equal(t, []int64{now + 10*ms, now + 12*ms, now + 14*ms, now + 16*ms},
			[]int64{g.slot(0), g.slot(1), g.slot(2), g.slot(3)})
		require.Equal(t, now+18*ms, tat)
	})
	t.Run("no slot beyond the horizon", func(t *testing.T) {
		g, tat, _ := reserve(now+246*ms, now, iv, hz, 10)
		require.Equal(t, 3, g.n, "slots at +246, +248, +250 ms")
		require.Equal(t, now+252*ms, tat)
	})
	t.Run("full horizon: retry when the tat is one horizon away", func(t *testing.T) {
		g, tat, retry := reserve(now+300*ms, now, iv, hz, 10)
		require.Zero(t, g.n)
		require.Equal(t, now+300*ms, tat)
		require.Equal(t, now+50*ms, retry)
	})
	t.Run("consecutive reservations by different reservers never overlap", func(t *testing.T) {
		tat := now
		var slots []int64
		for i, clockErr := range []int64{0, 3 * ms, -1 * ms, 0, 5 * ms} {
			g, next, _ := reserve(tat, now+clockErr+int64(i)*ms, iv, hz, 5)
			for j := range g.n {
				slots = append(slots, g.slot(j))
			}
			tat = next
		}
		for i := 1; i < len(slots); i++ {
			require.GreaterOrEqual(t, slots[i]-slots[i-1], int64(iv), "slots %d and %d", i-1, i)
		}
	})
}
