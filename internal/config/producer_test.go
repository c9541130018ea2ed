package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/config"
)

// The production deploy config names key files that do not exist here:
// the worker refuses it, a producer does not need them.
func TestProducerConfigNeverReadsMerchantKeys(t *testing.T) {
	_, err := config.Load("../../deploy/couponq.yaml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "private_key_file: cannot read")

	cfg, err := config.LoadProducer("../../deploy/couponq.yaml")
	require.NoError(t, err)
	assert.Equal(t, "nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222", cfg.NATS.URL)
	assert.Equal(t, 3, cfg.Streams.Replicas)
	assert.Equal(t, 20.0, cfg.Limits["product_coupon.update"])
}

func TestProducerConfigWithoutMerchants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "producer.yaml")
	require.NoError(t, os.WriteFile(path, []byte("nats:\n  url: nats://127.0.0.1:4222\nwechat:\n  sandbox: false\n"), 0o600))
	cfg, err := config.LoadProducer(path)
	require.NoError(t, err)
	assert.Empty(t, cfg.Merchants)

	// What a producer uses is still checked, every problem at once.
	require.NoError(t, os.WriteFile(path, []byte("nats:\n  url: http://x\nlimits:\n  coupon.teleport: 1\nmerchants:\n  - mchid: abc\n"), 0o600))
	_, err = config.LoadProducer(path)
	require.Error(t, err)
	for _, want := range []string{"nats.url", "limits.coupon.teleport", "merchants[0].mchid"} {
		assert.Contains(t, err.Error(), want)
	}
}
