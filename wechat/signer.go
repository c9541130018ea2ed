package wechat

import (
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/signers"
)

// SignerBackend names the RSA implementation that signs this build's
// requests: "go" (Go's crypto/rsa through wechatpay-go: the default, pure
// Go and static) or "openssl" (libcrypto through cgo, in a build with the
// tag "openssl"; see package wechat/opensslsign). The worker logs it at
// start and exports it as the signer label of couponq_build_info.
func SignerBackend() string { return signerBackend }

// SignerLibrary describes the library behind SignerBackend, for example
// "go1.26.8 crypto/rsa" or "OpenSSL 3.0.19 1 Jul 2025".
func SignerLibrary() string { return signerLibrary() }

// sdkSigner is wechatpay-go's own signer for m: the default build's, and
// the reference the OpenSSL build checks each key against.
func sdkSigner(m Merchant) *signers.SHA256WithRSASigner {
	return &signers.SHA256WithRSASigner{
		MchID:               m.MchID,
		CertificateSerialNo: m.CertSerialNo,
		PrivateKey:          m.PrivateKey,
	}
}
