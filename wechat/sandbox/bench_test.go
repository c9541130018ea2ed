package sandbox_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

// BenchmarkBusifavorUse measures the sandbox's throughput for signed,
// verified redemptions over real HTTP (client signing and verification
// included), with the rate limit off.
func BenchmarkBusifavorUse(b *testing.B) {
	bd := setup(b, func(c *sandbox.Config, w *wechat.Config) {
		c.Limits = map[marketing.Operation]int{marketing.OpBusifavorUse: 0}
	})
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, _, err := bd.client.UseBusifavorCoupon(ctx(b), bd.mchid(), busifavorUse(fmt.Sprintf("bench-%d", i), fmt.Sprintf("BENCH%d", i))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if got := bd.sb.Effects(marketing.OpBusifavorUse); int64(got) != n.Load() {
		b.Fatalf("effects %d, requests %d", got, n.Load())
	}
}

// BenchmarkProductCouponUse is BenchmarkBusifavorUse for the larger product
// coupon answers (about 4 KiB each, rendered per request).
func BenchmarkProductCouponUse(b *testing.B) {
	bd := setup(b, func(c *sandbox.Config, w *wechat.Config) {
		c.Limits = map[marketing.Operation]int{marketing.OpProductCouponUse: 0}
	})
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, _, err := bd.client.UseProductCoupon(ctx(b), bd.mchid(), productUse(fmt.Sprintf("bench-%d", i), fmt.Sprintf("BENCH_%d", i))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
