package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBudgetWithoutCutIsFull(t *testing.T) {
	require.Equal(t, 1.0, defaultAIMD().budget(state{TAT: 5}, 10*sec))
}

func TestThrottleCutsThenProbesBackUp(t *testing.T) {
	a := defaultAIMD()
	const limit = 500.0
	start := 100 * sec
	hold := int64(a.hold)
	st, ok := a.throttle(state{TAT: start - sec}, start, limit)
	require.True(t, ok)
	require.Equal(t, uint64(1), st.Cuts)
	require.Equal(t, start-sec, st.TAT, "a cut does not move the tat")
	require.Equal(t, 1.0, st.WMax)
	require.Equal(t, int64(a.minK), st.K, "600 requests at 500/s take 1.2 s: clamped to minK")

	require.InDelta(t, 0.85, a.budget(st, start), 1e-12, "×0.85 at once")
	require.InDelta(t, 0.85, a.budget(st, start+hold-1), 1e-12, "held for one hold period")
	require.InDelta(t, 0.85, a.budget(st, start+hold), 1e-12, "then the climb starts")
	// Concave: 1 - 0.15/8 of the way back after K/2.
	require.InDelta(t, 1-0.15/8, a.budget(st, start+hold+st.K/2), 1e-9)
	require.InDelta(t, 1.0, a.budget(st, start+hold+st.K), 1e-12, "back at the ceiling after hold+K")

	// A second cut during the climb remembers where the 429 came.
	at := start + hold + st.K/2
	st2, ok := a.throttle(st, at, limit)
	require.True(t, ok)
	require.InDelta(t, 1-0.15/8, st2.WMax, 1e-9)
	require.InDelta(t, 0.85*(1-0.15/8), a.budget(st2, at), 1e-9)
}

// 429s that persist after the hold cut the budget by β each time, not by
// what little the probe had regained.
func TestPersistent429sFallGeometrically(t *testing.T) {
	a := defaultAIMD()
	st := state{}
	for i := range 10 {
		var ok bool
		st, ok = a.throttle(st, 100*sec+int64(i)*int64(a.hold), 500)
		require.True(t, ok)
	}
	require.InDelta(t, 0.1969, a.budget(st, st.Cut), 1e-4, "0.85^10")
}

func TestThrottleOncePerHold(t *testing.T) {
	a := defaultAIMD()
	st, ok := a.throttle(state{}, 10*sec, 500)
	require.True(t, ok)
	for _, dt := range []int64{0, ms, 999 * ms, -5 * ms} {
		_, ok := a.throttle(st, 10*sec+dt, 500)
		require.False(t, ok, "429 %v after the cut belongs to the same burst", time.Duration(dt))
	}
	st2, ok := a.throttle(st, 11*sec, 500)
	require.True(t, ok)
	require.Equal(t, uint64(2), st2.Cuts)
}

func TestProbeBeyondCeilingAndFloor(t *testing.T) {
	a := defaultAIMD()
	const limit = 100.0
	hold := int64(a.hold)
	// A 429 exactly hold+K after an earlier cut at 0.6 finds the budget at 0.6.
	st, ok := a.throttle(state{Cut: 7 * sec, WMax: 0.6, K: 2 * sec}, 7*sec+hold+2*sec, limit)
	require.True(t, ok)
	require.InDelta(t, 0.6, st.WMax, 1e-9)
	require.InDelta(t, 0.51, a.budget(st, st.Cut), 1e-9)
	require.InDelta(t, float64(10000*time.Millisecond), float64(st.K), float64(ms), "600 requests at 60/s")

	// Convex beyond the ceiling: 0.6 × (1 + 0.15 × ((t-c-hold)/K - 1)³).
	require.InDelta(t, 0.69, a.budget(st, st.Cut+hold+2*st.K), 1e-9)
	// It reaches 1 when ((t-c-hold)/K - 1)³ = (1/0.6 - 1)/0.15, i.e. after about 2.65 K.
	require.Less(t, a.budget(st, st.Cut+hold+st.K*26/10), 1.0)
	require.Equal(t, 1.0, a.budget(st, st.Cut+hold+st.K*27/10), "never above the configured limit")

	// The budget never falls below the floor, however many cuts.
	low := state{}
	for i := range 40 {
		low, _ = a.throttle(low, int64(i+1)*hold, limit)
	}
	require.Equal(t, a.floor, a.budget(low, low.Cut))
	require.Equal(t, int64(a.maxK), low.K, "600 requests at the 5/s floor: clamped to maxK")
}

func TestRateIsHeadroomTimesBudget(t *testing.T) {
	require.InDelta(t, 492.5, rate(500, 0.985, 1), 1e-9)
	require.InDelta(t, 0.985*20*0.8, rate(20, 0.985, 0.8), 1e-9)
}
