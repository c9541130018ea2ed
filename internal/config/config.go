// Package config loads, defaults and validates couponq's YAML configuration
// (config.yaml), shared by the worker and the enqueue CLI. Every field's
// comment states its default; environment variables override URLs and
// secrets (see env.go).
package config

import "time"

// Config is the whole configuration file.
type Config struct {
	Worker    Worker             `yaml:"worker"`
	NATS      NATS               `yaml:"nats"`
	Streams   Streams            `yaml:"streams"`
	WeChat    WeChat             `yaml:"wechat"`
	Merchants []Merchant         `yaml:"merchants"`
	Limits    map[string]float64 `yaml:"limits"`
	RateLimit RateLimit          `yaml:"ratelimit"`
	Lanes     map[string]Lane    `yaml:"lanes"`
	Retry     Retry              `yaml:"retry"`
	Log       Log                `yaml:"log"`
	HTTP      HTTP               `yaml:"http"`
}

// HTTP configures the worker's operations server: /metrics (Prometheus),
// /healthz, /readyz, the dashboard at / and, optionally, /debug/pprof/.
type HTTP struct {
	// Listen is the address to serve on. Default "127.0.0.1:8080" with the
	// embedded JetStream (dev mode), "" (off) with an external NATS unless
	// set; "" turns it off. If the address is taken the worker logs a
	// warning and runs without it.
	Listen *string `yaml:"listen"`
	// Pprof serves Go's profiler under /debug/pprof/. Default false.
	Pprof bool `yaml:"pprof"`
}

// ListenAddr is HTTP.Listen with its default applied ("" = off).
func (h HTTP) ListenAddr() string {
	if h.Listen == nil {
		return ""
	}
	return *h.Listen
}

// NATSTLS is TLS to NATS: a CA to verify the servers and, for mutual TLS,
// a client certificate and key. Env: COUPONQ_NATS_TLS_CA, _CERT, _KEY.
type NATSTLS struct {
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Worker holds settings of one worker process.
type Worker struct {
	// ID names this worker in results and logs. Default: hostname-pid.
	ID string `yaml:"id"`
	// ShutdownTimeout is how long in-flight jobs may take to finish after
	// SIGINT/SIGTERM before they are handed back. Default 25s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// NATS says where JetStream is.
type NATS struct {
	// URL of the NATS servers (comma-separated). Empty (default): start an
	// embedded JetStream server in the worker. Env: COUPONQ_NATS_URL.
	URL string `yaml:"url"`
	// CredsFile is a NATS .creds file. Env: COUPONQ_NATS_CREDS.
	CredsFile string `yaml:"creds_file"`
	// User and Password for user/password auth. Env: COUPONQ_NATS_USER,
	// COUPONQ_NATS_PASSWORD (prefer the environment for the password).
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	// Token for token auth. Env: COUPONQ_NATS_TOKEN.
	Token string `yaml:"token"`
	// NKeyFile is a file holding an nkey seed (SU...) for nkey auth. Env:
	// COUPONQ_NATS_NKEY_FILE.
	NKeyFile string `yaml:"nkey_file"`
	// TLS configures TLS to the NATS servers (tls:// URLs, or servers that
	// require it).
	TLS NATSTLS `yaml:"tls"`
	// Listen is the embedded server's address; enqueue and other tools on
	// this machine connect to it when nats.url is empty. Default 127.0.0.1:4222.
	Listen string `yaml:"listen"`
	// StoreDir is the embedded server's JetStream directory. Default ./data/nats.
	StoreDir string `yaml:"store_dir"`
	// NoSync turns off fsync-before-ack on the embedded server. Default
	// false: acknowledged jobs are on disk. Opt out only for throw-away data.
	NoSync bool `yaml:"no_sync"`
	// ConnectTimeout bounds how long a starting worker keeps retrying
	// (with backoff, logging each try) to connect to NATS and to create its
	// streams, bucket and consumers, for example while a cluster elects its
	// leaders. Default 0: retry until stopped (a supervisor sees the worker
	// running but not ready). Once running, the worker reconnects forever.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
}

// Embedded reports whether the worker runs its own NATS server.
func (n NATS) Embedded() bool { return n.URL == "" }

// ClientURL is where clients connect: URL, or the embedded server's
// listen address when URL is empty.
func (n NATS) ClientURL() string {
	if n.URL != "" {
		return n.URL
	}
	return "nats://" + n.Listen
}

// Streams shapes the three JetStream streams the worker creates.
type Streams struct {
	// Replicas of each stream (1, 3 or 5). Default 1; use 3 in a cluster.
	Replicas int `yaml:"replicas"`
	// DuplicateWindow is how long JetStream remembers job and result ids to
	// drop duplicates. Default 24h.
	DuplicateWindow time.Duration `yaml:"duplicate_window"`
	// JobsMaxMsgs and JobsMaxBytes cap the jobs stream; when full, producers
	// get an error (DiscardNew) instead of silent loss. Default -1 (no cap).
	JobsMaxMsgs  int64 `yaml:"jobs_max_msgs"`
	JobsMaxBytes int64 `yaml:"jobs_max_bytes"`
	// ResultsMaxAge is how long results are kept. Default 720h (30 days).
	ResultsMaxAge time.Duration `yaml:"results_max_age"`
	// DLQMaxAge is how long dead letters are kept. Default 2160h (90 days).
	DLQMaxAge time.Duration `yaml:"dlq_max_age"`
}

// WeChat configures the WeChat Pay APIv3 client.
type WeChat struct {
	// Sandbox runs the built-in WeChat Pay sandbox on loopback and points
	// the client at it, with generated keys. Default false; the shipped
	// config.yaml sets it true. Env: COUPONQ_WECHAT_SANDBOX=true|false.
	Sandbox bool `yaml:"sandbox"`
	// SandboxKeysDir is where the sandbox writes its generated keys.
	// Default ./data/sandbox-keys.
	SandboxKeysDir string `yaml:"sandbox_keys_dir"`
	// BaseURL is the primary host. Default https://api.mch.weixin.qq.com
	// (ignored with sandbox). Env: COUPONQ_WECHAT_BASE_URL.
	BaseURL string `yaml:"base_url"`
	// BackupURL is the failover host. Default https://api2.mch.weixin.qq.com;
	// "-" disables failover. Env: COUPONQ_WECHAT_BACKUP_URL.
	BackupURL string `yaml:"backup_url"`
	// Timeout bounds one HTTP attempt. Default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// Merchant is one merchant account whose keys sign requests.
type Merchant struct {
	// MchID is the merchant number. Required.
	MchID string `yaml:"mchid"`
	// CertSerialNo is the merchant API certificate serial. Required unless sandbox.
	// Env: COUPONQ_MERCHANT_<MCHID>_CERT_SERIAL_NO.
	CertSerialNo string `yaml:"cert_serial_no"`
	// PrivateKeyFile is the merchant API private key (PEM). Required unless
	// sandbox. Env: COUPONQ_MERCHANT_<MCHID>_PRIVATE_KEY_FILE.
	PrivateKeyFile string `yaml:"private_key_file"`
	// WeChatPayPublicKeyID is the WeChat Pay public key id (PUB_KEY_ID_...).
	// Required unless sandbox. Env: COUPONQ_MERCHANT_<MCHID>_PUBLIC_KEY_ID.
	WeChatPayPublicKeyID string `yaml:"wechatpay_public_key_id"`
	// WeChatPayPublicKeyFile is the WeChat Pay public key (PEM). Required
	// unless sandbox. Env: COUPONQ_MERCHANT_<MCHID>_PUBLIC_KEY_FILE.
	WeChatPayPublicKeyFile string `yaml:"wechatpay_public_key_file"`
	// Limits overrides the top-level limits for this account only (requests
	// per second per job type): WeChat Pay quotas differ between accounts.
	Limits map[string]float64 `yaml:"limits"`
}

// RateLimit tunes the fleet-wide limiter.
type RateLimit struct {
	// Headroom is the fraction of each limit the fleet paces at, leaving
	// room for arrival jitter. Default 0.985.
	Headroom float64 `yaml:"headroom"`
}

// Lane configures the processing of one job type.
type Lane struct {
	// Concurrency is the most jobs of this type one worker holds at once
	// (delivered and not yet acknowledged, retries waiting excluded).
	// Defaults: busifavor.use 32, product_coupon.use 16, others 4.
	Concurrency int `yaml:"concurrency"`
}

// Retry bounds retries of retryable errors.
type Retry struct {
	// MaxAttempts is the most deliveries of one job. Default 8.
	MaxAttempts int `yaml:"max_attempts"`
	// InitialInterval is the first backoff. Default 1s.
	InitialInterval time.Duration `yaml:"initial_interval"`
	// MaxInterval caps one backoff. Default 1m.
	MaxInterval time.Duration `yaml:"max_interval"`
	// MaxElapsed caps the time from enqueue to the last attempt. Default 1h.
	MaxElapsed time.Duration `yaml:"max_elapsed"`
	// AckWait is how long JetStream waits for a worker before redelivering
	// a job to another: a crashed worker's jobs go to the rest of the fleet
	// within about AckWait plus one second. A worker holding a job tells
	// JetStream every AckWait/3 that it is still working on it, so a slow
	// call is never redelivered while it runs. Default 3s (see
	// docs/performance.md for the trade-off).
	AckWait time.Duration `yaml:"ack_wait"`
}

// Log configures logging.
type Log struct {
	// Level: debug, info, warn, error. Default info.
	Level string `yaml:"level"`
	// Format: json or console. Default json.
	Format string `yaml:"format"`
}

// MerchantLimits returns the accounts' own limits, mchid → type → requests
// per second, for accounts that set any.
func (c *Config) MerchantLimits() map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, m := range c.Merchants {
		if len(m.Limits) > 0 {
			out[m.MchID] = m.Limits
		}
	}
	return out
}
