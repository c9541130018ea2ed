package ratelimit

import (
	"slices"
	"strings"
	"time"
)

// Stats is a snapshot of a Limiter, for metrics.
type Stats struct {
	// Workers is the live worker count (see Limiter.Workers).
	Workers int
	// ClockUncertainty bounds the error of this process's estimate of the
	// server clock (half the best recent round trip).
	ClockUncertainty time.Duration
	// Keys has one entry per key this process used, or saw an update of in
	// the shared state, within the last 5 minutes (idle keys are dropped,
	// and start over from zero when used again), ordered by Key.String.
	Keys []KeyStats
}

// KeyStats describes one key. Budget figures are fleet-wide (from the shared
// state as last seen); counters count this process since New.
type KeyStats struct {
	Key Key
	// Limit is the configured limit, requests per second.
	Limit float64
	// Budget is the current fleet budget after 429 feedback (<= Limit).
	Budget float64
	// Rate is the rate actually paced: Headroom × Budget.
	Rate float64
	// Cuts counts budget cuts applied fleet-wide since the state was created.
	Cuts uint64
	// Waiting is how many callers hold an unspent reservation or wait for
	// one on this key now.
	Waiting int
	// Waits counts completed Waits; WaitTotal and WaitMax are the time they
	// spent waiting for budget.
	Waits              uint64
	WaitTotal, WaitMax time.Duration
	// Reservations counts successful compare-and-sets, Slots the slots they
	// reserved, Conflicts the compare-and-sets lost to another writer.
	Reservations, Slots, Conflicts uint64
	// Throttled counts 429s reported through Throttled.
	Throttled uint64
	// Missed counts slots found too late to send safely (ErrSlotMissed):
	// nothing was sent with them.
	Missed uint64
	// Voided counts slots refused because an estimated budget cut voided
	// them (see ErrSlotMissed): nothing was sent with them.
	Voided uint64
	// Slid counts late slots moved to the moment they were used instead
	// (the last slot granted for the key: see late.go).
	Slid uint64
	// Errors counts failures to reach the shared state; Unavailable says the
	// last attempt failed.
	Errors      uint64
	Unavailable bool
}

// Stats returns a snapshot of the limiter's state and counters.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	qs := make([]*keyQueue, 0, len(l.queues))
	for _, q := range l.queues {
		qs = append(qs, q)
	}
	l.mu.Unlock()
	slices.SortFunc(qs, func(a, b *keyQueue) int { return strings.Compare(a.key.String(), b.key.String()) })
	now := l.clk.now()
	s := Stats{Workers: l.Workers(), ClockUncertainty: l.clk.uncertainty(), Keys: make([]KeyStats, 0, len(qs))}
	for _, q := range qs {
		q.mu.Lock()
		f := 1.0
		if q.cache.exists {
			f = l.aimd.budget(q.cache.st, now)
		}
		s.Keys = append(s.Keys, KeyStats{
			Key:          q.key,
			Limit:        q.limit,
			Budget:       q.limit * f,
			Rate:         rate(q.limit, l.cfg.Headroom, f),
			Cuts:         q.cache.st.Cuts,
			Waiting:      q.waiting,
			Waits:        q.n.waits,
			WaitTotal:    q.n.waitTotal,
			WaitMax:      q.n.waitMax,
			Reservations: q.n.reservations,
			Slots:        q.n.slots,
			Conflicts:    q.n.conflicts,
			Throttled:    q.n.throttled,
			Missed:       q.n.missed,
			Voided:       q.n.voided,
			Slid:         q.n.slid,
			Errors:       q.n.errors,
			Unavailable:  q.lastErr != nil,
		})
		q.mu.Unlock()
	}
	return s
}
