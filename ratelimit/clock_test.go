package ratelimit

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The estimate is within rtt/2 of the true offset whatever the split of the
// round trip between the two directions, and the smallest round trip wins.
func TestOffsetEstimateErrorIsAtMostHalfTheRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const trueOffset = 1_700_000_000 * sec // server is ahead by ~54 years of ns
	e := newOffsetEstimator()
	var best int64 = 1 << 62
	for i := range 16 {
		t0 := int64(i) * sec
		up := rng.Int64N(3*ms) + 100_000   // local send → server stamp
		down := rng.Int64N(3*ms) + 100_000 // server stamp → local ack
		ts := t0 + up + trueOffset
		t1 := t0 + up + down
		s := newClockSample(t0, t1, ts)
		errAbs := s.offset - trueOffset
		if errAbs < 0 {
			errAbs = -errAbs
		}
		require.LessOrEqual(t, errAbs, s.rtt/2)
		require.False(t, e.add(s), "consistent samples never reset")
		best = min(best, s.rtt)
	}
	b, ok := e.best()
	require.True(t, ok)
	require.Equal(t, best, b.rtt)
}

func TestOffsetEstimatorResetsWhenReferenceMoves(t *testing.T) {
	e := newOffsetEstimator()
	require.False(t, e.add(clockSample{offset: 1000 * ms, rtt: 1 * ms}))
	require.False(t, e.add(clockSample{offset: 1000*ms + 2*ms, rtt: 4 * ms}), "overlapping error intervals")
	// The stream leader moved to a host whose clock is 20 ms ahead.
	require.True(t, e.add(clockSample{offset: 1020 * ms, rtt: 3 * ms}))
	b, _ := e.best()
	require.Equal(t, 1020*ms, b.offset, "old samples dropped, even the one with the better round trip")
}

func TestOffsetEstimatorForgetsOldSamples(t *testing.T) {
	e := newOffsetEstimator()
	e.add(clockSample{offset: 0, rtt: 100_000})
	for range e.keep {
		e.add(clockSample{offset: 500_000, rtt: 2 * ms})
	}
	b, _ := e.best()
	require.Equal(t, int64(2*ms), b.rtt, "a good sample ages out after keep samples (drift)")
}

func TestServerClockUsesMonotonicLocalTime(t *testing.T) {
	fc := newFakeClock()
	c := newServerClock(fc)
	fc.Advance(10 * time.Millisecond)
	c.add(int64(10*time.Millisecond), int64(12*time.Millisecond), 5_000*sec)
	require.Equal(t, 5_000*sec-ms, c.now(), "offset = ts - midpoint; now is the 10 ms reading")
	require.Equal(t, time.Millisecond, c.uncertainty())
	fc.Advance(time.Second)
	require.Equal(t, 5_001*sec-ms, c.now())
}

// fakeClock is a Clock whose time moves only by Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	ch      chan time.Time
	stopped bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		t.stopped = true
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves time forward by d and fires the timers that came due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			t.ch <- c.now
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// Pending returns how many timers are armed.
func (c *fakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

// NextIn is how far ahead the earliest armed timer fires (false: none).
func (c *fakeClock) NextIn() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next time.Time
	for _, t := range c.timers {
		if !t.stopped && (next.IsZero() || t.at.Before(next)) {
			next = t.at
		}
	}
	return next.Sub(c.now), !next.IsZero()
}
