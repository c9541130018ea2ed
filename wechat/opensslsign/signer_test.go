//go:build openssl && cgo

package opensslsign_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/couponq/couponq/wechat/opensslsign"
)

const message = "POST\n/v3/marketing/busifavor/coupons/use\n1700000000\n0123456789abcdef0123456789abcdef\n{\"coupon_code\":\"x\"}\n"

func newKey(tb testing.TB) (*rsa.PrivateKey, []byte) {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func newSigner(tb testing.TB, pemKey []byte) *opensslsign.Signer {
	tb.Helper()
	s, err := opensslsign.New(pemKey)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// TestSameSignatureAsSDK: PKCS #1 v1.5 is deterministic, so OpenSSL must
// produce byte for byte the signature wechatpay-go produces.
func TestSameSignatureAsSDK(t *testing.T) {
	key, pemKey := newKey(t)
	s := newSigner(t, pemKey)
	got, err := s.Sign(message)
	if err != nil {
		t.Fatal(err)
	}
	want, err := utils.SignSHA256WithRSA(message, key)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("OpenSSL signature differs from the SDK's:\n got %s\nwant %s", got, want)
	}
}

func TestRefusesGarbage(t *testing.T) {
	if _, err := opensslsign.New([]byte("not a key")); err == nil {
		t.Fatal("New accepted garbage")
	}
}

// BenchmarkSignOpenSSL is one SHA256-RSA2048 signature by OpenSSL.
func BenchmarkSignOpenSSL(b *testing.B) {
	_, pemKey := newKey(b)
	s := newSigner(b, pemKey)
	for b.Loop() {
		if _, err := s.Sign(message); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignSDK is one SHA256-RSA2048 signature by wechatpay-go (Go's
// crypto/rsa), as the worker signs today.
func BenchmarkSignSDK(b *testing.B) {
	key, _ := newKey(b)
	for b.Loop() {
		if _, err := utils.SignSHA256WithRSA(message, key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignOpenSSLParallel and BenchmarkSignSDKParallel sign from
// GOMAXPROCS goroutines, as a worker with many jobs in flight does.
func BenchmarkSignOpenSSLParallel(b *testing.B) {
	_, pemKey := newKey(b)
	s := newSigner(b, pemKey)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Sign(message); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSignSDKParallel: see BenchmarkSignOpenSSLParallel.
func BenchmarkSignSDKParallel(b *testing.B) {
	key, _ := newKey(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := utils.SignSHA256WithRSA(message, key); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
