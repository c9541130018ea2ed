package ratelimit

import (
	"math"
	"time"
)

// Pacing constants. Times are server-clock unix nanoseconds.
const (
	// horizon bounds how far ahead of now a slot may be reserved, at every
	// rate and budget, so a budget cut takes effect for everything not yet
	// reserved within it, and every slot ever granted lies at most this far
	// after the compare-and-set that granted it (the bound the recovery of a
	// lost state rests on: see lostFloor).
	horizon = 250 * time.Millisecond
	// batchSpan bounds one reservation: at most rate × batchSpan slots per
	// compare-and-set (500/s → 12 slots, ~40 CAS per second fleet-wide).
	batchSpan = 25 * time.Millisecond
	// slotGrace is how late a reserved slot may still be used. A slot older
	// than that is dropped: spending it late could bunch it with later slots.
	slotGrace = 2 * time.Millisecond
)

// interval is the slot spacing for rate r per second, rounded up so the
// paced rate never exceeds r.
func interval(r float64) int64 {
	return int64(math.Ceil(float64(time.Second) / r))
}

// batchCap is the most slots one reservation takes at spacing iv (at least 1).
func batchCap(iv int64) int {
	return max(1, int(int64(batchSpan)/iv))
}

// retryJitter spreads the retries of workers that found the horizon full over
// one batch span (u uniform in [0,1)), so the worker whose clock runs ahead
// does not win every race for the next slots.
func retryJitter(u float64) int64 {
	return int64(u * float64(batchSpan))
}

// grant is a run of n reserved slots: first, first+step, ..., first+(n-1)*step.
type grant struct {
	first, step int64
	n           int
}

// slot returns the i-th slot of g.
func (g grant) slot(i int) int64 { return g.first + int64(i)*g.step }

// reserve is GCRA without burst allowance over a shared theoretical arrival
// time tat: it grants up to want consecutive slots spaced iv apart, starting
// at max(tat, now), none later than now+hz. It returns the grant, the new tat
// (just past the last slot), and, when nothing fits within the horizon, the
// time to try again instead.
func reserve(tat, now, iv, hz int64, want int) (g grant, newTAT, retryAt int64) {
	start := max(tat, now)
	if start > now+hz {
		return grant{}, tat, start - hz
	}
	n := int64(want)
	if fit := (now+hz-start)/iv + 1; fit < n {
		n = fit
	}
	if n < 1 {
		n = 1
	}
	return grant{first: start, step: iv, n: int(n)}, start + n*iv, 0
}
