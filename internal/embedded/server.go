// Package embedded runs an in-process NATS server with JetStream: the
// worker's dev default (nats.url empty) and the JetStream that tests use.
package embedded

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configures an embedded JetStream server. The zero value is not
// useful: StoreDir is required.
type Options struct {
	// StoreDir is where JetStream keeps its file store. Required.
	StoreDir string
	// Host to listen on. Default 127.0.0.1 (loopback only).
	Host string
	// Port to listen on. Default -1: a random free port.
	Port int
	// NoSync turns off fsync before acknowledging writes. Default false:
	// every acknowledged publish is on disk (sync_interval: always), because
	// jobs are money events. Set it only for throw-away tests and benchmarks.
	NoSync bool
	// ReadyTimeout bounds how long Start waits for the server to accept
	// connections. Default 10s.
	ReadyTimeout time.Duration
}

// Server is a running embedded NATS server.
type Server struct {
	srv *server.Server
}

// Start launches a NATS server with JetStream enabled and waits until it
// accepts connections. Call Shutdown when done.
func Start(o Options) (*Server, error) {
	if o.StoreDir == "" {
		return nil, errors.New("embedded nats: StoreDir is required")
	}
	if err := os.MkdirAll(o.StoreDir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded nats: create store dir: %w", err)
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = -1
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 10 * time.Second
	}
	opts := &server.Options{
		ServerName: "couponq-embedded",
		Host:       o.Host,
		Port:       o.Port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		NoSigs:     true,
		NoLog:      true,
	}
	if !o.NoSync {
		// Equivalent of `jetstream { sync_interval: always }`.
		opts.SyncAlways = true
		opts.SyncInterval = 2 * time.Minute
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(o.ReadyTimeout) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded nats: not ready within %s", o.ReadyTimeout)
	}
	return &Server{srv: srv}, nil
}

// ClientURL is the nats:// URL clients connect to.
func (s *Server) ClientURL() string { return s.srv.ClientURL() }

// SyncAlways reports whether the server fsyncs before acknowledging.
func (s *Server) SyncAlways() bool {
	return s.srv.JetStreamConfig() != nil && s.srv.JetStreamConfig().SyncAlways
}

// Shutdown stops the server and waits for it to exit.
func (s *Server) Shutdown() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
}
