package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/marketing"
)

var (
	mchidPattern    = regexp.MustCompile(`^[0-9]{1,32}$`)
	workerIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// Validate checks the whole configuration and returns every problem at once,
// each naming its key.
func (c *Config) Validate() error {
	var p problems
	if !workerIDPattern.MatchString(c.Worker.ID) {
		p.add("worker.id", "must be 1-64 characters of [A-Za-z0-9_.-], got %q", c.Worker.ID)
	}
	positive(&p, "worker.shutdown_timeout", c.Worker.ShutdownTimeout)
	c.validateNATS(&p)
	c.validateStreams(&p)
	c.validateWeChat(&p)
	c.validateMerchants(&p)
	c.validateLimits(&p)
	c.validateRetry(&p)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		p.add("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		p.add("log.format", "must be json or console, got %q", c.Log.Format)
	}
	return p.err()
}

func (c *Config) validateNATS(p *problems) {
	if c.NATS.ConnectTimeout < 0 {
		p.add("nats.connect_timeout", "must be 0 (retry until stopped) or positive, got %s", c.NATS.ConnectTimeout)
	}
	if c.NATS.URL == "" {
		return
	}
	for _, u := range strings.Split(c.NATS.URL, ",") {
		parsed, err := url.Parse(strings.TrimSpace(u))
		if err != nil || parsed.Host == "" {
			p.add("nats.url", "%q is not a URL like nats://host:4222", RedactURL(u))
			continue
		}
		switch parsed.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			p.add("nats.url", "scheme must be nats, tls, ws or wss, got %q", parsed.Scheme)
		}
	}
	for key, f := range map[string]string{
		"nats.creds_file": c.NATS.CredsFile, "nats.nkey_file": c.NATS.NKeyFile, "nats.tls.ca_file": c.NATS.TLS.CAFile,
		"nats.tls.cert_file": c.NATS.TLS.CertFile, "nats.tls.key_file": c.NATS.TLS.KeyFile,
	} {
		if f != "" {
			readable(p, key, f)
		}
	}
	if (c.NATS.TLS.CertFile == "") != (c.NATS.TLS.KeyFile == "") {
		p.add("nats.tls", "cert_file and key_file go together (mutual TLS)")
	}
}

func (c *Config) validateStreams(p *problems) {
	switch c.Streams.Replicas {
	case 1, 3, 5:
	default:
		p.add("streams.replicas", "must be 1, 3 or 5, got %d", c.Streams.Replicas)
	}
	positive(p, "streams.duplicate_window", c.Streams.DuplicateWindow)
	positive(p, "streams.results_max_age", c.Streams.ResultsMaxAge)
	positive(p, "streams.dlq_max_age", c.Streams.DLQMaxAge)
	if c.Streams.JobsMaxMsgs == 0 || c.Streams.JobsMaxMsgs < -1 {
		p.add("streams.jobs_max_msgs", "must be -1 (no cap) or positive, got %d", c.Streams.JobsMaxMsgs)
	}
	if c.Streams.JobsMaxBytes == 0 || c.Streams.JobsMaxBytes < -1 {
		p.add("streams.jobs_max_bytes", "must be -1 (no cap) or positive, got %d", c.Streams.JobsMaxBytes)
	}
}

func (c *Config) validateWeChat(p *problems) {
	positive(p, "wechat.timeout", c.WeChat.Timeout)
	check := func(key, v string) {
		if v == "" || v == "-" {
			return
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			p.add(key, "%q is not an http(s) URL", v)
			return
		}
		if c.WeChat.Sandbox && !isLoopback(u.Hostname()) {
			p.add(key, "%q is not a loopback address, but wechat.sandbox is true: refusing to send sandbox traffic to a real host (set wechat.sandbox: false for production)", v)
		}
		if !c.WeChat.Sandbox && u.Scheme != "https" && !isLoopback(u.Hostname()) {
			p.add(key, "%q must use https", v)
		}
	}
	check("wechat.base_url", c.WeChat.BaseURL)
	check("wechat.backup_url", c.WeChat.BackupURL)
	if !c.WeChat.Sandbox && c.WeChat.BaseURL == "" {
		p.add("wechat.base_url", "is required unless wechat.sandbox is true")
	}
}

func (c *Config) validateMerchants(p *problems) {
	if len(c.Merchants) == 0 {
		p.add("merchants", "at least one merchant account is required")
	}
	seen := map[string]bool{}
	for i, m := range c.Merchants {
		key := fmt.Sprintf("merchants[%d]", i)
		if !mchidPattern.MatchString(m.MchID) {
			p.add(key+".mchid", "must be the numeric merchant id, got %q", m.MchID)
		}
		if seen[m.MchID] {
			p.add(key+".mchid", "%q is listed twice", m.MchID)
		}
		seen[m.MchID] = true
		sandboxKeys := wechat.IsSandboxKey(m.CertSerialNo, m.WeChatPayPublicKeyID)
		if c.WeChat.Sandbox {
			if (m.CertSerialNo != "" || m.WeChatPayPublicKeyID != "") && !sandboxKeys {
				p.add(key, "has production keys, but wechat.sandbox is true: the sandbox generates its own keys; remove the key settings or set wechat.sandbox: false")
			}
			continue
		}
		if sandboxKeys {
			p.add(key, "has sandbox-generated keys (%s...), but wechat.sandbox is false: refusing to call WeChat Pay with sandbox keys", wechat.SandboxMarker)
		}
		required(p, key+".cert_serial_no", m.CertSerialNo)
		required(p, key+".wechatpay_public_key_id", m.WeChatPayPublicKeyID)
		if required(p, key+".private_key_file", m.PrivateKeyFile) {
			readable(p, key+".private_key_file", m.PrivateKeyFile)
		}
		if required(p, key+".wechatpay_public_key_file", m.WeChatPayPublicKeyFile) {
			readable(p, key+".wechatpay_public_key_file", m.WeChatPayPublicKeyFile)
		}
	}
}

func (c *Config) validateLimits(p *problems) {
	checkLimits(p, "limits", c.Limits)
	for i, m := range c.Merchants {
		checkLimits(p, fmt.Sprintf("merchants[%d].limits", i), m.Limits)
	}
	if h := c.RateLimit.Headroom; !(h > 0 && h <= 1) {
		p.add("ratelimit.headroom", "must be in (0, 1], got %v", h)
	}
	for _, t := range sortedKeys(c.Lanes) {
		if _, err := marketing.ParseOperation(t); err != nil {
			p.add("lanes."+t, "unknown job type (known: %s)", marketing.OperationNames())
			continue
		}
		if c.Lanes[t].Concurrency < 1 {
			p.add("lanes."+t+".concurrency", "must be at least 1, got %d", c.Lanes[t].Concurrency)
		}
	}
}

func (c *Config) validateRetry(p *problems) {
	if c.Retry.MaxAttempts < 1 {
		p.add("retry.max_attempts", "must be at least 1, got %d", c.Retry.MaxAttempts)
	}
	positive(p, "retry.initial_interval", c.Retry.InitialInterval)
	positive(p, "retry.max_interval", c.Retry.MaxInterval)
	positive(p, "retry.max_elapsed", c.Retry.MaxElapsed)
	positive(p, "retry.ack_wait", c.Retry.AckWait)
	if c.Retry.InitialInterval > c.Retry.MaxInterval {
		p.add("retry.initial_interval", "(%s) is longer than retry.max_interval (%s)", c.Retry.InitialInterval, c.Retry.MaxInterval)
	}
}

// problems collects validation failures.
type problems []error

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

func (p problems) err() error { return errors.Join(p...) }

func positive[T ~int64](p *problems, key string, v T) {
	if v <= 0 {
		p.add(key, "must be a positive duration like 30s")
	}
}

func required(p *problems, key, v string) bool {
	if strings.TrimSpace(v) == "" {
		p.add(key, "is required")
		return false
	}
	return true
}

func readable(p *problems, key, path string) {
	f, err := os.Open(path)
	if err != nil {
		p.add(key, "cannot read %s: %v", path, errors.Unwrap(err))
		return
	}
	_ = f.Close()
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// RedactURL hides credentials embedded in a URL (nats://user:pass@host).
func RedactURL(u string) string {
	parsed, err := url.Parse(strings.TrimSpace(u))
	if err != nil || parsed.User == nil {
		// The last '@' ends the userinfo: a password may contain '@'.
		if i := strings.LastIndex(u, "@"); i >= 0 {
			return "<redacted>@" + u[i+1:]
		}
		return u
	}
	return parsed.Redacted()
}

// checkLimits reports unknown job types and non-positive rates in l.
func checkLimits(p *problems, key string, l map[string]float64) {
	for _, t := range sortedKeys(l) {
		if _, err := marketing.ParseOperation(t); err != nil {
			p.add(key+"."+t, "unknown job type (known: %s)", marketing.OperationNames())
			continue
		}
		if v := l[t]; !(v > 0) {
			p.add(key+"."+t, "must be a positive number of requests per second, got %v", v)
		}
	}
}
