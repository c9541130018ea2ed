package wechat

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/require"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// This file is a small stand-in for WeChat Pay used by the package's own
// tests, for cases the shared sandbox (wechat/sandbox) cannot produce
// (oversized or non-JSON answers, redirects, a dead primary host, exact
// header checks). It verifies request signatures and signs answers with
// wechatpay-go, like the real service.

// testKeys are generated once per test binary: RSA-2048 generation is slow
// under -race.
type testKeys struct{ merchant, merchant2, platform *rsa.PrivateKey }

var sharedTestKeys = sync.OnceValue(func() testKeys {
	gen := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	return testKeys{merchant: gen(), merchant2: gen(), platform: gen()}
})

const testPublicKeyID = "PUB_KEY_ID_TEST0001"

func testMerchant(mchid string) Merchant {
	k := sharedTestKeys()
	key := k.merchant
	if mchid == "1900000002" {
		key = k.merchant2
	}
	return Merchant{MchID: mchid, CertSerialNo: "SERIAL" + mchid, PrivateKey: key,
		PublicKeyID: testPublicKeyID, PublicKey: &k.platform.PublicKey}
}

// signMode says how the fake signs a 2xx answer.
type signMode int

const (
	signOK signMode = iota
	signProbe
	signTamper
	signStale
	signWrongSerial
	signNone
)

// answer is what a fake handler wants sent back.
type answer struct {
	status int
	body   string
	sign   signMode
	header map[string]string
	hang   bool // block until the client gives up
}

// seen is one request the fake received.
type seen struct {
	method, uri, mchid string
	body               []byte
	header             http.Header
}

type fakeWechat struct {
	t       *testing.T
	srv     *httptest.Server
	now     func() time.Time
	respond func(s seen) answer

	mu   sync.Mutex
	reqs []seen
}

var authRE = regexp.MustCompile(`^WECHATPAY2-SHA256-RSA2048 mchid="([^"]*)",nonce_str="([^"]*)",timestamp="(\d+)",serial_no="([^"]*)",signature="([^"]*)"$`)

func newFake(t *testing.T, respond func(s seen) answer) *fakeWechat {
	f := &fakeWechat{t: t, now: time.Now, respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWechat) URL() string { return f.srv.URL }

func (f *fakeWechat) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

func (f *fakeWechat) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s := seen{method: r.Method, uri: r.URL.RequestURI(), body: body, header: r.Header.Clone()}
	if err := f.checkAuth(r, body, &s); err != nil {
		f.record(s)
		w.Header().Set("Request-ID", "fake-401")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"code":"SIGN_ERROR","message":%q}`, err.Error())
		return
	}
	f.record(s)
	a := f.respond(s)
	if a.hang {
		<-r.Context().Done()
		return
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Request-ID") == "" {
		w.Header().Set("Request-ID", "fake-"+strconv.Itoa(len(f.requests())))
	}
	if a.status >= 200 && a.status < 300 {
		f.sign(w.Header(), []byte(a.body), a.sign)
	}
	if a.sign == signTamper {
		a.body += " "
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (f *fakeWechat) record(s seen) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, s)
}

// checkAuth verifies the request signature with the merchant's public key.
func (f *fakeWechat) checkAuth(r *http.Request, body []byte, s *seen) error {
	m := authRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return fmt.Errorf("malformed Authorization %q", r.Header.Get("Authorization"))
	}
	s.mchid = m[1]
	ts, _ := strconv.ParseInt(m[3], 10, 64)
	if d := f.now().Unix() - ts; d > 300 || d < -300 {
		return fmt.Errorf("timestamp %d off by %ds", ts, d)
	}
	pub := &testMerchant(m[1]).PrivateKey.PublicKey
	if m[4] != "SERIAL"+m[1] {
		return fmt.Errorf("serial %q", m[4])
	}
	msg := fmt.Sprintf("%s\n%s\n%s\n%s\n%s\n", r.Method, r.URL.RequestURI(), m[3], m[2], body)
	return verifiers.NewSHA256WithRSAPubkeyVerifier(m[4], *pub).Verify(context.Background(), m[4], msg, m[5])
}

// sign adds Wechatpay-* headers signed with the platform key.
func (f *fakeWechat) sign(h http.Header, body []byte, mode signMode) {
	if mode == signNone {
		return
	}
	ts := f.now().Unix()
	if mode == signStale {
		ts -= 301
	}
	nonce := "fakenonce" + strconv.FormatInt(ts, 10)
	sig, err := utils.SignSHA256WithRSA(fmt.Sprintf("%d\n%s\n%s\n", ts, nonce, body), sharedTestKeys().platform)
	require.NoError(f.t, err)
	if mode == signProbe {
		sig = ProbePrefix + sig
	}
	serial := testPublicKeyID
	if mode == signWrongSerial {
		serial = "PUB_KEY_ID_OTHER"
	}
	h.Set("Wechatpay-Serial", serial)
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Timestamp", strconv.FormatInt(ts, 10))
	h.Set("Wechatpay-Nonce", nonce)
}

// ok answers 200 with body, signed.
func ok(body string) func(seen) answer {
	return func(seen) answer { return answer{status: 200, body: body} }
}

// countingPacer counts Wait calls and can fail the n-th (1-based).
type countingPacer struct {
	mu     sync.Mutex
	calls  []string
	failAt int
}

func (p *countingPacer) Wait(ctx context.Context, mchid string, op marketing.Operation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, mchid+"/"+string(op))
	if len(p.calls) == p.failAt {
		return context.Canceled
	}
	return ctx.Err()
}

func (p *countingPacer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

// newTestClient builds a client on primary/backup with the test merchants.
func newTestClient(t *testing.T, cfg Config, merchants ...Merchant) *Client {
	t.Helper()
	if len(merchants) == 0 {
		merchants = []Merchant{testMerchant("1900000001")}
	}
	c, err := New(cfg, merchants...)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// The documents' examples (marketing.DocExample), typed.
func docBusifavorUse() *marketing.BusifavorUseRequest {
	return marketing.DocExample(marketing.OpBusifavorUse).Request.(*marketing.BusifavorUseRequest)
}

func docStockGet() *marketing.BusifavorStockGetRequest {
	return marketing.DocExample(marketing.OpBusifavorStockGet).Request.(*marketing.BusifavorStockGetRequest)
}

func docPCUse() *marketing.ProductCouponUseRequest {
	return marketing.DocExample(marketing.OpProductCouponUse).Request.(*marketing.ProductCouponUseRequest)
}

func docPCUpdate() *marketing.ProductCouponUpdateRequest {
	return marketing.DocExample(marketing.OpProductCouponUpdate).Request.(*marketing.ProductCouponUpdateRequest)
}

var (
	docBusifavorUseAnswer = marketing.DocExample(marketing.OpBusifavorUse).Answer
	docStockAnswer        = marketing.DocExample(marketing.OpBusifavorStockGet).Answer
	docPCUseAnswer        = marketing.DocExample(marketing.OpProductCouponUse).Answer
	docPCUpdateAnswer     = marketing.DocExample(marketing.OpProductCouponUpdate).Answer
)
