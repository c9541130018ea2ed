//go:build openssl && cgo

package opensslsign_test

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/couponq/couponq/wechat/opensslsign"
)

const message = "POST\n/v3/marketing/busifavor/coupons/use\n1700000000\n0123456789abcdef0123456789abcdef\n{\"coupon_code\":\"x\"}\n"

func newKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

func newSigner(tb testing.TB, key *rsa.PrivateKey) *opensslsign.Signer {
	tb.Helper()
	s, err := opensslsign.FromKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// TestSameSignatureAsSDK: PKCS #1 v1.5 is deterministic, so OpenSSL must
// produce byte for byte the signature wechatpay-go produces.
func TestSameSignatureAsSDK(t *testing.T) {
	for _, bits := range []int{2048, 3072} {
		key, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		s := newSigner(t, key)
		for _, msg := range []string{message, "x", strings.Repeat("长消息\n", 5000)} {
			got, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			want, err := utils.SignSHA256WithRSA(msg, key)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("%d bits, message of %d bytes: OpenSSL signature differs from the SDK's:\n got %s\nwant %s", bits, len(msg), got, want)
			}
		}
	}
}

// TestSignsConcurrently signs from several goroutines with one Signer
// (run it with -race); every signature must be the SDK's.
func TestSignsConcurrently(t *testing.T) {
	key := newKey(t)
	s := newSigner(t, key)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			msg := fmt.Sprintf("%s%d", message, i)
			got, err := s.Sign(msg)
			if err != nil {
				errs <- err
				return
			}
			if want, _ := utils.SignSHA256WithRSA(msg, key); got != want {
				errs <- fmt.Errorf("goroutine %d: signature differs from the SDK's", i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRefusesGarbageAndMisuse(t *testing.T) {
	if _, err := opensslsign.FromDER([]byte("not a key")); err == nil {
		t.Fatal("accepted garbage")
	}
	if _, err := opensslsign.FromKey(nil); err == nil {
		t.Fatal("accepted a nil key")
	}
	s := newSigner(t, newKey(t))
	if _, err := s.Sign(""); err == nil {
		t.Fatal("signed an empty message")
	}
	s.Close()
	if _, err := s.Sign(message); err == nil {
		t.Fatal("signed after Close")
	}
	s.Close() // twice is harmless
}

func TestVersionNamesOpenSSL(t *testing.T) {
	if v := opensslsign.Version(); !strings.HasPrefix(v, "OpenSSL ") {
		t.Fatalf("Version() = %q", v)
	}
}

// BenchmarkSignOpenSSL is one SHA256-RSA2048 signature by OpenSSL.
func BenchmarkSignOpenSSL(b *testing.B) {
	s := newSigner(b, newKey(b))
	for b.Loop() {
		if _, err := s.Sign(message); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignSDK is one SHA256-RSA2048 signature by wechatpay-go (Go's
// crypto/rsa), as the worker signs today.
func BenchmarkSignSDK(b *testing.B) {
	key := newKey(b)
	for b.Loop() {
		if _, err := utils.SignSHA256WithRSA(message, key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignOpenSSLParallel and BenchmarkSignSDKParallel sign from
// GOMAXPROCS goroutines, as a worker with many jobs in flight does.
func BenchmarkSignOpenSSLParallel(b *testing.B) {
	s := newSigner(b, newKey(b))
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
	key := newKey(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := utils.SignSHA256WithRSA(message, key); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
