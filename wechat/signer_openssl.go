//go:build openssl && cgo

package wechat

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"

	"github.com/couponq/couponq/wechat/opensslsign"
)

const signerBackend = "openssl"

func signerLibrary() string { return opensslsign.Version() }

// opensslSigner is an auth.Signer that signs with OpenSSL and answers
// exactly as wechatpay-go's SHA256WithRSASigner does.
type opensslSigner struct {
	mchID, serial string
	key           *opensslsign.Signer
}

// Sign signs message with the merchant's key.
func (o *opensslSigner) Sign(_ context.Context, message string) (*auth.SignatureResult, error) {
	sig, err := o.key.Sign(message)
	if err != nil {
		return nil, err
	}
	return &auth.SignatureResult{MchID: o.mchID, CertificateSerialNo: o.serial, Signature: sig}, nil
}

// sdkAlgorithm is the SDK signer's algorithm name ("SHA256-RSA2048").
var sdkAlgorithm = sdkSigner(Merchant{}).Algorithm()

// Algorithm is the SDK signer's algorithm name.
func (o *opensslSigner) Algorithm() string { return sdkAlgorithm }

// opensslKeys holds one OpenSSL copy per distinct parsed private key
// (MerchantLoader shares a key among the accounts that use the same key
// file), for the life of the process.
var opensslKeys struct {
	sync.Mutex
	m map[*rsa.PrivateKey]*opensslsign.Signer
}

// newRequestSigner returns an OpenSSL signer for m. A key is copied into
// OpenSSL once, and its first signature must equal wechatpay-go's (PKCS #1
// v1.5 is deterministic): a library that signs differently is refused at
// start, not discovered as a failed request.
func newRequestSigner(m Merchant) (auth.Signer, error) {
	opensslKeys.Lock()
	defer opensslKeys.Unlock()
	k := opensslKeys.m[m.PrivateKey]
	if k == nil {
		var err error
		if k, err = opensslsign.FromKey(m.PrivateKey); err != nil {
			return nil, fmt.Errorf("openssl signer: %w", err)
		}
		if err := sameAsSDK(m, k); err != nil {
			k.Close()
			return nil, err
		}
		if opensslKeys.m == nil {
			opensslKeys.m = map[*rsa.PrivateKey]*opensslsign.Signer{}
		}
		opensslKeys.m[m.PrivateKey] = k
	}
	return &opensslSigner{mchID: m.MchID, serial: m.CertSerialNo, key: k}, nil
}

// sameAsSDK signs one fixed message with both signers.
func sameAsSDK(m Merchant, k *opensslsign.Signer) error {
	const probe = "GET\n/v3/couponq/openssl-self-check\n0\n0\n\n"
	got, err := k.Sign(probe)
	if err != nil {
		return fmt.Errorf("openssl signer self-check: %w", err)
	}
	want, err := sdkSigner(m).Sign(context.Background(), probe)
	if err != nil {
		return fmt.Errorf("openssl signer self-check: Go signer: %w", err)
	}
	if got != want.Signature {
		return errors.New("openssl signer self-check: OpenSSL's signature differs from Go's for this key")
	}
	return nil
}
