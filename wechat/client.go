package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/wechat/marketing"

	"github.com/wechatpay-apiv3/wechatpay-go/core/consts"
	"go.uber.org/zap"
)

// Defaults of Config.
const (
	DefaultBaseURL         = consts.WechatPayAPIServer       // https://api.mch.weixin.qq.com
	DefaultBackupURL       = consts.WechatPayAPIServerBackup // https://api2.mch.weixin.qq.com
	DefaultTimeout         = 10 * time.Second
	DefaultMaxConnsPerHost = 64
	// MaxResponseBytes caps how much of an answer is read; a longer answer
	// is a *TransportError.
	MaxResponseBytes = 1 << 20
	// NoBackup as Config.BackupURL disables failover.
	NoBackup = "-"
)

// userAgent identifies couponq and the SDK it signs with.
var userAgent = "couponq-wechat/1 wechatpay-go/" + consts.Version + " " + runtime.Version()

// Pacer is asked before every HTTP attempt, including the failover attempt
// to the backup host, so a rate limiter paces real requests. Wait blocks
// until the attempt may start or returns an error (typically ctx's) to
// abandon it.
type Pacer interface {
	Wait(ctx context.Context, mchid string, op marketing.Operation) error
}

// Config configures a Client. The zero value is usable: production hosts,
// failover on, 10 s per attempt, 64 connections per host.
type Config struct {
	// BaseURL is the primary host; default DefaultBaseURL. Tests point it at
	// the sandbox. A trailing slash is ignored.
	BaseURL string
	// BackupURL is tried once when the primary gives a connection error, a
	// timeout or a 5xx; default DefaultBackupURL; NoBackup ("-") disables it.
	// A primary that gives no answer (connection refused, timeout) is then
	// skipped, calls going straight to the backup, with one probe every 2 s
	// (doubling up to 30 s) until it answers again.
	BackupURL string
	// Timeout bounds each HTTP attempt; default DefaultTimeout. The caller's
	// context deadline also applies, whichever is sooner.
	Timeout time.Duration
	// MaxConnsPerHost sizes the keep-alive pool per host; default
	// DefaultMaxConnsPerHost. Set it to the worker's concurrency.
	MaxConnsPerHost int
	// Pacer, when not nil, is asked before every HTTP attempt.
	Pacer Pacer
	// HTTPClient overrides the HTTP client (tests); by default a client on
	// NewTransport(MaxConnsPerHost) that does not follow redirects.
	HTTPClient *http.Client
	// Clock is the time for signing timestamps, for checking answers'
	// timestamps and for the circuit breaker; default the system clock.
	Clock clock.Clock
	// Observe, when set, is called after every HTTP attempt with its
	// operation, the HTTP status (0: no answer) and its duration (metrics).
	Observe func(op marketing.Operation, status int, d time.Duration)
	// Logger receives one line per change of the primary host's circuit
	// breaker (gives no answers: calls go to the backup; answers again) and
	// per unverified answer; each failover is logged at debug level.
	// Default none. Key material and bodies are never logged.
	Logger *zap.Logger
}

// Client calls the four WeChat Pay APIs for several merchant accounts. It is
// safe for concurrent use; Close releases idle connections.
type Client struct {
	base, backup string
	timeout      time.Duration
	pacer        Pacer
	observe      func(op marketing.Operation, status int, d time.Duration)
	http         *http.Client
	ownsHTTP     bool
	clock        clock.Clock
	log          *zap.Logger
	accounts     map[string]*account
	primary      *breaker // nil without a backup host
}

// Response is an HTTP answer from WeChat Pay.
type Response struct {
	StatusCode int
	RequestID  string          // the Request-ID header
	Body       json.RawMessage // exactly as returned (empty for 204)
	Host       string          // the base URL that answered
}

// New checks cfg and the merchants (at least one, distinct mchids, all keys
// present) and returns a Client. Every problem is reported at once.
func New(cfg Config, merchants ...Merchant) (*Client, error) {
	c := &Client{
		base:     strings.TrimSuffix(cfg.BaseURL, "/"),
		backup:   strings.TrimSuffix(cfg.BackupURL, "/"),
		timeout:  cfg.Timeout,
		pacer:    cfg.Pacer,
		observe:  cfg.Observe,
		http:     cfg.HTTPClient,
		clock:    clock.OrSystem(cfg.Clock),
		log:      cfg.Logger,
		accounts: make(map[string]*account, len(merchants)),
	}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	switch c.backup {
	case "":
		c.backup = DefaultBackupURL
	case NoBackup:
		c.backup = ""
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	var errs []error
	for _, nu := range [][2]string{{"base_url", c.base}, {"backup_url", c.backup}} {
		name, u := nu[0], nu[1]
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" {
			errs = append(errs, fmt.Errorf("%s %q must be an http(s) URL without query", name, u))
		}
	}
	if len(merchants) == 0 {
		errs = append(errs, errors.New("no merchant configured"))
	}
	for _, m := range merchants {
		if err := m.check(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := c.accounts[m.MchID]; dup {
			errs = append(errs, fmt.Errorf("merchant %q configured twice", m.MchID))
			continue
		}
		a, err := newAccount(m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.accounts[m.MchID] = a
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("wechat: new client: %w", err)
	}
	if c.backup != "" {
		c.primary = newBreaker(c.base, c.log, c.clock.Now)
	}
	if c.http == nil {
		c.http = &http.Client{
			Transport:     NewTransport(cfg.MaxConnsPerHost),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		c.ownsHTTP = true
	}
	return c, nil
}

// Merchants returns the configured mchids, sorted.
func (c *Client) Merchants() []string {
	ids := make([]string, 0, len(c.accounts))
	for id := range c.accounts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Close closes idle connections of the client's own transport. Calls in
// flight are not affected.
func (c *Client) Close() {
	if c.ownsHTTP {
		c.http.CloseIdleConnections()
	}
}

// account finds the merchant; "" means the only one when exactly one is
// configured.
func (c *Client) account(mchid string) (*account, error) {
	if a, ok := c.accounts[mchid]; ok {
		return a, nil
	}
	if mchid == "" && len(c.accounts) == 1 {
		for _, a := range c.accounts {
			return a, nil
		}
	}
	return nil, fmt.Errorf("%w %q (configured: %s)", ErrUnknownMerchant, mchid, strings.Join(c.Merchants(), ", "))
}
