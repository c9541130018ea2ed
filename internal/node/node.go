package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/wechat/marketing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/embedded"
	"github.com/couponq/couponq/internal/metrics"
	"github.com/couponq/couponq/internal/opshttp"
	"github.com/couponq/couponq/internal/startretry"
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
	// Clock is the process's one time source, given to the limiter, the
	// client, the sandbox, the worker and the operations server.
	Clock clock.Clock
	// Worker processes jobs.
	Worker *worker.Worker
	// Registry and Metrics are the node's Prometheus metrics.
	Registry *prometheus.Registry
	Metrics  *metrics.Metrics
	// HTTP is the operations server (metrics, health, dashboard); nil when
	// http.listen is off or its address was taken.
	HTTP    *opshttp.Server
	closers []func()
	started atomic.Bool // Start finished: the fields above are set

	mu       sync.Mutex
	deadline time.Time // Close must be done by then (shutdown.go)
}

// Start brings everything up and logs plainly which mode it is in. On
// failure everything started so far is released.
func Start(ctx context.Context, cfg *config.Config, log *zap.Logger) (_ *Node, err error) {
	rt := &Node{cfg: cfg, log: log, Clock: clock.System()}
	defer func() {
		if err != nil {
			rt.Close()
		}
	}()
	// The operations server comes first: /healthz answers and /readyz says
	// "starting" while NATS, streams and keys are still being set up (start
	// retries may take a while on a cluster that elects its leaders).
	if err = rt.newMetrics(); err != nil {
		return nil, err
	}
	if err = rt.serveOps(rt.Registry); err != nil {
		return nil, err
	}
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
	if rt.NC, err = DialNATS(ctx, cfg.NATS, url, "couponq-worker "+cfg.Worker.ID, log); err != nil {
		return nil, err
	}
	rt.closers = append(rt.closers, func() {
		if err := DrainAndWait(rt.NC, time.Until(rt.closeDeadline())); err != nil {
			log.Warn("closing the NATS connection", zap.Error(err))
		}
	})
	if rt.JS, err = jetstream.New(rt.NC); err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	// On a cluster still electing leaders (several workers starting at
	// once) creating streams fails for a while: retry, do not exit.
	err = startretry.Do(ctx, log, "create or update streams", cfg.NATS.ConnectTimeout, func(ctx context.Context) error {
		return worker.EnsureStreams(ctx, rt.JS, streamsConfig(cfg))
	})
	if err != nil {
		return nil, err
	}
	merchants, baseURL, backupURL, err := rt.setupWeChat(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	err = startretry.Do(ctx, log, "start rate limiter", cfg.NATS.ConnectTimeout, func(ctx context.Context) error {
		var err error
		rt.Limiter, err = ratelimit.New(ctx, rt.JS, ratelimit.Config{
			Clock:          rt.Clock,
			Limits:         cfg.Limits,
			MerchantLimits: cfg.MerchantLimits(),
			Headroom:       cfg.RateLimit.Headroom,
			WorkerID:       cfg.Worker.ID,
			Replicas:       cfg.Streams.Replicas,
			Logger:         log.Named("ratelimit"),
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rate limiter: %w", err)
	}
	rt.closers = append(rt.closers, func() { _ = rt.Limiter.Close() })
	rt.Client, err = wechat.New(wechat.Config{
		Clock:           rt.Clock,
		Observe:         rt.observeAPI,
		BaseURL:         baseURL,
		BackupURL:       backupURL,
		Timeout:         cfg.WeChat.Timeout,
		MaxConnsPerHost: totalConcurrency(cfg),
		Logger:          log.Named("wechat"),
	}, merchants...)
	if err != nil {
		return nil, fmt.Errorf("wechat client: %w", err)
	}
	log.Info("request signer", zap.String("signer", wechat.SignerBackend()), zap.String("library", wechat.SignerLibrary()))
	wc := workerConfig(cfg)
	wc.Clock = rt.Clock
	wc.Budget = limiterBudget{rt.Limiter}
	wc.Metrics = rt.Metrics
	wc.ServerNow = rt.Limiter.ServerNow
	rt.Worker, err = worker.New(wc, rt.JS, rt.Client, log)
	if err != nil {
		return nil, err
	}
	rt.started.Store(true)
	return rt, nil
}

// setupWeChat starts the sandbox (when configured) or loads production keys.
func (rt *Node) setupWeChat(ctx context.Context, cfg *config.Config, log *zap.Logger) ([]wechat.Merchant, string, string, error) {
	var loader wechat.MerchantLoader // one parsed key per distinct key file
	if !cfg.WeChat.Sandbox {
		var ms []wechat.Merchant
		for _, m := range cfg.Merchants {
			wm, err := loader.Load(wechat.MerchantFiles{
				MchID: m.MchID, CertSerialNo: m.CertSerialNo, PrivateKeyFile: m.PrivateKeyFile,
				PublicKeyID: m.WeChatPayPublicKeyID, PublicKeyFile: m.WeChatPayPublicKeyFile,
			})
			if err != nil {
				return nil, "", "", fmt.Errorf("merchant %s: %w", m.MchID, err)
			}
			warnIfReadableByOthers(log, "merchants["+m.MchID+"].private_key_file", m.PrivateKeyFile)
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
		wm, err := loader.Load(files)
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
	if shared, ok := rt.sharedSandbox(ctx, cfg.WeChat.SandboxKeysDir); ok {
		log.Info("mode: WeChat Pay SANDBOX of another worker on this NATS (one sandbox, so a coupon is used once)",
			zap.String("base_url", shared.Primary), zap.String("backup_url", shared.Backup), zap.String("runs_in", shared.Worker))
		return ms, shared.Primary, shared.Backup, nil
	}
	sb, err := sandbox.New(sandbox.Config{Merchants: keys, Limits: sandboxLimits(cfg), Clock: rt.Clock})
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
	rt.advertiseSandbox(ctx, devSandbox{Primary: primary, Backup: backup, KeysDir: cfg.WeChat.SandboxKeysDir, Worker: cfg.Worker.ID})
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
		ctx, cancel := context.WithDeadline(context.Background(), rt.closeDeadline())
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
	})
	return "http://" + ln.Addr().String(), nil
}

// Close releases everything in reverse order of start: the limiter, the
// sandbox, and the NATS connection, drained and waited for (hand-backs and
// acks are flushed). After Run it fits in what is left of
// worker.shutdown_timeout (closeDeadline); otherwise in closeReserve.
func (rt *Node) Close() {
	rt.mu.Lock()
	if rt.deadline.IsZero() {
		rt.deadline = time.Now().Add(closeReserve(rt.shutdownTimeout()))
	}
	rt.mu.Unlock()
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
		ShutdownTimeout: workerShutdown(cfg.Worker.ShutdownTimeout),
		StartTimeout:    cfg.NATS.ConnectTimeout,
		Streams:         streamsConfig(cfg),
	}
}

// limiterBudget is the fleet-wide limiter as the worker's Budget.
type limiterBudget struct{ l *ratelimit.Limiter }

func (b limiterBudget) Reserve(ctx context.Context, f worker.Flow) (worker.Slot, error) {
	return b.ReserveAhead(ctx, f, 0)
}

// ReserveAhead implements worker.AheadReserver.
func (b limiterBudget) ReserveAhead(ctx context.Context, f worker.Flow, ahead int) (worker.Slot, error) {
	s, err := b.l.ReserveAhead(ctx, ratelimit.Key{MchID: f.MchID, Type: string(f.Type)}, ahead)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ReserveOrDefer implements worker.Deferrer.
func (b limiterBudget) ReserveOrDefer(ctx context.Context, f worker.Flow, ahead int) (worker.Slot, time.Duration, error) {
	s, later, err := b.l.ReserveOrDefer(ctx, ratelimit.Key{MchID: f.MchID, Type: string(f.Type)}, ahead)
	if err != nil || s == nil {
		return nil, later, err
	}
	return s, 0, nil
}

// Accepted implements worker.Acceptor.
func (b limiterBudget) Accepted(ctx context.Context, f worker.Flow) {
	b.l.Accepted(ctx, ratelimit.Key{MchID: f.MchID, Type: string(f.Type)})
}

func (b limiterBudget) Throttled(ctx context.Context, f worker.Flow) {
	b.l.Throttled(ctx, ratelimit.Key{MchID: f.MchID, Type: string(f.Type)})
}

// warnIfReadableByOthers logs a warning when a secret file can be read by
// its group or by everyone (the path is logged, never the content).
func warnIfReadableByOthers(log *zap.Logger, key, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		return
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		log.Warn("secret file is readable by other users: chmod 600 it", zap.String("key", key),
			zap.String("file", path), zap.String("mode", perm.String()))
	}
}
