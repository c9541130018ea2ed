// Package opensslsign is an evaluation, not part of the worker: a
// SHA256-RSA2048 (PKCS #1 v1.5) signer backed by OpenSSL's libcrypto
// through cgo, benchmarked against wechatpay-go's pure-Go signer
// (utils.SignSHA256WithRSA) to decide whether couponq should offer it
// (issue 9, target 5; the decision and figures are in docs/performance.md).
//
// The signer is compiled only with the build tag "openssl" and cgo
// (apt-get install libssl-dev):
//
//	go test -tags openssl -run '^$' -bench . ./wechat/opensslsign/
//
// Without the tag the package is empty and the default build stays pure Go
// and static.
package opensslsign
