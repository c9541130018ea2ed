package sandbox_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

func TestDefaultLimits(t *testing.T) {
	require.Equal(t, 500, sandbox.DefaultLimit(marketing.OpBusifavorUse))
	require.Equal(t, 20, sandbox.DefaultLimit(marketing.OpProductCouponUpdate))
	require.Equal(t, 100, sandbox.DefaultLimit(marketing.OpProductCouponUse))
	require.Equal(t, 50, sandbox.DefaultLimit(marketing.OpBusifavorStockGet))

	b := setup(t)
	require.Equal(t, map[marketing.Operation]int{
		marketing.OpBusifavorUse: 500, marketing.OpProductCouponUpdate: 20,
		marketing.OpProductCouponUse: 100, marketing.OpBusifavorStockGet: 50,
	}, b.sb.Limits())
}

// TestProductCouponUpdateLimit drives the documented 20/s limit with the
// clock standing still, then moves it.
func TestProductCouponUpdateLimit(t *testing.T) {
	b := setup(t)
	update := func(i int) error {
		_, _, err := b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate(fmt.Sprintf("UPD_LIMIT_%03d", i), "新名字新名字"))
		return err
	}
	for i := range 20 {
		require.NoError(t, update(i))
	}
	err := update(20)
	apiError(t, err, http.StatusTooManyRequests, "RATELIMIT_EXCEEDED")
	require.Equal(t, wechat.ClassRateLimited, wechat.Classify(err))
	require.Equal(t, 20, b.sb.Effects(marketing.OpProductCouponUpdate), "a 429 has no effect")

	// Another merchant has its own budget.
	_, _, err = b.client.UpdateProductCoupon(ctx(t), b.keys[1].MchID, productUpdate("UPD_LIMIT_OTHER", "新名字新名字"))
	require.NoError(t, err)

	// 999 ms later the first 20 are still inside the trailing second.
	b.clock.Advance(999 * time.Millisecond)
	apiError(t, update(21), http.StatusTooManyRequests, "RATELIMIT_EXCEEDED")
	b.clock.Advance(time.Millisecond)
	require.NoError(t, update(22))

	s := b.sb.StatsFor(b.mchid(), marketing.OpProductCouponUpdate)
	require.Equal(t, sandbox.EndpointStats{Requests: 23, Status2xx: 21, Status429: 2, MaxAcceptedPerSecond: 20}, s)
	all := b.sb.Stats(marketing.OpProductCouponUpdate)
	require.Equal(t, int64(21), all.MaxAcceptedPerSecond, "both merchants together within one second")
}

func TestBusifavorLimitCode(t *testing.T) {
	b := setup(t, func(c *sandbox.Config, _ *wechat.Config) {
		c.Limits = map[marketing.Operation]int{marketing.OpBusifavorUse: 2, marketing.OpBusifavorStockGet: 0}
	})
	for i := range 2 {
		_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse(fmt.Sprintf("lim-%d", i), fmt.Sprintf("LIM%d", i)))
		require.NoError(t, err)
	}
	_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("lim-2", "LIM2"))
	apiError(t, err, http.StatusTooManyRequests, "FREQUENCY_LIMITED")

	// 0 means unlimited.
	for range 60 {
		_, _, err := b.client.GetBusifavorStock(ctx(t), b.mchid(), &marketing.BusifavorStockGetRequest{StockID: sandbox.FixtureBusifavorStockID})
		require.NoError(t, err)
	}
	require.Equal(t, int64(60), b.sb.Stats(marketing.OpBusifavorStockGet).MaxAcceptedPerSecond)

	// SetLimit applies at once.
	b.sb.SetLimit(marketing.OpBusifavorStockGet, 1)
	b.clock.Advance(time.Second)
	_, _, err = b.client.GetBusifavorStock(ctx(t), b.mchid(), &marketing.BusifavorStockGetRequest{StockID: sandbox.FixtureBusifavorStockID})
	require.NoError(t, err)
	_, _, err = b.client.GetBusifavorStock(ctx(t), b.mchid(), &marketing.BusifavorStockGetRequest{StockID: sandbox.FixtureBusifavorStockID})
	apiError(t, err, http.StatusTooManyRequests, "FREQUENCY_LIMITED")
}

// TestConcurrentLimit fires many requests at once: exactly the limit pass in
// one (frozen) second, and MaxAcceptedPerSecond never exceeds it.
func TestConcurrentLimit(t *testing.T) {
	b := setup(t, func(c *sandbox.Config, _ *wechat.Config) {
		c.Limits = map[marketing.Operation]int{marketing.OpBusifavorUse: 25}
	})
	const n = 60
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse(fmt.Sprintf("conc-%d", i), fmt.Sprintf("CONC%d", i)))
		})
	}
	wg.Wait()
	ok, limited := 0, 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		apiError(t, err, http.StatusTooManyRequests, "FREQUENCY_LIMITED")
		limited++
	}
	require.Equal(t, 25, ok)
	require.Equal(t, n-25, limited)
	s := b.sb.Stats(marketing.OpBusifavorUse)
	require.Equal(t, int64(25), s.MaxAcceptedPerSecond)
	require.Equal(t, int64(n-25), s.Status429)
	require.Equal(t, 25, b.sb.Effects(marketing.OpBusifavorUse))
}

func TestResetStats(t *testing.T) {
	b := setup(t, func(c *sandbox.Config, _ *wechat.Config) {
		c.Limits = map[marketing.Operation]int{marketing.OpBusifavorUse: 3}
	})
	for i := range 3 {
		_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse(fmt.Sprintf("reset-%d", i), fmt.Sprintf("RESET%d", i)))
		require.NoError(t, err)
	}
	b.sb.ResetStats()
	require.Equal(t, sandbox.EndpointStats{}, b.sb.Stats(marketing.OpBusifavorUse))
	require.Equal(t, 3, b.sb.Effects(marketing.OpBusifavorUse), "state and effects survive a reset")

	// The limiter still remembers the last second.
	_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("reset-3", "RESET3"))
	apiError(t, err, http.StatusTooManyRequests, "FREQUENCY_LIMITED")
	b.clock.Advance(500 * time.Millisecond)
	apiError(t, func() error {
		_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("reset-3", "RESET3"))
		return err
	}(), http.StatusTooManyRequests, "FREQUENCY_LIMITED")
	b.clock.Advance(500 * time.Millisecond)
	_, _, err = b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("reset-3", "RESET3"))
	require.NoError(t, err)
	require.Equal(t, sandbox.EndpointStats{Requests: 3, Status2xx: 1, Status429: 2, MaxAcceptedPerSecond: 1}, b.sb.Stats(marketing.OpBusifavorUse))
}
