package clustertest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/wechat/sandbox"
)

// binaries are the processes the test runs, built once per test run.
type binaries struct{ nats, worker, sandbox string }

// buildBinaries builds nats-server (from the module couponq already
// depends on), cmd/worker and cmd/sandbox into a temporary directory.
func buildBinaries(t *testing.T) binaries {
	t.Helper()
	dir := t.TempDir()
	root := moduleRoot(t)
	b := binaries{
		nats: filepath.Join(dir, "nats-server"), worker: filepath.Join(dir, "worker"), sandbox: filepath.Join(dir, "sandbox"),
	}
	for pkg, out := range map[string]string{
		"github.com/nats-io/nats-server/v2": b.nats, "./cmd/worker": b.worker, "./cmd/sandbox": b.sandbox,
	} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = root
		outText, err := cmd.CombinedOutput()
		require.NoError(t, err, "go build %s: %s", pkg, outText)
	}
	return b
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// proc is a child process whose output goes to a log file.
type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func start(t *testing.T, logPath, bin string, args ...string) *proc {
	t.Helper()
	f, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	p := &proc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				lines := strings.Split(strings.TrimSpace(string(b)), "\n")
				t.Logf("last lines of %s:\n%s", filepath.Base(logPath), strings.Join(lines[max(0, len(lines)-15):], "\n"))
			}
		}
	})
	return p
}

// stop sends SIGTERM and waits (SIGKILL after 20 s).
func (p *proc) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Logf("%s: killed after 20 s", p.log)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// natsNode is one server of the cluster.
type natsNode struct {
	name, url string
	proc      *proc
}

// startNATSCluster starts three JetStream servers that fsync before they
// acknowledge, as deploy/nats-server.conf does, and waits for a meta leader.
func startNATSCluster(t *testing.T, bin, dir string) []*natsNode {
	t.Helper()
	ports, routes := make([]int, 3), make([]string, 3)
	for i := range 3 {
		ports[i] = freePort(t)
		routes[i] = fmt.Sprintf("nats-route://127.0.0.1:%d", freePort(t))
	}
	nodes := make([]*natsNode, 3)
	for i := range 3 {
		name := fmt.Sprintf("n%d", i+1)
		conf := filepath.Join(dir, name+".conf")
		clusterPort := strings.TrimPrefix(routes[i], "nats-route://127.0.0.1:")
		text := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
jetstream { store_dir: %q, sync_interval: always }
cluster { name: couponq, listen: 127.0.0.1:%s, routes: [%s] }
`, name, ports[i], filepath.Join(dir, name), clusterPort, strings.Join(routes, ", "))
		require.NoError(t, os.WriteFile(conf, []byte(text), 0o600))
		nodes[i] = &natsNode{name: name, url: fmt.Sprintf("nats://127.0.0.1:%d", ports[i]),
			proc: start(t, filepath.Join(dir, name+".log"), bin, "-c", conf)}
	}
	nc, err := nats.Connect(nodes[0].url, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1))
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "PROBE", Subjects: []string{"probe"}, Replicas: 3})
		return err == nil && js.DeleteStream(ctx, "PROBE") == nil
	}, 2*time.Minute, 200*time.Millisecond, "the cluster can create an R3 stream")
	return nodes
}

// startSandbox runs cmd/sandbox on a free port with keys in keysDir.
func startSandbox(t *testing.T, bin, dir, keysDir string) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	start(t, filepath.Join(dir, "sandbox.log"), bin, "--addr", addr, "--keys", keysDir, "--log-level", "warn")
	url := "http://" + addr
	admin := &sandbox.AdminClient{BaseURL: url}
	require.Eventually(t, func() bool {
		_, err := admin.Limits(context.Background())
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "the sandbox answers")
	return url
}

// workerProc is a running cmd/worker.
type workerProc struct {
	id, http string
	proc     *proc
}

func startWorker(t *testing.T, bin, dir, id, natsURL, sandboxURL, keysDir string) *workerProc {
	t.Helper()
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	conf := filepath.Join(dir, id+".yaml")
	text := fmt.Sprintf(`worker: {id: %s, shutdown_timeout: 5s}
nats: {url: %q}
streams: {replicas: 3}
wechat: {sandbox: true, base_url: %q, backup_url: "-", sandbox_keys_dir: %q}
merchants: [{mchid: "1900000001"}]
retry: {ack_wait: 5s, initial_interval: 200ms}
http: {listen: %q}
log: {level: info}
`, id, natsURL, sandboxURL, keysDir, httpAddr)
	require.NoError(t, os.WriteFile(conf, []byte(text), 0o600))
	p := start(t, filepath.Join(dir, id+".log"), bin, "--config", conf)
	return &workerProc{id: id, http: "http://" + httpAddr, proc: p}
}

func waitReady(ctx context.Context, t *testing.T, w *workerProc) {
	t.Helper()
	require.Eventually(t, func() bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.http+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 90*time.Second, 50*time.Millisecond, "%s becomes ready (log: %s)", w.id, w.proc.log)
}

// scrape reads w's /metrics into "name{labels}" → value.
func scrape(t *testing.T, w *workerProc) map[string]float64 {
	t.Helper()
	resp, err := http.Get(w.http + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}
