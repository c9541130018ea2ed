package fleetview

import (
	"context"
	"fmt"
	"time"

	"github.com/couponq/couponq/clock"
)

// Cache is a Source that calls another at most once per TTL and bounds each
// call with a timeout, so a storm of scrapes and dashboard polls costs NATS
// one query per TTL. Concurrent callers during a refresh wait for it (or for
// their own ctx) and share its outcome. Errors are cached like snapshots.
// Safe for concurrent use.
type Cache struct {
	src     Source
	ttl     time.Duration
	timeout time.Duration
	now     func() time.Time

	sem  chan struct{} // held while reading or refreshing
	at   time.Time     // when snap/err were taken; zero: never
	snap Snapshot
	err  error
}

// NewCache returns a Cache over src. ttl <= 0 defaults to 1s, timeout <= 0
// to 2s; clk nil is the system clock.
func NewCache(src Source, ttl, timeout time.Duration, clk clock.Clock) *Cache {
	if ttl <= 0 {
		ttl = time.Second
	}
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &Cache{src: src, ttl: ttl, timeout: timeout, now: clock.OrSystem(clk).Now, sem: make(chan struct{}, 1)}
}

// Snapshot returns the cached snapshot when it is younger than the TTL and
// otherwise takes a new one, bounded by the timeout and ctx.
func (c *Cache) Snapshot(ctx context.Context) (Snapshot, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return Snapshot{}, fmt.Errorf("fleet snapshot: %w", ctx.Err())
	}
	defer func() { <-c.sem }()
	if now := c.now(); !c.at.IsZero() && now.Sub(c.at) < c.ttl {
		return c.snap, c.err
	}
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	snap, err := c.src.Snapshot(callCtx)
	if err != nil {
		err = fmt.Errorf("fleet snapshot: %w", err)
		if ctx.Err() != nil {
			return snap, err // the caller gave up: not the source's answer, not cached
		}
	}
	c.at, c.snap, c.err = c.now(), snap, err
	return snap, err
}
