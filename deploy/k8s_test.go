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
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

// The Kubernetes manifests are decoded strictly into the Kubernetes and
// KEDA types by the separate module deploy/validate. These tests check what
// only the product knows: its config loader, its consumer names and the
// permissions of nats-server.conf.

// TestK8sWorkerConfigIsValid loads the ConfigMap's worker config with the
// product's loader, as a pod would.
func TestK8sWorkerConfigIsValid(t *testing.T) {
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	readYAML(t, "k8s/worker-configmap.yaml", &cm)
	data := []byte(cm.Data["couponq.yaml"])
	require.NotEmpty(t, data)

	var raw struct {
		Merchants []struct {
			MchID string `yaml:"mchid"`
		} `yaml:"merchants"`
	}
	require.NoError(t, yaml.Unmarshal(data, &raw))
	dir := t.TempDir()
	for _, m := range raw.Merchants {
		// The key files are mounted from a Secret; point the loader at
		// stand-ins through the documented environment overrides.
		for env, f := range map[string]string{"PRIVATE_KEY_FILE": "apiclient_key.pem", "PUBLIC_KEY_FILE": "wxp_pub.pem"} {
			p := filepath.Join(dir, m.MchID+"-"+f)
			require.NoError(t, os.WriteFile(p, []byte("-----BEGIN PLACEHOLDER-----\n"), 0o600))
			t.Setenv(config.EnvMerchantPrefix+m.MchID+"_"+env, p)
		}
	}
	t.Setenv(config.EnvNATSPassword, "test-password")
	cfg, err := config.Parse(data, "worker-configmap.yaml")
	require.NoError(t, err)
	assert.False(t, cfg.WeChat.Sandbox)
	assert.Equal(t, "couponq-worker", cfg.NATS.User)
	assert.Equal(t, 3, cfg.Streams.Replicas)
	assert.Equal(t, 25*time.Second, cfg.Worker.ShutdownTimeout)
}

// TestScaledObjectNamesTheWorkerConsumers checks that KEDA watches the
// consumer of every job type, by the names the worker creates.
func TestScaledObjectNamesTheWorkerConsumers(t *testing.T) {
	var so struct {
		Spec struct {
			Triggers []struct {
				Type     string            `yaml:"type"`
				Metadata map[string]string `yaml:"metadata"`
			} `yaml:"triggers"`
		} `yaml:"spec"`
	}
	readYAML(t, "k8s/worker-scaledobject.yaml", &so)
	var consumers []string
	for _, tr := range so.Spec.Triggers {
		require.Equal(t, "nats-jetstream", tr.Type)
		assert.Equal(t, jobs.JobsStream, tr.Metadata["stream"])
		consumers = append(consumers, tr.Metadata["consumer"])
	}
	var want []string
	for _, typ := range jobs.Types() {
		want = append(want, worker.ConsumerName(typ))
	}
	assert.ElementsMatch(t, want, consumers)
}

// TestHelmValuesGrantWhatNATSConfGrants keeps the Helm values' users and
// permissions identical to nats-server.conf's, which TestLeastPrivilege
// proves on a real server.
func TestHelmValuesGrantWhatNATSConfGrants(t *testing.T) {
	setNATSEnv(t)
	opts, err := server.ProcessConfigFile("nats-server.conf")
	require.NoError(t, err)
	want := map[string]*server.Permissions{}
	for _, u := range opts.Users {
		want[u.Username] = u.Permissions
	}

	var values struct {
		Config struct {
			Merge struct {
				Authorization struct {
					Users []struct {
						User        string `yaml:"user"`
						Password    string `yaml:"password"`
						Permissions struct {
							Publish   yaml.Node `yaml:"publish"`
							Subscribe yaml.Node `yaml:"subscribe"`
						} `yaml:"permissions"`
					} `yaml:"users"`
				} `yaml:"authorization"`
			} `yaml:"merge"`
		} `yaml:"config"`
	}
	readYAML(t, "k8s/nats-values.yaml", &values)
	// allow reads both forms the server accepts: a subject string and an
	// {allow: [...]} map.
	allow := func(n yaml.Node) []string {
		if n.Kind == yaml.ScalarNode {
			return []string{n.Value}
		}
		var p struct {
			Allow []string `yaml:"allow"`
		}
		require.NoError(t, n.Decode(&p))
		return p.Allow
	}
	got := map[string]*server.Permissions{}
	for _, u := range values.Config.Merge.Authorization.Users {
		assert.Regexp(t, `^<< \$NATS_[A-Z]+_PASSWORD >>$`, u.Password, "%s: password from the environment", u.User)
		got[u.User] = &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: allow(u.Permissions.Publish)},
			Subscribe: &server.SubjectPermission{Allow: allow(u.Permissions.Subscribe)},
		}
	}
	assert.Equal(t, want, got)
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, v), path)
}
