package validate

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

const composeFile = "../compose.yaml"

// composeEnv is what compose.yaml requires from the environment.
func composeEnv() types.Mapping {
	return types.Mapping{
		"NATS_WORKER_PASSWORD":   "w",
		"NATS_PRODUCER_PASSWORD": "p",
		"NATS_ADMIN_PASSWORD":    "a",
	}
}

// loadCompose loads compose.yaml as docker compose would (schema
// validation, interpolation, merge keys, consistency checks), with every
// profile enabled.
func loadCompose(t *testing.T, env types.Mapping) (*types.Project, error) {
	t.Helper()
	return loadComposeFile(t, composeFile, env)
}

func loadComposeFile(t *testing.T, path string, env types.Mapping) (*types.Project, error) {
	t.Helper()
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	data, err := os.ReadFile(abs)
	require.NoError(t, err)
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs, Content: data}},
		Environment: env,
	}, loader.WithProfiles([]string{"*"}))
}

var workerServices = []string{"worker-1", "worker-2", "worker-3"}

func TestComposeLoads(t *testing.T) {
	p, err := loadCompose(t, composeEnv())
	require.NoError(t, err)
	for _, name := range []string{"nats-1", "nats-2", "nats-3", "sandbox", "worker-1", "worker-2", "worker-3", "prometheus", "enqueue"} {
		_, err := p.GetService(name)
		assert.NoError(t, err, name)
	}
}

// TestComposeLoaderIsStrict shows the loader validates against the compose
// schema: a misspelt key is an error, not ignored.
func TestComposeLoaderIsStrict(t *testing.T) {
	path := filepath.Join(t.TempDir(), "compose.yaml")
	require.NoError(t, os.WriteFile(path, []byte("services:\n  w:\n    image: x\n    stop_grace_periods: 40s\n"), 0o600))
	_, err := loadComposeFile(t, path, types.Mapping{})
	require.ErrorContains(t, err, "stop_grace_periods")
}

func TestComposeRequiresThePasswords(t *testing.T) {
	for name := range composeEnv() {
		env := composeEnv()
		delete(env, name)
		_, err := loadCompose(t, env)
		require.ErrorContains(t, err, name, "compose refuses to start without %s", name)
	}
}

// TestComposeNATSCluster: three nodes of the shipped config, each with its
// own name and volume and all three user passwords.
func TestComposeNATSCluster(t *testing.T) {
	p, err := loadCompose(t, composeEnv())
	require.NoError(t, err)
	for _, name := range []string{"nats-1", "nats-2", "nats-3"} {
		s, err := p.GetService(name)
		require.NoError(t, err)
		assert.Equal(t, name, *s.Environment["NATS_SERVER_NAME"])
		for env := range composeEnv() {
			assert.NotNil(t, s.Environment[env], "%s: %s", name, env)
		}
		conf := mountAt(t, s, "/etc/nats/nats-server.conf")
		assert.Equal(t, "nats-server.conf", filepath.Base(conf.Source))
		assert.Equal(t, name, mountAt(t, s, "/data").Source, "a named volume per node")
	}
}

// TestComposeWorkerGraceExceedsDrain: docker sends SIGKILL
// stop_grace_period after SIGTERM; it must exceed the worker's
// worker.shutdown_timeout from the config file compose mounts.
func TestComposeWorkerGraceExceedsDrain(t *testing.T) {
	p, err := loadCompose(t, composeEnv())
	require.NoError(t, err)
	for _, name := range workerServices {
		s, err := p.GetService(name)
		require.NoError(t, err)
		cfg := mountedWorkerConfig(t, s)
		drain, err := cfg.ShutdownTimeout()
		require.NoError(t, err)
		require.NotNil(t, s.StopGracePeriod, "%s: stop_grace_period is set (docker's default is 10s)", name)
		assert.Greater(t, time.Duration(*s.StopGracePeriod), drain+5*time.Second, name)
	}
}

// TestComposeWorkersAreScrapedAndReachable: Prometheus scrapes each worker
// on the port of its http.listen, and each dashboard is published on
// loopback only.
func TestComposeWorkersAreScrapedAndReachable(t *testing.T) {
	p, err := loadCompose(t, composeEnv())
	require.NoError(t, err)
	prom, err := p.GetService("prometheus")
	require.NoError(t, err)
	var promConf struct {
		ScrapeConfigs []struct {
			MetricsPath   string `json:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `json:"targets"`
			} `json:"static_configs"`
		} `json:"scrape_configs"`
	}
	data, err := os.ReadFile(mountAt(t, prom, "/etc/prometheus/prometheus.yml").Source)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &promConf))
	var targets []string
	for _, sc := range promConf.ScrapeConfigs {
		assert.Equal(t, "/metrics", sc.MetricsPath)
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}

	for _, name := range workerServices {
		s, err := p.GetService(name)
		require.NoError(t, err)
		cfg := mountedWorkerConfig(t, s)
		host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
		require.NoError(t, err, "%s: http.listen", name)
		assert.Equal(t, "0.0.0.0", host, "%s: reachable from Prometheus", name)
		assert.Contains(t, targets, name+":"+port)
		require.Len(t, s.Ports, 1, name)
		assert.Equal(t, port, itoa(s.Ports[0].Target), name)
		assert.Equal(t, "127.0.0.1", s.Ports[0].HostIP, "%s: the dashboard has no authentication", name)
	}
}

// TestComposeSandboxReachesWorkersOnLoopback: a worker accepts a sandbox
// only on loopback, so each worker has a forwarder in its network namespace
// to the sandbox service, whose keys the workers read.
func TestComposeSandboxReachesWorkersOnLoopback(t *testing.T) {
	p, err := loadCompose(t, composeEnv())
	require.NoError(t, err)
	sb, err := p.GetService("sandbox")
	require.NoError(t, err)
	assert.Equal(t, []string{"/usr/local/bin/sandbox"}, []string(sb.Entrypoint))
	keys := mountAt(t, sb, "/var/lib/couponq/sandbox-keys")
	for i, name := range workerServices {
		s, err := p.GetService(name)
		require.NoError(t, err)
		wk := mountAt(t, s, keys.Target)
		assert.Equal(t, keys.Source, wk.Source, "%s reads the sandbox's keys", name)
		assert.True(t, wk.ReadOnly, name)
		fw, err := p.GetService("sandbox-forwarder-" + itoa(uint32(i+1)))
		require.NoError(t, err)
		assert.Equal(t, "service:"+name, fw.NetworkMode)
		assert.True(t, slices.ContainsFunc(fw.Command, func(a string) bool { return strings.Contains(a, "sandbox:8090") }))
	}
}

// mountedWorkerConfig reads the worker config file s mounts.
func mountedWorkerConfig(t *testing.T, s types.ServiceConfig) *WorkerConfig {
	t.Helper()
	data, err := os.ReadFile(mountAt(t, s, "/etc/couponq/couponq.yaml").Source)
	require.NoError(t, err)
	cfg, err := ParseWorkerConfig(data)
	require.NoError(t, err)
	return cfg
}

func mountAt(t *testing.T, s types.ServiceConfig, target string) types.ServiceVolumeConfig {
	t.Helper()
	for _, v := range s.Volumes {
		if v.Target == target {
			return v
		}
	}
	t.Fatalf("service %s mounts nothing at %s", s.Name, target)
	return types.ServiceVolumeConfig{}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
