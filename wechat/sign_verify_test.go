package wechat

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/credentials"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// TestAuthorizationMatchesSDK: our header has the exact shape of
// wechatpay-go's credentials.WechatPayCredentials, and both verify over the
// same message layout with the merchant's public key.
func TestAuthorizationMatchesSDK(t *testing.T) {
	a := mustAccount(t, testMerchant("1900000001"))
	ctx := context.Background()
	body := `{"a":"b"}`
	now := time.Unix(1_700_000_000, 0)
	ours, err := a.authorization(ctx, "POST", "/v3/x?y=1", []byte(body), now)
	require.NoError(t, err)
	sdk, err := (&credentials.WechatPayCredentials{Signer: a.signer}).GenerateAuthorizationHeader(ctx, "POST", "/v3/x?y=1", body)
	require.NoError(t, err)
	pub := a.PrivateKey.PublicKey
	for name, h := range map[string]string{"ours": ours, "sdk": sdk} {
		m := authRE.FindStringSubmatch(h)
		require.NotNil(t, m, "%s: %s", name, h)
		assert.Equal(t, "1900000001", m[1])
		assert.Len(t, m[2], 32, "nonce")
		assert.Equal(t, "SERIAL1900000001", m[4])
		msg := fmt.Sprintf("POST\n/v3/x?y=1\n%s\n%s\n%s\n", m[3], m[2], body)
		require.NoError(t, verifiers.NewSHA256WithRSAPubkeyVerifier(m[4], pub).Verify(ctx, m[4], msg, m[5]), name)
		if name == "ours" {
			assert.Equal(t, "1700000000", m[3], "timestamp from the injected clock")
		}
	}
}

func TestVerify(t *testing.T) {
	a := mustAccount(t, testMerchant("1900000001"))
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"stock_id":"100088"}`)
	signed := func(ts int64, b []byte) http.Header {
		sig, err := utils.SignSHA256WithRSA(fmt.Sprintf("%d\n%s\n%s\n", ts, "n0nce", b), sharedTestKeys().platform)
		require.NoError(t, err)
		h := http.Header{}
		h.Set("Wechatpay-Serial", testPublicKeyID)
		h.Set("Wechatpay-Signature", sig)
		h.Set("Wechatpay-Timestamp", strconv.FormatInt(ts, 10))
		h.Set("Wechatpay-Nonce", "n0nce")
		return h
	}
	with := func(h http.Header, k, v string) http.Header {
		h = h.Clone()
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
		return h
	}
	good := signed(now.Unix(), body)
	for _, tc := range []struct {
		name   string
		h      http.Header
		body   []byte
		reason string // "" = verifies
	}{
		{"good", good, body, ""},
		{"empty body (204)", signed(now.Unix(), nil), nil, ""},
		{"4m59s old", signed(now.Unix()-299, body), body, ""},
		{"4m59s ahead", signed(now.Unix()+299, body), body, ""},
		{"5m old", signed(now.Unix()-300, body), body, "Wechatpay-Timestamp 1699999700 is 300s away"},
		{"5m ahead", signed(now.Unix()+300, body), body, "Wechatpay-Timestamp 1700000300 is -300s away"},
		{"tampered body", good, []byte(`{"stock_id":"100089"}`), "signature does not match the body"},
		{"probe", with(good, "Wechatpay-Signature", ProbePrefix+good.Get("Wechatpay-Signature")), body, "probe signature WECHATPAY/SIGNTEST/"},
		{"wrong serial", with(good, "Wechatpay-Serial", "PUB_KEY_ID_OTHER"), body, `Wechatpay-Serial "PUB_KEY_ID_OTHER" is not the configured`},
		{"no serial", with(good, "Wechatpay-Serial", ""), body, "header Wechatpay-Serial is missing"},
		{"no signature", with(good, "Wechatpay-Signature", ""), body, "header Wechatpay-Signature is missing"},
		{"no timestamp", with(good, "Wechatpay-Timestamp", ""), body, "header Wechatpay-Timestamp is missing"},
		{"no nonce", with(good, "Wechatpay-Nonce", ""), body, "header Wechatpay-Nonce is missing"},
		{"timestamp text", with(good, "Wechatpay-Timestamp", "soon"), body, `Wechatpay-Timestamp "soon" is not a number`},
		{"signature not base64", with(good, "Wechatpay-Signature", "!!"), body, "signature does not match the body"},
		{"other nonce", with(good, "Wechatpay-Nonce", "other"), body, "signature does not match the body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := a.verify(context.Background(), tc.h, tc.body, now)
			if tc.reason == "" {
				require.Nil(t, f)
				return
			}
			require.NotNil(t, f)
			assert.Contains(t, f.reason, tc.reason)
		})
	}
}
