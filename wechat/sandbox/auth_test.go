package sandbox_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/require"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/validators"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
)

func TestRequestSignatureIsVerified(t *testing.T) {
	b := setup(t)
	req := busifavorUse("sig-code", "SIG0001")
	body, err := req.Body()
	require.NoError(t, err)
	valid := func() rawRequest {
		return rawRequest{method: http.MethodPost, path: req.Path(), body: body, merchant: b.clients[0]}
	}
	other := b.clients[1]

	tests := []struct {
		name  string
		tweak func(*rawRequest)
		field string
	}{
		{"body changed after signing", func(r *rawRequest) { r.signBody = []byte(`{}`) }, "signature"},
		{"other path signed", func(r *rawRequest) { r.signPath = "/v3/marketing/busifavor/stocks/100088" }, "signature"},
		{"signed with another key", func(r *rawRequest) {
			r.merchant.PrivateKey = other.PrivateKey
		}, "signature"},
		{"wrong serial_no", func(r *rawRequest) { r.serial = other.CertSerialNo }, "serial_no"},
		{"stale timestamp", func(r *rawRequest) { r.timestamp = b.clock.Now().Add(-6 * time.Minute).Unix() }, "timestamp"},
		{"future timestamp", func(r *rawRequest) { r.timestamp = b.clock.Now().Add(6 * time.Minute).Unix() }, "timestamp"},
		{"unknown merchant", func(r *rawRequest) { r.merchant.MchID = "1234567890" }, "mchid"},
		{"wrong Wechatpay-Serial", func(r *rawRequest) { r.pubKeyID = other.PublicKeyID }, "wechatpay-serial"},
		{"no Authorization", func(r *rawRequest) { r.auth = "Bearer x" }, "authorization"},
		{"malformed Authorization", func(r *rawRequest) { r.auth = `WECHATPAY2-SHA256-RSA2048 mchid="1900000001"` }, "authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.tweak(&r)
			resp := b.send(t, r)
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			require.NotEmpty(t, resp.Header.Get("Request-ID"))
			require.Empty(t, resp.Header.Get("Wechatpay-Signature"))
			e := readError(t, resp)
			require.Equal(t, "SIGN_ERROR", e.Code)
			require.Equal(t, tt.field, e.Detail["field"], e.Message)
		})
	}
	require.Equal(t, 0, b.sb.Effects(marketing.OpBusifavorUse))
	require.Equal(t, int64(len(tests)), b.sb.Stats(marketing.OpBusifavorUse).Status4xx)
	require.Zero(t, b.sb.Stats(marketing.OpBusifavorUse).MaxAcceptedPerSecond, "rejected signatures never reach the limiter")

	// Within 5 minutes, without Wechatpay-Serial: accepted.
	r := valid()
	r.timestamp = b.clock.Now().Add(-4 * time.Minute).Unix()
	r.pubKeyID = "-"
	resp := b.send(t, r)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestAnswerSignature checks the answer's signature with wechatpay-go's own
// response validator, independently of the wechat client.
func TestAnswerSignature(t *testing.T) {
	b := setup(t)
	req := busifavorUse("answer-sig", "SIG0100")
	body, err := req.Body()
	require.NoError(t, err)
	resp := b.send(t, rawRequest{method: http.MethodPost, path: req.Path(), body: body, merchant: b.clients[0]})
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, b.clients[0].PublicKeyID, resp.Header.Get("Wechatpay-Serial"))
	ts, err := strconv.ParseInt(resp.Header.Get("Wechatpay-Timestamp"), 10, 64)
	require.NoError(t, err)
	require.Equal(t, b.clock.Now().Unix(), ts)
	require.NotEmpty(t, resp.Header.Get("Wechatpay-Nonce"))
	require.NotEmpty(t, resp.Header.Get("Request-ID"))

	validator := validators.NewWechatPayResponseValidator(
		verifiers.NewSHA256WithRSAPubkeyVerifier(b.clients[0].PublicKeyID, *b.clients[0].PublicKey))
	require.NoError(t, validator.Validate(context.Background(), resp))

	// The other merchant's WeChat Pay key does not verify it.
	wrong := validators.NewWechatPayResponseValidator(
		verifiers.NewSHA256WithRSAPubkeyVerifier(b.clients[0].PublicKeyID, *b.clients[1].PublicKey))
	require.Error(t, wrong.Validate(context.Background(), resp))
}
