package cli_test

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/couponq/couponq/internal/cli"
	"github.com/couponq/couponq/internal/testio"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

// snippet is the part of the printed configuration the test checks.
type snippet struct {
	WeChat struct {
		Sandbox        bool   `yaml:"sandbox"`
		SandboxKeysDir string `yaml:"sandbox_keys_dir"`
		BaseURL        string `yaml:"base_url"`
		BackupURL      string `yaml:"backup_url"`
	} `yaml:"wechat"`
	Merchants []struct {
		MchID                  string `yaml:"mchid"`
		CertSerialNo           string `yaml:"cert_serial_no"`
		PrivateKeyFile         string `yaml:"private_key_file"`
		WeChatPayPublicKeyID   string `yaml:"wechatpay_public_key_id"`
		WeChatPayPublicKeyFile string `yaml:"wechatpay_public_key_file"`
	} `yaml:"merchants"`
}

func TestRunCommand(t *testing.T) {
	keysDir := filepath.Join(t.TempDir(), "keys")
	// Reuse the shared keys' speed: the command generates one merchant only.
	c, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testio.Buffer
	code := make(chan int, 1)
	go func() {
		code <- cli.RunSandbox(c, []string{"--addr", "127.0.0.1:0", "--backup-addr", "127.0.0.1:0",
			"--keys", keysDir, "--limit", "product_coupon.update=7"}, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool {
		return strings.Contains(stdout.String(), "merchants:") && strings.HasSuffix(stdout.String(), "\n\n")
	},
		30*time.Second, 5*time.Millisecond, "stderr: %s", stderr.String())
	out := stdout.String()
	require.NotContains(t, out, "PRIVATE KEY")
	require.Contains(t, out, "keys generated")
	require.Contains(t, out, "product_coupon.update=7")

	_, yamlPart, ok := strings.Cut(out, "(paste into config.yaml):\n")
	require.True(t, ok)
	var cfg snippet
	require.NoError(t, yaml.Unmarshal([]byte(yamlPart), &cfg))
	require.True(t, cfg.WeChat.Sandbox)
	require.Equal(t, keysDir, cfg.WeChat.SandboxKeysDir)
	require.Regexp(t, regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`), cfg.WeChat.BaseURL)
	require.Regexp(t, regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`), cfg.WeChat.BackupURL)
	require.Len(t, cfg.Merchants, 1)
	m := cfg.Merchants[0]
	require.Equal(t, sandbox.DefaultMchID, m.MchID)
	require.Equal(t, filepath.Join(keysDir, sandbox.DefaultMchID, sandbox.MerchantKeyFile), m.PrivateKeyFile)

	// A client configured from the snippet works against both listeners,
	// which share one state.
	merchant, err := wechat.LoadMerchant(wechat.MerchantFiles{MchID: m.MchID, CertSerialNo: m.CertSerialNo,
		PrivateKeyFile: m.PrivateKeyFile, PublicKeyID: m.WeChatPayPublicKeyID, PublicKeyFile: m.WeChatPayPublicKeyFile})
	require.NoError(t, err)
	primary, err := wechat.New(wechat.Config{BaseURL: cfg.WeChat.BaseURL, BackupURL: wechat.NoBackup}, merchant)
	require.NoError(t, err)
	defer primary.Close()
	backup, err := wechat.New(wechat.Config{BaseURL: cfg.WeChat.BackupURL, BackupURL: wechat.NoBackup}, merchant)
	require.NoError(t, err)
	defer backup.Close()
	_, _, err = primary.UseBusifavorCoupon(ctx(t), m.MchID, busifavorUse("cmd", "CMD0001"))
	require.NoError(t, err)
	_, _, err = backup.UseBusifavorCoupon(ctx(t), m.MchID, busifavorUse("cmd", "CMD0002"))
	apiError(t, err, http.StatusBadRequest, "RESOURCE_ALREADY_EXISTS")

	admin := &sandbox.AdminClient{BaseURL: cfg.WeChat.BaseURL}
	stats, err := admin.Stats(ctx(t))
	require.NoError(t, err)
	require.Equal(t, int64(2), stats[marketing.OpBusifavorUse].Requests)
	limits, err := admin.Limits(ctx(t))
	require.NoError(t, err)
	require.Equal(t, 7, limits[marketing.OpProductCouponUpdate])

	// A hung request does not hold up the shutdown.
	require.NoError(t, admin.Inject(ctx(t), sandbox.Fault{Op: marketing.OpBusifavorUse, Kind: sandbox.Hang}))
	hung := make(chan error, 1)
	go func() {
		_, _, err := primary.UseBusifavorCoupon(ctx(t), m.MchID, busifavorUse("cmd-hang", "CMD0003"))
		hung <- err
	}()
	require.Eventually(t, func() bool {
		s, err := admin.Stats(ctx(t))
		return err == nil && s[marketing.OpBusifavorUse].Requests == 3
	}, 10*time.Second, 5*time.Millisecond)

	cancel()
	require.Equal(t, 0, <-code, "stderr: %s", stderr.String())
	require.Error(t, <-hung)
	require.Contains(t, stdout.String(), "sandbox stopped")
	require.NotContains(t, stderr.String(), "PRIVATE KEY")

	// A second start reuses the keys.
	var again testio.Buffer
	c2, cancel2 := context.WithCancel(context.Background())
	code2 := make(chan int, 1)
	go func() {
		code2 <- cli.RunSandbox(c2, []string{"--addr", "127.0.0.1:0", "--keys", keysDir}, &again, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(again.String(), "merchants:") }, 30*time.Second, 5*time.Millisecond)
	require.Contains(t, again.String(), "keys reused")
	require.Contains(t, again.String(), m.CertSerialNo)
	require.Contains(t, again.String(), `backup_url: "-"`)
	cancel2()
	require.Equal(t, 0, <-code2)
}

func TestRunCommandBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--limit", "nope=3"},
		{"--limit", "busifavor.use"},
		{"--limit", "busifavor.use=fast"},
		{"--mchid", "abc"},
		{"--mchid", "1,,2"},
		{"extra"},
		{"--unknown"},
	} {
		var stdout, stderr testio.Buffer
		require.Equal(t, 2, cli.RunSandbox(context.Background(), args, &stdout, &stderr), "%v", args)
		require.NotEmpty(t, stderr.String())
		require.Empty(t, stdout.String())
	}
	var stdout, stderr testio.Buffer
	require.Equal(t, 0, cli.RunSandbox(context.Background(), []string{"--help"}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "-backup-addr")

	// A port in use is a runtime failure.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	addr := taken.Addr().String()
	require.Equal(t, 1, cli.RunSandbox(context.Background(), []string{"--addr", addr, "--keys", filepath.Join(t.TempDir(), "k")}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "--addr")
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func busifavorUse(code, no string) *marketing.BusifavorUseRequest {
	return &marketing.BusifavorUseRequest{CouponCode: code, StockID: sandbox.FixtureBusifavorStockID, AppID: sandbox.FixtureAppID,
		UseTime: "2025-07-24T10:00:00+08:00", UseRequestNo: no, OpenID: "oUser_busifavor_1"}
}

func apiError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var ae *wechat.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, status, ae.StatusCode, "%s", ae.Body)
	require.Equal(t, code, ae.Code, "%s", ae.Body)
}

// A range of merchants with shared keys starts fast, and each merchant
// signs with the shared key under its own serial.
func TestRunSandboxManyMerchants(t *testing.T) {
	keysDir := filepath.Join(t.TempDir(), "keys")
	c, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testio.Buffer
	code := make(chan int, 1)
	go func() {
		code <- cli.RunSandbox(c, []string{"--addr", "127.0.0.1:0", "--keys", keysDir, "--shared-keys",
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

func TestRunSandboxBadMerchantFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--mchid", "5-3"},
		{"--mchid", "1-200000"},
		{"--mchid", "1-x"},
		{"--merchant-limit", "1900000001"},
		{"--merchant-limit", "1900000001:nope=1"},
		{"--merchant-limit", "1900000009:busifavor.use=1"},
	} {
		var stdout, stderr testio.Buffer
		require.Equal(t, 2, cli.RunSandbox(context.Background(), args, &stdout, &stderr), "%v", args)
		require.NotEmpty(t, stderr.String())
	}
}
