package wechat

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core/consts"
)

// ProbePrefix starts the signature of WeChat Pay's signature-verification
// probe answers. Such an answer is a test of the client, never a real
// result, and is always rejected.
const ProbePrefix = "WECHATPAY/SIGNTEST/"

// MaxClockSkew is how far an answer's Wechatpay-Timestamp may be from the
// client's clock (the SDK's consts.FiveMinute window: a difference of 5
// minutes or more is rejected).
const MaxClockSkew = consts.FiveMinute * time.Second

// verifyFailure is why a 2xx answer was not trusted.
type verifyFailure struct {
	reason string
	err    error
}

// verify checks a 2xx answer like wechatpay-go's WechatPayResponseValidator
// (same headers, same message "timestamp\nnonce\nbody\n", the SDK's
// SHA256WithRSAPubkeyVerifier), plus an explicit rejection of probe
// signatures, with the timestamp window measured on the client's clock.
func (a *account) verify(ctx context.Context, h http.Header, body []byte, now time.Time) *verifyFailure {
	get := func(k string) string { return strings.TrimSpace(h.Get(k)) }
	serial, signature := get(consts.WechatPaySerial), get(consts.WechatPaySignature)
	tsText, nonce := get(consts.WechatPayTimestamp), get(consts.WechatPayNonce)
	for _, kv := range [][2]string{
		{consts.WechatPaySerial, serial}, {consts.WechatPaySignature, signature},
		{consts.WechatPayTimestamp, tsText}, {consts.WechatPayNonce, nonce},
	} {
		if kv[1] == "" {
			return &verifyFailure{reason: "header " + kv[0] + " is missing"}
		}
	}
	if strings.HasPrefix(signature, ProbePrefix) {
		return &verifyFailure{reason: "probe signature " + ProbePrefix + "...: WeChat Pay is testing that answers are verified; this is not a real answer"}
	}
	if serial != a.PublicKeyID {
		return &verifyFailure{reason: fmt.Sprintf("Wechatpay-Serial %q is not the configured WeChat Pay public key id %q", serial, a.PublicKeyID)}
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return &verifyFailure{reason: fmt.Sprintf("Wechatpay-Timestamp %q is not a number", tsText)}
	}
	if skew := now.Unix() - ts; skew >= consts.FiveMinute || skew <= -consts.FiveMinute {
		return &verifyFailure{reason: fmt.Sprintf("Wechatpay-Timestamp %d is %ds away from our clock (limit %s)", ts, skew, MaxClockSkew)}
	}
	// "%d\n%s\n%s\n" of ts, nonce, body, without fmt (the timestamp as
	// parsed, so "+1700000000" is signed as "1700000000", as before).
	message := strconv.FormatInt(ts, 10) + "\n" + nonce + "\n" + string(body) + "\n"
	if err := a.verifier.Verify(ctx, serial, message, signature); err != nil {
		return &verifyFailure{reason: "signature does not match the body", err: err}
	}
	return nil
}
