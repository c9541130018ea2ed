package wechat

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/wechatpay-apiv3/wechatpay-go/core/consts"
)

// TestSignFormatsMatchSDKConstants: the message signed and the header
// built without fmt are byte for byte wechatpay-go's format constants
// filled in by fmt.
func TestSignFormatsMatchSDKConstants(t *testing.T) {
	for _, c := range []struct {
		method, uri, nonce string
		ts                 int64
		body               []byte
	}{
		{"POST", "/v3/marketing/busifavor/coupons/use", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", 1_700_000_000, []byte(`{"coupon_code":"x"}`)},
		{"GET", "/v3/x?y=1&z=%20", "n", 0, nil},
		{"PATCH", "/v3/好", "", -1, []byte("a\nb%d%s")},
	} {
		ts := strconv.FormatInt(c.ts, 10)
		assert.Equal(t, fmt.Sprintf(consts.SignatureMessageFormat, c.method, c.uri, c.ts, c.nonce, c.body),
			signatureMessage(c.method, c.uri, ts, c.nonce, c.body))
		assert.Equal(t, fmt.Sprintf(consts.HeaderAuthorizationFormat, "WECHATPAY2-SHA256-RSA2048", "1900000001", c.nonce, c.ts, "SERIAL", "c2ln+/="),
			authorizationHeader("WECHATPAY2-SHA256-RSA2048", "1900000001", c.nonce, ts, "SERIAL", "c2ln+/="))
	}
}
