package validate

import (
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const k8sDir = "../k8s"

// k8sBundle is the decoded manifests with the worker's objects picked out.
type k8sBundle struct {
	m          *Manifests
	deploy     appsv1.Deployment
	container  corev1.Container
	configMap  corev1.ConfigMap
	workerConf *WorkerConfig
}

func setupK8s(t *testing.T) *k8sBundle {
	t.Helper()
	m, err := LoadManifests(k8sDir, "nats-values.yaml")
	require.NoError(t, err)
	require.Len(t, m.Deployments, 1)
	require.Len(t, m.ConfigMaps, 1)
	b := &k8sBundle{m: m, deploy: m.Deployments[0], configMap: m.ConfigMaps[0]}
	require.Len(t, b.deploy.Spec.Template.Spec.Containers, 1)
	b.container = b.deploy.Spec.Template.Spec.Containers[0]
	b.workerConf, err = ParseWorkerConfig([]byte(b.configMap.Data["couponq.yaml"]))
	require.NoError(t, err)
	return b
}

func TestManifestsDecodeStrictly(t *testing.T) {
	b := setupK8s(t)
	assert.Len(t, b.m.Secrets, 2)
	assert.Len(t, b.m.PDBs, 1)
	assert.Len(t, b.m.ScaledObjects, 1)
	assert.Equal(t, "couponq", b.m.Kustomization.Namespace)
}

// TestStrictDecodingRefusesUnknownFields shows the decoding is strict: a
// misspelt field, which kubectl apply --validate=false would drop, fails.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [d.yaml]\n",
		"d.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n" +
			"      containers:\n        - name: c\n          livenessProbes: {}\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
	}
	_, err := LoadManifests(dir)
	require.ErrorContains(t, err, `unknown field "livenessProbes"`)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "d.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, name: b}\n"), 0o600))
	_, err = LoadManifests(dir)
	require.ErrorContains(t, err, "already set", "duplicate keys are refused")
}

func TestWorkerProbes(t *testing.T) {
	b := setupK8s(t)
	port := containerPort(t, b.container, "http")
	_, listenPort, err := net.SplitHostPort(b.workerConf.HTTP.Listen)
	require.NoError(t, err, "the ConfigMap sets http.listen")
	assert.Equal(t, strconv.Itoa(int(port)), listenPort, "the probes reach the port the worker listens on")

	for _, p := range []struct {
		probe *corev1.Probe
		path  string
	}{{b.container.LivenessProbe, "/healthz"}, {b.container.ReadinessProbe, "/readyz"}} {
		require.NotNil(t, p.probe, p.path)
		require.NotNil(t, p.probe.HTTPGet, p.path)
		assert.Equal(t, p.path, p.probe.HTTPGet.Path)
		assert.Equal(t, port, resolvePort(t, b.container, p.probe.HTTPGet.Port), p.path)
	}
}

// TestGracePeriodExceedsDrain: Kubernetes kills a pod
// terminationGracePeriodSeconds after SIGTERM; the worker needs
// worker.shutdown_timeout to finish in-flight calls, plus time to hand jobs
// back and close its connection.
func TestGracePeriodExceedsDrain(t *testing.T) {
	b := setupK8s(t)
	drain, err := b.workerConf.ShutdownTimeout()
	require.NoError(t, err)
	grace := b.deploy.Spec.Template.Spec.TerminationGracePeriodSeconds
	require.NotNil(t, grace, "terminationGracePeriodSeconds is set (the default, 30s, is barely above the drain)")
	assert.Greater(t, time.Duration(*grace)*time.Second, drain+5*time.Second,
		"grace %ds leaves at least 5s beyond shutdown_timeout %s", *grace, drain)
}

func TestWorkerRunsAsNonRoot(t *testing.T) {
	b := setupK8s(t)
	pod := b.deploy.Spec.Template.Spec.SecurityContext
	require.NotNil(t, pod)
	require.NotNil(t, pod.RunAsNonRoot)
	assert.True(t, *pod.RunAsNonRoot)
	require.NotNil(t, pod.RunAsUser)
	assert.NotZero(t, *pod.RunAsUser)
	c := b.container.SecurityContext
	require.NotNil(t, c)
	require.NotNil(t, c.AllowPrivilegeEscalation)
	assert.False(t, *c.AllowPrivilegeEscalation)
	require.NotNil(t, c.ReadOnlyRootFilesystem)
	assert.True(t, *c.ReadOnlyRootFilesystem)
	require.NotNil(t, c.Capabilities)
	assert.Contains(t, c.Capabilities.Drop, corev1.Capability("ALL"))
	assert.False(t, *b.deploy.Spec.Template.Spec.AutomountServiceAccountToken)
}

// TestConfigAndKeysAreWired follows every reference: the config volume to
// the ConfigMap, the key files the config names to Secret items, env
// secretKeyRefs to Secret keys.
func TestConfigAndKeysAreWired(t *testing.T) {
	b := setupK8s(t)
	secrets := map[string]corev1.Secret{}
	for _, s := range b.m.Secrets {
		secrets[s.Name] = s
	}
	hasKey := func(s corev1.Secret, key string) bool {
		_, inData := s.Data[key]
		_, inString := s.StringData[key]
		return inData || inString
	}
	assert.Contains(t, b.container.Args, "/etc/couponq/couponq.yaml")

	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range b.container.VolumeMounts {
		mounts[vm.Name] = vm
	}
	var keyFiles []string // files the Secret volume provides, as mounted
	for _, v := range b.deploy.Spec.Template.Spec.Volumes {
		vm, ok := mounts[v.Name]
		require.True(t, ok, "volume %s is mounted", v.Name)
		switch {
		case v.ConfigMap != nil:
			assert.Equal(t, b.configMap.Name, v.ConfigMap.Name)
			assert.Equal(t, "/etc/couponq/couponq.yaml", vm.MountPath)
			assert.Contains(t, b.configMap.Data, vm.SubPath)
		case v.Secret != nil:
			s, ok := secrets[v.Secret.SecretName]
			require.True(t, ok, "secret %s exists", v.Secret.SecretName)
			require.NotNil(t, v.Secret.DefaultMode)
			assert.Zero(t, *v.Secret.DefaultMode&0o077, "key files are not readable by group or others (fsGroup grants the worker read)")
			for _, it := range v.Secret.Items {
				assert.True(t, hasKey(s, it.Key), "secret %s has key %s", s.Name, it.Key)
				keyFiles = append(keyFiles, path.Join(vm.MountPath, it.Path))
			}
		}
	}
	for _, m := range b.workerConf.Merchants {
		assert.Contains(t, keyFiles, m.PrivateKeyFile, "merchant %s", m.MchID)
		assert.Contains(t, keyFiles, m.WeChatPayPublicKeyFile, "merchant %s", m.MchID)
	}
	for _, e := range b.container.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			ref := e.ValueFrom.SecretKeyRef
			assert.True(t, hasKey(secrets[ref.Name], ref.Key), "env %s: secret %s has key %s", e.Name, ref.Name, ref.Key)
		}
	}
	// The example Secrets hold placeholders only.
	for _, s := range b.m.Secrets {
		for k, v := range s.StringData {
			assert.False(t, strings.Contains(v, "PRIVATE KEY-----") || strings.Contains(v, "PUBLIC KEY-----"),
				"secret %s key %s looks like a real key", s.Name, k)
		}
		assert.Empty(t, s.Data, "secret %s: placeholders go in stringData", s.Name)
	}
}

func TestDisruptionBudgetAndAutoscaling(t *testing.T) {
	b := setupK8s(t)
	labels := b.deploy.Spec.Template.Labels
	pdb := b.m.PDBs[0]
	require.NotNil(t, pdb.Spec.Selector)
	for k, v := range pdb.Spec.Selector.MatchLabels {
		assert.Equal(t, v, labels[k], "the PDB selects the worker pods")
	}
	require.NotNil(t, pdb.Spec.MinAvailable)
	minAvailable := pdb.Spec.MinAvailable.IntValue()

	so := b.m.ScaledObjects[0]
	assert.Equal(t, b.deploy.Name, so.Spec.ScaleTargetRef.Name)
	require.NotNil(t, so.Spec.MinReplicaCount)
	assert.Greater(t, int(*so.Spec.MinReplicaCount), minAvailable, "one worker may always be evicted")
	require.NotEmpty(t, so.Spec.Triggers)
	for _, tr := range so.Spec.Triggers {
		assert.Equal(t, "nats-jetstream", tr.Type, tr.Name)
		md := tr.Metadata
		for _, key := range []string{"natsServerMonitoringEndpoint", "account", "stream", "consumer", "lagThreshold"} {
			assert.NotEmpty(t, md[key], "%s: %s", tr.Name, key)
		}
		assert.Equal(t, "COUPONQ_JOBS", md["stream"])
		assert.True(t, strings.HasPrefix(md["consumer"], "couponq_"), "%s: consumer %s", tr.Name, md["consumer"])
		_, _, err := net.SplitHostPort(md["natsServerMonitoringEndpoint"])
		assert.NoError(t, err, "host:port without scheme")
		n, err := strconv.Atoi(md["lagThreshold"])
		assert.NoError(t, err)
		assert.Positive(t, n)
	}
}

func containerPort(t *testing.T, c corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("container %s has no port %s", c.Name, name)
	return 0
}

func resolvePort(t *testing.T, c corev1.Container, p intstr.IntOrString) int32 {
	t.Helper()
	if p.Type == intstr.String {
		return containerPort(t, c, p.StrVal)
	}
	return p.IntVal
}
