package ratelimit

import (
	"context"
	"time"
)

// Slot is one reserved send time for one key: the right to send one request
// at (or just after) that time. It is reserved at most one horizon (250 ms,
// or two request intervals when that is longer) ahead, so a caller can do
// its preparation (fetch the job, sign the request) before the slot is due.
// A Slot is used by one goroutine: exactly one of Wait (then send) or
// Release.
type Slot struct {
	q     *keyQueue
	at    int64 // server ns
	start time.Time
	done  bool
	// anyLate: Wait uses the slot however late (Limiter.Wait's callers send
	// the moment it returns, with nothing prepared that could be stale).
	anyLate bool
}

// Reserve returns the next free slot of key for this process, blocking only
// until one is reserved (not until it is due). Callers of one key are
// served first come, first served.
//
// It fails, without a slot, when ctx ends (the error wraps ctx.Err(), and
// also ErrUnavailable when the shared state could not be reached meanwhile:
// the limiter never falls back to a local limit), after Close (ErrClosed),
// for an invalid key, or for a job type without a limit (ErrNoLimit).
func (l *Limiter) Reserve(ctx context.Context, key Key) (*Slot, error) {
	return l.ReserveAhead(ctx, key, 0)
}

// maxAhead bounds ReserveAhead's extra slots; a reservation never takes
// more than the batch span (25 ms of slots) in any case.
const maxAhead = 16

// ReserveAhead is Reserve for a caller that will ask again at once, up to
// ahead more times (a backlog): when it has to reserve from the shared
// state, it takes up to ahead more slots (at most 16, and at most 25 ms of
// the key's slots) in the same compare-and-set and keeps them in this
// process's pool, so the next Reserves cost no NATS round trip. A pooled
// slot nobody takes within 2 ms of its time is dropped: it is lost to the
// fleet like any unused slot, so ahead should not exceed what the caller
// will really use.
func (l *Limiter) ReserveAhead(ctx context.Context, key Key, ahead int) (*Slot, error) {
	s, _, err := l.reserve(ctx, key, ahead, false)
	return s, err
}

// reserve is ReserveAhead, and ReserveOrDefer when deferrable.
func (l *Limiter) reserve(ctx context.Context, key Key, ahead int, deferrable bool) (*Slot, time.Duration, error) {
	start := l.cfg.Clock.Now()
	var q *keyQueue
	for q == nil {
		var err error
		if q, err = l.queue(key); err != nil {
			return nil, 0, err
		}
		q.mu.Lock()
		if q.retired { // dropped as idle just now: look again
			q.mu.Unlock()
			l.forget(q)
			q = nil
			continue
		}
		q.waiting++
		q.touchLocked()
		q.mu.Unlock()
	}
	at, later, err := q.take(ctx, ahead, deferrable)
	if err != nil || later > 0 {
		q.mu.Lock()
		q.waiting--
		q.mu.Unlock()
		return nil, later, err
	}
	return &Slot{q: q, at: at, start: start}, 0, nil
}

// Due is how long until the slot may be used (<= 0: now).
func (s *Slot) Due() time.Duration { return time.Duration(s.at - s.q.l.clk.now()) }

// Wait blocks until the slot is due. On success exactly one request must
// follow. On failure (ctx ended, the limiter closed) the slot goes back to
// the key's pool for another caller and the error says why. A slot that is
// already too late to be used safely when Wait is called or returns fails
// with ErrSlotMissed: nothing may be sent with it, reserve another.
func (s *Slot) Wait(ctx context.Context) error {
	if s.done {
		return nil
	}
	s.done = true
	q := s.q
	err := q.sleepUntil(ctx, s.at)
	late := q.l.clk.now() - s.at
	slid := false
	if err == nil && late > q.maxLate() && !s.anyLate {
		if at, ok := q.slide(ctx, s.at); ok {
			s.at, late, slid = at, q.l.clk.now()-at, true
		}
	}
	waited := q.l.cfg.Clock.Now().Sub(s.start)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.waiting--
	q.touchLocked()
	if err != nil {
		return err
	}
	if late > q.maxLate() && !s.anyLate {
		q.n.missed++
		q.unusedLocked(s.at)
		return q.missedErr(late)
	}
	if slid {
		q.n.slid++
	}
	if q.voidLocked(s.at) {
		q.n.voided++
		q.unusedLocked(s.at)
		return q.voidErr()
	}
	if q.l.onSlot != nil {
		q.l.onSlot(q.key, s.at)
	}
	q.n.waits++
	q.n.waitTotal += waited
	q.n.waitMax = max(q.n.waitMax, waited)
	return nil
}

// Release gives an unused slot back to the key's pool, where another caller
// of this process may take it while it is still usable. Release after Wait,
// or twice, does nothing.
func (s *Slot) Release() {
	if s.done {
		return
	}
	s.done = true
	q := s.q
	q.mu.Lock()
	q.waiting--
	q.touchLocked()
	q.putPoolLocked(s.at)
	q.assignLocked(q.l.clk.now())
	q.mu.Unlock()
}
