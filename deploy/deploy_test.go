// Package deploy_test validates the deployment files: they cannot be run
// with Docker here, so they are parsed by the same code that reads them in
// production.
package deploy_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/couponq/couponq/internal/config"
)

func TestNATSConfigSyncsBeforeAck(t *testing.T) {
	setNATSEnv(t)
	opts, err := server.ProcessConfigFile("nats-server.conf")
	require.NoError(t, err)
	assert.True(t, opts.JetStream)
	assert.True(t, opts.SyncAlways, "jobs are money events: sync_interval must be always")
	assert.Equal(t, "nats-1", opts.ServerName)
	assert.Equal(t, "couponq", opts.Cluster.Name)
	assert.Len(t, opts.Routes, 3)
	passwords := map[string]string{}
	for _, u := range opts.Users {
		passwords[u.Username] = u.Password
		require.NotNil(t, u.Permissions, "user %s has explicit permissions", u.Username)
	}
	assert.Equal(t, map[string]string{
		"couponq-producer": producerPassword,
		"couponq-worker":   workerPassword,
		"couponq-admin":    adminPassword,
	}, passwords, "one user per role, passwords from the environment")
}

// TestNATSConfigNeedsEveryPassword: a user without a password in the
// environment stops the server at start instead of admitting anyone.
func TestNATSConfigNeedsEveryPassword(t *testing.T) {
	for _, name := range []string{"NATS_PRODUCER_PASSWORD", "NATS_WORKER_PASSWORD", "NATS_ADMIN_PASSWORD"} {
		t.Run(name, func(t *testing.T) {
			setNATSEnv(t)
			require.NoError(t, os.Unsetenv(name)) // t.Setenv restores it
			_, err := server.ProcessConfigFile("nats-server.conf")
			require.ErrorContains(t, err, name)
		})
	}
}

func TestWorkerConfigIsValidProduction(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"apiclient_key.pem", "wxp_pub.pem"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("-----BEGIN PLACEHOLDER-----\n"), 0o600))
	}
	t.Setenv("COUPONQ_MERCHANT_1900000001_PRIVATE_KEY_FILE", filepath.Join(dir, "apiclient_key.pem"))
	t.Setenv("COUPONQ_MERCHANT_1900000001_PUBLIC_KEY_FILE", filepath.Join(dir, "wxp_pub.pem"))
	t.Setenv("COUPONQ_NATS_PASSWORD", "test-password")
	cfg, err := config.Load("couponq.yaml")
	require.NoError(t, err)
	assert.Equal(t, "couponq-worker", cfg.NATS.User)
	assert.False(t, cfg.WeChat.Sandbox)
	assert.False(t, cfg.NATS.Embedded())
	assert.Equal(t, 3, cfg.Streams.Replicas)
	assert.Equal(t, "test-password", cfg.NATS.Password)
	assert.Equal(t, config.DefaultBaseURL, cfg.WeChat.BaseURL)

	var compose struct {
		Services map[string]struct {
			StopGracePeriod string `yaml:"stop_grace_period"`
		} `yaml:"services"`
	}
	data, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &compose))
	for _, name := range []string{"nats-1", "nats-2", "nats-3", "worker-1", "worker-2", "worker-3", "sandbox", "prometheus"} {
		assert.Contains(t, compose.Services, name)
	}
	grace, err := time.ParseDuration(compose.Services["worker-1"].StopGracePeriod)
	require.NoError(t, err)
	assert.Greater(t, grace, cfg.Worker.ShutdownTimeout, "docker must wait longer than the worker's graceful shutdown")
}

// TestComposeWorkerConfigIsValid loads the compose stack's worker config
// with the product's loader: sandbox mode on a loopback address, the
// couponq-worker user, three replicas.
func TestComposeWorkerConfigIsValid(t *testing.T) {
	t.Setenv("COUPONQ_NATS_PASSWORD", "test-password")
	data, err := os.ReadFile("couponq-compose.yaml")
	require.NoError(t, err)
	cfg, err := config.Parse(data, "couponq-compose.yaml")
	require.NoError(t, err)
	assert.True(t, cfg.WeChat.Sandbox)
	assert.Equal(t, "couponq-worker", cfg.NATS.User)
	assert.Equal(t, 3, cfg.Streams.Replicas)
	assert.Equal(t, "http://127.0.0.1:8090", cfg.WeChat.BaseURL)
}
