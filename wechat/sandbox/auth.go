package sandbox

import (
	"context"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
)

// authScheme is the only Authorization scheme WeChat Pay APIv3 accepts.
const authScheme = "WECHATPAY2-SHA256-RSA2048"

// maxClockSkew is how far a request timestamp may be from the sandbox clock.
const maxClockSkew = 5 * time.Minute

// authParams are the fields of a WECHATPAY2-SHA256-RSA2048 Authorization header.
type authParams struct {
	MchID, NonceStr, Signature, Timestamp, SerialNo string
}

// parseAuthorization splits `WECHATPAY2-SHA256-RSA2048 k="v",k="v",...` into
// its fields; every field must be present exactly once.
func parseAuthorization(h string) (authParams, error) {
	var p authParams
	rest, ok := strings.CutPrefix(h, authScheme+" ")
	if !ok {
		return p, fmt.Errorf("scheme is not %s", authScheme)
	}
	seen := map[string]bool{}
	for rest = strings.TrimSpace(rest); rest != ""; {
		key, after, ok := strings.Cut(rest, "=")
		if !ok {
			return p, fmt.Errorf("malformed parameter %q", rest)
		}
		key = strings.TrimSpace(key)
		if !strings.HasPrefix(after, `"`) {
			return p, fmt.Errorf("value of %s is not quoted", key)
		}
		end := strings.IndexByte(after[1:], '"')
		if end < 0 {
			return p, fmt.Errorf("value of %s is not terminated", key)
		}
		value := after[1 : 1+end]
		rest = strings.TrimSpace(after[2+end:])
		if rest != "" {
			if rest[0] != ',' {
				return p, fmt.Errorf("expected ',' after %s", key)
			}
			rest = strings.TrimSpace(rest[1:])
		}
		if seen[key] {
			return p, fmt.Errorf("parameter %s appears twice", key)
		}
		seen[key] = true
		switch key {
		case "mchid":
			p.MchID = value
		case "nonce_str":
			p.NonceStr = value
		case "signature":
			p.Signature = value
		case "timestamp":
			p.Timestamp = value
		case "serial_no":
			p.SerialNo = value
		default:
			return p, fmt.Errorf("unknown parameter %s", key)
		}
	}
	for _, f := range []struct{ name, value string }{
		{"mchid", p.MchID}, {"nonce_str", p.NonceStr}, {"signature", p.Signature},
		{"timestamp", p.Timestamp}, {"serial_no", p.SerialNo},
	} {
		if f.value == "" {
			return p, fmt.Errorf("parameter %s is missing or empty", f.name)
		}
	}
	return p, nil
}

// merchant is a configured merchant with its request verifier.
type merchant struct {
	keys     MerchantKeys
	verifier *verifiers.SHA256WithRSAPubkeyVerifier
}

func newMerchant(k MerchantKeys) *merchant {
	return &merchant{keys: k, verifier: verifiers.NewSHA256WithRSAPubkeyVerifier(k.CertSerialNo, rsa.PublicKey(*k.MerchantPublicKey))}
}

// signError is the 401 answer to a request whose signature does not verify;
// field and issue go into the detail object.
func signError(field, issue string) *apiError {
	return &apiError{
		Status:  http.StatusUnauthorized,
		Code:    "SIGN_ERROR",
		Message: "签名错误，验签失败: " + issue,
		Detail:  map[string]any{"location": "authorization", "field": field, "issue": issue},
	}
}

// requestURL returns the URL the client signed: the path and query exactly as
// sent on the request line.
func requestURL(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		return r.RequestURI
	}
	if u, err := url.Parse(r.RequestURI); err == nil && r.RequestURI != "" {
		return u.RequestURI()
	}
	return r.URL.RequestURI()
}

// authenticate checks the request's Authorization and Wechatpay-Serial headers
// against the known merchants and returns the signing merchant.
func (s *Sandbox) authenticate(ctx context.Context, r *http.Request, body []byte) (*merchant, *apiError) {
	p, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return nil, signError("authorization", err.Error())
	}
	m := s.merchants[p.MchID]
	if m == nil {
		return nil, signError("mchid", fmt.Sprintf("unknown merchant %q", p.MchID))
	}
	if p.SerialNo != m.keys.CertSerialNo {
		return m, signError("serial_no", fmt.Sprintf("serial_no %q is not the merchant's certificate serial", p.SerialNo))
	}
	ts, err := strconv.ParseInt(p.Timestamp, 10, 64)
	if err != nil {
		return m, signError("timestamp", fmt.Sprintf("timestamp %q is not a number of seconds", p.Timestamp))
	}
	if skew := s.now().Sub(time.Unix(ts, 0)).Abs(); skew > maxClockSkew {
		return m, signError("timestamp", fmt.Sprintf("timestamp %d is %s away from the server clock (more than %s)", ts, skew.Truncate(time.Second), maxClockSkew))
	}
	if serial := r.Header.Get("Wechatpay-Serial"); serial != "" && serial != m.keys.PublicKeyID {
		return m, signError("wechatpay-serial", fmt.Sprintf("Wechatpay-Serial %q is not the merchant's WeChat Pay public key id", serial))
	}
	message := r.Method + "\n" + requestURL(r) + "\n" + p.Timestamp + "\n" + p.NonceStr + "\n" + string(body) + "\n"
	if err := m.verifier.Verify(ctx, p.SerialNo, message, p.Signature); err != nil {
		return m, signError("signature", "signature does not verify over the request")
	}
	return m, nil
}
