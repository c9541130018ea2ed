package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/testio"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"
)

// One merchant's own limit replaces the common one for it alone.
func TestMerchantLimits(t *testing.T) {
	b := setup(t, func(c *sandbox.Config, _ *wechat.Config) {
		c.MerchantLimits = map[string]map[marketing.Operation]int{"1900000002": {marketing.OpProductCouponUpdate: 2}}
	})
	other := b.keys[1].MchID
	require.Equal(t, "1900000002", other)
	for i := range 2 {
		_, _, err := b.client.UpdateProductCoupon(ctx(t), other, productUpdate(fmt.Sprintf("UPD_OWN_%03d", i), "新名字新名字"))
		require.NoError(t, err)
	}
	_, _, err := b.client.UpdateProductCoupon(ctx(t), other, productUpdate("UPD_OWN_002", "新名字新名字"))
	apiError(t, err, http.StatusTooManyRequests, "RATELIMIT_EXCEEDED")
	for i := range 3 {
		_, _, err := b.client.UpdateProductCoupon(ctx(t), b.mchid(), productUpdate(fmt.Sprintf("UPD_COMMON_%03d", i), "新名字新名字"))
		require.NoError(t, err, "the first merchant keeps the common 20/s")
	}

	_, err = sandbox.New(sandbox.Config{Merchants: b.keys, MerchantLimits: map[string]map[marketing.Operation]int{
		"1999999999": {marketing.OpBusifavorUse: 1}, b.mchid(): {"nope": 1},
	}})
	require.ErrorContains(t, err, `merchant "1999999999" is not configured`)
	require.ErrorContains(t, err, "nope")
}

// A range of merchants with shared keys starts fast, and each merchant
// signs with the shared key under its own serial.
func TestRunCommandManyMerchants(t *testing.T) {
	keysDir := filepath.Join(t.TempDir(), "keys")
	c, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testio.Buffer
	code := make(chan int, 1)
	go func() {
		code <- sandbox.RunCommand(c, []string{"--addr", "127.0.0.1:0", "--keys", keysDir, "--shared-keys",
			"--mchid", "1910000001-1910000050,1900000001", "--merchant-limit", "1910000002:busifavor.use=1"}, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.HasSuffix(stdout.String(), "\n\n") }, 60*time.Second, 5*time.Millisecond, "stderr: %s", stderr.String())
	out := stdout.String()
	require.Contains(t, out, "... and 41 more merchants")
	require.Equal(t, 51, strings.Count(out, "  - mchid: "))

	var files []wechat.MerchantFiles
	for _, id := range []string{"1910000001", "1910000002"} {
		_, f, err := sandbox.GenerateMerchant(filepath.Join(keysDir, id), id)
		require.NoError(t, err, "the command wrote a complete set")
		files = append(files, f)
	}
	require.NotEqual(t, files[0].CertSerialNo, files[1].CertSerialNo)
	var ms []wechat.Merchant
	for _, f := range files {
		m, err := wechat.LoadMerchant(f)
		require.NoError(t, err)
		ms = append(ms, m)
	}
	require.True(t, ms[0].PrivateKey.Equal(ms[1].PrivateKey), "shared key pairs")

	base := strings.TrimSpace(strings.SplitN(strings.SplitN(out, "listening on ", 2)[1], " ", 2)[0])
	client, err := wechat.New(wechat.Config{BaseURL: base, BackupURL: wechat.NoBackup}, ms...)
	require.NoError(t, err)
	defer client.Close()
	_, _, err = client.UseBusifavorCoupon(ctx(t), "1910000001", busifavorUse("many1", "MANY0001"))
	require.NoError(t, err)
	_, _, err = client.UseBusifavorCoupon(ctx(t), "1910000002", busifavorUse("many2", "MANY0002"))
	require.NoError(t, err)
	_, _, err = client.UseBusifavorCoupon(ctx(t), "1910000002", busifavorUse("many3", "MANY0003"))
	apiError(t, err, http.StatusTooManyRequests, "FREQUENCY_LIMITED")
	cancel()
	require.Equal(t, 0, <-code, "stderr: %s", stderr.String())
}

func TestRunCommandBadMerchantFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--mchid", "5-3"},
		{"--mchid", "1-200000"},
		{"--mchid", "1-x"},
		{"--merchant-limit", "1900000001"},
		{"--merchant-limit", "1900000001:nope=1"},
		{"--merchant-limit", "1900000009:busifavor.use=1"},
	} {
		var stdout, stderr testio.Buffer
		require.Equal(t, 2, sandbox.RunCommand(context.Background(), args, &stdout, &stderr), "%v", args)
		require.NotEmpty(t, stderr.String())
	}
}
