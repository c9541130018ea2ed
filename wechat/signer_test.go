package wechat

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// mustAccount is newAccount for tests.
func mustAccount(t *testing.T, m Merchant) *account {
	t.Helper()
	a, err := newAccount(m)
	require.NoError(t, err)
	return a
}

// TestRequestSignerSignsAsSDK: whichever backend this build signs with
// (go test -tags openssl ./wechat/ for OpenSSL), an account's signature is
// byte for byte wechatpay-go's with its own merchant's key, from several
// goroutines at once, also when two accounts share one key.
func TestRequestSignerSignsAsSDK(t *testing.T) {
	a, b, c := mustAccount(t, testMerchant("1900000001")), mustAccount(t, testMerchant("1900000003")), mustAccount(t, testMerchant("1900000002"))
	require.Same(t, a.PrivateKey, b.PrivateKey, "1900000001 and 1900000003 share a key")
	require.NotSame(t, a.PrivateKey, c.PrivateKey)
	var wg sync.WaitGroup
	for i, acc := range []*account{a, b, c, a, b, c} {
		wg.Go(func() {
			msg := "POST\n/v3/x\n1700000000\nn0nce\n" + strings.Repeat("{}", i*100) + "\n"
			got, err := acc.signer.Sign(context.Background(), msg)
			if !assertNoErr(t, err) {
				return
			}
			want, err := utils.SignSHA256WithRSA(msg, acc.PrivateKey)
			if !assertNoErr(t, err) {
				return
			}
			if got.Signature != want || got.MchID != acc.MchID || got.CertificateSerialNo != acc.CertSerialNo {
				t.Errorf("%s (%s): got %+v, want signature %s", acc.MchID, SignerBackend(), got, want)
			}
		})
	}
	wg.Wait()
	require.Equal(t, "SHA256-RSA2048", a.signer.Algorithm())
	require.NotEmpty(t, SignerLibrary())
}

func assertNoErr(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}
