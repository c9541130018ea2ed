package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/node"
)

// loadProducerConfig reads path, or ./config.yaml when path is empty and it
// exists, or falls back to the built-in defaults, checking only what a
// producer or an operator's tool uses: merchant key files are never read.
func loadProducerConfig(path string) (*config.Config, error) {
	if path == "" {
		if _, err := os.Stat("config.yaml"); err == nil {
			path = "config.yaml"
		}
	}
	if path == "" {
		return config.Default(), nil
	}
	return config.LoadProducer(path)
}

// connectTool connects a producer or operator tool (named name) to NATS as
// cfg says and returns the connection and its JetStream context. Errors are
// written to stderr with a hint; the caller returns exit code 1.
func connectTool(cfg *config.Config, name string, stderr io.Writer) (*nats.Conn, jetstream.JetStream, bool) {
	nc, err := node.ConnectNATS(cfg.NATS, cfg.NATS.ClientURL(), name, zap.NewNop())
	if err != nil {
		hint := ""
		if cfg.NATS.Embedded() {
			hint = fmt.Sprintf(" (is a worker running? with nats.url empty, %s talks to the worker's embedded server at %s)", name, cfg.NATS.Listen)
		}
		fmt.Fprintf(stderr, "%v%s\n", err, hint)
		return nil, nil, false
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		fmt.Fprintln(stderr, "jetstream:", err)
		return nil, nil, false
	}
	return nc, js, true
}
