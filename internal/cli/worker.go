package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"

	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/node"
)

// RunWorker is the worker command: `worker [--config FILE] [--demo]`. It
// runs until ctx ends (main cancels it on SIGINT/SIGTERM), then shuts down
// gracefully, and returns the process exit code.
func RunWorker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML config file (default: ./config.yaml when present, else built-in defaults: embedded JetStream + WeChat Pay sandbox)")
	demo := fs.Bool("demo", false, "run on a throw-away embedded JetStream and sandbox, feed in the bundled sample jobs, print their results and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		// `worker dlq --help` must not start a worker: flags stop at "dlq".
		fmt.Fprintf(stderr, "worker: unexpected argument %q (operator commands are in couponq: go run ./cmd/couponq --help)\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if *demo {
		return runDemo(ctx, cfg, stdout, stderr)
	}
	log, err := newLogger(cfg.Log, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	defer func() { _ = log.Sync() }()
	if err := serve(ctx, cfg, log, nil); err != nil {
		log.Error("worker failed", zap.Error(err))
		return 1
	}
	return 0
}

// serve starts a node, runs it until ctx ends and shuts it down. ready,
// when set, is called once the worker is starting.
func serve(ctx context.Context, cfg *config.Config, log *zap.Logger, ready func(*node.Node)) error {
	n, err := node.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer n.Close()
	return n.Run(ctx, ready)
}

// loadConfig reads path, or ./config.yaml when path is empty and it exists,
// or falls back to the built-in defaults.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		if _, err := os.Stat("config.yaml"); err == nil {
			path = "config.yaml"
		}
	}
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}
