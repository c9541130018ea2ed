package wechat

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// authorization builds the Authorization header value
//
//	WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",timestamp="..",serial_no="..",signature=".."
//
// over "METHOD\nURI\ntimestamp\nnonce\nbody\n", exactly as wechatpay-go's
// credentials.WechatPayCredentials does (its format constants, filled in
// without fmt; the same nonce generator and signer), except that the timestamp comes from the client's
// clock instead of time.Now, so tests can move time. body must be the exact
// bytes sent ("" for GET).
func (a *account) authorization(ctx context.Context, method, uri string, body []byte, now time.Time) (string, error) {
	nonce, err := utils.GenerateNonce()
	if err != nil {
		return "", fmt.Errorf("wechat: sign: nonce: %w", err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	res, err := a.signer.Sign(ctx, signatureMessage(method, uri, ts, nonce, body))
	if err != nil {
		return "", fmt.Errorf("wechat: sign for merchant %s: %w", a.MchID, err)
	}
	return authorizationHeader(a.scheme, res.MchID, nonce, ts, res.CertificateSerialNo, res.Signature), nil
}

// signatureMessage is consts.SignatureMessageFormat ("%s\n%s\n%d\n%s\n%s\n")
// filled in without fmt (its reflection showed in the worker's profile;
// TestSignFormatsMatchSDKConstants keeps the two equal).
func signatureMessage(method, uri, ts, nonce string, body []byte) string {
	var b strings.Builder
	b.Grow(len(method) + len(uri) + len(ts) + len(nonce) + len(body) + 5)
	for _, part := range [...]string{method, uri, ts, nonce} {
		b.WriteString(part)
		b.WriteByte('\n')
	}
	b.Write(body)
	b.WriteByte('\n')
	return b.String()
}

// authorizationHeader is consts.HeaderAuthorizationFormat
// ("%s mchid=\"%s\",nonce_str=\"%s\",timestamp=\"%d\",serial_no=\"%s\",signature=\"%s\"")
// filled in without fmt.
func authorizationHeader(scheme, mchid, nonce, ts, serial, signature string) string {
	return scheme + ` mchid="` + mchid + `",nonce_str="` + nonce + `",timestamp="` + ts +
		`",serial_no="` + serial + `",signature="` + signature + `"`
}
