// Package natstest starts an embedded JetStream server for tests and returns
// connected clients. Every test gets its own server and store directory.
package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/embedded"
)

// Server is a test JetStream server with a client connection.
type Server struct {
	*embedded.Server
	// NC is a connection owned by the test; closed on cleanup.
	NC *nats.Conn
	// JS is a JetStream context on NC.
	JS jetstream.JetStream
}

// Start runs an embedded server (without fsync, for speed) for the life of
// the test and connects to it.
func Start(t testing.TB) *Server {
	t.Helper()
	srv, err := embedded.Start(embedded.Options{StoreDir: t.TempDir(), NoSync: true})
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	nc := Connect(t, srv.ClientURL())
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return &Server{Server: srv, NC: nc, JS: js}
}

// Connect opens a connection to url that is closed when the test ends.
func Connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// Context returns a context that is cancelled when the test ends, with a
// generous deadline so a hung test fails instead of blocking CI.
func Context(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
