package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/embedded"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/ratelimit"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

// Node is everything one worker process runs, wired in one place that the
// worker command, the demo, the benchmarks and the tests all use: NATS
// (embedded or remote), the streams, the WeChat Pay client (against the
// sandbox or production), the fleet-wide limiter as the worker's Budget,
// and the worker itself. Close releases it in reverse order.
type Node struct {
	cfg *config.Config
	log *zap.Logger
	// Server is the embedded JetStream server; nil with an external NATS.
	Server *embedded.Server
	// NC and JS are the node's NATS connection and JetStream handle.
	NC *nats.Conn
	JS jetstream.JetStream
	// Sandbox is the in-process WeChat Pay sandbox; nil otherwise.
	Sandbox *sandbox.Sandbox
	// Limiter is the fleet-wide rate limiter.
	Limiter *ratelimit.Limiter
	// Client is the WeChat Pay client.
	Client *wechat.Client
	// Worker processes jobs.
	Worker  *worker.Worker
	closers []func()
}

// Start brings everything up and logs plainly which mode it is in. On
// failure everything started so far is released.
func Start(ctx context.Context, cfg *config.Config, log *zap.Logger) (_ *Node, err error) {
	rt := &Node{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			rt.Close()
		}
	}()
	url := cfg.NATS.URL
	if cfg.NATS.Embedded() {
		if rt.Server, err = startEmbedded(cfg.NATS); err != nil {
			return nil, err
		}
		rt.closers = append(rt.closers, rt.Server.Shutdown)
		url = rt.Server.ClientURL()
		log.Info("mode: embedded JetStream (nats.url is empty)", zap.String("url", url),
			zap.String("store_dir", cfg.NATS.StoreDir), zap.Bool("sync_before_ack", rt.Server.SyncAlways()))
		if !rt.Server.SyncAlways() {
			log.Warn("nats.no_sync is set: acknowledged jobs may be lost if this machine crashes")
		}
	} else {
		log.Info("mode: external NATS", zap.String("url", config.RedactURL(url)))
	}
	if rt.NC, err = ConnectNATS(cfg.NATS, url, "couponq-worker "+cfg.Worker.ID, log); err != nil {
		return nil, err
	}
	rt.closers = append(rt.closers, func() { _ = rt.NC.Drain() })
	if rt.JS, err = jetstream.New(rt.NC); err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if err = worker.EnsureStreams(ctx, rt.JS, streamsConfig(cfg)); err != nil {
		return nil, err
	}
	merchants, baseURL, backupURL, err := rt.setupWeChat(cfg, log)
	if err != nil {
		return nil, err
	}
	rt.Limiter, err = ratelimit.New(ctx, rt.JS, ratelimit.Config{
		Limits:         cfg.Limits,
		MerchantLimits: cfg.MerchantLimits(),
		Headroom:       cfg.RateLimit.Headroom,
		WorkerID:       cfg.Worker.ID,
		Replicas:       cfg.Streams.Replicas,
		Logger:         log.Named("ratelimit"),
	})
	if err != nil {
		return nil, fmt.Errorf("rate limiter: %w", err)
	}
	rt.closers = append(rt.closers, func() { _ = rt.Limiter.Close() })
	rt.Client, err = wechat.New(wechat.Config{
		BaseURL:         baseURL,
		BackupURL:       backupURL,
		Timeout:         cfg.WeChat.Timeout,
		MaxConnsPerHost: totalConcurrency(cfg),
		Logger:          log.Named("wechat"),
	}, merchants...)
	if err != nil {
		return nil, fmt.Errorf("wechat client: %w", err)
	}
	wc := workerConfig(cfg)
	wc.Budget = limiterBudget{rt.Limiter}
	rt.Worker, err = worker.New(wc, rt.JS, rt.Client, log)
	if err != nil {
		return nil, err
	}
	return rt, nil
}

// setupWeChat starts the sandbox (when configured) or loads production keys.
func (rt *Node) setupWeChat(cfg *config.Config, log *zap.Logger) ([]wechat.Merchant, string, string, error) {
	if !cfg.WeChat.Sandbox {
		var ms []wechat.Merchant
		for _, m := range cfg.Merchants {
			wm, err := wechat.LoadMerchant(wechat.MerchantFiles{
				MchID: m.MchID, CertSerialNo: m.CertSerialNo, PrivateKeyFile: m.PrivateKeyFile,
				PublicKeyID: m.WeChatPayPublicKeyID, PublicKeyFile: m.WeChatPayPublicKeyFile,
			})
			if err != nil {
				return nil, "", "", fmt.Errorf("merchant %s: %w", m.MchID, err)
			}
			ms = append(ms, wm)
		}
		log.Info("mode: WeChat Pay PRODUCTION", zap.String("base_url", cfg.WeChat.BaseURL),
			zap.String("backup_url", cfg.WeChat.BackupURL), zap.Int("merchants", len(ms)))
		return ms, cfg.WeChat.BaseURL, cfg.WeChat.BackupURL, nil
	}
	var keys []sandbox.MerchantKeys
	var ms []wechat.Merchant
	for _, m := range cfg.Merchants {
		k, files, err := sandbox.GenerateMerchant(filepath.Join(cfg.WeChat.SandboxKeysDir, m.MchID), m.MchID)
		if err != nil {
			return nil, "", "", fmt.Errorf("sandbox keys for %s: %w", m.MchID, err)
		}
		wm, err := wechat.LoadMerchant(files)
		if err != nil {
			return nil, "", "", fmt.Errorf("sandbox merchant %s: %w", m.MchID, err)
		}
		keys = append(keys, k)
		ms = append(ms, wm)
	}
	if cfg.WeChat.BaseURL != "" {
		// A sandbox running as its own process (cmd/sandbox) with the same
		// keys directory: use it instead of starting one in-process.
		log.Info("mode: WeChat Pay SANDBOX (external, on loopback)", zap.String("base_url", cfg.WeChat.BaseURL),
			zap.String("backup_url", cfg.WeChat.BackupURL), zap.String("keys_dir", cfg.WeChat.SandboxKeysDir))
		return ms, cfg.WeChat.BaseURL, cfg.WeChat.BackupURL, nil
	}
	sb, err := sandbox.New(sandbox.Config{Merchants: keys, Limits: sandboxLimits(cfg)})
	if err != nil {
		return nil, "", "", fmt.Errorf("sandbox: %w", err)
	}
	rt.Sandbox = sb
	// Close runs after the HTTP servers' shutdown is registered below, so it
	// runs first on close: it releases requests held by injected faults.
	defer func() { rt.closers = append(rt.closers, sb.Close) }()
	primary, err := rt.serveLoopback(sb.Handler())
	if err != nil {
		return nil, "", "", err
	}
	backup, err := rt.serveLoopback(sb.Handler())
	if err != nil {
		return nil, "", "", err
	}
	log.Info("mode: WeChat Pay SANDBOX on loopback (no real coupons, no credentials needed)",
		zap.String("base_url", primary), zap.String("backup_url", backup), zap.String("keys_dir", cfg.WeChat.SandboxKeysDir))
	return ms, primary, backup, nil
}

// serveLoopback serves h on a random loopback port and returns its URL.
func (rt *Node) serveLoopback(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("sandbox listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			rt.log.Error("sandbox server stopped", zap.Error(err))
		}
	}()
	rt.closers = append(rt.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String(), nil
}

// Close releases everything in reverse order of start.
func (rt *Node) Close() {
	for i := len(rt.closers) - 1; i >= 0; i-- {
		rt.closers[i]()
	}
	rt.closers = nil
}

func sandboxLimits(cfg *config.Config) map[marketing.Operation]int {
	out := map[marketing.Operation]int{}
	for t, v := range cfg.Limits {
		out[marketing.Operation(t)] = int(v)
	}
	return out
}

func totalConcurrency(cfg *config.Config) int {
	n := 0
	for _, l := range cfg.Lanes {
		n += l.Concurrency
	}
	return n
}

func streamsConfig(cfg *config.Config) worker.StreamsConfig {
	return worker.StreamsConfig{
		Replicas:        cfg.Streams.Replicas,
		DuplicateWindow: cfg.Streams.DuplicateWindow,
		JobsMaxMsgs:     cfg.Streams.JobsMaxMsgs,
		JobsMaxBytes:    cfg.Streams.JobsMaxBytes,
		ResultsMaxAge:   cfg.Streams.ResultsMaxAge,
		DLQMaxAge:       cfg.Streams.DLQMaxAge,
	}
}

func workerConfig(cfg *config.Config) worker.Config {
	conc := map[jobs.Type]int{}
	for t, l := range cfg.Lanes {
		conc[jobs.Type(t)] = l.Concurrency
	}
	return worker.Config{
		ID:              cfg.Worker.ID,
		Concurrency:     conc,
		MaxAttempts:     cfg.Retry.MaxAttempts,
		InitialBackoff:  cfg.Retry.InitialInterval,
		MaxBackoff:      cfg.Retry.MaxInterval,
		MaxElapsed:      cfg.Retry.MaxElapsed,
		AckWait:         cfg.Retry.AckWait,
		ShutdownTimeout: cfg.Worker.ShutdownTimeout,
	}
}

// limiterBudget is the fleet-wide limiter as the worker's Budget.
type limiterBudget struct{ l *ratelimit.Limiter }

func (b limiterBudget) Reserve(ctx context.Context, f worker.Flow) (worker.Slot, error) {
	s, err := b.l.Reserve(ctx, ratelimit.Key{MchID: f.MchID, Type: string(f.Type)})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Accepted implements worker.Acceptor.
func (b limiterBudget) Accepted(ctx context.Context, f worker.Flow) {
	b.l.Accepted(ctx, ratelimit.Key{MchID: f.MchID, Type: string(f.Type)})
}

func (b limiterBudget) Throttled(ctx context.Context, f worker.Flow) {
	b.l.Throttled(ctx, ratelimit.Key{MchID: f.MchID, Type: string(f.Type)})
}
