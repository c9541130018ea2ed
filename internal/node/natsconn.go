package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/embedded"
	"github.com/couponq/couponq/internal/startretry"
)

// ConnectNATS connects to url with the configured credentials, trying once.
// Reconnects forever once connected: a worker that loses NATS stops pulling
// and sending (the limiter cannot grant budget, calls are held) until it is
// back. Every event of the connection — disconnect, reconnect, failed
// reconnect, close, lame duck, and asynchronous errors such as "consumer not
// active" — is logged through log as one structured line; without an error
// handler the NATS client would print those to stderr itself.
func ConnectNATS(cfg config.NATS, url, name string, log *zap.Logger) (*nats.Conn, error) {
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("nats")
	opts := []nats.Option{
		nats.Name(name),
		nats.Timeout(5 * time.Second),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("disconnected from NATS", zap.Error(err))
				return
			}
			log.Info("disconnected from NATS")
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("reconnected to NATS", zap.String("server", nc.ConnectedUrlRedacted()))
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("reconnecting to NATS failed; retrying", zap.Error(err))
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			if err := nc.LastError(); err != nil {
				log.Warn("NATS connection closed", zap.Error(err))
				return
			}
			log.Info("NATS connection closed")
		}),
		nats.LameDuckModeHandler(func(nc *nats.Conn) {
			log.Warn("NATS server entered lame duck mode; the client will move to another server", zap.String("server", nc.ConnectedUrlRedacted()))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			fields := []zap.Field{zap.Error(err)}
			if sub != nil {
				fields = append(fields, zap.String("subject", sub.Subject))
			}
			log.Warn("NATS asynchronous error", fields...)
		}),
	}
	if cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	if cfg.User != "" {
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
	}
	if cfg.Token != "" {
		opts = append(opts, nats.Token(cfg.Token))
	}
	if cfg.NKeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(cfg.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("nats.nkey_file: %w", err)
		}
		opts = append(opts, o)
	}
	if cfg.TLS.CAFile != "" {
		opts = append(opts, nats.RootCAs(cfg.TLS.CAFile))
	}
	if cfg.TLS.CertFile != "" || cfg.TLS.KeyFile != "" {
		opts = append(opts, nats.ClientCert(cfg.TLS.CertFile, cfg.TLS.KeyFile))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		// nats errors do not echo credentials; the URL is redacted by config.
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	return nc, nil
}

// DialNATS is ConnectNATS retried with backoff, each failed try logged,
// until it connects, ctx ends or cfg.ConnectTimeout (when positive) passes:
// a worker started before NATS, or during a cluster's restart, waits for it.
func DialNATS(ctx context.Context, cfg config.NATS, url, name string, log *zap.Logger) (*nats.Conn, error) {
	var nc *nats.Conn
	err := startretry.Do(ctx, log, "connect to NATS "+config.RedactURL(url), cfg.ConnectTimeout, func(context.Context) error {
		var err error
		nc, err = ConnectNATS(cfg, url, name, log)
		return err
	})
	return nc, err
}

// DrainAndWait drains nc — subscriptions stop, pending acks, naks and
// publishes are flushed — and waits until the connection has closed, or
// until timeout, when it closes it. nats.Conn.Drain alone only starts the
// drain: a process that exits right after it may lose its last hand-backs.
func DrainAndWait(nc *nats.Conn, timeout time.Duration) error {
	if nc == nil || nc.IsClosed() {
		return nil
	}
	closed := make(chan struct{})
	prev := nc.Opts.ClosedCB
	nc.SetClosedHandler(func(c *nats.Conn) {
		if prev != nil {
			prev(c)
		}
		close(closed)
	})
	if err := nc.Drain(); err != nil {
		nc.Close()
		if errors.Is(err, nats.ErrConnectionClosed) {
			return nil
		}
		return fmt.Errorf("drain NATS connection: %w", err)
	}
	t := time.NewTimer(max(timeout, 0))
	defer t.Stop()
	select {
	case <-closed:
		return nil
	case <-t.C:
		nc.Close()
		return fmt.Errorf("drain NATS connection: not finished within %s; closed", timeout)
	}
}

// startEmbedded runs the embedded JetStream server described by cfg.
func startEmbedded(cfg config.NATS) (*embedded.Server, error) {
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("nats.listen %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("nats.listen %q: port: %w", cfg.Listen, err)
	}
	if port == 0 {
		port = -1
	} else if ln, err := net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("nats.listen %s is already in use (another couponq worker in dev mode, or a nats-server?): "+
			"to run a second worker next to it, point it at that server with nats.url: nats://%s "+
			"(env COUPONQ_NATS_URL); it then shares the first worker's sandbox: %w", cfg.Listen, cfg.Listen, err)
	} else {
		_ = ln.Close()
	}
	return embedded.Start(embedded.Options{StoreDir: cfg.StoreDir, Host: host, Port: port, NoSync: cfg.NoSync})
}
