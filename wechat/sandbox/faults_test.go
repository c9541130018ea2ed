package sandbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/require"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/validators"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"

	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

func TestFailBeforeEffect(t *testing.T) {
	b := setup(t, noBackup)
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.FailBeforeEffect, Count: 2})
	req := busifavorUse("fail-before", "FB0001")
	for range 2 {
		_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), req)
		apiError(t, err, http.StatusInternalServerError, "SYSTEM_ERROR")
		require.Equal(t, wechat.ClassRetryable, wechat.Classify(err))
	}
	require.Equal(t, 0, b.sb.Effects(marketing.OpBusifavorUse))
	_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err, "the fault was used up")
	require.Equal(t, 1, b.sb.Effects(marketing.OpBusifavorUse))
	require.Equal(t, sandbox.EndpointStats{Requests: 3, Status2xx: 1, Status5xx: 2, MaxAcceptedPerSecond: 3}, b.sb.Stats(marketing.OpBusifavorUse))
}

func TestFailAfterEffect(t *testing.T) {
	b := setup(t, noBackup)
	b.sb.Inject(sandbox.Fault{Op: marketing.OpProductCouponUse, Kind: sandbox.FailAfterEffect})
	req := productUse("fail-after", "FA_0001")
	_, _, err := b.client.UseProductCoupon(ctx(t), b.mchid(), req)
	apiError(t, err, http.StatusInternalServerError, "SYSTEM_ERROR")
	require.Equal(t, 1, b.sb.Effects(marketing.OpProductCouponUse), "the redemption happened")

	coupon, _, err := b.client.UseProductCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err, "the retry with the same number gets the idempotent 200")
	require.Equal(t, "USED", coupon.CouponState)
	require.Equal(t, 1, b.sb.Effects(marketing.OpProductCouponUse))
}

// TestFailoverToBackupListener serves the same sandbox on two listeners, as
// cmd/sandbox --backup-addr does: the client's failover after a 500 reaches
// the same state.
func TestFailoverToBackupListener(t *testing.T) {
	var backup *httptest.Server
	b := setup(t, func(_ *sandbox.Config, w *wechat.Config) {
		backup = httptest.NewUnstartedServer(nil)
		w.BackupURL = "http://" + backup.Listener.Addr().String()
	})
	backup.Config.Handler = b.sb.Handler()
	backup.Start()
	t.Cleanup(backup.Close)

	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.FailAfterEffect})
	_, resp, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("failover", "FO0001"))
	require.NoError(t, err)
	require.Equal(t, backup.URL, strings.TrimSuffix(resp.Host, "/"))
	require.Equal(t, 1, b.sb.Effects(marketing.OpBusifavorUse))
	require.Equal(t, sandbox.EndpointStats{Requests: 2, Status2xx: 1, Status5xx: 1, MaxAcceptedPerSecond: 2}, b.sb.Stats(marketing.OpBusifavorUse))
}

func TestBusifavorSystemError(t *testing.T) {
	b := setup(t)
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.BusifavorSystemError})
	_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("sys", "SYS0001"))
	apiError(t, err, http.StatusBadRequest, "SYSTEM_ERROR")
	require.Equal(t, wechat.ClassRetryable, wechat.Classify(err))
	require.Equal(t, 0, b.sb.Effects(marketing.OpBusifavorUse))
}

func TestProbeSignature(t *testing.T) {
	b := setup(t)
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.ProbeSignature})
	_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("probe", "PROBE0001"))
	var ue *wechat.UnverifiedError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, 1, b.sb.Effects(marketing.OpBusifavorUse), "a probe answers a processed request")

	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.ProbeSignature})
	req := busifavorUse("probe2", "PROBE0002")
	body, err := req.Body()
	require.NoError(t, err)
	resp := b.send(t, rawRequest{method: http.MethodPost, path: req.Path(), body: body, merchant: b.clients[0]})
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Wechatpay-Signature"), "WECHATPAY/SIGNTEST/"))
	require.Greater(t, len(resp.Header.Get("Wechatpay-Signature")), len("WECHATPAY/SIGNTEST/"))
}

func TestTamperBody(t *testing.T) {
	b := setup(t)
	b.sb.Inject(sandbox.Fault{Op: marketing.OpProductCouponUpdate, Kind: sandbox.TamperBody})
	_, _, err := b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate("TAMPER_01", "新名字新名字"))
	var ue *wechat.UnverifiedError
	require.ErrorAs(t, err, &ue)

	b.sb.Inject(sandbox.Fault{Op: marketing.OpProductCouponUpdate, Kind: sandbox.TamperBody})
	req := productUpdate("TAMPER_02", "新名字新名字")
	body, err := req.Body()
	require.NoError(t, err)
	resp := b.send(t, rawRequest{method: http.MethodPatch, path: req.Path(), body: body, merchant: b.clients[0]})
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	validator := validators.NewWechatPayResponseValidator(
		verifiers.NewSHA256WithRSAPubkeyVerifier(b.clients[0].PublicKeyID, *b.clients[0].PublicKey))
	require.Error(t, validator.Validate(context.Background(), resp))
}

func TestLatency(t *testing.T) {
	b := setup(t)
	const delay = 30 * time.Millisecond
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorStockGet, Kind: sandbox.Latency, Delay: delay})
	start := time.Now()
	_, _, err := b.client.GetBusifavorStock(ctx(t), b.mchid(), &marketing.BusifavorStockGetRequest{StockID: sandbox.FixtureBusifavorStockID})
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), delay)
}

// TestLatencyOutlivesClient: a client that gives up during the added latency
// gets no answer, and nothing changes.
func TestLatencyOutlivesClient(t *testing.T) {
	b := setup(t, noBackup)
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.Latency, Delay: time.Hour})
	err := b.callAndCancel(t, func(c context.Context) error {
		_, _, err := b.client.UseBusifavorCoupon(c, b.mchid(), busifavorUse("slow", "SLOW0001"))
		return err
	}, marketing.OpBusifavorUse)
	var te *wechat.TransportError
	require.ErrorAs(t, err, &te)
	require.Equal(t, 0, b.sb.Effects(marketing.OpBusifavorUse))
}

func TestHang(t *testing.T) {
	b := setup(t, noBackup)
	b.sb.Inject(sandbox.Fault{Op: marketing.OpProductCouponUse, Kind: sandbox.Hang})
	req := productUse("hang", "HANG_0001")
	err := b.callAndCancel(t, func(c context.Context) error {
		_, _, err := b.client.UseProductCoupon(c, b.mchid(), req)
		return err
	}, marketing.OpProductCouponUse)
	var te *wechat.TransportError
	require.ErrorAs(t, err, &te)
	require.Equal(t, wechat.ClassRetryable, wechat.Classify(err))
	require.Equal(t, 0, b.sb.Effects(marketing.OpProductCouponUse))
	require.Eventually(t, func() bool {
		return b.sb.Stats(marketing.OpProductCouponUse) == sandbox.EndpointStats{Requests: 1, MaxAcceptedPerSecond: 1}
	}, 10*time.Second, time.Millisecond, "counted, but never answered")

	_, _, err = b.client.UseProductCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err, "the next request is served")
}

// TestCloseReleasesHungRequests: Close ends hung requests without an answer.
func TestCloseReleasesHungRequests(t *testing.T) {
	b := setup(t, noBackup)
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.Hang})
	done := make(chan error, 1)
	go func() {
		_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("hang", "HANG0002"))
		done <- err
	}()
	require.Eventually(t, func() bool { return b.sb.Stats(marketing.OpBusifavorUse).Requests == 1 }, 10*time.Second, time.Millisecond)
	b.sb.Close()
	var te *wechat.TransportError
	require.ErrorAs(t, <-done, &te)
}

// callAndCancel runs call and cancels its context once the sandbox has
// received the request.
func (b *bundle) callAndCancel(t *testing.T, call func(context.Context) error, op marketing.Operation) error {
	t.Helper()
	c, cancel := context.WithCancel(ctx(t))
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- call(c) }()
	require.Eventually(t, func() bool { return b.sb.Stats(op).Requests == 1 }, 10*time.Second, time.Millisecond)
	cancel()
	return <-done
}

func TestFaultsApplyInOrderPerOperation(t *testing.T) {
	b := setup(t, noBackup)
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.BusifavorSystemError})
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.FailBeforeEffect})
	require.Equal(t, 2, b.sb.PendingFaults(marketing.OpBusifavorUse))

	// Another operation is not affected.
	_, _, err := b.client.GetBusifavorStock(ctx(t), b.mchid(), &marketing.BusifavorStockGetRequest{StockID: sandbox.FixtureBusifavorStockID})
	require.NoError(t, err)

	req := busifavorUse("order", "ORDER0001")
	_, _, err = b.client.UseBusifavorCoupon(ctx(t), b.mchid(), req)
	apiError(t, err, http.StatusBadRequest, "SYSTEM_ERROR")
	_, _, err = b.client.UseBusifavorCoupon(ctx(t), b.mchid(), req)
	apiError(t, err, http.StatusInternalServerError, "SYSTEM_ERROR")
	_, _, err = b.client.UseBusifavorCoupon(ctx(t), b.mchid(), req)
	require.NoError(t, err)
	require.Zero(t, b.sb.PendingFaults(marketing.OpBusifavorUse))

	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.Hang, Count: 5})
	b.sb.ClearFaults()
	require.Zero(t, b.sb.PendingFaults(marketing.OpBusifavorUse))
}

func TestFaultsSkipRejectedRequests(t *testing.T) {
	b := setup(t, func(c *sandbox.Config, w *wechat.Config) {
		c.Limits = map[marketing.Operation]int{marketing.OpBusifavorUse: 1}
		w.BackupURL = wechat.NoBackup
	})
	_, _, err := b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("skip", "SKIP0001"))
	require.NoError(t, err)
	b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.FailBeforeEffect})
	_, _, err = b.client.UseBusifavorCoupon(ctx(t), b.mchid(), busifavorUse("skip2", "SKIP0002"))
	apiError(t, err, http.StatusTooManyRequests, "FREQUENCY_LIMITED")
	require.Equal(t, 1, b.sb.PendingFaults(marketing.OpBusifavorUse), "a 429 does not use up a fault")
}

func TestInjectPanicsOnUnknownKind(t *testing.T) {
	b := setup(t)
	require.Panics(t, func() { b.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: 99}) })
	require.Panics(t, func() { b.sb.Inject(sandbox.Fault{Op: "nope", Kind: sandbox.Hang}) })
}
