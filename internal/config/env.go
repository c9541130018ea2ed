package config

import "strings"

// Environment overrides: URLs and secrets can come from the environment so
// they need not be written into the file.
const (
	EnvNATSURL         = "COUPONQ_NATS_URL"
	EnvNATSCreds       = "COUPONQ_NATS_CREDS"
	EnvNATSUser        = "COUPONQ_NATS_USER"
	EnvNATSPassword    = "COUPONQ_NATS_PASSWORD"
	EnvNATSToken       = "COUPONQ_NATS_TOKEN"
	EnvNATSNKeyFile    = "COUPONQ_NATS_NKEY_FILE"
	EnvNATSTLSCA       = "COUPONQ_NATS_TLS_CA"
	EnvNATSTLSCert     = "COUPONQ_NATS_TLS_CERT"
	EnvNATSTLSKey      = "COUPONQ_NATS_TLS_KEY"
	EnvWeChatSandbox   = "COUPONQ_WECHAT_SANDBOX"
	EnvWeChatBaseURL   = "COUPONQ_WECHAT_BASE_URL"
	EnvWeChatBackupURL = "COUPONQ_WECHAT_BACKUP_URL"
	// EnvMerchantPrefix is followed by "<MCHID>_" and one of
	// CERT_SERIAL_NO, PRIVATE_KEY_FILE, PUBLIC_KEY_ID, PUBLIC_KEY_FILE.
	EnvMerchantPrefix = "COUPONQ_MERCHANT_"
)

func (c *Config) applyEnv(lookup func(string) (string, bool)) {
	set := func(dst *string, key string) {
		if v, ok := lookup(key); ok {
			*dst = v
		}
	}
	set(&c.NATS.URL, EnvNATSURL)
	set(&c.NATS.CredsFile, EnvNATSCreds)
	set(&c.NATS.User, EnvNATSUser)
	set(&c.NATS.Password, EnvNATSPassword)
	set(&c.NATS.Token, EnvNATSToken)
	set(&c.NATS.NKeyFile, EnvNATSNKeyFile)
	set(&c.NATS.TLS.CAFile, EnvNATSTLSCA)
	set(&c.NATS.TLS.CertFile, EnvNATSTLSCert)
	set(&c.NATS.TLS.KeyFile, EnvNATSTLSKey)
	set(&c.WeChat.BaseURL, EnvWeChatBaseURL)
	set(&c.WeChat.BackupURL, EnvWeChatBackupURL)
	if v, ok := lookup(EnvWeChatSandbox); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true", "yes", "on":
			c.WeChat.Sandbox = true
		case "0", "false", "no", "off":
			c.WeChat.Sandbox = false
		}
	}
	for i := range c.Merchants {
		m := &c.Merchants[i]
		p := EnvMerchantPrefix + m.MchID + "_"
		set(&m.CertSerialNo, p+"CERT_SERIAL_NO")
		set(&m.PrivateKeyFile, p+"PRIVATE_KEY_FILE")
		set(&m.WeChatPayPublicKeyID, p+"PUBLIC_KEY_ID")
		set(&m.WeChatPayPublicKeyFile, p+"PUBLIC_KEY_FILE")
	}
}
