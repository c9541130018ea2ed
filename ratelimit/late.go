package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// This file decides how late a reserved slot may still be used.
//
// The API counts requests per sliding second (WeChat Pay's limits are
// per-second quotas): at most N requests in any window of W = 1 s, where
// N = floor(L) for a limit of L per second. The limiter's slots of one key
// are spaced iv apart (GCRA without burst, iv >= W/N at the full budget,
// since Headroom < 1).
//
// Let every request be sent some lateness d_k in [0, D) after its slot
// s_k. A window [a, a+W] then holds only requests whose slots lie in
// [a-D, a+W], a span of W+D, which holds at most floor((W+D)/iv)+1 slots.
// So no window holds more than N when
//
//	floor((W+D)/iv) + 1 <= N  <=>  D < N·iv − W.
//
// The bound is tight: with D >= N·iv − W, slots s_0..s_N sent D late when
// before s_0+D and on time otherwise all lie in [s_0+D, s_0+D+W]. At 20/s
// with the default headroom 0.985 (iv = 50.76 ms) the bound is
// 20·iv − 1 s = 15.2 ms; at 500/s (iv = 2.03 ms) also 15.2 ms. A limit
// below 1/s is the operator's own choice under the API's per-second quota:
// no sliding second may then hold more than one request (N = 1), and the
// bound is iv − 1 s: 9.15 s at 0.1/s. Generally, when the pacing itself
// puts more than floor(L) slots in a second, N is taken as that count, so
// the bound stays positive and an on-time slot is always usable.
//
// Send lateness is not the only thing that spends the bound: the requests'
// network jitter and the error of each worker's server-clock estimate look
// exactly like lateness to the API. So a slot may be used at most half the
// bound late, less this process's clock uncertainty (but never less than
// slotGrace); the other half is left to what the sender cannot see.
// A slot found later than that is not used as it is. When it is the last
// slot granted for the key (nobody reserved after it), Slot.Wait moves it
// to now instead (slide): one compare-and-set that grants a fresh slot at
// now in place of the late one, exactly what a reservation made now would
// get had the late slot never been granted, so the bound holds for it as
// for any slot. Otherwise Slot.Wait reports ErrSlotMissed, and the caller
// reserves another one instead of sending. At low rates a late lone slot
// is the common case (one flow at 1/s on a starved CPU), and reserving
// again would cost a whole interval.

// ErrSlotMissed is wrapped by Slot.Wait's error when the slot was already
// too late to be used safely when the caller came to send (a starved CPU, a
// long preparation): a request sent now could make a sliding window hold
// more than the limit. Nothing may be sent with it; reserve another slot.
// The missed slot is lost to the fleet (as an unused slot is), which costs
// one interval, never a 429.
var ErrSlotMissed = errors.New("ratelimit: slot missed: too late to send safely")

// lateBound returns N·iv − W (see above) for limit (per second) and slot
// spacing iv, in ns: the lateness below which no sliding window of the API
// holds more than the limit.
func lateBound(limit float64, iv int64) int64 {
	w := int64(time.Second)
	// The pacing's own count per window, should it exceed the limit's.
	n := max(int64(math.Floor(limit)), w/iv+1)
	return n*iv - w
}

// maxLate is how late (ns) a slot of q may still be used now.
func (q *keyQueue) maxLate() int64 {
	b := lateBound(q.limit, q.minInterval())
	return max(b/2-int64(q.l.clk.uncertainty()), int64(slotGrace))
}

// Late says how late the slot is now (negative: not yet due) and whether a
// request sent now would still be safe (see ErrSlotMissed; a slot voided by
// an estimated cut, estimate.go, is never safe): on time, or late but, as
// far as this process knows, the last slot granted, which Wait will slide
// to the moment it is used.
func (s *Slot) Late() (late time.Duration, safe bool) {
	q := s.q
	l := q.l.clk.now() - s.at
	q.mu.Lock()
	void := q.voidLocked(s.at)
	movable := !s.anyLate && q.slidableLocked(s.at)
	q.mu.Unlock()
	return time.Duration(l), (l <= q.maxLate() || movable) && !void
}

// missedErr is Wait's error for a slot found late by late.
func (q *keyQueue) missedErr(late int64) error {
	return fmt.Errorf("ratelimit: slot for %s %s late (at most %s): %w",
		q.key, time.Duration(late).Round(time.Microsecond), time.Duration(q.maxLate()).Round(time.Microsecond), ErrSlotMissed)
}

// slide replaces the late slot at (server ns) by a fresh one at now when it
// is the last slot granted for the key: no slot lies between it and the
// state's tat, which holds when tat is less than two minimum intervals
// after it (any later slot would be at least one interval after it, and
// tat one interval after that). It reports the new slot and whether the
// compare-and-set made it; on any doubt it reports false and the caller
// misses the slot as before.
func (q *keyQueue) slide(ctx context.Context, at int64) (int64, bool) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	c, err := q.current(ctx)
	if err != nil || !c.exists {
		return 0, false
	}
	if !lastSlot(c, at, q.minInterval()) {
		return 0, false
	}
	st := c.st
	now := q.l.clk.now()
	next := st
	next.TAT = now + interval(rate(q.limit, q.l.cfg.Headroom, q.l.aimd.budget(st, now)))
	ok, err := q.write(ctx, c, next)
	if err != nil || !ok {
		return 0, false
	}
	return now, true
}

// lastSlot says whether, by state c, the slot at is the last one granted
// for its key (see slide).
// A slot a cut voided never slides: its replacement would move tat back
// into the void span (estimate.go).
func lastSlot(c stateCache, at, minInterval int64) bool {
	voided := c.st.Void != 0 && at > c.st.Cut && at < c.st.Void
	return c.known && c.exists && c.st.Storm == 0 && !voided && c.st.TAT > at && c.st.TAT-at < 2*minInterval
}

// slidableLocked says whether a late slot at could be slid, by the cached
// state.
func (q *keyQueue) slidableLocked(at int64) bool {
	return lastSlot(q.cache, at, q.minInterval())
}
