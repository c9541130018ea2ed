package ratelimit

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/couponq/couponq/internal/embedded"
	"github.com/couponq/couponq/internal/natstest"
)

// testBundle is one embedded JetStream server that tests start limiters on,
// each limiter on its own connection, like separate worker processes.
type testBundle struct {
	srv *natstest.Server
	ctx context.Context
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	return &testBundle{srv: natstest.Start(t), ctx: natstest.Context(t)}
}

// limiter starts a Limiter named id (Close at cleanup); mod may change its
// config.
func (b *testBundle) limiter(t *testing.T, id string, mod func(*Config)) *Limiter {
	t.Helper()
	js, err := jetstream.New(natstest.Connect(t, b.srv.ClientURL()))
	require.NoError(t, err)
	cfg := Config{WorkerID: id, Limits: testLimits()}
	if mod != nil {
		mod(&cfg)
	}
	l, err := New(b.ctx, js, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// testLimits are WeChat Pay's limits for the four job types.
func testLimits() map[string]float64 {
	return map[string]float64{"busifavor.use": 500, "busifavor.stock.get": 50, "product_coupon.use": 100, "product_coupon.update": 20}
}

// run runs l.Run until the returned stop is called (or the test ends).
func run(t *testing.T, l *Limiter) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		require.NoError(t, <-done)
	})
	t.Cleanup(stop)
	return stop
}

// slotLog records the slots granted by several limiters.
type slotLog struct {
	mu    sync.Mutex
	slots []int64
	by    map[*Limiter]int
}

func (s *slotLog) attach(l *Limiter) {
	l.onSlot = func(_ Key, slot int64) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.slots = append(s.slots, slot)
		if s.by == nil {
			s.by = map[*Limiter]int{}
		}
		s.by[l]++
	}
}

func statsFor(l *Limiter, k Key) (KeyStats, bool) {
	for _, ks := range l.Stats().Keys {
		if ks.Key == k {
			return ks, true
		}
	}
	return KeyStats{}, false
}

func TestNewRejectsBadConfigNamingEveryProblem(t *testing.T) {
	_, err := New(context.Background(), nil, Config{
		Limits:   map[string]float64{"busifavor.use": -1},
		Headroom: 1.5,
	})
	require.Error(t, err)
	for _, want := range []string{"limits.busifavor.use", "headroom", "worker_id"} {
		require.ErrorContains(t, err, want)
	}
}

func TestNewCreatesMemoryBucketsIdempotently(t *testing.T) {
	b := setup(t)
	b.limiter(t, "w1", nil)
	b.limiter(t, "w2", nil) // same buckets again
	for _, name := range []string{DefaultStateBucket, DefaultMembersBucket} {
		kv, err := b.srv.JS.KeyValue(b.ctx, name)
		require.NoError(t, err)
		st, err := kv.Status(b.ctx)
		require.NoError(t, err)
		require.Equal(t, jetstream.MemoryStorage, st.Config().Storage, name)
	}
	kv, err := b.srv.JS.KeyValue(b.ctx, DefaultMembersBucket)
	require.NoError(t, err)
	st, err := kv.Status(b.ctx)
	require.NoError(t, err)
	require.Equal(t, DefaultMemberTTL, st.TTL())
}

// Two limiters (two "processes") waiting on one key get slots from one shared
// sequence: no slot twice, consecutive slots at least one interval apart, so
// no second holds more than the paced rate, however the work is split.
func TestLimitersShareOneKeyWithoutOverlap(t *testing.T) {
	b := setup(t)
	var log slotLog
	const limit = 2000.0
	mod := func(c *Config) { c.Limits = map[string]float64{"busifavor.use": limit} }
	ls := []*Limiter{b.limiter(t, "w1", mod), b.limiter(t, "w2", mod)}
	for _, l := range ls {
		log.attach(l)
	}
	key := Key{MchID: "1900000001", Type: "busifavor.use"}
	var wg sync.WaitGroup
	for _, l := range ls {
		for range 8 {
			wg.Go(func() {
				for range 50 {
					_, err := l.Wait(b.ctx, key)
					require.NoError(t, err)
				}
			})
		}
	}
	wg.Wait()

	slots := slices.Clone(log.slots)
	slices.Sort(slots)
	require.Len(t, slots, 800)
	iv := interval(rate(limit, DefaultHeadroom, 1))
	for i := 1; i < len(slots); i++ {
		require.GreaterOrEqual(t, slots[i]-slots[i-1], iv, "slots %d and %d", i-1, i)
	}
	for _, l := range ls {
		require.Positive(t, log.by[l], "each limiter got slots")
		ks, ok := statsFor(l, key)
		require.True(t, ok)
		require.Equal(t, uint64(400), ks.Waits)
		require.GreaterOrEqual(t, ks.Slots, ks.Waits)
		require.Less(t, ks.Reservations, ks.Slots, "slots are reserved in batches")
		require.InDelta(t, limit*DefaultHeadroom, ks.Rate, 1e-9)
	}
}

// A 429 reported by one worker cuts the budget of every worker at once, and a
// burst of 429s from several workers counts once.
func TestThrottledCutsTheBudgetForTheWholeFleet(t *testing.T) {
	b := setup(t)
	a, c := b.limiter(t, "w1", nil), b.limiter(t, "w2", nil)
	// Stretch the hold so the test does not depend on how fast it runs.
	a.aimd.hold, c.aimd.hold = time.Hour, time.Hour
	key := Key{MchID: "1900000001", Type: "product_coupon.update"}
	_, err := a.Wait(b.ctx, key)
	require.NoError(t, err)

	a.Throttled(b.ctx, key)
	ks, ok := statsFor(a, key)
	require.True(t, ok)
	require.InDelta(t, 17, ks.Budget, 1e-9, "20/s × 0.85")
	require.Equal(t, uint64(1), ks.Cuts)
	require.Equal(t, uint64(1), ks.Throttled)

	require.Eventually(t, func() bool {
		ks, ok := statsFor(c, key)
		return ok && ks.Cuts == 1
	}, 10*time.Second, 10*time.Millisecond, "the other worker sees the cut")
	ks, _ = statsFor(c, key)
	require.InDelta(t, 17, ks.Budget, 1e-9)
	require.InDelta(t, 17*DefaultHeadroom, ks.Rate, 1e-9)

	c.Throttled(b.ctx, key)
	a.Throttled(b.ctx, key)
	for _, l := range []*Limiter{a, c} {
		ks, _ := statsFor(l, key)
		require.Equal(t, uint64(1), ks.Cuts, "same burst: no second cut")
		require.InDelta(t, 17, ks.Budget, 1e-9)
	}
	// The slower pace applies to new reservations.
	var log slotLog
	log.attach(c)
	for range 3 {
		_, err := c.Wait(b.ctx, key)
		require.NoError(t, err)
	}
	iv := interval(rate(20, DefaultHeadroom, 0.85))
	require.GreaterOrEqual(t, log.slots[2]-log.slots[1], iv)
	require.GreaterOrEqual(t, log.slots[1]-log.slots[0], iv)
}

// Callers waiting on a starved key do not hold up another key.
func TestWaitsForOneKeyNeverDelayAnother(t *testing.T) {
	b := setup(t)
	l := b.limiter(t, "w1", func(c *Config) {
		c.Limits["product_coupon.update"] = 0.05 // one per 20 s
	})
	slow := Key{MchID: "1900000001", Type: "product_coupon.update"}
	fast := Key{MchID: "1900000001", Type: "busifavor.use"}
	ctx, cancel := context.WithCancel(b.ctx)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := l.Wait(ctx, slow)
			errs <- err
		}()
	}
	// The first goes at once (a fresh state starts now), the others wait
	// 20 s each.
	require.NoError(t, <-errs)
	require.Eventually(t, func() bool {
		ks, ok := statsFor(l, slow)
		return ok && ks.Waiting == 2
	}, 10*time.Second, 5*time.Millisecond)

	for range 5 {
		_, err := l.Wait(b.ctx, fast)
		require.NoError(t, err)
	}
	ks, _ := statsFor(l, slow)
	require.Equal(t, 2, ks.Waiting, "the slow key's callers are still waiting")
	require.Equal(t, uint64(1), ks.Waits)

	cancel()
	for range 2 {
		require.ErrorIs(t, <-errs, context.Canceled)
	}
	ks, _ = statsFor(l, slow)
	require.Zero(t, ks.Waiting)
}

func TestWaitRefusesWhatItCannotPace(t *testing.T) {
	b := setup(t)
	l := b.limiter(t, "w1", nil)
	_, err := l.Wait(b.ctx, Key{MchID: "1900000001", Type: "marketing.unknown"})
	require.ErrorIs(t, err, ErrNoLimit)
	_, err = l.Wait(b.ctx, Key{MchID: "19.00", Type: "busifavor.use"})
	require.ErrorContains(t, err, "invalid merchant id")

	// A caller blocked at Close gets ErrClosed, and so does any later one.
	l2 := b.limiter(t, "w2", func(c *Config) { c.Limits["busifavor.use"] = 0.01 })
	_, err = l2.Wait(b.ctx, Key{MchID: "1900000001", Type: "busifavor.use"}) // the first slot is due at once
	require.NoError(t, err)
	errs := make(chan error, 1)
	go func() {
		_, err := l2.Wait(b.ctx, Key{MchID: "1900000001", Type: "busifavor.use"})
		errs <- err
	}()
	require.Eventually(t, func() bool {
		ks, ok := statsFor(l2, Key{MchID: "1900000001", Type: "busifavor.use"})
		return ok && ks.Waiting == 1
	}, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, l2.Close())
	require.ErrorIs(t, <-errs, ErrClosed)
	_, err = l2.Wait(b.ctx, Key{MchID: "1900000001", Type: "busifavor.use"})
	require.ErrorIs(t, err, ErrClosed)
}

// Workers() follows joins, clean leaves (at once) and crashes (within the
// member TTL). Pacing itself does not use the count.
func TestWorkersFollowsJoinLeaveAndCrash(t *testing.T) {
	b := setup(t)
	fast := func(c *Config) { c.MemberTTL = time.Second }
	a := b.limiter(t, "w1", fast)
	run(t, a)
	workers := func(n int) func() bool { return func() bool { return a.Workers() == n } }
	require.Eventually(t, workers(1), 10*time.Second, 10*time.Millisecond)

	c := b.limiter(t, "w2", fast)
	run(t, c)
	require.Eventually(t, workers(2), 10*time.Second, 10*time.Millisecond, "join")
	require.NoError(t, c.Close())
	require.Eventually(t, workers(1), 10*time.Second, 10*time.Millisecond, "clean leave")

	d := b.limiter(t, "w3", fast)
	stop := run(t, d)
	require.Eventually(t, workers(2), 10*time.Second, 10*time.Millisecond, "join")
	stop() // heartbeats stop without a goodbye: a crash as seen by the others
	require.Eventually(t, workers(1), 10*time.Second, 10*time.Millisecond, "crash noticed after the TTL")
	require.Equal(t, 1, a.Stats().Workers)
}

// With a frozen clock no Wait returns before its slot, and the slots are
// strictly paced: the injected clock alone decides when callers go.
func TestWaitReleasesCallersAtTheirSlotsOnly(t *testing.T) {
	b := setup(t)
	fc := newFakeClock()
	l := b.limiter(t, "w1", func(c *Config) {
		c.Clock = fc
		c.Limits["product_coupon.update"] = 10
	})
	var mu sync.Mutex
	var early []int64
	var slots []int64
	l.onSlot = func(_ Key, slot int64) {
		mu.Lock()
		defer mu.Unlock()
		slots = append(slots, slot)
		if now := l.clk.now(); slot > now {
			early = append(early, slot-now)
		}
	}
	key := Key{MchID: "1900000001", Type: "product_coupon.update"}
	const n = 4
	done := make(chan error, n)
	for range n {
		go func() {
			_, err := l.Wait(b.ctx, key)
			done <- err
		}()
	}
	// Only the caller whose slot is due at once (a fresh state starts now)
	// is released while the clock stands still.
	require.Eventually(t, func() bool {
		ks, ok := statsFor(l, key)
		return ok && len(done) == 1 && ks.Waiting == n-1 && ks.Slots >= 2 && fc.Pending() >= 2
	}, 10*time.Second, 5*time.Millisecond)
	require.Len(t, done, 1)

	// Move the clock to each next timer until everyone went.
	for finished := 0; finished < n; {
		require.Eventually(t, func() bool { return len(done) > 0 || fc.Pending() > 0 },
			10*time.Second, time.Millisecond)
		select {
		case err := <-done:
			require.NoError(t, err)
			finished++
		default:
			if d, ok := fc.NextIn(); ok {
				fc.Advance(d)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, early, "released before the slot")
	slices.Sort(slots)
	iv := interval(rate(10, DefaultHeadroom, 1))
	for i := 1; i < len(slots); i++ {
		require.GreaterOrEqual(t, slots[i]-slots[i-1], iv)
	}
}

// A worker that loses NATS grants nothing (it never falls back to a local
// limit) and says why when the caller gives up; when NATS is back, even
// without its memory-storage buckets, it paces again.
func TestLostNATSGrantsNothingUntilItReturns(t *testing.T) {
	b := setup(t)
	l := b.limiter(t, "w1", func(c *Config) { c.Logger = zaptest.NewLogger(t) })
	stop := run(t, l)
	key := Key{MchID: "1900000001", Type: "busifavor.use"}
	_, err := l.Wait(b.ctx, key)
	require.NoError(t, err)

	b.srv.Shutdown()
	ctx, cancel := context.WithTimeout(b.ctx, opTimeout+2*time.Second)
	defer cancel()
	_, err = l.Wait(ctx, key)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, ErrUnavailable)
	ks, _ := statsFor(l, key)
	require.True(t, ks.Unavailable)
	require.Equal(t, uint64(1), ks.Waits)

	restart(t, b.srv.ClientURL())
	_, err = l.Wait(b.ctx, key)
	require.NoError(t, err)
	ks, _ = statsFor(l, key)
	require.False(t, ks.Unavailable)
	require.Equal(t, uint64(2), ks.Waits)

	// Its watchers came back too: it sees another worker's cut.
	other := b.limiter(t, "w2", nil)
	other.Throttled(b.ctx, key)
	require.Eventually(t, func() bool {
		ks, _ := statsFor(l, key)
		return ks.Cuts == 1
	}, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, other.Close())
	stop()
	require.NoError(t, l.Close(), "heartbeat deleted from the re-created members bucket")
}

// restart starts an empty server where a stopped one listened.
func restart(t *testing.T, clientURL string) {
	t.Helper()
	u, err := url.Parse(clientURL)
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	srv, err := embedded.Start(embedded.Options{StoreDir: t.TempDir(), Port: port, NoSync: true})
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
}

// A caller that gives up hands its reserved slot to the next caller in line
// instead of wasting it.
func TestGivingUpPassesTheSlotOn(t *testing.T) {
	b := setup(t)
	fc := newFakeClock()
	l := b.limiter(t, "w1", func(c *Config) {
		c.Clock = fc
		c.Limits["product_coupon.update"] = 0.1 // one per ~10 s
	})
	var mu sync.Mutex
	var granted []int64
	l.onSlot = func(_ Key, slot int64) {
		mu.Lock()
		defer mu.Unlock()
		granted = append(granted, slot)
	}
	key := Key{MchID: "1900000001", Type: "product_coupon.update"}
	// The key's first slot is due at once (a fresh state bucket).
	_, err := l.Wait(b.ctx, key)
	require.NoError(t, err)
	ctxA, cancelA := context.WithCancel(b.ctx)
	errA := make(chan error, 1)
	go func() {
		_, err := l.Wait(ctxA, key)
		errA <- err
	}()
	// The next slot, 10 s later, is reserved one horizon before it is due:
	// step the driver's sleep until A holds it and sleeps until it.
	require.Eventually(t, func() bool { return fc.Pending() == 1 }, 10*time.Second, time.Millisecond)
	if d, ok := fc.NextIn(); ok {
		fc.Advance(d)
	}
	require.Eventually(t, func() bool {
		ks, ok := statsFor(l, key)
		return ok && ks.Slots == 2 && fc.Pending() == 1 // A's sleep until its slot
	}, 10*time.Second, time.Millisecond)
	mu.Lock()
	first := granted[len(granted)-1] + interval(rate(0.1, DefaultHeadroom, 1))
	mu.Unlock()
	errB := make(chan error, 1)
	go func() {
		_, err := l.Wait(b.ctx, key)
		errB <- err
	}()
	require.Eventually(t, func() bool {
		ks, _ := statsFor(l, key)
		return ks.Waiting == 2
	}, 10*time.Second, time.Millisecond)

	cancelA()
	require.ErrorIs(t, <-errA, context.Canceled)
	// Step through the timers (the driver's retry for B, then B's sleep).
	for len(errB) == 0 {
		require.Eventually(t, func() bool { return len(errB) > 0 || fc.Pending() > 0 },
			10*time.Second, time.Millisecond)
		if d, ok := fc.NextIn(); ok && len(errB) == 0 {
			fc.Advance(d)
		}
	}
	require.NoError(t, <-errB)
	ks, _ := statsFor(l, key)
	require.Equal(t, uint64(2), ks.Slots, "B used A's slot; nothing new was reserved")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, granted, 2)
	require.InDelta(t, float64(first), float64(granted[1]), float64(ms), "A's slot, one interval after the first")
}
