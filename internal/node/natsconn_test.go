package node

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/embedded"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// A worker started before NATS keeps trying, logging each try, and
// connects once the server is up.
func TestDialNATSWaitsForTheServer(t *testing.T) {
	port := freePort(t)
	core, logs := observer.New(zap.DebugLevel)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type dialed struct {
		ok  bool
		err error
	}
	done := make(chan dialed, 1)
	go func() {
		nc, err := DialNATS(ctx, config.NATS{}, fmt.Sprintf("nats://127.0.0.1:%d", port), "test", zap.New(core))
		if nc != nil {
			defer nc.Close()
		}
		done <- dialed{ok: nc != nil && nc.IsConnected(), err: err}
	}()
	require.Eventually(t, func() bool { return logs.FilterMessage("start: not ready yet; retrying").Len() > 0 },
		20*time.Second, 10*time.Millisecond, "a failed try is logged")
	srv, err := embedded.Start(embedded.Options{StoreDir: t.TempDir(), Host: "127.0.0.1", Port: port, NoSync: true})
	require.NoError(t, err)
	defer srv.Shutdown()
	d := <-done
	require.NoError(t, d.err)
	assert.True(t, d.ok)
}

// nats.connect_timeout bounds the retrying.
func TestDialNATSGivesUpAfterConnectTimeout(t *testing.T) {
	port := freePort(t)
	_, err := DialNATS(context.Background(), config.NATS{ConnectTimeout: time.Second}, fmt.Sprintf("nats://127.0.0.1:%d", port), "test", zap.NewNop())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "giving up")
	assert.Contains(t, err.Error(), "nats.connect_timeout")
}

// DrainAndWait returns once the connection has closed, its events logged
// through zap.
func TestDrainAndWaitClosesAndLogs(t *testing.T) {
	srv, err := embedded.Start(embedded.Options{StoreDir: t.TempDir(), Host: "127.0.0.1", Port: -1, NoSync: true})
	require.NoError(t, err)
	defer srv.Shutdown()
	core, logs := observer.New(zap.DebugLevel)
	nc, err := ConnectNATS(config.NATS{}, srv.ClientURL(), "test", zap.New(core))
	require.NoError(t, err)
	_, err = nc.SubscribeSync("x")
	require.NoError(t, err)
	require.NoError(t, DrainAndWait(nc, 5*time.Second))
	assert.True(t, nc.IsClosed())
	assert.Equal(t, 1, logs.FilterMessage("NATS connection closed").Len())
}
