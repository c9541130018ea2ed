package config

import (
	"fmt"
	"os"
	"time"

	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/marketing"
)

// Default hosts of WeChat Pay APIv3 (the client's own defaults).
const (
	DefaultBaseURL   = wechat.DefaultBaseURL
	DefaultBackupURL = wechat.DefaultBackupURL
)

// DefaultSandboxKeysDir is where sandbox keys live by default, one
// subdirectory per merchant; the worker and the sandbox command share it.
const DefaultSandboxKeysDir = "./data/sandbox-keys"

// DefaultDevHTTPListen is where the operations server listens by default in
// dev mode (embedded JetStream).
const DefaultDevHTTPListen = "127.0.0.1:8080"

// DefaultLimits are the per-merchant limits (requests per second) used for
// job types missing from limits: the documented 500/s for busifavor.use and
// 20/s for product_coupon.update, and couponq's choice for the two types the
// documents give none (see marketing.Operation.AssumedLimit).
// The map is new on every call.
func DefaultLimits() map[string]float64 {
	m := map[string]float64{}
	for _, s := range marketing.Specs() {
		m[string(s.Op)] = float64(s.AssumedLimit)
	}
	return m
}

// defaultConcurrency is the per-worker in-flight bound per job type.
func defaultConcurrency(t string) int {
	if s, ok := marketing.Lookup(marketing.Operation(t)); ok {
		return s.Concurrency
	}
	return 4
}

func (c *Config) applyDefaults() {
	if c.Worker.ID == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "worker"
		}
		c.Worker.ID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	def(&c.Worker.ShutdownTimeout, worker.DefaultShutdownTimeout)
	if c.NATS.Listen == "" {
		c.NATS.Listen = "127.0.0.1:4222"
	}
	if c.NATS.StoreDir == "" {
		c.NATS.StoreDir = "./data/nats"
	}
	if c.Streams.Replicas == 0 {
		c.Streams.Replicas = 1
	}
	def(&c.Streams.DuplicateWindow, 24*time.Hour)
	if c.Streams.JobsMaxMsgs == 0 {
		c.Streams.JobsMaxMsgs = -1
	}
	if c.Streams.JobsMaxBytes == 0 {
		c.Streams.JobsMaxBytes = -1
	}
	def(&c.Streams.ResultsMaxAge, 30*24*time.Hour)
	def(&c.Streams.DLQMaxAge, 90*24*time.Hour)
	if c.WeChat.SandboxKeysDir == "" {
		c.WeChat.SandboxKeysDir = DefaultSandboxKeysDir
	}
	if !c.WeChat.Sandbox {
		if c.WeChat.BaseURL == "" {
			c.WeChat.BaseURL = DefaultBaseURL
		}
		if c.WeChat.BackupURL == "" {
			c.WeChat.BackupURL = DefaultBackupURL
		}
	}
	def(&c.WeChat.Timeout, 10*time.Second)
	limits := DefaultLimits()
	for t, v := range c.Limits {
		limits[t] = v
	}
	c.Limits = limits
	if c.RateLimit.Headroom == 0 {
		c.RateLimit.Headroom = 0.985
	}
	lanes := map[string]Lane{}
	for t := range DefaultLimits() {
		l := c.Lanes[t]
		if l.Concurrency == 0 {
			l.Concurrency = defaultConcurrency(t)
		}
		lanes[t] = l
	}
	for t, l := range c.Lanes {
		if _, ok := lanes[t]; !ok {
			lanes[t] = l // unknown type: kept so Validate reports it
		}
	}
	c.Lanes = lanes
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = 8
	}
	def(&c.Retry.InitialInterval, time.Second)
	def(&c.Retry.MaxInterval, time.Minute)
	def(&c.Retry.MaxElapsed, time.Hour)
	def(&c.Retry.AckWait, 3*time.Second)
	if c.HTTP.Listen == nil {
		addr := ""
		if c.NATS.Embedded() {
			addr = DefaultDevHTTPListen
		}
		c.HTTP.Listen = &addr
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
}

func def(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}
