package fleetview_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/internal/fleetview"
)

// countingSource returns a snapshot whose LiveWorkers is the call number.
type countingSource struct {
	calls atomic.Int64
	err   error
}

func (s *countingSource) Snapshot(ctx context.Context) (fleetview.Snapshot, error) {
	n := s.calls.Add(1)
	return fleetview.Snapshot{LiveWorkers: int(n)}, s.err
}

// fakeNow is a settable clock.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func TestCacheRefreshesOncePerTTL(t *testing.T) {
	src := &countingSource{}
	clk := &fakeNow{t: time.Unix(1000, 0)}
	c := fleetview.NewCache(src, time.Second, time.Second, clock.Func(clk.now))
	ctx := context.Background()

	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			s, err := c.Snapshot(ctx)
			assert.NoError(t, err)
			assert.Equal(t, 1, s.LiveWorkers)
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, src.calls.Load(), "a storm of callers within the TTL costs one source call")

	clk.add(999 * time.Millisecond)
	s, _ := c.Snapshot(ctx)
	require.Equal(t, 1, s.LiveWorkers)
	clk.add(time.Millisecond)
	s, _ = c.Snapshot(ctx)
	require.Equal(t, 2, s.LiveWorkers, "refreshed once the TTL passed")
}

func TestCacheCachesSourceErrors(t *testing.T) {
	src := &countingSource{err: errors.New("nats: no responders")}
	clk := &fakeNow{t: time.Unix(1000, 0)}
	c := fleetview.NewCache(src, time.Second, time.Second, clock.Func(clk.now))
	for range 3 {
		_, err := c.Snapshot(context.Background())
		require.ErrorContains(t, err, "fleet snapshot: nats: no responders")
	}
	require.EqualValues(t, 1, src.calls.Load())
}

func TestCacheBoundsTheSourceCall(t *testing.T) {
	blocked := fleetview.SourceFunc(func(ctx context.Context) (fleetview.Snapshot, error) {
		<-ctx.Done()
		return fleetview.Snapshot{}, ctx.Err()
	})
	c := fleetview.NewCache(blocked, time.Second, 10*time.Millisecond, nil)
	_, err := c.Snapshot(context.Background())
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestCacheDoesNotCacheACallerThatGaveUp(t *testing.T) {
	var calls atomic.Int64
	entered := make(chan struct{})
	src := fleetview.SourceFunc(func(ctx context.Context) (fleetview.Snapshot, error) {
		if calls.Add(1) == 1 { // the first call hangs until its caller gives up
			close(entered)
			<-ctx.Done()
			return fleetview.Snapshot{}, ctx.Err()
		}
		return fleetview.Snapshot{LiveWorkers: 7}, nil
	})
	c := fleetview.NewCache(src, time.Hour, time.Hour, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.Snapshot(ctx); done <- err }()
	<-entered

	// A second caller waiting for the refresh gives up on its own ctx.
	waitCtx, waitCancel := context.WithCancel(context.Background())
	waitCancel()
	_, err := c.Snapshot(waitCtx)
	require.ErrorIs(t, err, context.Canceled)

	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	s, err := c.Snapshot(context.Background())
	require.NoError(t, err, "the abandoned call was not cached")
	require.Equal(t, 7, s.LiveWorkers)
}
