package ratelimit

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// maxInWindow is the most of the ascending times ts in any closed window
// of length w.
func maxInWindow(ts []int64, w int64) int {
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi]-ts[lo] > w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// apiRule is the API's window for a limit: n requests in w (one per
// second at most for a limit below 1/s).
func apiRule(limit float64) (n int, w int64) {
	return max(1, int(limit)), int64(time.Second)
}

func TestLateBoundAtTheDocumentedRates(t *testing.T) {
	for _, c := range []struct {
		limit float64
		want  time.Duration
	}{
		{20, 15228440 * time.Nanosecond},    // 20 × 50.761422 ms − 1 s
		{500, 15228000 * time.Nanosecond},   // 500 × 2.030457 ms − 1 s
		{0.1, 9152284264 * time.Nanosecond}, // 10.152284264 s − 1 s
	} {
		iv := interval(rate(c.limit, DefaultHeadroom, 1))
		require.InDelta(t, float64(c.want), float64(lateBound(c.limit, iv)), float64(2*time.Microsecond), "limit %g", c.limit)
	}
	// A limit the pacing itself cannot keep (1.5/s in whole seconds) still
	// leaves an on-time slot usable.
	require.Positive(t, lateBound(1.5, interval(rate(1.5, DefaultHeadroom, 1))))
}

// Every send less than the bound late, in any pattern, keeps every window
// at the limit; sends at the bound can break it.
func TestLateBoundIsSafeAndTight(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, limit := range []float64{0.1, 1, 2, 7, 20, 100, 500} {
		for _, f := range []float64{1, 0.85, 0.5} { // the budget after cuts
			iv := interval(rate(limit, DefaultHeadroom, f))
			minIV := interval(rate(limit, DefaultHeadroom, 1))
			bound := lateBound(limit, minIV)
			n, w := apiRule(limit)
			slots := 3 * n
			for trial := range 50 {
				sends := make([]int64, slots)
				for k := range sends {
					late := rng.Int64N(bound) // [0, bound)
					if trial%2 == 0 && rng.IntN(2) == 0 {
						late = 0
					}
					sends[k] = int64(k)*iv + late
				}
				slicesSort(sends)
				require.LessOrEqual(t, maxInWindow(sends, w), n, "limit %g budget %g", limit, f)
			}
			if f == 1 {
				// Slots 0..n, those before the bound sent the bound late,
				// the rest on time: all n+1 in one window.
				sends := make([]int64, n+1)
				for k := range sends {
					sends[k] = int64(k) * iv
					if sends[k] < bound {
						sends[k] += bound
					}
				}
				slicesSort(sends)
				require.Equal(t, n+1, maxInWindow(sends, w), "limit %g: the bound is tight", limit)
			}
		}
	}
}

// A slot found later than it may be used fails with ErrSlotMissed, counts
// as missed and grants nothing; one within the bound is used.
func TestSlotTooLateIsMissedNotSent(t *testing.T) {
	b := setup(t)
	fc := newFakeClock()
	l := b.limiter(t, "w1", func(c *Config) {
		c.Clock = fc
		c.Limits["product_coupon.update"] = 20
	})
	var granted []int64
	l.onSlot = func(_ Key, at int64) { granted = append(granted, at) }
	key := Key{MchID: "1900000001", Type: "product_coupon.update"}
	s, err := l.Reserve(b.ctx, key)
	require.NoError(t, err)
	max := time.Duration(s.q.maxLate())
	require.Greater(t, max, 7*time.Millisecond)
	require.Less(t, max, 8*time.Millisecond) // half of 15.2 ms less a loopback round trip
	require.LessOrEqual(t, s.Due(), time.Duration(0), "a fresh key's first slot is due at once")

	// A second slot is reserved behind the first, so the first cannot move.
	next, err := l.Reserve(b.ctx, key)
	require.NoError(t, err)
	fc.Advance(max + time.Millisecond)
	late, safe := s.Late()
	require.False(t, safe)
	require.GreaterOrEqual(t, late, max)
	require.ErrorIs(t, s.Wait(b.ctx), ErrSlotMissed)
	require.Empty(t, granted)

	// The next slot, used within the bound, is granted.
	fc.Advance(next.Due() + max - time.Millisecond)
	_, safe = next.Late()
	require.True(t, safe)
	require.NoError(t, next.Wait(b.ctx))
	require.Len(t, granted, 1)

	// The last slot granted, found late, moves to now instead of being
	// missed: a whole interval would be lost at low rates.
	lone, err := l.Reserve(b.ctx, key)
	require.NoError(t, err)
	was := lone.at
	fc.Advance(lone.Due() + 3*max)
	_, safe = lone.Late()
	require.True(t, safe, "late, but it will slide")
	require.NoError(t, lone.Wait(b.ctx))
	require.Len(t, granted, 2)
	require.Greater(t, granted[1], was+int64(2*max), "used at the moment it was slid to")
	// And the pace goes on from there: the next slot is one interval later.
	after, err := l.Reserve(b.ctx, key)
	require.NoError(t, err)
	require.GreaterOrEqual(t, after.at-granted[1], interval(rate(20, DefaultHeadroom, 1)))
	after.Release()

	ks, _ := statsFor(l, key)
	require.Equal(t, uint64(1), ks.Missed)
	require.Equal(t, uint64(1), ks.Slid)
	require.Equal(t, uint64(2), ks.Waits)
	require.Zero(t, ks.Waiting)
}

func slicesSort(s []int64) { slices.Sort(s) }
