package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// This file is a key's shared side: the cached pacing state from the KV
// bucket and the compare-and-set writes that reserve slots and apply 429
// cuts. keyq.go holds the local waiters and the driver that calls reserve.

// current returns the cached shared state, fetching it when unknown.
func (q *keyQueue) current(ctx context.Context) (stateCache, error) {
	q.mu.Lock()
	c := q.cache
	q.mu.Unlock()
	if c.known {
		return c, nil
	}
	kv := q.l.state.handle()
	e, err := kv.Get(ctx, q.kvKey)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		c = stateCache{known: true}
	case errors.Is(err, jetstream.ErrKeyDeleted):
		c = stateCache{known: true, deletedAt: q.l.clk.now()}
		if e != nil {
			c.deletedAt, c.rev = e.Created().UnixNano(), e.Revision()
		}
	case err != nil:
		q.l.state.repair(ctx, err)
		return stateCache{}, fmt.Errorf("get pacing state %s: %w", q.kvKey, err)
	default:
		st, err := decodeState(e.Value())
		if err != nil {
			// A value we cannot read is replaced (by revision) with a fresh
			// state after every slot it may have granted.
			q.l.log.Warn("unreadable rate limit state replaced", zap.Stringer("key", q.key), zap.Error(err))
			st = state{TAT: q.l.clk.now() + int64(horizon) + q.minInterval()}
		}
		c = stateCache{known: true, exists: true, st: st, rev: e.Revision()}
	}
	q.observe(c)
	return c, nil
}

// observe stores c in the cache unless the cache already holds a newer
// revision.
func (q *keyQueue) observe(c stateCache) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.cache.known && c.rev < q.cache.rev {
		return
	}
	q.cache = c
}

func (q *keyQueue) invalidate() {
	q.mu.Lock()
	q.cache.known = false
	q.mu.Unlock()
}

// write stores st by compare-and-set against c (create when c says the key
// does not exist). It reports false on a conflict, after invalidating the
// cache.
func (q *keyQueue) write(ctx context.Context, c stateCache, st state) (bool, error) {
	b, err := st.encode()
	if err != nil {
		return false, err
	}
	kv := q.l.state.handle()
	var rev uint64
	if c.exists {
		rev, err = kv.Update(ctx, q.kvKey, b, c.rev)
	} else {
		rev, err = kv.Create(ctx, q.kvKey, b)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyExists):
		q.mu.Lock()
		q.cache.known = false
		q.n.conflicts++
		q.mu.Unlock()
		return false, nil
	case err != nil:
		q.l.state.repair(ctx, err)
		return false, fmt.Errorf("write pacing state %s: %w", q.kvKey, err)
	}
	q.observe(stateCache{known: true, exists: true, st: st, rev: rev})
	return true, nil
}

// minInterval is the key's slot spacing at the full budget: the closest
// two slots of its state ever are.
func (q *keyQueue) minInterval() int64 {
	return interval(rate(q.limit, q.l.cfg.Headroom, 1))
}

// maxAttempts bounds compare-and-set attempts per reservation or cut.
const maxAttempts = 8

// reserve takes up to need slots from the shared state with one successful
// compare-and-set. With no slot within the horizon it returns an empty grant
// and when to try again.
func (q *keyQueue) reserve(need int) (grant, int64, error) {
	ctx, cancel := context.WithTimeout(q.l.ctx, opTimeout)
	defer cancel()
	for range maxAttempts {
		c, err := q.current(ctx)
		if err != nil {
			return grant{}, 0, err
		}
		if !c.exists {
			// A new state starts at once, unless a lost one may still have
			// slots out: then one interval after the last of them (epoch.go).
			floor, lost, err := q.lostFloor(ctx, c.deletedAt)
			if err != nil {
				return grant{}, 0, err
			}
			start := q.l.clk.now()
			if lost {
				start = max(start, floor+int64(horizon)+q.minInterval())
			}
			if _, err := q.write(ctx, c, state{TAT: start}); err != nil {
				return grant{}, 0, err
			}
			continue
		}
		now := q.l.clk.now()
		iv := interval(rate(q.limit, q.l.cfg.Headroom, q.l.aimd.budget(c.st, now)))
		g, tat, retryAt := reserve(c.st.TAT, now, iv, int64(horizon), min(need, batchCap(iv)))
		if g.n == 0 {
			return g, retryAt, nil
		}
		next := c.st
		next.TAT = tat
		next.Win, next.WinN, next.PrevN = countAfter(c.st, now, g)
		q.mu.Lock()
		unused := q.unused
		q.mu.Unlock()
		next = uncount(next, unused)
		ok, err := q.write(ctx, c, next)
		if err != nil {
			return grant{}, 0, err
		}
		if ok {
			q.mu.Lock()
			q.unused = q.unused[len(unused):]
			q.n.reservations++
			q.n.slots += uint64(g.n)
			q.mu.Unlock()
			return g, 0, nil
		}
	}
	// Heavy contention: try again at once, with fresh state.
	return grant{}, q.l.clk.now(), nil
}

// cut applies a 429 to the shared state (at most one cut per hold fleet-wide).
func (q *keyQueue) cut(ctx context.Context) {
	if q.count429(q.l.clk.now()) {
		q.enterStorm(ctx)
	}
	q.mu.Lock()
	q.n.throttled++
	now := q.l.clk.now()
	if q.cutting || (q.cache.known && q.cache.exists && (q.cache.st.Storm != 0 || q.cache.st.Cut != 0 && now-q.cache.st.Cut < int64(q.l.aimd.hold))) {
		q.mu.Unlock()
		return
	}
	q.cutting = true
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.cutting = false
		q.mu.Unlock()
	}()
	var before float64
	next, now, ok := q.apply(ctx, "cut", true, func(st state, now int64) (state, bool) {
		before = q.l.aimd.budget(st, now)
		return q.l.aimd.cutAt(st, now, q.limit, q.l.cfg.Headroom)
	})
	if ok {
		q.l.log.Info("rate limit budget cut after 429",
			zap.Stringer("key", q.key),
			zap.Float64("budget_before", before*q.limit),
			zap.Float64("budget_after", q.l.aimd.budget(next, now)*q.limit),
			zap.Duration("probe_back_in", time.Duration(next.K)),
			zap.Bool("measured", next.Void != 0))
	}
}

// apply writes f(state) by compare-and-set and reports the state written,
// the server time f saw and whether this call changed the state. A state
// change (a cut, a storm's start or end) matters more than a reservation,
// and the reservations of a busy fleet keep moving the revision: it keeps
// trying until opTimeout, pausing a random few milliseconds after each lost
// compare-and-set. A key with no state is left alone unless create, when f
// gets a fresh state starting now. what names the change in warnings.
func (q *keyQueue) apply(ctx context.Context, what string, create bool, f func(st state, now int64) (state, bool)) (state, int64, bool) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 && !q.l.contentionPause(ctx) {
			return state{}, 0, false
		}
		c, err := q.current(ctx)
		if err != nil {
			q.l.log.Warn("rate limit state change not applied", zap.String("change", what), zap.Stringer("key", q.key), zap.Error(err))
			return state{}, 0, false
		}
		now := q.l.clk.now()
		st := c.st
		if !c.exists {
			if !create {
				return state{}, 0, false // no state: nothing to change
			}
			st = state{TAT: now}
		}
		next, ok := f(st, now)
		if !ok {
			return state{}, 0, false
		}
		done, err := q.write(ctx, c, next)
		if err != nil {
			q.l.log.Warn("rate limit state change not applied", zap.String("change", what), zap.Stringer("key", q.key), zap.Error(err))
			return state{}, 0, false
		}
		if done {
			return next, now, true
		}
	}
	q.l.log.Warn("rate limit state change not applied: too much contention", zap.String("change", what), zap.Stringer("key", q.key))
	return state{}, 0, false
}
