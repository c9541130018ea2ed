package faultsbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.yaml.in/yaml/v3"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/ratelimit"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"
)

// faultEnvConfig shapes one fault row's processes.
type faultEnvConfig struct {
	natsNodes    int  // 1, or 3 for a cluster (streams get 3 replicas)
	workers      int  // worker processes
	natsProxy    bool // workers reach NATS through a cuttable proxy
	primaryProxy bool // workers reach the API's primary host through a cuttable proxy
	ackWait      time.Duration
	apiTimeout   time.Duration
	limit        int // busifavor.use limit per second (0: the default 500)
}

// restartable is a child process the matrix may kill and start again with
// the same arguments.
type restartable struct {
	name, dir, logPath, bin string
	args                    []string
	p                       *harness.Process
	starts                  int
}

// start starts the process; each start logs to its own file (name.log,
// name.2.log, ...).
func (r *restartable) start(g *harness.Group) error {
	r.starts++
	logPath := r.logPath
	if r.starts > 1 {
		logPath = strings.TrimSuffix(r.logPath, ".log") + fmt.Sprintf(".%d.log", r.starts)
	}
	p, err := g.Start(r.name, r.dir, logPath, r.bin, r.args...)
	if err != nil {
		return err
	}
	r.p = p
	return nil
}

// faultEnv is one fault row's world: nats-server node(s), the sandbox with
// a primary and a backup listener, worker processes, optional proxies, and
// the benchmark's own NATS connection (direct, never through a proxy).
type faultEnv struct {
	dir     string
	g       *harness.Group
	bins    harness.Binaries
	cfg     faultEnvConfig
	nodes   []*restartable
	urls    []string // client URLs of the nodes
	workers []*restartable
	killed  map[*harness.Process]bool // killed by the matrix, on purpose

	sandbox               *restartable
	primaryURL, backupURL string
	natsProxy, apiProxy   *proxy
	admin                 *sandbox.AdminClient
	nc                    *nats.Conn
	js                    jetstream.JetStream
	keysDir               string
}

// startFaultEnv starts NATS, the sandbox and the workers of one row.
func startFaultEnv(ctx context.Context, g *harness.Group, bins harness.Binaries, dir string, cfg faultEnvConfig) (*faultEnv, error) {
	e := &faultEnv{dir: dir, g: g, bins: bins, cfg: cfg, keysDir: filepath.Join(dir, "sandbox-keys"), killed: map[*harness.Process]bool{}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return e, err
	}
	if err := e.startNATS(ctx); err != nil {
		return e, err
	}
	if err := e.startSandbox(ctx); err != nil {
		return e, err
	}
	replicas := 1
	if cfg.natsNodes > 1 {
		replicas = 3
	}
	sctx, cancel := context.WithTimeout(ctx, harness.StartTimeout)
	defer cancel()
	for {
		err := worker.EnsureStreams(sctx, e.js, worker.StreamsConfig{Replicas: replicas})
		if err == nil {
			break
		}
		if sctx.Err() != nil {
			return e, fmt.Errorf("create streams: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i := 1; i <= cfg.workers; i++ {
		if err := e.addWorker(i); err != nil {
			return e, err
		}
	}
	return e, e.waitWorkers(ctx, e.workerIDs())
}

func (e *faultEnv) startNATS(ctx context.Context) error {
	n := max(e.cfg.natsNodes, 1)
	ports, cports := make([]int, n), make([]int, n)
	for i := range n {
		var err error
		if ports[i], err = harness.FreePort(); err != nil {
			return err
		}
		if cports[i], err = harness.FreePort(); err != nil {
			return err
		}
		e.urls = append(e.urls, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	for i := range n {
		name := fmt.Sprintf("nats-%d", i+1)
		store := filepath.Join(e.dir, name)
		conf := fmt.Sprintf("server_name: %q\nlisten: \"127.0.0.1:%d\"\njetstream {\n  store_dir: %q\n  sync_interval: always\n}\n", name, ports[i], store)
		if n > 1 {
			var routes []string
			for j := range n {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", cports[j]))
			}
			conf += fmt.Sprintf("cluster {\n  name: faults\n  listen: \"127.0.0.1:%d\"\n  routes: [%s]\n}\n", cports[i], strings.Join(routes, ", "))
		}
		path := filepath.Join(e.dir, name+".conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			return err
		}
		r := &restartable{name: name, dir: e.dir, logPath: filepath.Join(e.dir, name+".log"), bin: e.bins.NATSServer, args: []string{"-c", path}}
		if err := r.start(e.g); err != nil {
			return err
		}
		e.nodes = append(e.nodes, r)
	}
	err := harness.Poll(ctx, e.nodes[0].p, "nats-server to accept connections", func() error {
		nc, err := nats.Connect(strings.Join(e.urls, ","), nats.Timeout(time.Second), nats.Name("couponq-faults"),
			nats.MaxReconnects(-1), nats.ReconnectWait(200*time.Millisecond))
		if err != nil {
			return err
		}
		e.nc = nc
		return nil
	})
	if err != nil {
		return err
	}
	if e.js, err = jetstream.New(e.nc); err != nil {
		return err
	}
	return harness.Poll(ctx, e.nodes[0].p, "JetStream to be ready", func() error {
		_, err := e.js.AccountInfo(ctx)
		return err
	})
}

func (e *faultEnv) startSandbox(ctx context.Context) error {
	p1, err := harness.FreePort()
	if err != nil {
		return err
	}
	p2, err := harness.FreePort()
	if err != nil {
		return err
	}
	addr, backup := fmt.Sprintf("127.0.0.1:%d", p1), fmt.Sprintf("127.0.0.1:%d", p2)
	e.sandbox = &restartable{name: "sandbox", dir: e.dir, logPath: filepath.Join(e.dir, "sandbox.log"), bin: e.bins.Sandbox,
		args: []string{"--addr", addr, "--backup-addr", backup, "--keys", e.keysDir, "--mchid", harness.MchID, "--log-level", "warn"}}
	if e.cfg.limit > 0 {
		e.sandbox.args = append(e.sandbox.args, "--limit", fmt.Sprintf("%s=%d", jobs.TypeBusifavorUse, e.cfg.limit))
	}
	if err := e.sandbox.start(e.g); err != nil {
		return err
	}
	e.primaryURL, e.backupURL = "http://"+addr, "http://"+backup
	e.admin = &sandbox.AdminClient{BaseURL: e.primaryURL}
	if err := harness.Poll(ctx, e.sandbox.p, "the sandbox to answer", func() error {
		_, err := e.admin.Limits(ctx)
		return err
	}); err != nil {
		return err
	}
	if e.cfg.primaryProxy {
		if e.apiProxy, err = newProxy(addr); err != nil {
			return err
		}
	}
	if e.cfg.natsProxy {
		if e.natsProxy, err = newProxy(strings.TrimPrefix(e.urls[0], "nats://")); err != nil {
			return err
		}
	}
	return nil
}

// addWorker writes worker i's config and starts it.
func (e *faultEnv) addWorker(i int) error {
	id := fmt.Sprintf("faults-w%d", i)
	natsURL := strings.Join(e.urls, ",")
	if e.natsProxy != nil {
		natsURL = "nats://" + e.natsProxy.addr()
	}
	base := e.primaryURL
	if e.apiProxy != nil {
		base = "http://" + e.apiProxy.addr()
	}
	replicas := 1
	if e.cfg.natsNodes > 1 {
		replicas = 3
	}
	doc := map[string]any{
		"worker":    map[string]any{"id": id, "shutdown_timeout": harness.WorkerShutdown.String()},
		"nats":      map[string]any{"url": natsURL},
		"streams":   map[string]any{"replicas": replicas},
		"wechat":    map[string]any{"sandbox": true, "sandbox_keys_dir": e.keysDir, "base_url": base, "backup_url": e.backupURL, "timeout": e.cfg.apiTimeout.String()},
		"merchants": []map[string]string{{"mchid": harness.MchID}},
		"retry":     map[string]any{"ack_wait": e.cfg.ackWait.String(), "initial_interval": "200ms", "max_interval": "2s"},
		"log":       map[string]string{"level": "info", "format": "json"},
	}
	if e.cfg.limit > 0 {
		doc["limits"] = map[string]int{string(jobs.TypeBusifavorUse): e.cfg.limit}
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	conf := filepath.Join(e.dir, id+".yaml")
	if err := os.WriteFile(conf, b, 0o600); err != nil {
		return err
	}
	r := &restartable{name: id, dir: e.dir, logPath: filepath.Join(e.dir, id+".log"), bin: e.bins.Worker, args: []string{"--config", conf}}
	if err := r.start(e.g); err != nil {
		return err
	}
	if i <= len(e.workers) {
		e.workers[i-1] = r
	} else {
		e.workers = append(e.workers, r)
	}
	return nil
}

func (e *faultEnv) workerIDs() []string {
	ids := make([]string, len(e.workers))
	for i, w := range e.workers {
		ids[i] = w.name
	}
	return ids
}

// waitWorkers waits until the named workers heartbeat in the limiter's
// members bucket (they are running and past their start).
func (e *faultEnv) waitWorkers(ctx context.Context, ids []string) error {
	ctx, cancel := context.WithTimeout(ctx, harness.StartTimeout)
	defer cancel()
	for {
		for _, w := range e.workers {
			if err := w.p.ExitError(); err != nil {
				return err
			}
		}
		seen := map[string]bool{}
		if kv, err := e.js.KeyValue(ctx, ratelimit.DefaultMembersBucket); err == nil {
			if keys, err := kv.ListKeys(ctx); err == nil {
				for k := range keys.Keys() {
					seen[k] = true
				}
			}
		}
		all := true
		for _, id := range ids {
			all = all && seen[id]
		}
		if all {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("workers %v did not start within %s (logs in %s)", ids, harness.StartTimeout, e.dir)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// kill SIGKILLs a process and waits for it to exit.
func (e *faultEnv) kill(r *restartable) {
	if r.p == nil {
		return
	}
	e.killed[r.p] = true
	select {
	case <-r.p.Exited:
		return
	default:
	}
	_ = r.p.Cmd.Process.Kill()
	<-r.p.Exited
}

// streamLeader returns the index of the node leading stream name.
func (e *faultEnv) streamLeader(ctx context.Context, name string) (int, error) {
	s, err := e.js.Stream(ctx, name)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	if info.Cluster == nil {
		return 0, errors.New("stream has no cluster info")
	}
	for i, n := range e.nodes {
		if n.name == info.Cluster.Leader {
			return i, nil
		}
	}
	return 0, fmt.Errorf("leader %q is not a known node", info.Cluster.Leader)
}

// effects returns the sandbox's count of redemptions that took effect.
func (e *faultEnv) effects(ctx context.Context) (int, error) {
	m, err := e.admin.Effects(ctx)
	if err != nil {
		return 0, err
	}
	return m[marketing.OpBusifavorUse], nil
}

// crashed lists workers that exited on their own (not killed by the matrix).
func (e *faultEnv) crashed() []string {
	var out []string
	for _, w := range e.workers {
		if w.p != nil && !e.killed[w.p] && w.p.ExitError() != nil {
			out = append(out, w.name)
		}
	}
	return out
}

// stop stops everything of the row.
func (e *faultEnv) stop() {
	for _, w := range e.workers {
		if w.p != nil {
			w.p.Stop(harness.WorkerShutdown + harness.StopGrace)
		}
	}
	if e.nc != nil {
		e.nc.Close()
	}
	for _, p := range []*proxy{e.natsProxy, e.apiProxy} {
		if p != nil {
			p.close()
		}
	}
	if e.sandbox != nil && e.sandbox.p != nil {
		e.sandbox.p.Stop(harness.StopGrace)
	}
	for _, n := range e.nodes {
		if n.p != nil {
			n.p.Stop(harness.StopGrace)
		}
	}
	e.g.StopAll(time.Second)
}
