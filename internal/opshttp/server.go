// Package opshttp serves a worker's operations surface on http.listen:
// Prometheus metrics (/metrics), liveness (/healthz), readiness (/readyz),
// the dashboard (/) with its data (/api/stats), and optionally pprof
// (/debug/pprof/).
package opshttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/internal/fleetview"
)

// Config configures a Server.
type Config struct {
	// Listen is the address to serve on, e.g. "127.0.0.1:8080" (required).
	Listen string
	// Gatherer is what /metrics serves and the dashboard samples (required):
	// the registry the metrics package registered with.
	Gatherer prometheus.Gatherer
	// Local is what the dashboard samples every SampleEvery: the
	// per-process families (metrics.Metrics.Local). Default: Gatherer.
	Local prometheus.Gatherer
	// Source gives the fleet snapshot (required). Pass the *metrics.Metrics,
	// whose cache Prometheus scrapes share.
	Source fleetview.Source
	// Ready says whether the worker can take jobs (required); /readyz and
	// the dashboard report it.
	Ready fleetview.Readiness
	// Pprof serves net/http/pprof under /debug/pprof/. Default off.
	Pprof bool
	// Version is shown on the dashboard.
	Version string
	// SampleEvery is how often the dashboard history is sampled. Default 2s.
	SampleEvery time.Duration
	// History is how much history the dashboard keeps. Default 10m.
	History time.Duration
	// Ticks, when set, drives sampling instead of a ticker every
	// SampleEvery; each received time stamps one sample (tests).
	Ticks <-chan time.Time
	// Clock stamps the first sample taken at Start and drives sampling
	// when Ticks is not set. Default the system clock.
	Clock clock.Clock
	// Logger logs the listen address and serve errors. Default no-op.
	Logger *zap.Logger
}

func (c *Config) validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("listen address is empty"))
	}
	if c.Gatherer == nil {
		errs = append(errs, errors.New("no Gatherer"))
	}
	if c.Source == nil {
		errs = append(errs, errors.New("no Source"))
	}
	if c.Ready == nil {
		errs = append(errs, errors.New("no Ready"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("opshttp: %w", err)
	}
	if c.SampleEvery <= 0 {
		c.SampleEvery = 2 * time.Second
	}
	if c.History <= 0 {
		c.History = 10 * time.Minute
	}
	if c.Clock == nil {
		c.Clock = clock.System()
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return nil
}

// Server is the ops HTTP server. Start it once; it stops when Start's
// context ends or Shutdown is called.
type Server struct {
	cfg     Config
	sampler *sampler
	srv     *http.Server

	mu   sync.Mutex
	ln   net.Listener
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New returns a Server for cfg, or an error naming every missing field.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg}
	local := cfg.Local
	if local == nil {
		local = cfg.Gatherer
	}
	s.sampler = newSampler(local, cfg.Source, int(cfg.History/cfg.SampleEvery), cfg.Logger)
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          zap.NewStdLog(cfg.Logger),
	}
	return s, nil
}

// Start listens on Config.Listen and serves and samples in the background
// until ctx ends (then it shuts down within 5s) or Shutdown is called. Give
// it a context that outlives the worker's drain, so probes and metrics stay
// up while jobs finish.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("opshttp: listen: %w", err)
	}
	ctx, stop := context.WithCancel(ctx)
	s.mu.Lock()
	s.ln, s.stop = ln, stop
	s.mu.Unlock()
	s.cfg.Logger.Info("ops http listening", zap.String("addr", ln.Addr().String()), zap.Bool("pprof", s.cfg.Pprof))

	s.sampler.sample(ctx, s.cfg.Clock.Now())
	s.wg.Go(func() { s.sampler.run(ctx, s.cfg.Ticks, s.cfg.SampleEvery) })
	s.wg.Go(func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logger.Error("ops http stopped", zap.Error(err))
		}
	})
	s.wg.Go(func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(sctx)
	})
	return nil
}

// Addr returns the address the server listens on ("" before Start).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Shutdown stops sampling and shuts the HTTP server down gracefully,
// waiting for open requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	if stop == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	stop()
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("opshttp: shutdown: %w", err)
	}
	return nil
}
