package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Limiter paces requests per (merchant account, job type) for the whole
// fleet. Wait, Throttled, Stats and Workers are safe for concurrent use by
// any number of goroutines; waits for one key never delay another key.
//
// Run must be running for the process to count in Workers and to keep its
// estimate of the server clock fresh.
type Limiter struct {
	cfg     Config
	log     *zap.Logger
	clk     *serverClock
	aimd    aimd
	state   *bucket
	epoch   *bucket // file storage: when the state bucket was first created (epoch.go)
	members *bucket
	roster  *roster

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	queues  map[Key]*keyQueue
	rng     *rand.Rand
	closed  bool
	rewatch chan struct{} // closed (and replaced) to restart the watchers

	onSlot func(Key, int64) // tests: called with each slot granted, under the key's lock
}

// New validates cfg, creates or updates the two KV buckets (memory storage;
// idempotent, so every worker may call it at start), measures the offset to
// the JetStream server's clock and starts watching the buckets. It fails when
// NATS cannot be reached. Call Close when done.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Limiter, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("ratelimit: invalid config: %w", err)
	}
	l := &Limiter{
		cfg:     cfg,
		log:     cfg.Logger.With(zap.String("worker", cfg.WorkerID)),
		clk:     newServerClock(cfg.Clock),
		aimd:    defaultAIMD(),
		roster:  newRoster(),
		queues:  map[Key]*keyQueue{},
		rewatch: make(chan struct{}),
		rng:     rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15)),
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	ok := false
	defer func() {
		if !ok {
			l.cancel()
		}
	}()
	l.state = newBucket(js, jetstream.KeyValueConfig{
		Bucket:      cfg.StateBucket,
		Description: "couponq fleet-wide rate limit pacing state (ephemeral)",
		History:     1,
		TTL:         stateTTL,
		Storage:     jetstream.MemoryStorage,
		Replicas:    cfg.Replicas,
	}, cfg.Clock.Now)
	l.members = newBucket(js, jetstream.KeyValueConfig{
		Bucket:      cfg.MembersBucket,
		Description: "couponq live workers (heartbeats)",
		History:     1,
		TTL:         cfg.MemberTTL,
		Storage:     jetstream.MemoryStorage,
		Replicas:    cfg.Replicas,
	}, cfg.Clock.Now)
	l.epoch = newBucket(js, jetstream.KeyValueConfig{
		Bucket:      epochBucketName(cfg.StateBucket),
		Description: "couponq: when the rate limit state bucket was first created",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	}, cfg.Clock.Now)
	for _, b := range []*bucket{l.state, l.epoch, l.members} {
		if _, err := b.ensure(ctx); err != nil {
			return nil, fmt.Errorf("ratelimit: %w", err)
		}
	}
	if err := l.recordEpoch(ctx); err != nil {
		return nil, fmt.Errorf("ratelimit: %w", err)
	}
	// A few heartbeats give the first clock samples; the best round trip wins.
	for range 3 {
		if err := l.heartbeat(ctx); err != nil {
			return nil, fmt.Errorf("ratelimit: first heartbeat: %w", err)
		}
	}
	ok = true
	l.wg.Add(3)
	go l.watch(l.state, l.applyState)
	go l.watch(l.members, l.roster.apply)
	go l.sweep()
	if nc := js.Conn(); nc != nil {
		l.wg.Add(1)
		go l.watchReconnects(nc)
	}
	l.log.Info("rate limiter started",
		zap.Duration("server_clock_uncertainty", l.clk.uncertainty()))
	return l, nil
}

// Run heartbeats into the members bucket every MemberTTL/5 and refreshes the
// server clock estimate with each heartbeat, until ctx ends or the Limiter is
// closed; then it returns nil. Failed heartbeats are logged and retried.
// Stopping Run without Close looks like a crash to the other workers: this
// process stops counting once MemberTTL has passed.
func (l *Limiter) Run(ctx context.Context) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.wg.Add(1) // Close waits for Run, so no heartbeat follows its delete
	l.mu.Unlock()
	defer l.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(l.ctx, cancel)
	defer stop()
	every := l.cfg.MemberTTL / 5
	failing := false
	for {
		err := l.heartbeat(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true
			l.log.Warn("heartbeat failed", zap.Error(err))
		case err == nil && failing:
			failing = false
			l.log.Info("heartbeat works again")
			l.restartWatchers()
		}
		if !l.sleepCtx(ctx, every) {
			return nil
		}
	}
}

// Wait blocks until one request for key may be sent now and returns how long
// it waited: Reserve followed by Slot.Wait. Each successful Wait must be
// followed by exactly one request (a slot that is not used is lost, not
// given to the fleet). It uses its slot however late it wakes, as it did
// before slots could be missed; callers that prepare a request before its
// slot (the worker) use Reserve and Slot.Wait, which refuse a slot too late
// to be safe (ErrSlotMissed). It fails as Reserve and Slot.Wait do.
func (l *Limiter) Wait(ctx context.Context, key Key) (time.Duration, error) {
	start := l.cfg.Clock.Now()
	for {
		s, err := l.Reserve(ctx, key)
		if err != nil {
			return l.cfg.Clock.Now().Sub(start), err
		}
		s.anyLate = true
		err = s.Wait(ctx)
		if errors.Is(err, ErrSlotMissed) {
			continue // voided by an estimated cut (estimate.go): reserve again
		}
		return l.cfg.Clock.Now().Sub(start), err
	}
}

// Throttled tells the limiter that the API answered 429 for key. It cuts the
// key's budget for the whole fleet at once (at most once per second however
// many workers report the same burst): to the rate the API evidently
// accepted in its last window when the counts allow reading it
// (estimate.go), ×0.85 otherwise; the budget then probes back up to the
// configured limit. It blocks for at most one NATS round trip
// or two and logs instead of failing: the next 429 will try again.
func (l *Limiter) Throttled(ctx context.Context, key Key) {
	q, err := l.queue(key)
	if err != nil {
		l.log.Warn("429 for a key the limiter cannot pace", zap.Stringer("key", key), zap.Error(err))
		return
	}
	q.cut(ctx)
}

// Close stops the limiter: pending and later Waits fail with ErrClosed, the
// watchers and drivers stop, and this worker's heartbeat is deleted so the
// others stop counting it at once. Slots not yet spent are lost.
func (l *Limiter) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
	l.stopParked()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := l.members.handle().Delete(ctx, l.cfg.WorkerID); err != nil {
		return fmt.Errorf("ratelimit: remove heartbeat of %s: %w", l.cfg.WorkerID, err)
	}
	return nil
}

// queue returns key's queue, creating it on first use.
func (l *Limiter) queue(key Key) (*keyQueue, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if q, ok := l.queues[key]; ok {
		return q, nil // valid: checked when it was made
	}
	if err := key.validate(); err != nil {
		return nil, err
	}
	limit, ok := l.cfg.limit(key)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoLimit, key.Type)
	}
	q := newKeyQueue(l, key, limit)
	l.queues[key] = q
	return q, nil
}

// applyState feeds a state bucket entry to its key's cache.
func (l *Limiter) applyState(e jetstream.KeyValueEntry) {
	key, ok := parseKVKey(e.Key())
	if !ok {
		return
	}
	q, err := l.queue(key)
	if err != nil {
		return // a type this process has no limit for, or closed
	}
	c := stateCache{known: true, rev: e.Revision()}
	if e.Operation() != jetstream.KeyValuePut {
		c.deletedAt = e.Created().UnixNano()
	}
	if e.Operation() == jetstream.KeyValuePut {
		st, err := decodeState(e.Value())
		if err != nil {
			q.invalidate()
			return
		}
		c.exists, c.st = true, st
	}
	q.observe(c)
	q.mu.Lock()
	q.touchLocked()
	q.mu.Unlock()
}

// watch feeds every entry of b to apply until the Limiter closes, starting
// the watcher again whenever it ends (reconnects, a re-created bucket).
func (l *Limiter) watch(b *bucket, apply func(jetstream.KeyValueEntry)) {
	defer l.wg.Done()
	fails := 0
	for l.ctx.Err() == nil {
		w, err := b.handle().WatchAll(l.ctx)
		if err != nil {
			l.log.Debug("watch KV bucket", zap.String("bucket", b.cfg.Bucket), zap.Error(err))
			fails++
			b.repair(l.ctx, err)
			if !l.sleep(failBackoff(fails)) {
				return
			}
			continue
		}
		fails = 0
		l.drain(w, apply, l.rewatchSignal())
		l.log.Debug("KV watcher ended", zap.String("bucket", b.cfg.Bucket))
		if err := w.Stop(); err != nil && l.ctx.Err() == nil {
			l.log.Debug("stop KV watcher", zap.String("bucket", b.cfg.Bucket), zap.Error(err))
		}
		if !l.sleep(failBackoff(1)) {
			return
		}
	}
}

func (l *Limiter) drain(w jetstream.KeyWatcher, apply func(jetstream.KeyValueEntry), rewatch <-chan struct{}) {
	for {
		select {
		case <-rewatch:
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e != nil {
				apply(e)
			}
		case <-l.ctx.Done():
			return
		}
	}
}

// rewatchSignal returns the channel that is closed at the next restartWatchers.
func (l *Limiter) rewatchSignal() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rewatch
}

// restartWatchers makes the KV watchers start over. Called when NATS works
// again after failures: a watcher may have silently lost its consumer (say,
// its memory-storage bucket was re-created by a restarted server).
func (l *Limiter) restartWatchers() {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.rewatch)
	l.rewatch = make(chan struct{})
}

// contentionPause waits a random 0-5 ms of real time after a lost
// compare-and-set, so writers of one key spread out; it reports false when
// ctx ends or the limiter closes. Real time, not the injected clock: it is
// about other processes' writes, not about pacing, and a test that drives
// the injected clock cannot know it is waiting.
func (l *Limiter) contentionPause(ctx context.Context) bool {
	t := time.NewTimer(time.Duration(l.rand() * float64(5*time.Millisecond)))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-l.ctx.Done():
		return false
	}
}

// sleep waits d on the local clock; false when the Limiter closed first.
func (l *Limiter) sleep(d time.Duration) bool { return l.sleepCtx(l.ctx, d) }

// sleepCtx waits d on the local clock; false when ctx ended or the Limiter
// closed first.
func (l *Limiter) sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil && l.ctx.Err() == nil
	}
	t := l.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	case <-l.ctx.Done():
		return false
	}
}

// rand returns a uniform number in [0, 1).
func (l *Limiter) rand() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rng.Float64()
}

// goDriver starts q's driver goroutine unless the Limiter is closed.
func (l *Limiter) goDriver(q *keyQueue) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	go q.run()
	return true
}
