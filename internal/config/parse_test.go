package config_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/config"
)

var shippedConfig = filepath.Join("..", "..", "config.yaml")

func TestShippedConfigStatesTheDefaults(t *testing.T) {
	data, err := os.ReadFile(shippedConfig)
	require.NoError(t, err)
	c, err := parse(t, string(data))
	require.NoError(t, err)

	assert.Regexp(t, regexp.MustCompile(`^[A-Za-z0-9_.-]+-[0-9]+$`), c.Worker.ID, "hostname-pid")
	assert.Equal(t, 25*time.Second, c.Worker.ShutdownTimeout)

	assert.True(t, c.NATS.Embedded())
	assert.Equal(t, "nats://127.0.0.1:4222", c.NATS.ClientURL())
	assert.Equal(t, "127.0.0.1:4222", c.NATS.Listen)
	assert.Equal(t, "./data/nats", c.NATS.StoreDir)
	assert.False(t, c.NATS.NoSync, "acknowledged jobs are on disk by default")

	assert.Equal(t, config.Streams{
		Replicas: 1, DuplicateWindow: 24 * time.Hour, JobsMaxMsgs: -1, JobsMaxBytes: -1,
		ResultsMaxAge: 720 * time.Hour, DLQMaxAge: 2160 * time.Hour,
	}, c.Streams)

	assert.True(t, c.WeChat.Sandbox, "the shipped file runs the sandbox")
	assert.Equal(t, "./data/sandbox-keys", c.WeChat.SandboxKeysDir)
	assert.Empty(t, c.WeChat.BaseURL, "no real host with the sandbox")
	assert.Empty(t, c.WeChat.BackupURL)
	assert.Equal(t, 10*time.Second, c.WeChat.Timeout)

	assert.Equal(t, []config.Merchant{{MchID: "1900000001"}}, c.Merchants)
	assert.Equal(t, map[string]float64{
		"busifavor.use": 500, "busifavor.stock.get": 50, "product_coupon.use": 100, "product_coupon.update": 20,
	}, c.Limits)
	assert.Equal(t, config.DefaultLimits(), c.Limits)
	assert.Equal(t, 0.985, c.RateLimit.Headroom)
	assert.Equal(t, map[string]config.Lane{
		"busifavor.use": {Concurrency: 32}, "product_coupon.use": {Concurrency: 16},
		"product_coupon.update": {Concurrency: 4}, "busifavor.stock.get": {Concurrency: 4},
	}, c.Lanes)
	assert.Equal(t, config.Retry{
		MaxAttempts: 8, InitialInterval: time.Second, MaxInterval: time.Minute,
		MaxElapsed: time.Hour, AckWait: 3 * time.Second,
	}, c.Retry)
	assert.Equal(t, config.Log{Level: "info", Format: "json"}, c.Log)

	// The file says what the code does without it.
	assert.Equal(t, config.Default(), c)
}

func TestLoad(t *testing.T) {
	cleanEnv(t)
	c, err := config.Load(shippedConfig)
	require.NoError(t, err)
	assert.True(t, c.WeChat.Sandbox)

	_, err = config.Load(filepath.Join(t.TempDir(), "missing.yaml"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "missing.yaml")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("log:\n  level: loud\n"), 0o600))
	_, err = config.Load(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), bad, "errors name the file")
	assert.Contains(t, err.Error(), "log.level")
}

func TestDefault(t *testing.T) {
	cleanEnv(t)
	c := config.Default()
	require.NoError(t, c.Validate())
	assert.True(t, c.WeChat.Sandbox)
	assert.True(t, c.NATS.Embedded())
	assert.Equal(t, "nats://127.0.0.1:4222", c.NATS.ClientURL())
	require.Len(t, c.Merchants, 1)
	assert.Equal(t, "1900000001", c.Merchants[0].MchID)
	assert.NotSame(t, c, config.Default(), "a new value every call")

	t.Setenv(config.EnvNATSURL, "nats://n1:4222")
	assert.Equal(t, "nats://n1:4222", config.Default().NATS.URL, "the environment applies to the default too")
}

func TestEmptyFileIsProductionAndIncomplete(t *testing.T) {
	// Without the file's sandbox: true, an empty file means production,
	// which needs merchants: nothing runs by accident.
	_, err := parse(t, "")
	requireProblems(t, err, "merchants: at least one merchant account is required")
	_, err = parse(t, "# only a comment\n")
	requireProblems(t, err, "merchants: at least one merchant account is required")
}

func TestProductionConfig(t *testing.T) {
	priv, pub := keyFiles(t)
	c, err := parse(t, productionYAML(priv, pub))
	require.NoError(t, err)
	assert.False(t, c.WeChat.Sandbox)
	assert.Equal(t, config.DefaultBaseURL, c.WeChat.BaseURL)
	assert.Equal(t, config.DefaultBackupURL, c.WeChat.BackupURL)
	assert.Equal(t, priv, c.Merchants[0].PrivateKeyFile)

	// "-" disables failover.
	c, err = parse(t, productionYAML(priv, pub), config.EnvWeChatBackupURL, "-")
	require.NoError(t, err)
	assert.Equal(t, "-", c.WeChat.BackupURL)
}

func TestUnknownKeyNamesTheLine(t *testing.T) {
	_, err := parse(t, "nats:\n  url: \"\"\n  urll: nats://x:4222\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 3")
	assert.Contains(t, err.Error(), "urll")
	assert.Contains(t, err.Error(), "test.yaml")

	_, err = parse(t, "wechat:\n  sandbox: true\nmerchant:\n  - mchid: \"1\"\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 3")
	assert.Contains(t, err.Error(), "merchant")
}

func TestBadDurationNamesTheKey(t *testing.T) {
	cases := []struct{ yaml, key, line string }{
		{"worker:\n  shutdown_timeout: forever\n", "worker.shutdown_timeout", "line 2"},
		{"worker:\n  shutdown_timeout: 25\n", "worker.shutdown_timeout", "line 2"}, // no unit
		{"log:\n  level: info\nretry:\n  ack_wait: 30 seconds\n", "retry.ack_wait", "line 4"},
		{"streams:\n  duplicate_window: 1d\n", "streams.duplicate_window", "line 2"},
	}
	for _, c := range cases {
		_, err := parse(t, c.yaml)
		require.Error(t, err, c.yaml)
		assert.Contains(t, err.Error(), c.key)
		assert.Contains(t, err.Error(), c.line)
	}
	// Parsable but not positive: caught by validation, naming the key.
	_, err := parse(t, "wechat:\n  sandbox: true\nmerchants: [{mchid: \"1900000001\"}]\nretry:\n  ack_wait: -5s\n")
	requireProblems(t, err, "retry.ack_wait: must be a positive duration")
}

func TestClientURL(t *testing.T) {
	assert.Equal(t, "nats://127.0.0.1:4333", config.NATS{Listen: "127.0.0.1:4333"}.ClientURL())
	assert.True(t, config.NATS{Listen: "127.0.0.1:4333"}.Embedded())
	ext := config.NATS{URL: "nats://n1:4222,nats://n2:4222", Listen: "127.0.0.1:4333"}
	assert.Equal(t, "nats://n1:4222,nats://n2:4222", ext.ClientURL())
	assert.False(t, ext.Embedded())
}
