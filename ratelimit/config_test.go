package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLimitLookup(t *testing.T) {
	c := Config{
		Limits:         map[string]float64{"busifavor.use": 300, "product_coupon.update": 20},
		MerchantLimits: map[string]map[string]float64{"1900000002": {"product_coupon.update": 10}},
	}
	v, ok := c.limit(Key{MchID: "1900000001", Type: "busifavor.use"})
	require.True(t, ok)
	require.Equal(t, 300.0, v)
	v, ok = c.limit(Key{MchID: "1900000002", Type: "product_coupon.update"})
	require.True(t, ok)
	require.Equal(t, 10.0, v, "the merchant's own limit wins")
	v, ok = c.limit(Key{MchID: "1900000002", Type: "busifavor.use"})
	require.True(t, ok)
	require.Equal(t, 300.0, v, "types the merchant does not override: the type's limit")
	_, ok = c.limit(Key{MchID: "1900000001", Type: "marketing.unknown"})
	require.False(t, ok)
}

func TestConfigDefaultsAndValidation(t *testing.T) {
	c := Config{WorkerID: "worker-7f3a"}.withDefaults()
	require.NoError(t, c.validate())
	require.Equal(t, DefaultHeadroom, c.Headroom)
	require.Equal(t, "couponq_ratelimit", c.StateBucket)
	require.Equal(t, "couponq_workers", c.MembersBucket)
	require.Equal(t, 1, c.Replicas)
	require.Equal(t, 5*time.Second, c.MemberTTL)

	bad := Config{
		WorkerID:      "has space",
		Limits:        map[string]float64{"Bad Type": 10, "busifavor.use": 0},
		Headroom:      -1,
		StateBucket:   "same",
		MembersBucket: "same",
		Replicas:      9,
		MemberTTL:     time.Millisecond,
	}.withDefaults()
	err := bad.validate()
	for _, want := range []string{"worker_id", `invalid job type "Bad Type"`, "limits.busifavor.use",
		"headroom", "members_bucket: must differ", "replicas", "member_ttl"} {
		require.ErrorContains(t, err, want)
	}
}

func TestKeyNamesAKVKey(t *testing.T) {
	k := Key{MchID: "1900000001", Type: "product_coupon.update"}
	require.Equal(t, "1900000001/product_coupon.update", k.String())
	require.Equal(t, "1900000001.product_coupon.update", k.kvKey())
	back, ok := parseKVKey(k.kvKey())
	require.True(t, ok)
	require.Equal(t, k, back)
	for _, bad := range []Key{{"", "busifavor.use"}, {"19.00", "busifavor.use"}, {"1900000001", ""}, {"1900000001", "a..b"}, {"1900000001", "A"}} {
		require.Error(t, bad.validate(), "%+v", bad)
	}
	_, ok = parseKVKey("nodot")
	require.False(t, ok)
}
