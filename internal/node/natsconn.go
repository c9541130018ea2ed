package node

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/embedded"
)

// ConnectNATS connects to url with the configured credentials. Reconnects
// forever: a worker that loses NATS stops pulling and sending (the limiter
// cannot grant budget) until it is back.
func ConnectNATS(cfg config.NATS, url, name string, log *zap.Logger) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.Timeout(5 * time.Second),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("disconnected from NATS", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("reconnected to NATS", zap.String("server", nc.ConnectedUrlRedacted()))
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
