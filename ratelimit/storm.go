package ratelimit

import (
	"context"

	"go.uber.org/zap"
)

// This file is the 429-storm side of the feedback: a process that sees the
// API refuse everything (aimd.stormRun 429s in a row over aimd.stormSpan,
// no accepted answer between them) puts the key into a storm for the whole
// fleet, which then sends only at the probe rate; the first accepted answer
// anywhere ends it and restores the budget at once. Ordinary 429s (a limit
// lower than configured) leave accepted answers between them and are met
// by the cuts of keystate.go instead.

// Accepted tells the limiter that the API answered a request for key
// without 429 (any other status). It costs nothing unless the key is in a
// 429 storm, which it then ends for the whole fleet (one compare-and-set).
func (l *Limiter) Accepted(ctx context.Context, key Key) {
	q, err := l.queue(key)
	if err != nil {
		return
	}
	q.mu.Lock()
	q.run429 = 0
	storm := q.cache.known && q.cache.exists && q.cache.st.Storm != 0
	if !storm || q.calming {
		q.mu.Unlock()
		return
	}
	q.calming = true
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.calming = false
		q.mu.Unlock()
	}()
	if _, _, ok := q.apply(ctx, "storm end", false, func(st state, _ int64) (state, bool) { return l.aimd.calm(st) }); ok {
		l.log.Info("rate limit: the API accepts requests again; 429 storm over, budget restored",
			zap.Stringer("key", key))
	}
}

// count429 records a 429 in this process's run and reports whether the run
// now says "storm".
func (q *keyQueue) count429(now int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.run429 == 0 {
		q.runStart = now
	}
	q.run429++
	a := q.l.aimd
	inStorm := q.cache.known && q.cache.exists && q.cache.st.Storm != 0
	return !inStorm && q.run429 >= a.stormRun && now-q.runStart >= int64(a.stormSpan)
}

// enterStorm puts the key into a storm for the fleet.
func (q *keyQueue) enterStorm(ctx context.Context) {
	if _, _, ok := q.apply(ctx, "storm", false, func(st state, now int64) (state, bool) { return q.l.aimd.storm(st, now) }); ok {
		q.l.log.Warn("rate limit: the API refuses every request (429 storm); the fleet only probes until it accepts one",
			zap.Stringer("key", q.key), zap.Float64("probe_rate", rate(q.limit, q.l.cfg.Headroom, q.l.aimd.probe)))
	}
}
