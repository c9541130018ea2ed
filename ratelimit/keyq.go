package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
)

// keyQueue is one key's local side: the callers waiting in this process, the
// slots reserved for them, and the driver goroutine that reserves slots while
// anyone waits (this file); and its view of the shared state with the
// compare-and-set that changes it (keystate.go). Waits for one key never touch
// another key's queue.
type keyQueue struct {
	l     *Limiter
	key   Key
	kvKey string
	limit float64
	wake  chan struct{} // buffered 1: wakes the driver

	mu      sync.Mutex
	queue   []*waiter // FIFO, waiting for a slot
	pool    []int64   // reserved slots no waiter holds yet, ascending
	running bool      // driver started (or parked: park.go)
	unpark  func()    // stops the timer of a parked driver; nil otherwise
	cache   stateCache
	lastErr error // last failure to reach the shared state; nil once it worked
	waiting int   // callers inside Wait
	ahead   int   // extra slots the next reservation takes for the pool (ReserveAhead)
	// unused holds the times of slots granted but never sent (missed,
	// void, dropped from the pool) that the shared counts do not know yet
	// (estimate.go); the next reservation takes them off.
	unused  []int64
	cutting bool  // a Throttled call is writing a cut
	calming bool  // an Accepted call is ending a storm
	lastUse int64 // server ns of the last use (idle.go)
	retired bool  // dropped from the Limiter's map (idle.go)
	// run429 counts this process's 429s since its last accepted answer,
	// the first of them at runStart (server ns): storm.go.
	run429   int
	runStart int64
	n        counters
}

// stateCache is the last known shared state of a key, fed by the driver's own
// writes, by Get after a conflict and by the bucket watcher.
type stateCache struct {
	known  bool // false: fetch before use
	exists bool
	st     state
	rev    uint64
	// deletedAt is the server time of the key's delete marker, when the
	// key was deleted (exists false); 0 otherwise.
	deletedAt int64
}

type counters struct {
	waits, reservations, slots, conflicts, throttled, errors, missed, voided, slid uint64
	waitTotal, waitMax                                                             time.Duration
}

type waiter struct {
	slot chan int64 // buffered 1; receives the assigned slot, or noSlot
	// deferrable: ReserveOrDefer's caller, which the driver may send away
	// (noSlot, with later set first) when the next slot is far (defer.go).
	deferrable bool
	later      time.Duration
}

func newKeyQueue(l *Limiter, key Key, limit float64) *keyQueue {
	return &keyQueue{l: l, key: key, kvKey: key.kvKey(), limit: limit, wake: make(chan struct{}, 1), lastUse: l.clk.now()}
}

func (q *keyQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take returns a reserved slot (server ns) for one caller, waiting for the
// driver to reserve one if none is free; the driver's reservation then also
// takes up to ahead more slots for the pool (ReserveAhead). A deferrable
// caller may get no slot instead, and how long until one may be reserved
// (defer.go).
func (q *keyQueue) take(ctx context.Context, ahead int, deferrable bool) (int64, time.Duration, error) {
	q.mu.Lock()
	if len(q.queue) == 0 {
		now := q.l.clk.now()
		if s, ok := q.popPoolLocked(now); ok {
			q.mu.Unlock()
			return s, 0, nil
		}
		if deferrable {
			if d := q.farLocked(now); d > 0 {
				q.mu.Unlock()
				return 0, d, nil
			}
		}
	}
	q.ahead = max(q.ahead, min(ahead, maxAhead))
	if !q.running {
		if !q.l.goDriver(q) {
			q.mu.Unlock()
			return 0, 0, q.waitErr(ErrClosed, nil)
		}
		q.running = true
	}
	w := &waiter{slot: make(chan int64, 1), deferrable: deferrable}
	q.queue = append(q.queue, w)
	q.mu.Unlock()
	q.signal()

	var cause error
	select {
	case s := <-w.slot:
		if s == noSlot {
			return 0, w.later, nil
		}
		return s, 0, nil
	case <-ctx.Done():
		cause = ctx.Err()
	case <-q.l.ctx.Done():
		cause = ErrClosed
	}
	q.mu.Lock()
	i := slices.Index(q.queue, w)
	if i >= 0 {
		q.queue = slices.Delete(q.queue, i, i+1)
	} else if s := <-w.slot; s != noSlot {
		// The driver assigned a slot as we gave up: pass it on.
		q.putPoolLocked(s)
		q.assignLocked(q.l.clk.now())
	}
	lastErr := q.lastErr
	q.mu.Unlock()
	return 0, 0, q.waitErr(cause, lastErr)
}

func (q *keyQueue) waitErr(cause, lastErr error) error {
	if lastErr != nil && !errors.Is(cause, ErrClosed) {
		return fmt.Errorf("ratelimit: wait for %s: %w: %w: %w", q.key, cause, ErrUnavailable, lastErr)
	}
	return fmt.Errorf("ratelimit: wait for %s: %w", q.key, cause)
}

// sleepUntil blocks until server time slot. On failure the slot is returned
// to the pool for another caller.
func (q *keyQueue) sleepUntil(ctx context.Context, slot int64) error {
	d := time.Duration(slot - q.l.clk.now())
	if d <= 0 {
		return nil
	}
	t := q.l.cfg.Clock.NewTimer(d)
	defer t.Stop()
	var cause error
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		cause = ctx.Err()
	case <-q.l.ctx.Done():
		cause = ErrClosed
	}
	q.mu.Lock()
	q.putPoolLocked(slot)
	q.assignLocked(q.l.clk.now())
	q.mu.Unlock()
	return q.waitErr(cause, nil)
}

// popPoolLocked takes the earliest reserved slot still usable at now, dropping
// any that are too old: spent late, they could bunch up with later slots.
func (q *keyQueue) popPoolLocked(now int64) (int64, bool) {
	for len(q.pool) > 0 {
		s := q.pool[0]
		q.pool = q.pool[1:]
		if s >= now-q.maxLate() && !q.voidLocked(s) {
			return s, true
		}
		q.unusedLocked(s)
	}
	return 0, false
}

func (q *keyQueue) putPoolLocked(s int64) {
	i, _ := slices.BinarySearch(q.pool, s)
	q.pool = slices.Insert(q.pool, i, s)
}

// assignLocked hands free slots to waiting callers, first come first served.
func (q *keyQueue) assignLocked(now int64) {
	for len(q.queue) > 0 {
		s, ok := q.popPoolLocked(now)
		if !ok {
			return
		}
		w := q.queue[0]
		q.queue = q.queue[1:]
		w.slot <- s
	}
}

// run is the driver: while callers wait without a slot it reserves slots for
// them from the shared state; otherwise it sleeps. It ends with the Limiter,
// or when no caller came for driverIdle (take starts it again).
func (q *keyQueue) run() {
	defer q.l.wg.Done()
	done := q.l.ctx.Done()
	fails := 0
	for {
		q.mu.Lock()
		q.assignLocked(q.l.clk.now())
		need := len(q.queue)
		if need > 0 {
			need += q.ahead
			q.ahead = 0
		}
		q.mu.Unlock()
		if need == 0 {
			if q.idle(done) {
				return
			}
			continue
		}
		g, retryAt, err := q.reserve(need)
		switch {
		case err != nil:
			fails++
			q.setErr(err)
			if !q.l.sleep(failBackoff(fails)) {
				return
			}
		case g.n == 0:
			fails = 0
			q.setErr(nil)
			wait := time.Duration(retryAt + retryJitter(q.l.rand()) - q.l.clk.now())
			if wait >= parkAfter {
				if wait < deferAfter || !q.deferWaiters(wait) {
					q.park(wait)
				}
				return
			}
			if !q.l.sleep(wait) {
				return
			}
		default:
			fails = 0
			q.setErr(nil)
			q.mu.Lock()
			for i := range g.n {
				q.pool = append(q.pool, g.slot(i))
			}
			q.mu.Unlock()
		}
	}
}

// idle waits for a caller; it reports true when the driver must end: the
// Limiter closed, or nobody came for driverIdle (then running is false, set
// under the lock take checks it under, so no caller is left without a
// driver). Real time, not the injected clock: ending an idle goroutine is
// about memory, not pacing, and a test that drives the injected clock
// cannot know this timer is there.
func (q *keyQueue) idle(done <-chan struct{}) bool {
	t := time.NewTimer(driverIdle)
	defer t.Stop()
	select {
	case <-q.wake:
		return false
	case <-done:
		return true
	case <-t.C:
		q.mu.Lock()
		defer q.mu.Unlock()
		if len(q.queue) > 0 {
			return false
		}
		q.running = false
		return true
	}
}

// failBackoff is the pause after the n-th failure in a row to reach the
// shared state: 50ms doubling up to 1s.
func failBackoff(n int) time.Duration {
	return min(50*time.Millisecond<<min(n-1, 5), time.Second)
}

func (q *keyQueue) setErr(err error) {
	q.mu.Lock()
	was := q.lastErr
	q.lastErr = err
	if err != nil {
		q.n.errors++
	}
	q.mu.Unlock()
	switch {
	case err != nil && was == nil:
		q.l.log.Warn("rate limit state unreachable; not sending for this key until it is back",
			zap.Stringer("key", q.key), zap.Error(err))
	case err == nil && was != nil:
		q.l.log.Info("rate limit state reachable again", zap.Stringer("key", q.key))
		q.l.restartWatchers()
	}
}
