package fleet

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.yaml.in/yaml/v3"

	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/ratelimit"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

// mchid is the one merchant account of the benchmark.
const mchid = sandbox.DefaultMchID

const (
	startTimeout = 30 * time.Second
	// workerShutdown is the workers' worker.shutdown_timeout; they get this
	// plus stopGrace after SIGTERM before they are killed.
	workerShutdown = 5 * time.Second
	stopGrace      = 5 * time.Second
)

// clusterConfig says how to start one row's processes.
type clusterConfig struct {
	// configured are the workers' limits; real the sandbox's (0: unlimited).
	configured, real map[marketing.Operation]int
	syncAlways       bool
	headroom         float64 // 0: the workers' default
	sandboxNice      int     // 0: start the sandbox directly
	// logLevel of the workers; default "warn".
	logLevel string
	// tweak, when set, edits each worker's YAML document before it is written.
	tweak func(doc map[string]any)
	// merchants are the accounts of the sandbox and the workers; empty: the
	// one benchmark merchant (mchid). yardstick, when set, is one more
	// sandbox account that the workers do not serve (direct API calls).
	merchants []string
	yardstick string
	// merchantLimits are single accounts' own limits, given to the sandbox
	// (real) and the workers (configured) alike; keyed by mchid.
	merchantLimits map[string]map[marketing.Operation]int
	// workerLimits, when set, replace the workers' limits of some types
	// (fractional rates, below what the sandbox can express).
	workerLimits map[marketing.Operation]float64
}

// mchids returns the accounts the workers serve.
func (cfg clusterConfig) mchids() []string {
	if len(cfg.merchants) == 0 {
		return []string{mchid}
	}
	return cfg.merchants
}

// cluster is one row's processes: a nats-server, the sandbox and the
// workers, with a NATS connection and a sandbox admin client for the
// benchmark itself. Every row gets a fresh one in its own directory.
type cluster struct {
	dir        string
	g          *group
	bins       binaries
	cfg        clusterConfig
	natsURL    string
	natsPort   int
	monitorURL string // nats-server's monitoring endpoint
	nats       *process
	sandboxURL string
	sandbox    *process
	keysDir    string
	nc         *nats.Conn
	js         jetstream.JetStream
	admin      *sandbox.AdminClient
	workers    []*process
	workerIDs  []string
	allWorkers []*process // every worker started, killed ones too (for their logs)
}

// startCluster starts nats-server and the sandbox in dir and waits until
// both answer; the streams are created so jobs can be enqueued before any
// worker runs.
func startCluster(ctx context.Context, g *group, bins binaries, dir string, cfg clusterConfig) (*cluster, error) {
	c := &cluster{dir: dir, g: g, bins: bins, cfg: cfg, keysDir: filepath.Join(dir, "sandbox-keys")}
	if err := c.startNATS(ctx); err != nil {
		return c, err
	}
	if err := c.startSandbox(ctx); err != nil {
		return c, err
	}
	if err := worker.EnsureStreams(ctx, c.js, worker.StreamsConfig{}); err != nil {
		return c, fmt.Errorf("create streams: %w", err)
	}
	return c, nil
}

func (c *cluster) startNATS(ctx context.Context) error {
	port, err := c.natsPort, error(nil)
	if port == 0 {
		if port, err = freePort(); err != nil {
			return err
		}
		c.natsPort = port
	}
	mport, err := freePort()
	if err != nil {
		return err
	}
	store := filepath.Join(c.dir, "jetstream")
	args := []string{"-js", "-sd", store, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-m", strconv.Itoa(mport)}
	if c.cfg.syncAlways {
		conf := filepath.Join(c.dir, "nats-server.conf")
		text := fmt.Sprintf("listen: \"127.0.0.1:%d\"\nhttp: \"127.0.0.1:%d\"\njetstream {\n  store_dir: %q\n  sync_interval: always\n}\n", port, mport, store)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return fmt.Errorf("nats-server config: %w", err)
		}
		args = []string{"-c", conf}
	}
	c.monitorURL = fmt.Sprintf("http://127.0.0.1:%d", mport)
	if c.nats, err = c.g.start("nats-server", c.dir, filepath.Join(c.dir, "nats-server.log"), c.bins.natsServer, args...); err != nil {
		return err
	}
	c.natsURL = fmt.Sprintf("nats://127.0.0.1:%d", port)
	if c.nc != nil { // a restart: the benchmark's connection reconnects by itself
		return nil
	}
	err = poll(ctx, c.nats, "nats-server to accept connections", func() error {
		nc, err := nats.Connect(c.natsURL, nats.Timeout(time.Second), nats.Name("couponq-bench"),
			nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
		if err != nil {
			return err
		}
		c.nc = nc
		return nil
	})
	if err != nil {
		return err
	}
	if c.js, err = jetstream.New(c.nc); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if _, err := c.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("nats-server has no JetStream (log %s): %w", c.nats.logPath, err)
	}
	return nil
}

func (c *cluster) startSandbox(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ids := c.cfg.mchids()
	if c.cfg.yardstick != "" {
		ids = append(append([]string(nil), ids...), c.cfg.yardstick)
	}
	args := []string{"--addr", addr, "--keys", c.keysDir, "--mchid", strings.Join(ids, ","), "--log-level", "warn"}
	if len(ids) > 1 {
		args = append(args, "--shared-keys")
	}
	for _, op := range marketing.Operations() {
		if n, ok := c.cfg.real[op]; ok {
			args = append(args, "--limit", fmt.Sprintf("%s=%d", op, n))
		}
	}
	for _, id := range ids {
		for _, op := range marketing.Operations() {
			if n, ok := c.cfg.merchantLimits[id][op]; ok {
				args = append(args, "--merchant-limit", fmt.Sprintf("%s:%s=%d", id, op, n))
			}
		}
	}
	bin := c.bins.sandbox
	if c.cfg.sandboxNice != 0 {
		// nice execs the sandbox: same pid, every thread at that niceness.
		args = append([]string{"-n", strconv.Itoa(c.cfg.sandboxNice), bin}, args...)
		bin = "nice"
	}
	if c.sandbox, err = c.g.start("sandbox", c.dir, filepath.Join(c.dir, "sandbox.log"), bin, args...); err != nil {
		return err
	}
	c.sandboxURL = "http://" + addr
	c.admin = &sandbox.AdminClient{BaseURL: c.sandboxURL}
	return poll(ctx, c.sandbox, "the sandbox to answer", func() error {
		_, err := c.admin.Limits(ctx)
		return err
	})
}

// startWorkers starts n worker processes, each with its own config file,
// and waits until every one heartbeats in the limiter's members bucket.
func (c *cluster) startWorkers(ctx context.Context, n int) error {
	first := len(c.workers) + 1
	for i := first; i < first+n; i++ {
		id := fmt.Sprintf("bench-w%d", i)
		conf := filepath.Join(c.dir, id+".yaml")
		text, err := c.workerConfig(id)
		if err != nil {
			return err
		}
		if err := os.WriteFile(conf, text, 0o600); err != nil {
			return fmt.Errorf("worker config: %w", err)
		}
		p, err := c.g.start(id, c.dir, filepath.Join(c.dir, id+".log"), c.bins.worker, "--config", conf)
		if err != nil {
			return err
		}
		c.workers = append(c.workers, p)
		c.allWorkers = append(c.allWorkers, p)
		c.workerIDs = append(c.workerIDs, id)
	}
	return c.waitHeartbeats(ctx)
}

// workerConfig is one worker's YAML: the benchmark's NATS and external
// sandbox, the configured limits, everything else default.
func (c *cluster) workerConfig(id string) ([]byte, error) {
	limits := map[string]float64{}
	for op, n := range c.cfg.configured {
		limits[string(op)] = float64(n)
	}
	for op, n := range c.cfg.workerLimits {
		limits[string(op)] = n
	}
	merchants := make([]map[string]any, 0, len(c.cfg.mchids()))
	for _, id := range c.cfg.mchids() {
		m := map[string]any{"mchid": id}
		if own := c.cfg.merchantLimits[id]; len(own) > 0 {
			l := map[string]int{}
			for op, n := range own {
				l[string(op)] = n
			}
			m["limits"] = l
		}
		merchants = append(merchants, m)
	}
	doc := map[string]any{
		"worker": map[string]any{"id": id, "shutdown_timeout": workerShutdown.String()},
		"nats":   map[string]any{"url": c.natsURL},
		"wechat": map[string]any{
			"sandbox":          true,
			"sandbox_keys_dir": c.keysDir,
			"base_url":         c.sandboxURL,
			"backup_url":       wechat.NoBackup,
		},
		"merchants": merchants,
		"limits":    limits,
		"log":       map[string]string{"level": cmp.Or(c.cfg.logLevel, "warn"), "format": "json"},
	}
	if c.cfg.tweak != nil {
		c.cfg.tweak(doc)
	}
	if c.cfg.headroom > 0 {
		doc["ratelimit"] = map[string]float64{"headroom": c.cfg.headroom}
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode worker config: %w", err)
	}
	return b, nil
}

// waitHeartbeats waits until every worker has put its heartbeat.
func (c *cluster) waitHeartbeats(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		for _, p := range c.workers {
			if err := p.exitError(); err != nil {
				return err
			}
		}
		seen := map[string]bool{}
		if kv, err := c.js.KeyValue(ctx, ratelimit.DefaultMembersBucket); err == nil {
			if keys, err := kv.ListKeys(ctx); err == nil {
				for k := range keys.Keys() {
					seen[k] = true
				}
			}
		}
		missing := 0
		for _, id := range c.workerIDs {
			if !seen[id] {
				missing++
			}
		}
		if missing == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d workers did not heartbeat within %s (logs in %s): %w", missing, len(c.workerIDs), startTimeout, c.dir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pending returns how many jobs of type t wait in the stream, unfetched.
func (c *cluster) pending(ctx context.Context, t jobs.Type) (uint64, error) {
	cons, err := c.js.Consumer(ctx, jobs.JobsStream, worker.ConsumerName(t))
	if err != nil {
		return 0, fmt.Errorf("consumer of %s: %w", t, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("consumer of %s: %w", t, err)
	}
	return info.NumPending, nil
}

// stop stops the workers (SIGTERM: they finish or hand back in-flight jobs),
// then the sandbox and nats-server. It returns the workers that had to be
// killed.
func (c *cluster) stop() (killed []string) {
	done := make(chan string, len(c.workers))
	for _, p := range c.workers {
		go func() {
			if p.stop(workerShutdown + stopGrace) {
				done <- p.name
				return
			}
			done <- ""
		}()
	}
	for range c.workers {
		if name := <-done; name != "" {
			killed = append(killed, name)
		}
	}
	if c.nc != nil {
		c.nc.Close()
	}
	for _, p := range []*process{c.sandbox, c.nats} {
		if p != nil {
			p.stop(stopGrace)
		}
	}
	c.g.forget(append(c.workers, c.sandbox, c.nats)...)
	return killed
}

// poll calls try until it succeeds, p exits, or startTimeout passes.
func poll(ctx context.Context, p *process, what string, try func() error) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		err := try()
		if err == nil {
			return nil
		}
		if perr := p.exitError(); perr != nil {
			return perr
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s (log %s): %w", what, p.logPath, errors.Join(err, ctx.Err()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// restartNATS stops nats-server (SIGTERM) and starts it again on the same
// port and store, then waits until every worker heartbeats again.
func (c *cluster) restartNATS(ctx context.Context) error {
	c.nats.stop(stopGrace)
	c.g.forget(c.nats)
	if err := c.startNATS(ctx); err != nil {
		return err
	}
	// The members bucket (memory storage) is gone: wait for each worker to
	// re-create it and heartbeat.
	return c.waitHeartbeats(ctx)
}

// kill sends SIGKILL to worker i (0-based) and waits until it is gone.
func (c *cluster) kill(i int) {
	p := c.workers[i]
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// liveWorkers forgets killed workers so that waitHeartbeats and stop only
// look at the running ones.
func (c *cluster) dropWorkers(idx ...int) {
	var ws []*process
	var ids []string
	for i, p := range c.workers {
		drop := false
		for _, j := range idx {
			drop = drop || i == j
		}
		if !drop {
			ws = append(ws, p)
			ids = append(ids, c.workerIDs[i])
		} else {
			c.g.forget(p)
		}
	}
	c.workers, c.workerIDs = ws, ids
	// Their heartbeats stay in the members bucket until its TTL.
}

// pids lists the cluster's processes and the benchmark's own: sandbox,
// nats-server, benchmark, workers.
func (c *cluster) pids() []int {
	out := []int{c.sandbox.pid(), c.nats.pid(), os.Getpid()}
	for _, p := range c.workers {
		out = append(out, p.pid())
	}
	return out
}

// cpuNote says how busy the machine and each process were, in cores.
func (c *cluster) cpuNote(u cpuUsage) string {
	if !u.known {
		return "CPU: unknown"
	}
	p := c.pids()
	return fmt.Sprintf("CPU in cores during the window: machine %.2f of %d; sandbox %.2f, nats-server %.2f, workers %.2f, benchmark %.2f, other %.2f",
		u.machine, u.cores, u.sum(p[0]), u.sum(p[1]), u.sum(p[3:]...), u.sum(p[2]), max(0, u.machine-u.sum(p...)))
}

// firstResultTimeout bounds the wait for the first backlog result once the
// workers heartbeat.
const firstResultTimeout = 30 * time.Second

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
