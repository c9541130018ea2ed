package cli

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

// runtime is everything a worker process runs: NATS (embedded or remote),
// the WeChat Pay client (against the sandbox or production), the fleet-wide
// limiter and the worker itself. close releases it in reverse order.
type runtime struct {
	cfg     *config.Config
	log     *zap.Logger
	server  *embedded.Server
	nc      *nats.Conn
	js      jetstream.JetStream
	sandbox *sandbox.Sandbox
	limiter *ratelimit.Limiter
	client  *wechat.Client
	worker  *worker.Worker
	closers []func()
}

// startRuntime brings everything up and logs plainly which mode it is in.
func startRuntime(ctx context.Context, cfg *config.Config, log *zap.Logger) (_ *runtime, err error) {
	rt := &runtime{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			rt.close()
		}
	}()
	url := cfg.NATS.URL
	if cfg.NATS.Embedded() {
		if rt.server, err = startEmbedded(cfg.NATS); err != nil {
			return nil, err
		}
		rt.closers = append(rt.closers, rt.server.Shutdown)
		url = rt.server.ClientURL()
		log.Info("mode: embedded JetStream (nats.url is empty)", zap.String("url", url),
			zap.String("store_dir", cfg.NATS.StoreDir), zap.Bool("sync_before_ack", rt.server.SyncAlways()))
		if !rt.server.SyncAlways() {
			log.Warn("nats.no_sync is set: acknowledged jobs may be lost if this machine crashes")
		}
	} else {
		log.Info("mode: external NATS", zap.String("url", config.RedactURL(url)))
	}
	if rt.nc, err = connectNATS(cfg.NATS, url, "couponq-worker "+cfg.Worker.ID, log); err != nil {
		return nil, err
	}
	rt.closers = append(rt.closers, func() { _ = rt.nc.Drain() })
	if rt.js, err = jetstream.New(rt.nc); err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if err = worker.EnsureStreams(ctx, rt.js, streamsConfig(cfg)); err != nil {
		return nil, err
	}
	merchants, baseURL, backupURL, err := rt.setupWeChat(cfg, log)
	if err != nil {
		return nil, err
	}
	rt.limiter, err = ratelimit.New(ctx, rt.js, ratelimit.Config{
		Limits:   cfg.Limits,
		Headroom: cfg.RateLimit.Headroom,
		WorkerID: cfg.Worker.ID,
		Replicas: cfg.Streams.Replicas,
		Logger:   log.Named("ratelimit"),
	})
	if err != nil {
		return nil, fmt.Errorf("rate limiter: %w", err)
	}
	rt.closers = append(rt.closers, func() { _ = rt.limiter.Close() })
	rt.client, err = wechat.New(wechat.Config{
		BaseURL:         baseURL,
		BackupURL:       backupURL,
		Timeout:         cfg.WeChat.Timeout,
		MaxConnsPerHost: totalConcurrency(cfg),
		Pacer:           limiterPacer{rt.limiter},
	}, merchants...)
	if err != nil {
		return nil, fmt.Errorf("wechat client: %w", err)
	}
	rt.worker, err = worker.New(workerConfig(cfg), rt.js, rt.client, limiterThrottler{rt.limiter}, log)
	if err != nil {
		return nil, err
	}
	return rt, nil
}

// setupWeChat starts the sandbox (when configured) or loads production keys.
func (rt *runtime) setupWeChat(cfg *config.Config, log *zap.Logger) ([]wechat.Merchant, string, string, error) {
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
	rt.sandbox = sb
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
func (rt *runtime) serveLoopback(h http.Handler) (string, error) {
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

// close releases everything in reverse order of start.
func (rt *runtime) close() {
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

// maxBudgetWait bounds one wait for rate-limit budget. In a healthy fleet a
// wait lasts about (jobs held fleet-wide for the key) / limit; past this the
// shared pacing state is unreachable, and the job is handed back rather than
// held delivered-but-unacknowledged.
const maxBudgetWait = 2 * time.Minute

// limiterPacer asks the fleet-wide limiter before every HTTP attempt.
type limiterPacer struct{ l *ratelimit.Limiter }

func (p limiterPacer) Wait(ctx context.Context, mchid string, op marketing.Operation) error {
	wctx, cancel := context.WithTimeout(ctx, maxBudgetWait)
	defer cancel()
	_, err := p.l.Wait(wctx, ratelimit.Key{MchID: mchid, Type: string(op)})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("%w: %w", worker.ErrNoBudget, err)
	}
	return err
}

// limiterThrottler reports 429s to the limiter.
type limiterThrottler struct{ l *ratelimit.Limiter }

func (t limiterThrottler) Throttled(ctx context.Context, mchid string, typ jobs.Type) {
	t.l.Throttled(ctx, ratelimit.Key{MchID: mchid, Type: string(typ)})
}
