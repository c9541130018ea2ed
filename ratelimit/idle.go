package ratelimit

import "time"

// This file keeps an idle key cheap. A key's driver goroutine ends once no
// caller has waited for driverIdle and starts again with the next caller
// (keyq.go); a key nobody in the fleet has used for queueIdle is dropped
// from the Limiter's map altogether, so a process that once served
// thousands of merchant accounts holds nothing for the idle ones. A dropped
// key starts over as new: its counters from zero and its state read from
// the bucket at first use (one round trip).

const (
	// driverIdle is how long a key's driver waits for a caller before it
	// ends.
	driverIdle = 5 * time.Second
	// queueIdle is how long a key stays in the Limiter's map after its last
	// use here or seen update of its shared state.
	queueIdle = 5 * time.Minute
)

// touchLocked records a use of q now. q.mu is held.
func (q *keyQueue) touchLocked() { q.lastUse = q.l.clk.now() }

// idleLocked says whether q may be dropped at now: no caller, no driver,
// no reserved slot, no write under way, and unused for queueIdle. q.mu is
// held.
func (q *keyQueue) idleLocked(now int64) bool {
	return !q.running && q.waiting == 0 && len(q.queue) == 0 && len(q.pool) == 0 &&
		!q.cutting && !q.calming && now-q.lastUse >= int64(queueIdle)
}

// sweep drops idle keys every queueIdle/4 until the Limiter closes. It
// ticks in real time (as the driver's idle timer does): housekeeping, not
// pacing, and invisible to tests that step the injected clock.
func (l *Limiter) sweep() {
	defer l.wg.Done()
	t := time.NewTicker(queueIdle / 4)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.dropIdle()
		case <-l.ctx.Done():
			return
		}
	}
}

// dropIdle removes the keys idle at the moment from the map. A key is
// marked retired under its own lock first, so a caller that looked it up
// just before looks it up again (Reserve) instead of using a key no longer
// in the map.
func (l *Limiter) dropIdle() {
	now := l.clk.now()
	for _, q := range l.queueList() {
		q.mu.Lock()
		drop := q.idleLocked(now)
		if drop {
			q.retired = true
		}
		q.mu.Unlock()
		if drop {
			l.forget(q)
		}
	}
}

// forget removes q from the map unless another queue replaced it.
func (l *Limiter) forget(q *keyQueue) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.queues[q.key] == q {
		delete(l.queues, q.key)
	}
}

// queueList is a snapshot of the keys' queues, to visit each under its own
// lock without holding the Limiter's.
func (l *Limiter) queueList() []*keyQueue {
	l.mu.Lock()
	defer l.mu.Unlock()
	qs := make([]*keyQueue, 0, len(l.queues))
	for _, q := range l.queues {
		qs = append(qs, q)
	}
	return qs
}
