package sandbox

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWindowLimit(t *testing.T) {
	var w window
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 5 {
		require.True(t, w.allow(t0.Add(time.Duration(i)*time.Millisecond), 5))
	}
	require.False(t, w.allow(t0.Add(999*time.Millisecond), 5))
	require.True(t, w.allow(t0.Add(time.Second), 5), "the first request left the window")
	require.False(t, w.allow(t0.Add(time.Second), 5))
	require.Equal(t, int64(5), w.max)
}

func TestWindowUnlimitedCountsMax(t *testing.T) {
	var w window
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 100 {
		require.True(t, w.allow(t0.Add(time.Duration(i)*20*time.Millisecond), 0))
	}
	require.Equal(t, int64(50), w.max, "50 requests 20 ms apart fit in one second")
	require.LessOrEqual(t, len(w.ring), 64, "memory stays bounded by the busiest second")
}

// TestWindowMaxIsExact compares the window's maximum with a brute-force count
// over random arrival times.
func TestWindowMaxIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		var w window
		limit := rng.IntN(8) // 0 = unlimited
		now := time.Unix(1_700_000_000, 0)
		var accepted []time.Time
		for range 300 {
			now = now.Add(time.Duration(rng.IntN(300)) * time.Millisecond)
			if w.allow(now, limit) {
				accepted = append(accepted, now)
			}
		}
		var brute int64
		for i := range accepted {
			n := int64(0)
			for j := 0; j <= i; j++ {
				if accepted[i].Sub(accepted[j]) < time.Second {
					n++
				}
			}
			brute = max(brute, n)
		}
		require.Equal(t, brute, w.max, "round %d", round)
		if limit > 0 {
			require.LessOrEqual(t, w.max, int64(limit))
		}
	}
}

func TestWindowResetMax(t *testing.T) {
	var w window
	t0 := time.Unix(1_700_000_000, 0)
	for range 3 {
		require.True(t, w.allow(t0, 4))
	}
	w.resetMax()
	require.Zero(t, w.max)
	require.True(t, w.allow(t0, 4))
	require.False(t, w.allow(t0, 4), "the limit still counts requests from before the reset")
	require.Equal(t, int64(1), w.max)
	require.True(t, w.allow(t0.Add(time.Second), 4))
	require.Equal(t, int64(1), w.max)
}

func TestWindowClockGoingBack(t *testing.T) {
	var w window
	t0 := time.Unix(1_700_000_000, 0)
	require.True(t, w.allow(t0, 2))
	require.True(t, w.allow(t0.Add(-time.Hour), 2), "an older reading counts as the newest time")
	require.False(t, w.allow(t0, 2))
}

func TestParseAuthorization(t *testing.T) {
	p, err := parseAuthorization(`WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="abc", signature="s+/=",timestamp="1554208460",serial_no="SER"`)
	require.NoError(t, err)
	require.Equal(t, authParams{MchID: "1900000001", NonceStr: "abc", Signature: "s+/=", Timestamp: "1554208460", SerialNo: "SER"}, p)

	for _, bad := range []string{
		``,
		`Basic abc`,
		`WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="a",signature="s",timestamp="1"`,
		`WECHATPAY2-SHA256-RSA2048 mchid="1",mchid="2",nonce_str="a",signature="s",timestamp="1",serial_no="x"`,
		`WECHATPAY2-SHA256-RSA2048 mchid=1,nonce_str="a",signature="s",timestamp="1",serial_no="x"`,
		`WECHATPAY2-SHA256-RSA2048 mchid="1" nonce_str="a",signature="s",timestamp="1",serial_no="x"`,
		`WECHATPAY2-SHA256-RSA2048 mchid="1,nonce_str="a"`,
		`WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="a",signature="s",timestamp="1",serial_no="x",extra="y"`,
		`WECHATPAY2-SHA256-RSA2048 mchid="",nonce_str="a",signature="s",timestamp="1",serial_no="x"`,
	} {
		_, err := parseAuthorization(bad)
		require.Error(t, err, bad)
	}
}
