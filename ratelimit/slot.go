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
	start := l.cfg.Clock.Now()
	q, err := l.queue(key)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.waiting++
	q.mu.Unlock()
	at, err := q.take(ctx)
	if err != nil {
		q.mu.Lock()
		q.waiting--
		q.mu.Unlock()
		return nil, err
	}
	return &Slot{q: q, at: at, start: start}, nil
}

// Due is how long until the slot may be used (<= 0: now).
func (s *Slot) Due() time.Duration { return time.Duration(s.at - s.q.l.clk.now()) }

// Wait blocks until the slot is due. On success exactly one request must
// follow. On failure (ctx ended, the limiter closed) the slot goes back to
// the key's pool for another caller and the error says why.
func (s *Slot) Wait(ctx context.Context) error {
	if s.done {
		return nil
	}
	s.done = true
	q := s.q
	err := q.sleepUntil(ctx, s.at)
	waited := q.l.cfg.Clock.Now().Sub(s.start)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.waiting--
	if err != nil {
		return err
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
	q.putPoolLocked(s.at)
	q.assignLocked(q.l.clk.now())
	q.mu.Unlock()
}
