package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/wechat/sandbox"
)

func TestAdminAPI(t *testing.T) {
	b := setup(t, noBackup)
	admin := &sandbox.AdminClient{BaseURL: b.srv.URL}

	limits, err := admin.SetLimits(ctx(t), map[marketing.Operation]int{marketing.OpProductCouponUpdate: 1})
	require.NoError(t, err)
	require.Equal(t, 1, limits[marketing.OpProductCouponUpdate])
	require.Equal(t, 500, limits[marketing.OpBusifavorUse])
	got, err := admin.Limits(ctx(t))
	require.NoError(t, err)
	require.Equal(t, limits, got)

	require.NoError(t, admin.Inject(ctx(t), sandbox.Fault{Op: marketing.OpProductCouponUpdate, Kind: sandbox.FailBeforeEffect}))
	require.Equal(t, 1, b.sb.PendingFaults(marketing.OpProductCouponUpdate))
	_, _, err = b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate("ADMIN_001", "新名字新名字"))
	apiError(t, err, http.StatusInternalServerError, "SYSTEM_ERROR")
	_, _, err = b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate("ADMIN_001", "新名字新名字"))
	apiError(t, err, http.StatusTooManyRequests, "RATELIMIT_EXCEEDED")

	stats, err := admin.Stats(ctx(t))
	require.NoError(t, err)
	require.Len(t, stats, len(marketing.Operations()))
	require.Equal(t, sandbox.EndpointStats{Requests: 2, Status5xx: 1, Status429: 1, MaxAcceptedPerSecond: 1}, stats[marketing.OpProductCouponUpdate])
	mine, err := admin.StatsFor(ctx(t), b.mchid())
	require.NoError(t, err)
	require.Equal(t, stats[marketing.OpProductCouponUpdate], mine[marketing.OpProductCouponUpdate])
	theirs, err := admin.StatsFor(ctx(t), b.keys[1].MchID)
	require.NoError(t, err)
	require.Equal(t, sandbox.EndpointStats{}, theirs[marketing.OpProductCouponUpdate])

	b.clock.Advance(time.Second)
	_, _, err = b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate("ADMIN_001", "新名字新名字"))
	require.NoError(t, err)
	effects, err := admin.Effects(ctx(t))
	require.NoError(t, err)
	require.Equal(t, 1, effects[marketing.OpProductCouponUpdate])

	require.NoError(t, admin.ResetStats(ctx(t)))
	stats, err = admin.Stats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, sandbox.EndpointStats{}, stats[marketing.OpProductCouponUpdate])

	require.NoError(t, admin.Inject(ctx(t), sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.Latency, Count: 3, Delay: time.Second}))
	require.Equal(t, 3, b.sb.PendingFaults(marketing.OpBusifavorUse))
	require.NoError(t, admin.ClearFaults(ctx(t)))
	require.Zero(t, b.sb.PendingFaults(marketing.OpBusifavorUse))
}

func TestAdminAPIRejectsBadInput(t *testing.T) {
	b := setup(t)
	admin := &sandbox.AdminClient{BaseURL: b.srv.URL}
	require.ErrorContains(t, admin.Inject(ctx(t), sandbox.Fault{Op: "nope", Kind: sandbox.Hang}), "400")
	_, err := admin.SetLimits(ctx(t), map[marketing.Operation]int{"nope": 1})
	require.ErrorContains(t, err, "400")

	for _, body := range []string{
		`{"op":"busifavor.use","kind":"explode"}`,
		`{"op":"busifavor.use","kind":"latency","delay":"soon"}`,
		`{"op":"busifavor.use","kind":"hang","count":-1}`,
		`not json`,
	} {
		resp, err := http.Post(b.srv.URL+sandbox.AdminFaultsPath, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		require.NotEmpty(t, resp.Header.Get("Request-ID"))
		require.Equal(t, "PARAM_ERROR", readError(t, resp).Code)
	}
	require.Zero(t, b.sb.PendingFaults(marketing.OpBusifavorUse))
}

func TestFaultJSON(t *testing.T) {
	f := sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.Latency, Count: 2, Delay: 1500 * time.Millisecond}
	raw, err := json.Marshal(f)
	require.NoError(t, err)
	require.JSONEq(t, `{"op":"busifavor.use","kind":"latency","count":2,"delay":"1.5s"}`, string(raw))
	var back sandbox.Fault
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, f, back)

	for _, k := range []sandbox.FaultKind{sandbox.FailBeforeEffect, sandbox.FailAfterEffect, sandbox.Latency, sandbox.Hang,
		sandbox.ProbeSignature, sandbox.TamperBody, sandbox.BusifavorSystemError} {
		parsed, err := sandbox.ParseFaultKind(k.String())
		require.NoError(t, err)
		require.Equal(t, k, parsed)
	}
	require.Equal(t, "fail_after_effect", sandbox.FailAfterEffect.String())
}
