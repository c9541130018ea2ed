package deploy_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"
)

// Test passwords of the three users of nats-server.conf, set in the
// environment as docker compose and the Helm values do.
const (
	producerPassword = "producer-test-password"
	workerPassword   = "worker-test-password"
	adminPassword    = "admin-test-password"
)

// setNATSEnv sets the environment nats-server.conf reads.
func setNATSEnv(t *testing.T) {
	t.Setenv("NATS_SERVER_NAME", "nats-1")
	t.Setenv("NATS_PRODUCER_PASSWORD", producerPassword)
	t.Setenv("NATS_WORKER_PASSWORD", workerPassword)
	t.Setenv("NATS_ADMIN_PASSWORD", adminPassword)
}

// startShippedServer runs nats-server.conf as shipped (users, permissions,
// JetStream with sync_interval always) as one standalone node: only the
// addresses, the store directory and the cluster routes (to hosts that do
// not exist here) are rewritten. It returns the client URL.
func startShippedServer(t *testing.T) string {
	t.Helper()
	setNATSEnv(t)
	opts, err := server.ProcessConfigFile("nats-server.conf")
	require.NoError(t, err)
	opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
	opts.HTTPHost, opts.HTTPPort = "127.0.0.1", server.RANDOM_PORT
	opts.StoreDir = t.TempDir()
	opts.Cluster = server.ClusterOpts{}
	opts.Routes = nil
	opts.NoSigs = true
	srv, err := server.NewServer(opts)
	require.NoError(t, err)
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	require.True(t, srv.ReadyForConnections(10*time.Second), "nats-server did not start")
	return srv.ClientURL()
}

// connectAs connects as user; permission violations the server reports on
// this connection are sent to the returned channel.
func connectAs(t *testing.T, url, user, password string) (*nats.Conn, <-chan error) {
	t.Helper()
	violations := make(chan error, 16)
	nc, err := nats.Connect(url, nats.UserInfo(user, password), nats.Timeout(5*time.Second),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case violations <- err:
			default:
			}
		}))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc, violations
}
