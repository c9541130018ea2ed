package wechat

import (
	"context"
	"fmt"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core/consts"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// authorization builds the Authorization header value
//
//	WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",timestamp="..",serial_no="..",signature=".."
//
// over "METHOD\nURI\ntimestamp\nnonce\nbody\n", exactly as wechatpay-go's
// credentials.WechatPayCredentials does (same format constants, same nonce
// generator, same signer), except that the timestamp comes from the client's
// clock instead of time.Now, so tests can move time. body must be the exact
// bytes sent ("" for GET).
func (a *account) authorization(ctx context.Context, method, uri string, body []byte, now time.Time) (string, error) {
	nonce, err := utils.GenerateNonce()
	if err != nil {
		return "", fmt.Errorf("wechat: sign: nonce: %w", err)
	}
	ts := now.Unix()
	message := fmt.Sprintf(consts.SignatureMessageFormat, method, uri, ts, nonce, body)
	res, err := a.signer.Sign(ctx, message)
	if err != nil {
		return "", fmt.Errorf("wechat: sign for merchant %s: %w", a.MchID, err)
	}
	return fmt.Sprintf(consts.HeaderAuthorizationFormat, "WECHATPAY2-"+a.signer.Algorithm(),
		res.MchID, nonce, ts, res.CertificateSerialNo, res.Signature), nil
}
