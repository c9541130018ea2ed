package config_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sandboxYAML is the minimal valid sandbox configuration; tests append keys.
const sandboxYAML = "wechat:\n  sandbox: true\nmerchants:\n  - mchid: \"1900000001\"\n"

func TestLimitsAndLanes(t *testing.T) {
	cases := []struct{ name, yaml, problem string }{
		{"unknown type in limits", "limits:\n  coupon.teleport: 5\n", "limits.coupon.teleport: unknown job type (known: busifavor.use, busifavor.stock.get, product_coupon.use, product_coupon.update)"},
		{"unknown type in lanes", "lanes:\n  coupon.teleport: {concurrency: 2}\n", "lanes.coupon.teleport: unknown job type"},
		{"zero limit", "limits:\n  busifavor.use: 0\n", "limits.busifavor.use: must be a positive number of requests per second, got 0"},
		{"negative limit", "limits:\n  product_coupon.update: -20\n", "limits.product_coupon.update: must be a positive number"},
		{"negative concurrency", "lanes:\n  product_coupon.use: {concurrency: -1}\n", "lanes.product_coupon.use.concurrency: must be at least 1, got -1"},
		{"headroom above 1", "ratelimit:\n  headroom: 1.5\n", "ratelimit.headroom: must be in (0, 1]"},
		{"negative headroom", "ratelimit:\n  headroom: -0.1\n", "ratelimit.headroom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, sandboxYAML+c.yaml)
			probs := requireProblems(t, err, c.problem)
			assert.Len(t, probs, 1, "only this problem: %v", err)
		})
	}

	// A limit given for one type keeps the defaults of the others.
	c, err := parse(t, sandboxYAML+"limits:\n  busifavor.use: 250.5\nlanes:\n  busifavor.use: {concurrency: 8}\n")
	require.NoError(t, err)
	assert.Equal(t, 250.5, c.Limits["busifavor.use"])
	assert.Equal(t, 20.0, c.Limits["product_coupon.update"])
	assert.Equal(t, 8, c.Lanes["busifavor.use"].Concurrency)
	assert.Equal(t, 16, c.Lanes["product_coupon.use"].Concurrency)
}

func TestProductionKeyFiles(t *testing.T) {
	priv, pub := keyFiles(t)
	missing := filepath.Join(t.TempDir(), "nope.pem")

	_, err := parse(t, productionYAML(missing, pub))
	probs := requireProblems(t, err, "merchants[0].private_key_file: cannot read "+missing)
	assert.Len(t, probs, 1, "%v", err)

	_, err = parse(t, productionYAML(priv, missing))
	requireProblems(t, err, "merchants[0].wechatpay_public_key_file: cannot read")

	// Missing settings are each named.
	_, err = parse(t, "wechat:\n  sandbox: false\nmerchants:\n  - mchid: \"1900000001\"\n")
	requireProblems(t, err,
		"merchants[0].cert_serial_no: is required",
		"merchants[0].private_key_file: is required",
		"merchants[0].wechatpay_public_key_id: is required",
		"merchants[0].wechatpay_public_key_file: is required")
}

func TestSandboxRefusesRealHosts(t *testing.T) {
	for _, u := range []string{"https://api.mch.weixin.qq.com", "http://10.0.0.8:8080", "https://sandbox.example.com"} {
		_, err := parse(t, sandboxYAML, "COUPONQ_WECHAT_BASE_URL", u)
		requireProblems(t, err, "wechat.base_url: \""+u+"\" is not a loopback address, but wechat.sandbox is true")
	}
	_, err := parse(t, "wechat:\n  sandbox: true\n  backup_url: https://api2.mch.weixin.qq.com\nmerchants: [{mchid: \"1900000001\"}]\n")
	requireProblems(t, err, "wechat.backup_url")

	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:9", "http://[::1]:8443"} {
		c, err := parse(t, sandboxYAML, "COUPONQ_WECHAT_BASE_URL", u)
		require.NoError(t, err, u)
		assert.Equal(t, u, c.WeChat.BaseURL)
	}
}

func TestProductionRequiresHTTPS(t *testing.T) {
	priv, pub := keyFiles(t)
	_, err := parse(t, productionYAML(priv, pub), "COUPONQ_WECHAT_BASE_URL", "http://api.mch.weixin.qq.com")
	requireProblems(t, err, "wechat.base_url: \"http://api.mch.weixin.qq.com\" must use https")
	_, err = parse(t, productionYAML(priv, pub), "COUPONQ_WECHAT_BASE_URL", "api.mch.weixin.qq.com")
	requireProblems(t, err, "is not an http(s) URL")
}

func TestSandboxAndProductionKeysDoNotMix(t *testing.T) {
	priv, pub := keyFiles(t)
	// Production settings with keys the sandbox generated.
	sandboxSerial := strings.Replace(productionYAML(priv, pub), "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", "SANDBOX-CERT-0001", 1)
	_, err := parse(t, sandboxSerial)
	requireProblems(t, err, "merchants[0]: has sandbox-generated keys (SANDBOX...), but wechat.sandbox is false")
	sandboxKeyID := strings.Replace(productionYAML(priv, pub), "PUB_KEY_ID_0114232134912410000000000000", "PUB_KEY_ID_SANDBOX_1", 1)
	_, err = parse(t, sandboxKeyID)
	requireProblems(t, err, "has sandbox-generated keys")

	// The sandbox with production keys.
	prodInSandbox := strings.Replace(productionYAML(priv, pub), "sandbox: false", "sandbox: true", 1)
	_, err = parse(t, prodInSandbox)
	requireProblems(t, err, "merchants[0]: has production keys, but wechat.sandbox is true")
	_, err = parse(t, productionYAML(priv, pub), "COUPONQ_WECHAT_SANDBOX", "true")
	requireProblems(t, err, "has production keys")

	// The sandbox with its own keys is fine.
	_, err = parse(t, sandboxYAML+"    cert_serial_no: SANDBOX-CERT-0001\n    wechatpay_public_key_id: PUB_KEY_ID_SANDBOX_1\n")
	require.NoError(t, err)
}

func TestSeveralProblemsAtOnce(t *testing.T) {
	yaml := `
worker:
  id: "has space"
streams:
  replicas: 2
wechat:
  sandbox: true
  base_url: https://api.mch.weixin.qq.com
merchants:
  - mchid: "1900000001"
  - mchid: "1900000001"
  - mchid: "19x"
limits:
  coupon.teleport: 5
  busifavor.use: 0
retry:
  max_attempts: -1
  initial_interval: 2m
log:
  level: loud
  format: xml
`
	_, err := parse(t, yaml)
	want := []string{
		`worker.id: must be 1-64 characters of [A-Za-z0-9_.-], got "has space"`,
		"streams.replicas: must be 1, 3 or 5, got 2",
		"wechat.base_url: \"https://api.mch.weixin.qq.com\" is not a loopback address",
		`merchants[1].mchid: "1900000001" is listed twice`,
		`merchants[2].mchid: must be the numeric merchant id, got "19x"`,
		"limits.coupon.teleport: unknown job type",
		"limits.busifavor.use: must be a positive number",
		"retry.max_attempts: must be at least 1, got -1",
		"retry.initial_interval: (2m0s) is longer than retry.max_interval (1m0s)",
		`log.level: must be debug, info, warn or error, got "loud"`,
		`log.format: must be json or console, got "xml"`,
	}
	probs := requireProblems(t, err, want...)
	assert.Len(t, probs, len(want), "one joined error per problem:\n%v", err)
	assert.True(t, strings.HasPrefix(err.Error(), "config test.yaml: "), err.Error())
}

func TestNATSURL(t *testing.T) {
	good := []string{"nats://n1:4222", "nats://n1:4222, nats://n2:4222", "tls://n1:4222", "ws://n1:8080", "wss://n1", "nats://u:p@n1:4222"}
	for _, u := range good {
		c, err := parse(t, sandboxYAML, "COUPONQ_NATS_URL", u)
		require.NoError(t, err, u)
		assert.Equal(t, u, c.NATS.ClientURL())
		assert.False(t, c.NATS.Embedded())
	}
	_, err := parse(t, sandboxYAML, "COUPONQ_NATS_URL", "http://n1:4222")
	requireProblems(t, err, `nats.url: scheme must be nats, tls, ws or wss, got "http"`)
	_, err = parse(t, sandboxYAML, "COUPONQ_NATS_URL", "n1:4222")
	requireProblems(t, err, "nats.url")
	_, err = parse(t, sandboxYAML, "COUPONQ_NATS_URL", "nats://n1:4222,")
	requireProblems(t, err, "nats.url")
}

func TestErrorsNeverShowNATSSecrets(t *testing.T) {
	const secret = "s3cret"
	urls := []string{
		"nats://u:s3cret@host:bad",
		"nats://u:s3cret@host:4222,nats://u:s3cret@other:bad",
		"nats://u:xs3cret@@host:bad", // '@' inside the password
		"nats://u:s3c@ret@host:bad",
		"u:s3cret@host",
		"nats://u:s3%cret@host:4222", // not a valid escape
		"http://u:s3cret@host:4222",
		"nats://u:s3cret@",
		"nats:u:s3cret@x",
	}
	for _, u := range urls {
		_, err := parse(t, sandboxYAML, "COUPONQ_NATS_URL", u)
		require.Error(t, err, u)
		assert.Contains(t, err.Error(), "nats.url", u)
		assert.NotContains(t, err.Error(), secret, u)
		assert.NotContains(t, err.Error(), "s3c", u)
		assert.NotContains(t, err.Error(), "ret@", u)
	}
	// Password and token never appear, whatever else is wrong.
	_, err := parse(t, sandboxYAML+"log:\n  level: loud\n",
		"COUPONQ_NATS_URL", "nats://n1:bad", "COUPONQ_NATS_USER", "u", "COUPONQ_NATS_PASSWORD", secret, "COUPONQ_NATS_TOKEN", secret)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)
	// Nor does a secret written into the file with the wrong YAML type.
	_, err = parse(t, sandboxYAML+"nats:\n  password: [s3cret]\n")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)
}

func TestMerchantLimits(t *testing.T) {
	two := "wechat:\n  sandbox: true\nmerchants:\n  - mchid: \"1900000001\"\n    limits: {product_coupon.update: 10}\n  - mchid: \"1900000002\"\n"
	c, err := parse(t, two)
	require.NoError(t, err)
	require.Equal(t, map[string]map[string]float64{"1900000001": {"product_coupon.update": 10}}, c.MerchantLimits())
	_, err = parse(t, two+"    limits: {nope.op: 1, busifavor.use: -2}\n")
	requireProblems(t, err, "merchants[1].limits.nope.op: unknown job type")
	requireProblems(t, err, "merchants[1].limits.busifavor.use: must be a positive number")
}
