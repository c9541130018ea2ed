package harness

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

// MchID is the one merchant account of the benchmark.
const MchID = sandbox.DefaultMchID

const (
	// StartTimeout bounds the wait for a started process to be ready.
	StartTimeout = 30 * time.Second
	// WorkerShutdown is the workers' worker.shutdown_timeout; they get this
	// plus StopGrace after SIGTERM before they are killed.
	WorkerShutdown = 5 * time.Second
	// StopGrace is how long a stopped process has after SIGTERM (beyond
	// WorkerShutdown for workers) before it is killed.
	StopGrace = 5 * time.Second
)

// ClusterConfig says how to start one row's processes.
type ClusterConfig struct {
	// Configured are the workers' limits; Real the sandbox's (0: unlimited).
	Configured, Real map[marketing.Operation]int
	SyncAlways       bool    // nats-server fsyncs before every ack (sync_interval: always)
	Headroom         float64 // 0: the workers' default
	SandboxNice      int     // 0: start the sandbox directly
	// LogLevel of the workers; default "warn".
	LogLevel string
	// Tweak, when set, edits each worker's YAML document before it is written.
	Tweak func(doc map[string]any)
	// Merchants are the accounts of the sandbox and the workers; empty: the
	// one benchmark merchant (MchID). Yardstick, when set, is one more
	// sandbox account that the workers do not serve (direct API calls).
	Merchants []string
	Yardstick string
	// MerchantLimits are single accounts' own limits, given to the sandbox
	// (real) and the workers (configured) alike; keyed by merchant id.
	MerchantLimits map[string]map[marketing.Operation]int
	// WorkerLimits, when set, replace the workers' limits of some types
	// (fractional rates, below what the sandbox can express).
	WorkerLimits map[marketing.Operation]float64
}

// mchids returns the accounts the workers serve.
func (cfg ClusterConfig) mchids() []string {
	if len(cfg.Merchants) == 0 {
		return []string{MchID}
	}
	return cfg.Merchants
}

// Cluster is one row's processes: a nats-server, the sandbox and the
// workers, with a NATS connection and a sandbox admin client for the
// benchmark itself. Every row gets a fresh one in its own directory.
type Cluster struct {
	Dir        string // the row's directory: config, keys, logs
	g          *Group
	bins       Binaries
	cfg        ClusterConfig
	natsURL    string
	natsPort   int
	MonitorURL string   // nats-server's monitoring endpoint
	NATS       *Process // the nats-server
	SandboxURL string   // the sandbox's API base URL
	Sandbox    *Process // the sandbox (cmd/sandbox)
	KeysDir    string   // the merchant keys and platform certificate
	nc         *nats.Conn
	JS         jetstream.JetStream  // the benchmark's own JetStream context
	Admin      *sandbox.AdminClient // the sandbox's admin API: stats, limits, faults
	Workers    []*Process           // the running workers
	WorkerIDs  []string             // their worker ids, in the same order
	AllWorkers []*Process           // every worker started, killed ones too (for their logs)
}

// StartCluster starts nats-server and the sandbox in dir and waits until
// both answer; the streams are created so jobs can be enqueued before any
// worker runs.
func StartCluster(ctx context.Context, g *Group, bins Binaries, dir string, cfg ClusterConfig) (*Cluster, error) {
	c := &Cluster{Dir: dir, g: g, bins: bins, cfg: cfg, KeysDir: filepath.Join(dir, "sandbox-keys")}
	if err := c.startNATS(ctx); err != nil {
		return c, err
	}
	if err := c.startSandbox(ctx); err != nil {
		return c, err
	}
	if err := worker.EnsureStreams(ctx, c.JS, worker.StreamsConfig{}); err != nil {
		return c, fmt.Errorf("create streams: %w", err)
	}
	return c, nil
}

func (c *Cluster) startNATS(ctx context.Context) error {
	port, err := c.natsPort, error(nil)
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return err
		}
		c.natsPort = port
	}
	mport, err := FreePort()
	if err != nil {
		return err
	}
	store := filepath.Join(c.Dir, "jetstream")
	args := []string{"-js", "-sd", store, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-m", strconv.Itoa(mport)}
	if c.cfg.SyncAlways {
		conf := filepath.Join(c.Dir, "nats-server.conf")
		text := fmt.Sprintf("listen: \"127.0.0.1:%d\"\nhttp: \"127.0.0.1:%d\"\njetstream {\n  store_dir: %q\n  sync_interval: always\n}\n", port, mport, store)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return fmt.Errorf("nats-server config: %w", err)
		}
		args = []string{"-c", conf}
	}
	c.MonitorURL = fmt.Sprintf("http://127.0.0.1:%d", mport)
	if c.NATS, err = c.g.Start("nats-server", c.Dir, filepath.Join(c.Dir, "nats-server.log"), c.bins.NATSServer, args...); err != nil {
		return err
	}
	c.natsURL = fmt.Sprintf("nats://127.0.0.1:%d", port)
	if c.nc != nil { // a restart: the benchmark's connection reconnects by itself
		return nil
	}
	err = Poll(ctx, c.NATS, "nats-server to accept connections", func() error {
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
	if c.JS, err = jetstream.New(c.nc); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if _, err := c.JS.AccountInfo(ctx); err != nil {
		return fmt.Errorf("nats-server has no JetStream (log %s): %w", c.NATS.LogPath, err)
	}
	return nil
}

func (c *Cluster) startSandbox(ctx context.Context) error {
	port, err := FreePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ids := c.cfg.mchids()
	if c.cfg.Yardstick != "" {
		ids = append(append([]string(nil), ids...), c.cfg.Yardstick)
	}
	args := []string{"--addr", addr, "--keys", c.KeysDir, "--mchid", strings.Join(ids, ","), "--log-level", "warn"}
	if len(ids) > 1 {
		args = append(args, "--shared-keys")
	}
	for _, op := range marketing.Operations() {
		if n, ok := c.cfg.Real[op]; ok {
			args = append(args, "--limit", fmt.Sprintf("%s=%d", op, n))
		}
	}
	for _, id := range ids {
		for _, op := range marketing.Operations() {
			if n, ok := c.cfg.MerchantLimits[id][op]; ok {
				args = append(args, "--merchant-limit", fmt.Sprintf("%s:%s=%d", id, op, n))
			}
		}
	}
	bin := c.bins.Sandbox
	if c.cfg.SandboxNice != 0 {
		// nice execs the sandbox: same pid, every thread at that niceness.
		args = append([]string{"-n", strconv.Itoa(c.cfg.SandboxNice), bin}, args...)
		bin = "nice"
	}
	if c.Sandbox, err = c.g.Start("sandbox", c.Dir, filepath.Join(c.Dir, "sandbox.log"), bin, args...); err != nil {
		return err
	}
	c.SandboxURL = "http://" + addr
	c.Admin = &sandbox.AdminClient{BaseURL: c.SandboxURL}
	return Poll(ctx, c.Sandbox, "the sandbox to answer", func() error {
		_, err := c.Admin.Limits(ctx)
		return err
	})
}

// StartWorkers starts n worker processes, each with its own config file,
// and waits until every one heartbeats in the limiter's members bucket.
func (c *Cluster) StartWorkers(ctx context.Context, n int) error {
	first := len(c.Workers) + 1
	for i := first; i < first+n; i++ {
		id := fmt.Sprintf("bench-w%d", i)
		conf := filepath.Join(c.Dir, id+".yaml")
		text, err := c.workerConfig(id)
		if err != nil {
			return err
		}
		if err := os.WriteFile(conf, text, 0o600); err != nil {
			return fmt.Errorf("worker config: %w", err)
		}
		p, err := c.g.Start(id, c.Dir, filepath.Join(c.Dir, id+".log"), c.bins.Worker, "--config", conf)
		if err != nil {
			return err
		}
		c.Workers = append(c.Workers, p)
		c.AllWorkers = append(c.AllWorkers, p)
		c.WorkerIDs = append(c.WorkerIDs, id)
	}
	return c.waitHeartbeats(ctx)
}

// workerConfig is one worker's YAML: the benchmark's NATS and external
// sandbox, the configured limits, everything else default.
func (c *Cluster) workerConfig(id string) ([]byte, error) {
	limits := map[string]float64{}
	for op, n := range c.cfg.Configured {
		limits[string(op)] = float64(n)
	}
	for op, n := range c.cfg.WorkerLimits {
		limits[string(op)] = n
	}
	merchants := make([]map[string]any, 0, len(c.cfg.mchids()))
	for _, id := range c.cfg.mchids() {
		m := map[string]any{"mchid": id}
		if own := c.cfg.MerchantLimits[id]; len(own) > 0 {
			l := map[string]int{}
			for op, n := range own {
				l[string(op)] = n
			}
			m["limits"] = l
		}
		merchants = append(merchants, m)
	}
	doc := map[string]any{
		"worker": map[string]any{"id": id, "shutdown_timeout": WorkerShutdown.String()},
		"nats":   map[string]any{"url": c.natsURL},
		"wechat": map[string]any{
			"sandbox":          true,
			"sandbox_keys_dir": c.KeysDir,
			"base_url":         c.SandboxURL,
			"backup_url":       wechat.NoBackup,
		},
		"merchants": merchants,
		"limits":    limits,
		"log":       map[string]string{"level": cmp.Or(c.cfg.LogLevel, "warn"), "format": "json"},
	}
	if c.cfg.Tweak != nil {
		c.cfg.Tweak(doc)
	}
	if c.cfg.Headroom > 0 {
		doc["ratelimit"] = map[string]float64{"headroom": c.cfg.Headroom}
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode worker config: %w", err)
	}
	return b, nil
}

// waitHeartbeats waits until every worker has put its heartbeat.
func (c *Cluster) waitHeartbeats(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	for {
		for _, p := range c.Workers {
			if err := p.ExitError(); err != nil {
				return err
			}
		}
		seen := map[string]bool{}
		if kv, err := c.JS.KeyValue(ctx, ratelimit.DefaultMembersBucket); err == nil {
			if keys, err := kv.ListKeys(ctx); err == nil {
				for k := range keys.Keys() {
					seen[k] = true
				}
			}
		}
		missing := 0
		for _, id := range c.WorkerIDs {
			if !seen[id] {
				missing++
			}
		}
		if missing == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d workers did not heartbeat within %s (logs in %s): %w", missing, len(c.WorkerIDs), StartTimeout, c.Dir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Pending returns how many jobs of type t wait in the stream, unfetched.
func (c *Cluster) Pending(ctx context.Context, t jobs.Type) (uint64, error) {
	cons, err := c.JS.Consumer(ctx, jobs.JobsStream, worker.ConsumerName(t))
	if err != nil {
		return 0, fmt.Errorf("consumer of %s: %w", t, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("consumer of %s: %w", t, err)
	}
	return info.NumPending, nil
}

// Stop stops the workers (SIGTERM: they finish or hand back in-flight jobs),
// then the sandbox and nats-server. It returns the workers that had to be
// killed.
func (c *Cluster) Stop() (killed []string) {
	done := make(chan string, len(c.Workers))
	for _, p := range c.Workers {
		go func() {
			if p.Stop(WorkerShutdown + StopGrace) {
				done <- p.name
				return
			}
			done <- ""
		}()
	}
	for range c.Workers {
		if name := <-done; name != "" {
			killed = append(killed, name)
		}
	}
	if c.nc != nil {
		c.nc.Close()
	}
	for _, p := range []*Process{c.Sandbox, c.NATS} {
		if p != nil {
			p.Stop(StopGrace)
		}
	}
	c.g.forget(append(c.Workers, c.Sandbox, c.NATS)...)
	return killed
}

// Poll calls try until it succeeds, p exits, or StartTimeout passes.
func Poll(ctx context.Context, p *Process, what string, try func() error) error {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	for {
		err := try()
		if err == nil {
			return nil
		}
		if perr := p.ExitError(); perr != nil {
			return perr
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s (log %s): %w", what, p.LogPath, errors.Join(err, ctx.Err()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// RestartNATS stops nats-server (SIGTERM) and starts it again on the same
// port and store, then waits until every worker heartbeats again.
func (c *Cluster) RestartNATS(ctx context.Context) error {
	c.NATS.Stop(StopGrace)
	c.g.forget(c.NATS)
	if err := c.startNATS(ctx); err != nil {
		return err
	}
	// The members bucket (memory storage) is gone: wait for each worker to
	// re-create it and heartbeat.
	return c.waitHeartbeats(ctx)
}

// Kill sends SIGKILL to worker i (0-based) and waits until it is gone.
func (c *Cluster) Kill(i int) {
	p := c.Workers[i]
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.Exited
}

// DropWorkers forgets the workers at idx (killed ones) so that
// waitHeartbeats and Stop only look at the running ones.
func (c *Cluster) DropWorkers(idx ...int) {
	var ws []*Process
	var ids []string
	for i, p := range c.Workers {
		drop := false
		for _, j := range idx {
			drop = drop || i == j
		}
		if !drop {
			ws = append(ws, p)
			ids = append(ids, c.WorkerIDs[i])
		} else {
			c.g.forget(p)
		}
	}
	c.Workers, c.WorkerIDs = ws, ids
	// Their heartbeats stay in the members bucket until its TTL.
}

// PIDs lists the cluster's processes and the benchmark's own: sandbox,
// nats-server, benchmark, workers.
func (c *Cluster) PIDs() []int {
	out := []int{c.Sandbox.PID(), c.NATS.PID(), os.Getpid()}
	for _, p := range c.Workers {
		out = append(out, p.PID())
	}
	return out
}

// CPUNote says how busy the machine and each process were, in cores.
func (c *Cluster) CPUNote(u CPUUsage) string {
	if !u.Known {
		return "CPU: unknown"
	}
	p := c.PIDs()
	return fmt.Sprintf("CPU in cores during the window: machine %.2f of %d; sandbox %.2f, nats-server %.2f, workers %.2f, benchmark %.2f, other %.2f",
		u.Machine, u.Cores, u.Sum(p[0]), u.Sum(p[1]), u.Sum(p[3:]...), u.Sum(p[2]), max(0, u.Machine-u.Sum(p...)))
}

// FirstResultTimeout bounds the wait for the first backlog result once the
// workers heartbeat.
const FirstResultTimeout = 30 * time.Second

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
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
