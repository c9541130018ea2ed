//go:build !(openssl && cgo)

package wechat

import (
	"runtime"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
)

const signerBackend = "go"

func signerLibrary() string { return runtime.Version() + " crypto/rsa" }

// newRequestSigner returns wechatpay-go's signer for m.
func newRequestSigner(m Merchant) (auth.Signer, error) { return sdkSigner(m), nil }
