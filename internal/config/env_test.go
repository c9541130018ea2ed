package config_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/config"
)

func TestEnvOverridesNATS(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "user.creds")
	priv, _ := keyFiles(t)
	c, err := parse(t, "nats:\n  url: nats://from-file:4222\n  user: fileuser\n"+sandboxYAML,
		config.EnvNATSURL, "nats://n1:4222,nats://n2:4222",
		config.EnvNATSUser, "envuser",
		config.EnvNATSPassword, "envpass",
		config.EnvNATSToken, "envtoken",
	)
	require.NoError(t, err)
	assert.Equal(t, "nats://n1:4222,nats://n2:4222", c.NATS.URL)
	assert.Equal(t, "nats://n1:4222,nats://n2:4222", c.NATS.ClientURL())
	assert.False(t, c.NATS.Embedded())
	assert.Equal(t, "envuser", c.NATS.User)
	assert.Equal(t, "envpass", c.NATS.Password)
	assert.Equal(t, "envtoken", c.NATS.Token)

	// Set but empty: the environment wins, here choosing the embedded server.
	c, err = parse(t, "nats:\n  url: nats://from-file:4222\n"+sandboxYAML, config.EnvNATSURL, "")
	require.NoError(t, err)
	assert.True(t, c.NATS.Embedded())

	// With an external server, a creds file must be readable.
	_, err = parse(t, sandboxYAML, config.EnvNATSURL, "nats://n1:4222", config.EnvNATSCreds, creds)
	requireProblems(t, err, "nats.creds_file: cannot read "+creds)
	c, err = parse(t, sandboxYAML, config.EnvNATSURL, "nats://n1:4222", config.EnvNATSCreds, priv)
	require.NoError(t, err)
	assert.Equal(t, priv, c.NATS.CredsFile)
}

func TestEnvOverridesSandbox(t *testing.T) {
	for _, v := range []string{"true", "TRUE", "1", "yes", "on", " On "} {
		c, err := parse(t, "wechat:\n  sandbox: false\nmerchants: [{mchid: \"1900000001\"}]\n", config.EnvWeChatSandbox, v)
		require.NoError(t, err, v)
		assert.True(t, c.WeChat.Sandbox, v)
	}
	priv, pub := keyFiles(t)
	for _, v := range []string{"false", "0", "no", "OFF"} {
		c, err := parse(t, productionYAML(priv, pub), config.EnvWeChatSandbox, v)
		require.NoError(t, err, v)
		assert.False(t, c.WeChat.Sandbox, v)
	}
	// Turning the shipped sandbox off without keys: production needs them.
	_, err := parse(t, sandboxYAML, config.EnvWeChatSandbox, "false")
	requireProblems(t, err, "merchants[0].cert_serial_no: is required")
}

func TestEnvOverridesMerchantKeys(t *testing.T) {
	priv, pub := keyFiles(t)
	// The shipped layout: the file names only the merchant; the secrets
	// come from the environment.
	c, err := parse(t, "wechat:\n  sandbox: false\nmerchants:\n  - mchid: \"1900000001\"\n  - mchid: \"1900000002\"\n    cert_serial_no: FILESERIAL2\n    private_key_file: "+priv+"\n    wechatpay_public_key_id: PUB_KEY_ID_2\n    wechatpay_public_key_file: "+pub+"\n",
		"COUPONQ_MERCHANT_1900000001_CERT_SERIAL_NO", "ENVSERIAL1",
		"COUPONQ_MERCHANT_1900000001_PRIVATE_KEY_FILE", priv,
		"COUPONQ_MERCHANT_1900000001_PUBLIC_KEY_ID", "PUB_KEY_ID_1",
		"COUPONQ_MERCHANT_1900000001_PUBLIC_KEY_FILE", pub,
		"COUPONQ_MERCHANT_1900000002_CERT_SERIAL_NO", "ENVSERIAL2",
	)
	require.NoError(t, err)
	assert.Equal(t, config.Merchant{MchID: "1900000001", CertSerialNo: "ENVSERIAL1", PrivateKeyFile: priv,
		WeChatPayPublicKeyID: "PUB_KEY_ID_1", WeChatPayPublicKeyFile: pub}, c.Merchants[0])
	assert.Equal(t, "ENVSERIAL2", c.Merchants[1].CertSerialNo, "the environment beats the file")
	assert.Equal(t, "PUB_KEY_ID_2", c.Merchants[1].WeChatPayPublicKeyID)

	// An unreadable key file from the environment is named like one from the file.
	missing := filepath.Join(t.TempDir(), "gone.pem")
	_, err = parse(t, productionYAML(priv, pub), "COUPONQ_MERCHANT_1900000001_PRIVATE_KEY_FILE", missing)
	requireProblems(t, err, "merchants[0].private_key_file: cannot read "+missing)

	// Variables for a merchant that is not configured change nothing.
	c, err = parse(t, productionYAML(priv, pub), "COUPONQ_MERCHANT_1900000009_CERT_SERIAL_NO", "X")
	require.NoError(t, err)
	require.Len(t, c.Merchants, 1)
}

func TestEnvOverridesWeChatURLs(t *testing.T) {
	priv, pub := keyFiles(t)
	c, err := parse(t, productionYAML(priv, pub),
		config.EnvWeChatBaseURL, "https://proxy.internal.example",
		config.EnvWeChatBackupURL, "https://proxy2.internal.example")
	require.NoError(t, err)
	assert.Equal(t, "https://proxy.internal.example", c.WeChat.BaseURL)
	assert.Equal(t, "https://proxy2.internal.example", c.WeChat.BackupURL)
}
