package ratelimit

import (
	"context"
	"math"
	"time"
)

// This file lets a caller of a slow key wait for its next slot without
// holding a goroutine. A key limited to 0.1/s has its next slot about ten
// seconds after the last; a caller blocked in Reserve meanwhile costs a
// goroutine (and its stack) per key, which with thousands of slow keys was
// most of a worker's memory. ReserveOrDefer answers such a caller at once,
// with no slot and the time to come back; the driver does the same for
// such callers when it finds the horizon full, and ends rather than
// parking when nobody else waits. Nothing is reserved for a
// deferred caller, so no slot can be lost by it; a caller whose next slot
// is near (every busy key) waits in Reserve as before.

// deferAfter is the shortest wait for which a deferrable caller is sent
// away. A runner that comes back costs a timer, a goroutine start and a
// look at the state; for a flow of 1/s (a wait of about 750 ms) that made
// some runs' last results one interval later (200 flows of 1/s: first →
// last p50 11.2 s against 10.2 s), for little memory. Slower keys, where
// the goroutines add up (2,000 flows of 0.1/s: ~10 s each), are sent away.
const deferAfter = time.Second

// noSlot is sent to a deferred waiter instead of a slot (server ns, never
// negative).
const noSlot = math.MinInt64

// ReserveOrDefer is ReserveAhead for a caller that would rather not wait
// for a slot that is far away. When this process knows that no slot of key
// can be reserved for at least deferAfter (by its cached view of the shared
// state, or because its reservation found the horizon full), it returns no
// slot and how long until a reservation may get one, holding nothing for
// the caller meanwhile; the caller calls again then. Otherwise it is
// ReserveAhead, and the duration is 0. Errors are ReserveAhead's.
func (l *Limiter) ReserveOrDefer(ctx context.Context, key Key, ahead int) (*Slot, time.Duration, error) {
	return l.reserve(ctx, key, ahead, true)
}

// farLocked is how long until a slot of q may be reserved by the cached
// shared state (with the driver's retry jitter), when that is at least
// deferAfter; 0 when it is nearer or the state is not known. q.mu is held.
func (q *keyQueue) farLocked(now int64) time.Duration {
	c := q.cache
	if !c.known || !c.exists || q.lastErr != nil {
		return 0
	}
	d := time.Duration(c.st.TAT - int64(horizon) - now)
	if d < deferAfter {
		return 0
	}
	return d + time.Duration(retryJitter(q.l.rand()))
}

// deferWaiters sends the deferrable waiters away when the driver found the
// next slot wait away. It reports true when nobody is left waiting: then
// the driver ends (running is false, set under the lock take checks it
// under) instead of parking.
func (q *keyQueue) deferWaiters(wait time.Duration) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	kept := q.queue[:0]
	for _, w := range q.queue {
		if !w.deferrable {
			kept = append(kept, w)
			continue
		}
		w.later = wait
		w.slot <- noSlot
	}
	clear(q.queue[len(kept):])
	q.queue = kept
	if len(q.queue) > 0 {
		return false
	}
	q.ahead = 0
	q.running = false
	return true
}
