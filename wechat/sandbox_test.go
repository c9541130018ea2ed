package wechat_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

// These tests run the client against the shared sandbox (wechat/sandbox)
// over real HTTP: one sandbox handler behind two listeners plays the
// primary and the backup host (they share state, as api and api2 do).

// sandboxKeys are generated once: RSA-2048 generation is slow under -race.
var sandboxKeys = sync.OnceValues(func() ([]sandbox.MerchantKeys, []wechat.Merchant) {
	var keys []sandbox.MerchantKeys
	var clients []wechat.Merchant
	for _, id := range []string{"1900000001", "1900000002"} {
		k, c, err := sandbox.NewMerchant(id)
		if err != nil {
			panic(err)
		}
		keys, clients = append(keys, k), append(clients, c)
	}
	return keys, clients
})

// settable is a settable clock shared by the sandbox and the client.
type settable struct{ ns atomic.Int64 }

func newClock() *settable                   { c := &settable{}; c.ns.Store(time.Now().UnixNano()); return c }
func (c *settable) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *settable) Advance(d time.Duration) { c.ns.Add(int64(d)) }

type env struct {
	sb              *sandbox.Sandbox
	primary, backup *httptest.Server
	clock           *settable
	merchants       []wechat.Merchant
	pacer           *pacer
}

// pacer counts attempts per operation.
type pacer struct {
	mu    sync.Mutex
	calls map[marketing.Operation]int
}

func (p *pacer) Wait(ctx context.Context, _ string, op marketing.Operation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[op]++
	return ctx.Err()
}

func (p *pacer) count(op marketing.Operation) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

// newEnv starts a sandbox with unlimited rates (limits are tested apart).
func newEnv(t testing.TB) *env {
	t.Helper()
	keys, merchants := sandboxKeys()
	e := &env{clock: newClock(), merchants: merchants, pacer: &pacer{calls: map[marketing.Operation]int{}}}
	limits := map[marketing.Operation]int{}
	for _, op := range marketing.Operations() {
		limits[op] = 0
	}
	sb, err := sandbox.New(sandbox.Config{Merchants: keys, Limits: limits, Clock: clock.Func(e.clock.Now)})
	require.NoError(t, err)
	e.sb = sb
	e.primary = httptest.NewServer(sb.Handler())
	e.backup = httptest.NewServer(sb.Handler())
	t.Cleanup(e.backup.Close)
	t.Cleanup(e.primary.Close)
	t.Cleanup(sb.Close) // runs first: releases hung requests
	return e
}

// client returns a client on the env; edit adjusts its config.
func (e *env) client(t testing.TB, edit func(*wechat.Config)) *wechat.Client {
	t.Helper()
	cfg := wechat.Config{BaseURL: e.primary.URL, BackupURL: e.backup.URL, Clock: clock.Func(e.clock.Now), Timeout: 10 * time.Second, Pacer: e.pacer}
	if edit != nil {
		edit(&cfg)
	}
	c, err := wechat.New(cfg, e.merchants...)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func noBackup(c *wechat.Config) { c.BackupURL = wechat.NoBackup }

const mch = "1900000001"

var seq atomic.Int64

// next returns a fresh suffix for request numbers and coupon codes.
func next() string { return fmt.Sprintf("%06d", seq.Add(1)) }

// requests returns a fresh, valid request for op against the fixtures.
func request(e *env, op marketing.Operation) marketing.Request {
	n := next()
	useTime := e.clock.Now().Format(time.RFC3339)
	switch op {
	case marketing.OpBusifavorUse:
		return &marketing.BusifavorUseRequest{CouponCode: "BF" + n, StockID: sandbox.FixtureBusifavorStockID,
			AppID: sandbox.FixtureAppID, UseTime: useTime, UseRequestNo: "USE" + n, OpenID: "openid-" + n}
	case marketing.OpBusifavorStockGet:
		return &marketing.BusifavorStockGetRequest{StockID: sandbox.FixtureBusifavorStockID}
	case marketing.OpProductCouponUse:
		return &marketing.ProductCouponUseRequest{OpenID: "openid-" + n, CouponCode: "PC" + n,
			ProductCouponID: sandbox.FixtureProductCouponID, StockID: sandbox.FixtureProductStockID,
			AppID: sandbox.FixtureAppID, UseTime: useTime,
			AssociatedOrderInfo: &marketing.AssociatedOrderInfo{OutTradeNo: "trade_" + n, MchID: mch},
			OutRequestNo:        "PCUSE_" + n, BrandID: sandbox.FixtureBrandID}
	case marketing.OpProductCouponUpdate:
		return &marketing.ProductCouponUpdateRequest{ProductCouponID: sandbox.FixtureProductCouponID,
			OutRequestNo: "PCUPD_" + n, BrandID: sandbox.FixtureBrandID,
			DisplayInfo: &marketing.ProductCouponDisplayInfo{Name: "新名字" + n[len(n)-3:],
				ImageURL: "https://wxpaylogo.qpic.cn/wxpaylogo/a", BackgroundURL: "https://wxpaylogo.qpic.cn/wxpaylogo/b"}}
	}
	panic(op)
}

// effectful reports whether op changes state (so Effects counts it).
func effectful(op marketing.Operation) bool { return op != marketing.OpBusifavorStockGet }

func TestSandboxSuccess(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, noBackup)
	ctx := t.Context()

	bu := request(e, marketing.OpBusifavorUse).(*marketing.BusifavorUseRequest)
	used, resp, err := c.UseBusifavorCoupon(ctx, mch, bu)
	require.NoError(t, err)
	assert.Equal(t, sandbox.FixtureBusifavorStockID, used.StockID)
	assert.Equal(t, bu.OpenID, used.OpenID)
	assert.NotEmpty(t, used.WechatpayUseTime)
	assert.NotEmpty(t, resp.RequestID)
	assert.Equal(t, e.primary.URL, resp.Host)

	stock, _, err := c.GetBusifavorStock(ctx, mch, request(e, marketing.OpBusifavorStockGet).(*marketing.BusifavorStockGetRequest))
	require.NoError(t, err)
	assert.Equal(t, sandbox.FixtureBusifavorStockID, stock.StockID)
	assert.NotEmpty(t, stock.StockName)

	pu := request(e, marketing.OpProductCouponUse).(*marketing.ProductCouponUseRequest)
	coupon, _, err := c.UseProductCoupon(ctx, mch, pu)
	require.NoError(t, err)
	assert.Equal(t, pu.CouponCode, coupon.CouponCode)
	assert.Equal(t, "USED", coupon.CouponState)
	require.NotNil(t, coupon.SingleUsageDetail)
	assert.Equal(t, pu.OutRequestNo, coupon.SingleUsageDetail.UseRequestNo)
	assert.Equal(t, sandbox.FixtureProductCouponID, coupon.ProductCoupon.ProductCouponID)

	pd := request(e, marketing.OpProductCouponUpdate).(*marketing.ProductCouponUpdateRequest)
	updated, _, err := c.UpdateProductCoupon(ctx, mch, pd)
	require.NoError(t, err)
	assert.Equal(t, pd.DisplayInfo.Name, updated.DisplayInfo.Name)

	for _, op := range marketing.Operations() {
		want := 0
		if effectful(op) {
			want = 1
		}
		assert.Equal(t, want, e.sb.Effects(op), op)
		assert.Equal(t, 1, e.pacer.count(op), op)
	}
}

func TestSandboxSequentialCoupon(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, noBackup)
	base := request(e, marketing.OpProductCouponUse).(*marketing.ProductCouponUseRequest)
	base.ProductCouponID, base.StockID = sandbox.FixtureSequentialProductCouponID, sandbox.FixtureSequentialProductStockID
	for i := range int64(sandbox.FixtureSequentialCount) {
		r := *base
		r.OutRequestNo = fmt.Sprintf("%s_%d", base.OutRequestNo, i)
		r.SequentialCouponIndex = &i
		coupon, _, err := c.UseProductCoupon(t.Context(), mch, &r)
		require.NoError(t, err, "round %d", i)
		require.NotNil(t, coupon.SequentialUsageDetail)
		assert.Equal(t, i+1, coupon.SequentialUsageDetail.UsedCount)
	}
	// sequential_coupon_index is allowed only in SEQUENTIAL mode: Validate
	// cannot know the mode, the server answers 400 INVALID_REQUEST.
	single := request(e, marketing.OpProductCouponUse).(*marketing.ProductCouponUseRequest)
	zero := int64(0)
	single.SequentialCouponIndex = &zero
	require.NoError(t, single.Validate())
	_, err := c.Do(t.Context(), mch, single)
	assertAPIError(t, err, 400, "INVALID_REQUEST", wechat.ClassPermanent)
}

func assertAPIError(t *testing.T, err error, status int, code string, class wechat.Class) *wechat.APIError {
	t.Helper()
	var apiErr *wechat.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, status, apiErr.StatusCode)
	assert.Equal(t, code, apiErr.Code)
	assert.NotEmpty(t, apiErr.RequestID, "Request-ID kept")
	assert.NotEmpty(t, apiErr.Message)
	assert.Equal(t, class, wechat.Classify(err))
	assert.Equal(t, code, wechat.ErrorCode(err))
	return apiErr
}

// TestSandboxErrorClasses: every error class on every endpoint.
func TestSandboxErrorClasses(t *testing.T) {
	for _, op := range marketing.Operations() {
		t.Run(string(op), func(t *testing.T) {
			e := newEnv(t)
			c := e.client(t, noBackup)
			ctx := t.Context()

			t.Run("rate limited", func(t *testing.T) {
				e.sb.SetLimit(op, 1)
				defer e.sb.SetLimit(op, 0)
				_, err := c.Do(ctx, mch, request(e, op))
				require.NoError(t, err)
				_, err = c.Do(ctx, mch, request(e, op)) // same (frozen) second
				assertAPIError(t, err, 429, op.RateLimitCode(), wechat.ClassRateLimited)
				e.clock.Advance(2 * time.Second)
			})
			t.Run("5xx retryable, not applied", func(t *testing.T) {
				before := e.sb.Effects(op)
				e.sb.Inject(sandbox.Fault{Op: op, Kind: sandbox.FailBeforeEffect})
				resp, err := c.Do(ctx, mch, request(e, op))
				assertAPIError(t, err, 500, "SYSTEM_ERROR", wechat.ClassRetryable)
				assert.Equal(t, 500, resp.StatusCode)
				assert.Equal(t, before, e.sb.Effects(op))
			})
			t.Run("5xx after effect, retry is idempotent", func(t *testing.T) {
				before := e.sb.Effects(op)
				req := request(e, op)
				e.sb.Inject(sandbox.Fault{Op: op, Kind: sandbox.FailAfterEffect})
				_, err := c.Do(ctx, mch, req)
				assertAPIError(t, err, 500, "SYSTEM_ERROR", wechat.ClassRetryable)
				_, err = c.Do(ctx, mch, req)
				require.NoError(t, err)
				if effectful(op) {
					assert.Equal(t, before+1, e.sb.Effects(op), "applied exactly once")
				}
			})
			if op == marketing.OpBusifavorUse || op == marketing.OpBusifavorStockGet {
				t.Run("busifavor 400 SYSTEM_ERROR retryable", func(t *testing.T) {
					e.sb.Inject(sandbox.Fault{Op: op, Kind: sandbox.BusifavorSystemError})
					_, err := c.Do(ctx, mch, request(e, op))
					assertAPIError(t, err, 400, "SYSTEM_ERROR", wechat.ClassRetryable)
				})
			}
			t.Run("no answer retryable", func(t *testing.T) {
				short := e.client(t, func(c *wechat.Config) { c.BackupURL = wechat.NoBackup; c.Timeout = 200 * time.Millisecond })
				e.sb.Inject(sandbox.Fault{Op: op, Kind: sandbox.Hang})
				resp, err := short.Do(ctx, mch, request(e, op))
				assert.Nil(t, resp)
				var tr *wechat.TransportError
				require.ErrorAs(t, err, &tr)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Equal(t, wechat.ClassRetryable, wechat.Classify(err))
				assert.Equal(t, "NETWORK_ERROR", wechat.ErrorCode(err))
			})
			for _, kind := range []sandbox.FaultKind{sandbox.ProbeSignature, sandbox.TamperBody} {
				t.Run(kind.String()+" rejected", func(t *testing.T) {
					before := e.sb.Effects(op)
					req := request(e, op)
					e.sb.Inject(sandbox.Fault{Op: op, Kind: kind})
					resp, err := c.Do(ctx, mch, req)
					var ue *wechat.UnverifiedError
					require.ErrorAs(t, err, &ue)
					assert.Equal(t, 200, ue.StatusCode)
					assert.Equal(t, wechat.ClassRetryable, wechat.Classify(err))
					assert.Equal(t, "RESPONSE_UNVERIFIED", wechat.ErrorCode(err))
					require.NotNil(t, resp)
					if kind == sandbox.ProbeSignature {
						assert.Contains(t, ue.Reason, "probe signature")
					} else {
						assert.Contains(t, ue.Reason, "signature does not match the body")
					}
					// The call took effect; retrying the same request is safe.
					_, err = c.Do(ctx, mch, req)
					require.NoError(t, err)
					if effectful(op) {
						assert.Equal(t, before+1, e.sb.Effects(op))
					}
				})
			}
			t.Run("permanent", func(t *testing.T) {
				req := request(e, op)
				status, code := 404, "NOT_FOUND"
				switch r := req.(type) {
				case *marketing.BusifavorUseRequest:
					r.CouponCode, status, code = sandbox.NotFoundPrefix+next(), 404, "RESOURCE_NOT_EXISTS"
				case *marketing.BusifavorStockGetRequest:
					r.StockID, status, code = "999999", 404, "RESOURCE_NOT_EXISTS"
				case *marketing.ProductCouponUseRequest:
					r.CouponCode = sandbox.NotFoundPrefix + next()
				case *marketing.ProductCouponUpdateRequest:
					r.ProductCouponID = "999999"
				}
				_, err := c.Do(ctx, mch, req)
				assertAPIError(t, err, status, code, wechat.ClassPermanent)
			})
		})
	}
}

// TestSandboxSameNumberDifferentBody: the API de-duplicates on the request
// number and rejects the same number with different parameters.
func TestSandboxSameNumberDifferentBody(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, noBackup)
	ctx := t.Context()
	for _, tc := range []struct {
		op     marketing.Operation
		change func(marketing.Request)
		status int
		code   string
	}{
		{marketing.OpBusifavorUse, func(r marketing.Request) { r.(*marketing.BusifavorUseRequest).CouponCode += "X" }, 400, "RESOURCE_ALREADY_EXISTS"},
		{marketing.OpProductCouponUse, func(r marketing.Request) {
			r.(*marketing.ProductCouponUseRequest).AssociatedOrderInfo.OutTradeNo += "X"
		}, 400, "INVALID_REQUEST"},
		{marketing.OpProductCouponUpdate, func(r marketing.Request) { r.(*marketing.ProductCouponUpdateRequest).DisplayInfo.Name += "X" }, 400, "INVALID_REQUEST"},
	} {
		t.Run(string(tc.op), func(t *testing.T) {
			req := request(e, tc.op)
			first, err := c.Do(ctx, mch, req)
			require.NoError(t, err)
			again, err := c.Do(ctx, mch, req)
			require.NoError(t, err, "same number, same body: idempotent")
			assert.JSONEq(t, string(first.Body), string(again.Body))
			effects := e.sb.Effects(tc.op)
			tc.change(req)
			_, err = c.Do(ctx, mch, req)
			assertAPIError(t, err, tc.status, tc.code, wechat.ClassPermanent)
			assert.Equal(t, effects, e.sb.Effects(tc.op))
		})
	}
}

func TestSandboxFailover(t *testing.T) {
	ctx := t.Context()
	for _, op := range marketing.Operations() {
		t.Run(string(op)+"/5xx", func(t *testing.T) {
			e := newEnv(t)
			c := e.client(t, nil)
			e.sb.Inject(sandbox.Fault{Op: op, Kind: sandbox.FailBeforeEffect})
			resp, err := c.Do(ctx, mch, request(e, op))
			require.NoError(t, err)
			assert.Equal(t, e.backup.URL, resp.Host)
			assert.Equal(t, 2, e.pacer.count(op), "paced before each attempt")
			assert.Equal(t, int64(2), e.sb.Stats(op).Requests)
			if effectful(op) {
				assert.Equal(t, 1, e.sb.Effects(op))
			}
		})
	}
	t.Run("5xx after effect", func(t *testing.T) {
		e := newEnv(t)
		c := e.client(t, nil)
		e.sb.Inject(sandbox.Fault{Op: marketing.OpProductCouponUse, Kind: sandbox.FailAfterEffect})
		resp, err := c.Do(ctx, mch, request(e, marketing.OpProductCouponUse))
		require.NoError(t, err, "the backup's replay of the same number answers 200")
		assert.Equal(t, e.backup.URL, resp.Host)
		assert.Equal(t, 1, e.sb.Effects(marketing.OpProductCouponUse), "redeemed once")
	})
	t.Run("hang", func(t *testing.T) {
		e := newEnv(t)
		c := e.client(t, func(c *wechat.Config) { c.Timeout = 300 * time.Millisecond })
		e.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.Hang})
		resp, err := c.Do(ctx, mch, request(e, marketing.OpBusifavorUse))
		require.NoError(t, err)
		assert.Equal(t, e.backup.URL, resp.Host)
	})
	t.Run("primary down", func(t *testing.T) {
		e := newEnv(t)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		dead := "http://" + l.Addr().String()
		require.NoError(t, l.Close())
		c := e.client(t, func(c *wechat.Config) { c.BaseURL = dead })
		resp, err := c.Do(ctx, mch, request(e, marketing.OpProductCouponUpdate))
		require.NoError(t, err)
		assert.Equal(t, e.backup.URL, resp.Host)
	})
	t.Run("no failover on 4xx, 429 or unverified", func(t *testing.T) {
		e := newEnv(t)
		c := e.client(t, nil)
		e.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.BusifavorSystemError})
		_, err := c.Do(ctx, mch, request(e, marketing.OpBusifavorUse))
		assertAPIError(t, err, 400, "SYSTEM_ERROR", wechat.ClassRetryable)
		e.sb.Inject(sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.ProbeSignature})
		_, err = c.Do(ctx, mch, request(e, marketing.OpBusifavorUse))
		var ue *wechat.UnverifiedError
		require.ErrorAs(t, err, &ue)
		e.sb.SetLimit(marketing.OpBusifavorUse, 1)
		_, err = c.Do(ctx, mch, request(e, marketing.OpBusifavorUse))
		assertAPIError(t, err, 429, "FREQUENCY_LIMITED", wechat.ClassRateLimited)
		assert.Equal(t, 3, e.pacer.count(marketing.OpBusifavorUse), "one attempt each")
	})
}

func TestSandboxMerchants(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, noBackup)
	for _, id := range []string{"1900000001", "1900000002"} {
		_, err := c.Do(t.Context(), id, request(e, marketing.OpProductCouponUpdate))
		require.NoError(t, err)
		assert.Equal(t, int64(1), e.sb.StatsFor(id, marketing.OpProductCouponUpdate).Status2xx, id)
	}
	// A merchant whose private key is not the one the sandbox knows.
	wrong := e.merchants[0]
	wrong.PrivateKey = e.merchants[1].PrivateKey
	bad, err := wechat.New(wechat.Config{BaseURL: e.primary.URL, BackupURL: wechat.NoBackup, Clock: clock.Func(e.clock.Now)}, wrong)
	require.NoError(t, err)
	_, err = bad.Do(t.Context(), "", request(e, marketing.OpBusifavorStockGet))
	assertAPIError(t, err, 401, "SIGN_ERROR", wechat.ClassPermanent)
	assert.Contains(t, err.Error(), "check the merchant private key")
}

func TestSandboxClockSkew(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		skew time.Duration
		ok   bool
	}{{4 * time.Minute, true}, {-4 * time.Minute, true}, {10 * time.Minute, false}, {-10 * time.Minute, false}} {
		t.Run(tc.skew.String(), func(t *testing.T) {
			c := e.client(t, func(c *wechat.Config) {
				c.BackupURL = wechat.NoBackup
				c.Clock = clock.Func(func() time.Time { return e.clock.Now().Add(tc.skew) })
			})
			_, err := c.Do(t.Context(), mch, request(e, marketing.OpBusifavorStockGet))
			if tc.ok {
				require.NoError(t, err, "both sides accept 4 minutes of skew")
				return
			}
			assertAPIError(t, err, 401, "SIGN_ERROR", wechat.ClassPermanent)
		})
	}
}
