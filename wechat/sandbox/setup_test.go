package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/require"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

// Key generation is slow under -race: every test shares these.
var (
	keysOnce sync.Once
	keysErr  error
	// sharedKeys[i] and sharedClients[i] are the two sides of merchant mchids[i].
	sharedKeys    []sandbox.MerchantKeys
	sharedClients []wechat.Merchant
	mchids        = []string{"1900000001", "1900000002"}
)

func merchants(t testing.TB) ([]sandbox.MerchantKeys, []wechat.Merchant) {
	t.Helper()
	keysOnce.Do(func() {
		for _, id := range mchids {
			k, c, err := sandbox.NewMerchant(id)
			if err != nil {
				keysErr = err
				return
			}
			sharedKeys = append(sharedKeys, k)
			sharedClients = append(sharedClients, c)
		}
	})
	require.NoError(t, keysErr)
	return sharedKeys, sharedClients
}

// fakeClock is a clock tests move by hand. It starts at the real time so that
// signature timestamps stay within the 5-minute window of both sides.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bundle is one sandbox behind a real HTTP server, with a wechat client for
// each shared merchant.
type bundle struct {
	sb      *sandbox.Sandbox
	srv     *httptest.Server
	clock   *fakeClock
	client  *wechat.Client
	keys    []sandbox.MerchantKeys
	clients []wechat.Merchant
}

// mchid is the first merchant's number.
func (b *bundle) mchid() string { return b.keys[0].MchID }

type option func(*sandbox.Config, *wechat.Config)

// noBackup makes the client report 5xx answers instead of failing over.
func noBackup(_ *sandbox.Config, w *wechat.Config) { w.BackupURL = wechat.NoBackup }

func setup(t testing.TB, opts ...option) *bundle {
	t.Helper()
	keys, clients := merchants(t)
	b := &bundle{clock: newFakeClock(), keys: keys, clients: clients}
	cfg := sandbox.Config{Merchants: keys, Clock: clock.Func(b.clock.Now)}
	b.srv = httptest.NewUnstartedServer(nil)
	wcfg := wechat.Config{BaseURL: "http://" + b.srv.Listener.Addr().String(), BackupURL: wechat.NoBackup, Timeout: 30 * time.Second}
	for _, o := range opts {
		o(&cfg, &wcfg)
	}
	sb, err := sandbox.New(cfg)
	require.NoError(t, err)
	b.sb = sb
	b.srv.Config.Handler = sb.Handler()
	b.srv.Start()
	t.Cleanup(b.srv.Close)
	t.Cleanup(sb.Close) // runs first: releases hung requests before the server waits for them
	client, err := wechat.New(wcfg, clients...)
	require.NoError(t, err)
	t.Cleanup(client.Close)
	b.client = client
	return b
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// rawRequest is a request signed by hand, so tests can break the signature.
type rawRequest struct {
	method, path string
	body         []byte
	merchant     wechat.Merchant
	timestamp    int64  // default: now
	nonce        string // default: random
	serial       string // serial_no; default the merchant's
	signPath     string // path to sign; default path
	signBody     []byte // body to sign; default body
	pubKeyID     string // Wechatpay-Serial; default the merchant's, "-" leaves it out
	auth         string // replaces the Authorization header when set
}

func (b *bundle) send(t *testing.T, r rawRequest) *http.Response {
	t.Helper()
	if r.timestamp == 0 {
		r.timestamp = b.clock.Now().Unix()
	}
	if r.nonce == "" {
		n, err := utils.GenerateNonce()
		require.NoError(t, err)
		r.nonce = n
	}
	if r.serial == "" {
		r.serial = r.merchant.CertSerialNo
	}
	if r.signPath == "" {
		r.signPath = r.path
	}
	if r.signBody == nil {
		r.signBody = r.body
	}
	ts := strconv.FormatInt(r.timestamp, 10)
	sig, err := utils.SignSHA256WithRSA(r.method+"\n"+r.signPath+"\n"+ts+"\n"+r.nonce+"\n"+string(r.signBody)+"\n", r.merchant.PrivateKey)
	require.NoError(t, err)
	auth := fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",signature="%s",timestamp="%s",serial_no="%s"`,
		r.merchant.MchID, r.nonce, sig, ts, r.serial)
	if r.auth != "" {
		auth = r.auth
	}
	req, err := http.NewRequestWithContext(ctx(t), r.method, b.srv.URL+r.path, bytes.NewReader(r.body))
	require.NoError(t, err)
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	if len(r.body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	switch r.pubKeyID {
	case "":
		req.Header.Set("Wechatpay-Serial", r.merchant.PublicKeyID)
	case "-":
	default:
		req.Header.Set("Wechatpay-Serial", r.pubKeyID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return resp
}

// errorBody is WeChat Pay's error shape.
type errorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Detail  map[string]any `json:"detail"`
}

func readError(t *testing.T, resp *http.Response) errorBody {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var e errorBody
	require.NoError(t, json.Unmarshal(raw, &e), string(raw))
	return e
}

// apiError asserts err is a *wechat.APIError with status and code.
func apiError(t *testing.T, err error, status int, code string) *wechat.APIError {
	t.Helper()
	var ae *wechat.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, status, ae.StatusCode, "%s", ae.Body)
	require.Equal(t, code, ae.Code, "%s", ae.Body)
	require.NotEmpty(t, ae.RequestID)
	return ae
}

const useTime = "2025-07-24T10:00:00+08:00"

func busifavorUse(code, no string) *marketing.BusifavorUseRequest {
	return &marketing.BusifavorUseRequest{
		CouponCode:   code,
		StockID:      sandbox.FixtureBusifavorStockID,
		AppID:        sandbox.FixtureAppID,
		UseTime:      useTime,
		UseRequestNo: no,
		OpenID:       "oUser_busifavor_1",
	}
}

func productUse(code, no string) *marketing.ProductCouponUseRequest {
	return &marketing.ProductCouponUseRequest{
		OpenID:              "oh-394z-6CGkNoJrsDLTTUKiAnp4",
		CouponCode:          code,
		ProductCouponID:     sandbox.FixtureProductCouponID,
		StockID:             sandbox.FixtureProductStockID,
		AppID:               sandbox.FixtureAppID,
		UseTime:             useTime,
		AssociatedOrderInfo: &marketing.AssociatedOrderInfo{TransactionID: "4200000000123456789123456789"},
		OutRequestNo:        no,
		BrandID:             sandbox.FixtureBrandID,
	}
}

func sequentialUse(code, no string, index int64) *marketing.ProductCouponUseRequest {
	r := productUse(code, no)
	r.ProductCouponID = sandbox.FixtureSequentialProductCouponID
	r.StockID = sandbox.FixtureSequentialProductStockID
	r.SequentialCouponIndex = &index
	return r
}

func productUpdate(no, name string) *marketing.ProductCouponUpdateRequest {
	return &marketing.ProductCouponUpdateRequest{
		ProductCouponID: sandbox.FixtureProductCouponID,
		OutRequestNo:    no,
		DisplayInfo: &marketing.ProductCouponDisplayInfo{
			Name:               name,
			ImageURL:           "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
			BackgroundURL:      "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx",
			DetailImageURLList: []string{"https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"},
		},
		BrandID: sandbox.FixtureBrandID,
	}
}

// newServer serves sb over HTTP until the test ends.
func newServer(t *testing.T, sb *sandbox.Sandbox) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close)
	return srv
}
