// Package opensslsign is couponq's optional fast request signer: a
// SHA256-RSA (PKCS #1 v1.5) signer backed by OpenSSL's libcrypto through
// cgo. It signs byte for byte what wechatpay-go's pure-Go signer
// (utils.SignSHA256WithRSA, Go's crypto/rsa) signs, about 3.8 times faster
// per signature on the 2-core machines measured (docs/performance.md,
// section 5).
//
// It is compiled only with the build tag "openssl" and cgo (headers from
// apt-get install libssl-dev; at run time libcrypto.so.3):
//
//	go build -tags openssl ./cmd/worker
//	go test -tags openssl ./wechat/...
//
// The wechat client then signs every request with it (see
// wechat.SignerBackend). Without the tag the package is empty, and the
// default build stays pure Go and static.
package opensslsign
