package sandbox_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"
)

// One merchant's own limit replaces the common one for it alone.
func TestMerchantLimits(t *testing.T) {
	b := setup(t, func(c *sandbox.Config, _ *wechat.Config) {
		c.MerchantLimits = map[string]map[marketing.Operation]int{"1900000002": {marketing.OpProductCouponUpdate: 2}}
	})
	other := b.keys[1].MchID
	require.Equal(t, "1900000002", other)
	for i := range 2 {
		_, _, err := b.client.UpdateProductCoupon(ctx(t), other, productUpdate(fmt.Sprintf("UPD_OWN_%03d", i), "新名字新名字"))
		require.NoError(t, err)
	}
	_, _, err := b.client.UpdateProductCoupon(ctx(t), other, productUpdate("UPD_OWN_002", "新名字新名字"))
	apiError(t, err, http.StatusTooManyRequests, "RATELIMIT_EXCEEDED")
	for i := range 3 {
		_, _, err := b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate(fmt.Sprintf("UPD_COMMON_%03d", i), "新名字新名字"))
		require.NoError(t, err, "the first merchant keeps the common 20/s")
	}

	_, err = sandbox.New(sandbox.Config{Merchants: b.keys, MerchantLimits: map[string]map[marketing.Operation]int{
		"1999999999": {marketing.OpBusifavorUse: 1}, b.mchid(): {"nope": 1},
	}})
	require.ErrorContains(t, err, `merchant "1999999999" is not configured`)
	require.ErrorContains(t, err, "nope")
}
