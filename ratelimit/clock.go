package ratelimit

import (
	"sync"
	"time"

	"github.com/couponq/couponq/clock"
)

// Clock is the local time source of a Limiter (clock.Clock). Tests inject a
// fake one to control pacing without sleeping; the default is the system
// clock (with its monotonic reading, so steps of the wall clock do not
// disturb pacing).
type Clock = clock.Clock

// Timer is a one-shot timer made by a Clock (clock.Timer).
type Timer = clock.Timer

// clockSample is one NTP-style measurement of the offset between the
// JetStream server's clock and the local monotonic clock: a message was
// published at local t0, acknowledged at local t1, and stored with server
// timestamp ts somewhere in between. Then offset = ts - (t0+t1)/2 and the true
// offset lies within ±rtt/2 of it.
type clockSample struct {
	offset int64 // server ns minus local monotonic ns
	rtt    int64 // ns
}

func newClockSample(t0, t1, ts int64) clockSample {
	return clockSample{offset: ts - (t0+t1)/2, rtt: t1 - t0}
}

// offsetEstimator keeps the last few samples and trusts the one with the
// smallest round trip. A sample whose error interval does not overlap the
// best one's means the reference clock changed (the stream leader moved to a
// host with a different clock): the old samples are dropped at once.
type offsetEstimator struct {
	keep    int   // samples kept
	slack   int64 // ns allowed between error intervals (drift)
	samples []clockSample
}

func newOffsetEstimator() *offsetEstimator {
	return &offsetEstimator{keep: 16, slack: int64(time.Millisecond)}
}

// add records s and reports whether it replaced an inconsistent history.
func (e *offsetEstimator) add(s clockSample) (reset bool) {
	if b, ok := e.best(); ok {
		d := s.offset - b.offset
		if d < 0 {
			d = -d
		}
		if d > (s.rtt+b.rtt)/2+e.slack {
			e.samples = e.samples[:0]
			reset = true
		}
	}
	e.samples = append(e.samples, s)
	if len(e.samples) > e.keep {
		e.samples = append(e.samples[:0], e.samples[len(e.samples)-e.keep:]...)
	}
	return reset
}

// best returns the kept sample with the smallest round trip (the latest of
// equals).
func (e *offsetEstimator) best() (clockSample, bool) {
	if len(e.samples) == 0 {
		return clockSample{}, false
	}
	b := e.samples[0]
	for _, s := range e.samples[1:] {
		if s.rtt <= b.rtt {
			b = s
		}
	}
	return b, true
}

// serverClock converts between the local monotonic clock and the estimated
// JetStream server clock, in which all pacing state is expressed (unix ns).
// Safe for concurrent use.
type serverClock struct {
	local Clock
	epoch time.Time

	mu  sync.Mutex
	est *offsetEstimator
	cur clockSample
}

func newServerClock(c Clock) *serverClock {
	return &serverClock{local: c, epoch: c.Now(), est: newOffsetEstimator()}
}

// mono is local monotonic time in ns since the clock was made.
func (c *serverClock) mono() int64 { return int64(c.local.Now().Sub(c.epoch)) }

// add feeds a sample taken between mono readings t0 and t1, with server
// timestamp ts. It reports whether the reference clock changed.
func (c *serverClock) add(t0, t1, ts int64) (reset bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	reset = c.est.add(newClockSample(t0, t1, ts))
	c.cur, _ = c.est.best()
	return reset
}

// now is the estimated server time in unix ns.
func (c *serverClock) now() int64 {
	m := c.mono()
	c.mu.Lock()
	defer c.mu.Unlock()
	return m + c.cur.offset
}

// uncertainty is half the round trip of the sample in use: the bound on the
// error of now().
func (c *serverClock) uncertainty() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Duration(c.cur.rtt / 2)
}
