package wechat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// deadURL is a base URL where nothing listens.
func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	u := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	return u
}

func TestDoSendsSignedRequests(t *testing.T) {
	for _, tc := range []struct {
		req    marketing.Request
		answer string
		check  func(t *testing.T, c *Client)
	}{
		{docBusifavorUse(), docBusifavorUseAnswer, func(t *testing.T, c *Client) {
			out, resp, err := c.UseBusifavorCoupon(context.Background(), "1900000001", docBusifavorUse())
			require.NoError(t, err)
			assert.Equal(t, "2015-05-20T13:29:35+08:00", out.WechatpayUseTime)
			assert.Equal(t, 200, resp.StatusCode)
		}},
		{docStockGet(), docStockAnswer, func(t *testing.T, c *Client) {
			out, _, err := c.GetBusifavorStock(context.Background(), "1900000001", docStockGet())
			require.NoError(t, err)
			assert.Equal(t, "8月1日活动券", out.StockName)
		}},
		{docPCUse(), docPCUseAnswer, func(t *testing.T, c *Client) {
			out, _, err := c.UseProductCoupon(context.Background(), "1900000001", docPCUse())
			require.NoError(t, err)
			assert.Equal(t, "USED", out.CouponState)
		}},
		{docPCUpdate(), docPCUpdateAnswer, func(t *testing.T, c *Client) {
			out, _, err := c.UpdateProductCoupon(context.Background(), "1900000001", docPCUpdate())
			require.NoError(t, err)
			assert.Equal(t, "EFFECTIVE", out.State)
		}},
	} {
		op := tc.req.Operation()
		t.Run(string(op), func(t *testing.T) {
			f := newFake(t, ok(tc.answer))
			c := newTestClient(t, Config{BaseURL: f.URL(), BackupURL: NoBackup})
			resp, err := c.Do(context.Background(), "1900000001", tc.req)
			require.NoError(t, err)
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, "fake-1", resp.RequestID)
			assert.Equal(t, f.URL(), resp.Host)
			assert.JSONEq(t, tc.answer, string(resp.Body))

			reqs := f.requests()
			require.Len(t, reqs, 1)
			got := reqs[0]
			want, _ := tc.req.Body()
			assert.Equal(t, op.Method(), got.method)
			assert.Equal(t, tc.req.Path(), got.uri)
			assert.Equal(t, string(want), string(got.body), "the signed body is exactly the body sent")
			assert.Equal(t, "1900000001", got.mchid)
			assert.Equal(t, "application/json", got.header.Get("Accept"))
			assert.Equal(t, testPublicKeyID, got.header.Get("Wechatpay-Serial"))
			assert.Contains(t, got.header.Get("User-Agent"), "couponq")
			if op.Method() == http.MethodGet {
				assert.Empty(t, got.header.Get("Content-Type"))
				assert.Empty(t, got.body)
			} else {
				assert.Equal(t, "application/json", got.header.Get("Content-Type"))
			}
			tc.check(t, c)
		})
	}
}

func TestDoEscapedPathIsSigned(t *testing.T) {
	f := newFake(t, ok(`{}`))
	c := newTestClient(t, Config{BaseURL: f.URL() + "/", BackupURL: NoBackup})
	r := docPCUse()
	r.OpenID, r.CouponCode = "o/h?x#y", "c%d_é"
	_, err := c.Do(context.Background(), "", r)
	require.NoError(t, err, "the fake verified a signature over the escaped path")
	assert.Equal(t, r.Path(), f.requests()[0].uri)
}

func TestDoMerchants(t *testing.T) {
	f := newFake(t, ok(`{}`))
	c := newTestClient(t, Config{BaseURL: f.URL(), BackupURL: NoBackup}, testMerchant("1900000002"), testMerchant("1900000001"))
	assert.Equal(t, []string{"1900000001", "1900000002"}, c.Merchants())
	for _, id := range []string{"1900000001", "1900000002"} {
		_, err := c.Do(context.Background(), id, docStockGet())
		require.NoError(t, err)
	}
	reqs := f.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "1900000001", reqs[0].mchid)
	assert.Equal(t, "1900000002", reqs[1].mchid)

	_, err := c.Do(context.Background(), "", docStockGet())
	require.ErrorIs(t, err, ErrUnknownMerchant, `"" is ambiguous with two merchants`)
	resp, err := c.Do(context.Background(), "1234", docStockGet())
	require.ErrorIs(t, err, ErrUnknownMerchant)
	assert.Nil(t, resp)
	assert.Contains(t, err.Error(), `"1234" (configured: 1900000001, 1900000002)`)
	assert.Equal(t, "UNKNOWN_MERCHANT", ErrorCode(err))
	assert.Len(t, f.requests(), 2, "nothing sent")
}

func TestDoValidationSendsNothing(t *testing.T) {
	f := newFake(t, ok(`{}`))
	p := &countingPacer{}
	c := newTestClient(t, Config{BaseURL: f.URL(), Pacer: p})
	r := docPCUse()
	r.UseTime = "2025-07-24T00:00+08:00"
	r.AssociatedOrderInfo = &marketing.AssociatedOrderInfo{}
	resp, err := c.Do(context.Background(), "1900000001", r)
	assert.Nil(t, resp)
	var ve *marketing.ValidationError
	require.ErrorAs(t, err, &ve)
	require.ErrorContains(t, err, "use_time")
	require.ErrorContains(t, err, "associated_order_info")
	_, err = c.Do(context.Background(), "1900000001", nil)
	require.ErrorAs(t, err, &ve)
	_, _, err = c.UseProductCoupon(context.Background(), "1900000001", nil)
	require.ErrorAs(t, err, &ve, "typed nil request")
	assert.Empty(t, f.requests())
	assert.Zero(t, p.count(), "the pacer is not asked for a request that is never sent")
}

func TestDoAPIErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer answer
		class  Class
		code   string
	}{
		{"429", answer{status: 429, body: `{"code":"FREQUENCY_LIMITED","message":"频率限制"}`}, ClassRateLimited, "FREQUENCY_LIMITED"},
		{"busifavor 400 SYSTEM_ERROR", answer{status: 400, body: `{"code":"SYSTEM_ERROR","message":"系统错误"}`}, ClassRetryable, "SYSTEM_ERROR"},
		{"403", answer{status: 403, body: `{"code":"RULELIMIT","message":"券不在有效期","detail":{"field":"use_time"}}`}, ClassPermanent, "RULELIMIT"},
		{"404", answer{status: 404, body: `{"code":"RESOURCE_NOT_EXISTS","message":"m"}`}, ClassPermanent, "RESOURCE_NOT_EXISTS"},
		{"HTML 418", answer{status: 418, body: `<html>teapot</html>`}, ClassPermanent, "HTTP_418"},
		{"redirect not followed", answer{status: 302, header: map[string]string{"Location": "/elsewhere"}}, ClassPermanent, "HTTP_302"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(seen) answer { return tc.answer })
			backup := newFake(t, ok(`{}`))
			c := newTestClient(t, Config{BaseURL: f.URL(), BackupURL: backup.URL()})
			resp, err := c.Do(context.Background(), "1900000001", docBusifavorUse())
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.answer.status, apiErr.StatusCode)
			assert.Equal(t, tc.class, Classify(err))
			assert.Equal(t, tc.code, ErrorCode(err))
			assert.Equal(t, "fake-1", apiErr.RequestID)
			assert.Equal(t, "fake-1", apiErr.Header.Get("Request-ID"))
			assert.Equal(t, tc.answer.body, string(apiErr.Body))
			assert.Equal(t, marketing.OpBusifavorUse, apiErr.Op)
			require.NotNil(t, resp)
			assert.Equal(t, tc.answer.status, resp.StatusCode)
			assert.Empty(t, backup.requests(), "4xx does not fail over")
			if tc.name == "403" {
				assert.JSONEq(t, `{"field":"use_time"}`, string(apiErr.Detail))
				assert.Equal(t, "券不在有效期", apiErr.Message)
			}
		})
	}
}

func TestDoUnverifiedAnswers(t *testing.T) {
	for _, tc := range []struct {
		mode   signMode
		reason string
	}{
		{signProbe, "probe signature"},
		{signTamper, "signature does not match the body"},
		{signStale, "away from our clock"},
		{signWrongSerial, "is not the configured WeChat Pay public key id"},
		{signNone, "is missing"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			f := newFake(t, func(seen) answer { return answer{status: 200, body: docBusifavorUseAnswer, sign: tc.mode} })
			backup := newFake(t, ok(`{}`))
			c := newTestClient(t, Config{BaseURL: f.URL(), BackupURL: backup.URL()})
			out, resp, err := c.UseBusifavorCoupon(context.Background(), "1900000001", docBusifavorUse())
			assert.Nil(t, out)
			var ue *UnverifiedError
			require.ErrorAs(t, err, &ue)
			assert.Contains(t, ue.Reason, tc.reason)
			assert.Equal(t, 200, ue.StatusCode)
			assert.Equal(t, ClassRetryable, Classify(err))
			assert.Equal(t, "RESPONSE_UNVERIFIED", ErrorCode(err))
			require.NotNil(t, resp)
			assert.Empty(t, backup.requests(), "an unverified 2xx does not fail over")
		})
	}
}

func TestDoInjectedClock(t *testing.T) {
	skewed := func() time.Time { return time.Now().Add(-time.Hour) }
	f := newFake(t, ok(`{}`))
	f.now = skewed
	c := newTestClient(t, Config{BaseURL: f.URL(), BackupURL: NoBackup, Clock: clock.Func(skewed)})
	_, err := c.Do(context.Background(), "1900000001", docStockGet())
	require.NoError(t, err, "client and server agree on the (skewed) clock")

	c = newTestClient(t, Config{BaseURL: f.URL(), BackupURL: NoBackup}) // real clock
	_, err = c.Do(context.Background(), "1900000001", docStockGet())
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr, "the fake refuses a signature an hour off")
	assert.Equal(t, "SIGN_ERROR", apiErr.Code)
	assert.Contains(t, err.Error(), "check the merchant private key")
}

func TestDoFailover(t *testing.T) {
	ctx := context.Background()
	t.Run("5xx", func(t *testing.T) {
		primary := newFake(t, func(seen) answer { return answer{status: 500, body: `{"code":"SYSTEM_ERROR","message":"m"}`} })
		backup := newFake(t, ok(docBusifavorUseAnswer))
		p := &countingPacer{}
		c := newTestClient(t, Config{BaseURL: primary.URL(), BackupURL: backup.URL(), Pacer: p})
		resp, err := c.Do(ctx, "1900000001", docBusifavorUse())
		require.NoError(t, err)
		assert.Equal(t, backup.URL(), resp.Host)
		assert.Equal(t, 2, p.count(), "the pacer is asked before each attempt")
		require.Len(t, primary.requests(), 1)
		require.Len(t, backup.requests(), 1)
		assert.Equal(t, primary.requests()[0].body, backup.requests()[0].body, "same bytes to both hosts")
	})
	t.Run("connection refused", func(t *testing.T) {
		backup := newFake(t, ok(`{}`))
		c := newTestClient(t, Config{BaseURL: deadURL(t), BackupURL: backup.URL()})
		resp, err := c.Do(ctx, "1900000001", docStockGet())
		require.NoError(t, err)
		assert.Equal(t, backup.URL(), resp.Host)
	})
	t.Run("timeout", func(t *testing.T) {
		primary := newFake(t, func(seen) answer { return answer{hang: true} })
		backup := newFake(t, ok(`{}`))
		c := newTestClient(t, Config{BaseURL: primary.URL(), BackupURL: backup.URL(), Timeout: 200 * time.Millisecond})
		resp, err := c.Do(ctx, "1900000001", docStockGet())
		require.NoError(t, err)
		assert.Equal(t, backup.URL(), resp.Host)
	})
	t.Run("both down", func(t *testing.T) {
		primary := newFake(t, func(seen) answer { return answer{status: 503} })
		c := newTestClient(t, Config{BaseURL: primary.URL(), BackupURL: deadURL(t)})
		resp, err := c.Do(ctx, "1900000001", docStockGet())
		assert.Nil(t, resp, "the last attempt got no answer")
		var tr *TransportError
		require.ErrorAs(t, err, &tr)
		assert.Equal(t, ClassRetryable, Classify(err))
		assert.Equal(t, "NETWORK_ERROR", ErrorCode(err))
	})
	t.Run("disabled", func(t *testing.T) {
		primary := newFake(t, func(seen) answer { return answer{status: 502} })
		c := newTestClient(t, Config{BaseURL: primary.URL(), BackupURL: NoBackup})
		_, err := c.Do(ctx, "1900000001", docStockGet())
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "HTTP_502", ErrorCode(err))
		assert.Equal(t, ClassRetryable, Classify(err))
	})
	t.Run("pacer refuses backup", func(t *testing.T) {
		primary := newFake(t, func(seen) answer { return answer{status: 500, body: `{"code":"SYSTEM_ERROR"}`} })
		backup := newFake(t, ok(`{}`))
		p := &countingPacer{failAt: 2}
		c := newTestClient(t, Config{BaseURL: primary.URL(), BackupURL: backup.URL(), Pacer: p})
		resp, err := c.Do(ctx, "1900000001", docStockGet())
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr, "the primary's answer is kept")
		assert.Equal(t, 500, resp.StatusCode)
		assert.Empty(t, backup.requests())
	})
	t.Run("caller deadline spent", func(t *testing.T) {
		primary := newFake(t, func(seen) answer { return answer{hang: true} })
		backup := newFake(t, ok(`{}`))
		c := newTestClient(t, Config{BaseURL: primary.URL(), BackupURL: backup.URL(), Timeout: time.Minute})
		dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		_, err := c.Do(dctx, "1900000001", docStockGet())
		var tr *TransportError
		require.ErrorAs(t, err, &tr)
		require.ErrorIs(t, err, context.DeadlineExceeded, "the ctx deadline bounds the attempt")
		assert.Empty(t, backup.requests(), "no time left for the backup")
	})
}

func TestDoPacerRefusesFirstAttempt(t *testing.T) {
	f := newFake(t, ok(`{}`))
	p := &countingPacer{failAt: 1}
	c := newTestClient(t, Config{BaseURL: f.URL(), Pacer: p})
	resp, err := c.Do(context.Background(), "1900000001", docStockGet())
	assert.Nil(t, resp)
	var tr *TransportError
	require.ErrorAs(t, err, &tr)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "pacer")
	assert.Empty(t, f.requests())
}

func TestDoOversizedAnswer(t *testing.T) {
	f := newFake(t, ok(`{"x":"`+strings.Repeat("a", MaxResponseBytes)+`"}`))
	c := newTestClient(t, Config{BaseURL: f.URL(), BackupURL: NoBackup})
	_, err := c.Do(context.Background(), "1900000001", docStockGet())
	var tr *TransportError
	require.ErrorAs(t, err, &tr)
	assert.Contains(t, err.Error(), "answer longer than 1048576 bytes")
}

func TestTypedHelperBadJSON(t *testing.T) {
	f := newFake(t, ok(`[1,2]`))
	c := newTestClient(t, Config{BaseURL: f.URL(), BackupURL: NoBackup})
	out, resp, err := c.GetBusifavorStock(context.Background(), "1900000001", docStockGet())
	assert.Nil(t, out)
	require.NotNil(t, resp, "the call itself succeeded")
	require.ErrorContains(t, err, "decode verified answer")
}

func TestNewChecksConfig(t *testing.T) {
	good := testMerchant("1900000001")
	noKey := good
	noKey.PrivateKey = nil
	noKey.MchID = "1900000009"
	_, err := New(Config{BaseURL: "ftp://x", BackupURL: "http://"}, good, good, noKey, Merchant{})
	require.Error(t, err)
	for _, want := range []string{`base_url "ftp://x"`, `backup_url "http:/"`, `merchant "1900000001" configured twice`,
		`merchant "1900000009": private key is missing`, "mchid is empty", "cert_serial_no is empty",
		"wechatpay_public_key_id is empty", "WeChat Pay public key is missing"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = New(Config{})
	require.ErrorContains(t, err, "no merchant configured")

	c, err := New(Config{}, good)
	require.NoError(t, err)
	assert.Equal(t, DefaultBaseURL, c.base)
	assert.Equal(t, DefaultBackupURL, c.backup)
	assert.Equal(t, DefaultTimeout, c.timeout)
	tr := c.http.Transport.(*http.Transport)
	assert.Equal(t, DefaultMaxConnsPerHost, tr.MaxConnsPerHost)
	assert.Equal(t, tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost)
	assert.Equal(t, 90*time.Second, tr.IdleConnTimeout)
	c, err = New(Config{MaxConnsPerHost: 8}, good)
	require.NoError(t, err)
	assert.Equal(t, 8, c.http.Transport.(*http.Transport).MaxIdleConnsPerHost)
	assert.True(t, errors.Is(c.http.CheckRedirect(nil, nil), http.ErrUseLastResponse))
}

func TestDoLogsFailoverAndUnverified(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	primary := newFake(t, func(seen) answer { return answer{status: 503, body: `{"code":"SYSTEM_ERROR"}`} })
	backup := newFake(t, func(seen) answer { return answer{status: 200, body: `{}`, sign: signProbe} })
	c := newTestClient(t, Config{BaseURL: primary.URL(), BackupURL: backup.URL(), Logger: zap.New(core)})
	_, err := c.Do(context.Background(), "1900000001", docBusifavorUse())
	var ue *UnverifiedError
	require.ErrorAs(t, err, &ue)
	entries := logs.AllUntimed()
	require.Len(t, entries, 2, "one line per event")
	assert.Equal(t, "wechat: failing over to backup host", entries[0].Message)
	assert.Equal(t, zap.DebugLevel, entries[0].Level, "each failover at debug; the breaker logs state changes")
	assert.Equal(t, "1002600620019090123143254435", entries[0].ContextMap()["request_no"])
	assert.Equal(t, "wechat: answer not verified", entries[1].Message)
	assert.Equal(t, zap.ErrorLevel, entries[1].Level)
	assert.Contains(t, entries[1].ContextMap()["reason"], "probe signature")
	d := sharedTestKeys().merchant.D.String()[:12]
	for _, e := range entries {
		assert.NotContains(t, fmt.Sprint(e.ContextMap()), d)
	}
}
