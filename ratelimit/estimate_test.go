package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSlotsAreCountedPerSecond(t *testing.T) {
	g := grant{first: 10 * sec, step: sec / 100, n: 3}
	win, n, prev := countAfter(state{TAT: 5 * sec, Win: 2 * sec, WinN: 40, PrevN: 7}, 10*sec, g)
	require.Equal(t, []any{10 * sec, uint64(3), uint64(0)}, []any{win, n, prev},
		"last slot 5 s ago: the API's window is empty, counting starts afresh")

	win, n, prev = countAfter(state{TAT: 10*sec - sec/2, Win: 9*sec + sec/2, WinN: 40, PrevN: 7}, 10*sec, g)
	require.Equal(t, []any{9*sec + sec/2, uint64(43), uint64(7)}, []any{win, n, prev}, "the same second")

	win, n, prev = countAfter(state{TAT: 10*sec - sec/2, Win: 9 * sec, WinN: 40, PrevN: 7}, 10*sec, g)
	require.Equal(t, []any{10 * sec, uint64(3), uint64(40)}, []any{win, n, prev}, "the next second")
}

// 200/s configured, the API accepts 120 in its sliding second: the first
// 429 of a burst comes after 120 accepted requests, 0.6 s in.
func TestFirstCutOfABurstIsTheMeasuredRate(t *testing.T) {
	a := defaultAIMD()
	const limit, headroom = 200.0, DefaultHeadroom
	iv := interval(rate(limit, headroom, 1))
	busy := 100 * sec
	sent := int64(121) // 120 accepted, the 121st refused
	ahead := int64(25) // reserved within the horizon, not yet due
	now := busy + (sent-1)*iv + iv/2
	st := state{TAT: busy + (sent+ahead)*iv, Win: busy, WinN: uint64(sent + ahead)}

	f, ok := a.measured(st, now, limit, headroom)
	require.True(t, ok)
	require.InDelta(t, 0.6, f, 1e-9, "120 accepted in one window: 120/s of 200")

	next, ok := a.cutAt(st, now, limit, headroom)
	require.True(t, ok)
	require.InDelta(t, 0.6, next.WMax, 1e-9, "the plateau is the measured rate")
	require.InDelta(t, 0.6*a.measuredBeta, a.budget(next, now), 1e-9, "held just under it")
	require.Equal(t, busy+int64(apiWindow), next.TAT, "nothing until the window has room again")
	require.Equal(t, next.TAT, next.Void, "slots reserved before the cut up to then are void")
	require.Equal(t, now, next.Cut)

	// The next 429 of the same busy period is an ordinary cut.
	later := busy + int64(apiWindow) + 2*sec
	again, ok := a.cutAt(next, later, limit, headroom)
	require.True(t, ok)
	require.Zero(t, again.Void)
	require.InDelta(t, a.budget(next, later), again.WMax, 1e-12)
}

func TestEstimateIsBoundedAndOnlyReadWhenItMeansSomething(t *testing.T) {
	a := defaultAIMD()
	const limit, headroom = 200.0, DefaultHeadroom
	iv := interval(rate(limit, headroom, 1))
	busy := 100 * sec

	// 10 accepted before the 429: the estimate (5%) is held at half the
	// budget; the rest is left to ordinary cuts.
	st := state{TAT: busy + 11*iv, Win: busy, WinN: 11}
	next, ok := a.cutAt(st, busy+10*iv+iv/2, limit, headroom)
	require.True(t, ok)
	require.InDelta(t, estimateFloor, next.WMax, 1e-9)

	// Counts older than the window say nothing about it: ordinary cut.
	st = state{TAT: busy + 400*iv, Win: busy, WinN: 400}
	next, ok = a.cutAt(st, busy+399*iv, limit, headroom)
	require.True(t, ok)
	require.InDelta(t, 1.0, next.WMax, 1e-12)
	require.Zero(t, next.Void)

	// Half of the previous second is still in the window: 60 of its 120
	// and 61 sent in this half, the last refused: 120/s. A big drop: the
	// slots ahead are void, but the pace stays (the window's oldest
	// requests are leaving now).
	st = state{TAT: busy + sec/2 + 10*iv, Win: busy, WinN: 61 + 9, PrevN: 120} // 9 ahead
	next, ok = a.cutAt(st, busy+sec/2, limit, headroom)
	require.True(t, ok)
	require.InDelta(t, 0.6, next.WMax, 1e-9)
	require.Equal(t, st.TAT, next.TAT)
	require.Equal(t, st.TAT, next.Void)

	// 194 accepted in 0.99 s: close to the configured limit, and still
	// the better plateau; not a big drop: no slot is void.
	st = state{TAT: busy + 195*iv, Win: busy, WinN: 195}
	next, ok = a.cutAt(st, busy+194*iv+iv/2, limit, headroom)
	require.True(t, ok)
	require.InDelta(t, 0.97, next.WMax, 1e-12)
	require.Zero(t, next.Void)
	require.Equal(t, st.TAT, next.TAT)

	// The very first request refused: nothing accepted, nothing to read.
	_, ok = a.measured(state{TAT: busy + iv, Win: busy, WinN: 1}, busy+iv/2, limit, headroom)
	require.False(t, ok)
}

// The fleet side: a 429 early in a burst sets the measured rate for every
// limiter, and slots they reserved before it at the old pace are refused
// (nothing sent with them) until the API's window has room again.
func TestEstimatedCutVoidsSlotsReservedBeforeIt(t *testing.T) {
	b := setup(t)
	fc := newFakeClock()
	mod := func(c *Config) {
		c.Clock = fc
		c.Limits["busifavor.use"] = 100
	}
	l, other := b.limiter(t, "w1", mod), b.limiter(t, "w2", mod)
	key := Key{MchID: "1900000001", Type: "busifavor.use"}

	// 71 requests at the full pace; the API accepted 70.
	var first int64
	for i := range 71 {
		s, err := l.Reserve(b.ctx, key)
		require.NoError(t, err)
		if i == 0 {
			first = s.at
		}
		fc.Advance(max(s.Due(), 0))
		require.NoError(t, s.Wait(b.ctx))
	}
	ahead, err := l.Reserve(b.ctx, key)
	require.NoError(t, err)
	theirs, err := other.Reserve(b.ctx, key)
	require.NoError(t, err)
	require.Less(t, theirs.at, first+int64(apiWindow))

	l.Throttled(b.ctx, key)
	ks, _ := statsFor(l, key)
	// Within a few requests of 70 (the server-clock estimates move by
	// fractions of a millisecond, so a slot due about now counts as sent or
	// not): well above the ordinary cut's 85 and the floor's 50.
	mb := defaultAIMD().measuredBeta
	require.InDelta(t, 68*mb, ks.Budget, 3*mb, "held just under the 70/s the API accepted")
	require.Eventually(t, func() bool {
		ks, ok := statsFor(other, key)
		return ok && ks.Cuts == 1
	}, 10*time.Second, 10*time.Millisecond, "the other worker sees the cut")

	fc.Advance(max(ahead.Due(), 0))
	_, safe := ahead.Late()
	require.False(t, safe, "a void slot is never safe to send with")
	require.ErrorIs(t, ahead.Wait(b.ctx), ErrSlotMissed)
	fc.Advance(max(theirs.Due(), 0))
	require.ErrorIs(t, theirs.Wait(b.ctx), ErrSlotMissed)

	fc.Advance(time.Duration(first+int64(apiWindow)-l.clk.now()) - 100*time.Millisecond)
	s, err := l.Reserve(b.ctx, key)
	require.NoError(t, err)
	require.GreaterOrEqual(t, s.at, first+int64(apiWindow), "the next slot waits for the window")
	s.Release()
	ks, _ = statsFor(l, key)
	require.Equal(t, uint64(1), ks.Voided)
}

// Slots granted but never sent come off the counts they were counted in.
func TestUnsentSlotsAreTakenOffTheCounts(t *testing.T) {
	st := state{Win: 10 * sec, WinN: 50, PrevN: 40}
	st = uncount(st, []int64{10*sec + sec/2, 9*sec + sec/2, 8 * sec, 10 * sec})
	require.Equal(t, uint64(48), st.WinN, "two of this second")
	require.Equal(t, uint64(39), st.PrevN, "one of the previous; one too old for either")
}

// A voided slot is never slid: its replacement would move the pace back
// into the void span.
func TestVoidedSlotDoesNotSlide(t *testing.T) {
	iv := interval(rate(200, DefaultHeadroom, 1))
	c := stateCache{known: true, exists: true, st: state{TAT: 10*sec + iv, Cut: 9 * sec, Void: 11 * sec}}
	require.False(t, lastSlot(c, 10*sec, iv), "void: between the cut and the pace it set")
	c.st.Void = 0
	require.True(t, lastSlot(c, 10*sec, iv), "the same slot without the cut's void")
}
