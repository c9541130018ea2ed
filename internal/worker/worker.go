// Package worker runs couponq's job processing: one lane per job type pulls
// from its durable JetStream consumer, calls WeChat Pay through the rate
// limited client, and settles each job with exactly one result (and a dead
// letter when it failed) before acknowledging it.
//
// Data flow: jobs stream → lane (lane.go) → process (process.go: decode,
// call, classify) → settle (settle.go: result, dead letter, ack / nak).
package worker

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/internal/metrics"
	"github.com/couponq/couponq/wechat/marketing"

	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/internal/startretry"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat"
)

// Caller performs one API call, asking pacer before each HTTP attempt;
// *wechat.Client implements it.
type Caller interface {
	DoPaced(ctx context.Context, mchid string, req marketing.Request, pacer wechat.Pacer) (*wechat.Response, error)
	Merchants() []string
}

// Config holds what the worker needs; the zero value of optional fields
// means the documented default.
type Config struct {
	// ID names this worker in results and logs. Required.
	ID string
	// Concurrency is, per job type, the bound on jobs of one flow (merchant
	// account and type) this worker holds at once. Types missing here get
	// their default from the operation table (marketing.Spec.Concurrency).
	Concurrency map[jobs.Type]int
	// MaxInFlight bounds the jobs this worker holds at once over all flows,
	// so memory stays bounded by in-flight work. Default 1024.
	MaxInFlight int
	// Budget paces API calls per flow, fleet-wide; nil sends unpaced.
	Budget Budget
	// Metrics records jobs, attempts, waits and in-flight counts; nil
	// records nothing.
	Metrics *metrics.Metrics
	// DecisionLead is how long before a slot is due its flow runner picks
	// the job to send with it (fetch, decode and sign fit in it). Shorter
	// lets a late urgent job take the slot; longer keeps sends on time.
	// Default 25ms.
	DecisionLead time.Duration
	// ScanInterval is how often the flows stream is rescanned for groups
	// with work (wake notices normally report work at once; the scan finds
	// jobs redelivered after a crashed worker's AckWait). Default 1s.
	ScanInterval time.Duration
	// MaxAttempts is the most deliveries of one job. Default 8.
	MaxAttempts int
	// InitialBackoff and MaxBackoff shape the exponential backoff (with
	// jitter) between retries of retryable errors. Defaults 1s and 1m.
	InitialBackoff, MaxBackoff time.Duration
	// MaxElapsed bounds the time from enqueue to the last attempt. Default 1h.
	MaxElapsed time.Duration
	// AckWait is the consumers' AckWait; progress is signalled every third
	// of it while a job is held. Default 3s: a crashed worker's jobs are
	// redelivered to the others within AckWait plus ScanInterval.
	AckWait time.Duration
	// MaxAckPending per consumer. Delayed retries count against it, so it
	// is large. Default 20000.
	MaxAckPending int
	// ShutdownTimeout bounds Run's whole shutdown after its context ends:
	// in-flight jobs may finish until ShutdownTimeout less a settle reserve
	// (a quarter of it, at most 5s), then their calls are cancelled and
	// they are handed back; storing results and hand-backs fits in the
	// reserve. Default 25s.
	ShutdownTimeout time.Duration
	// StartTimeout bounds retrying consumer creation at start (NATS down,
	// leaders being elected); 0 retries until Run's context ends.
	StartTimeout time.Duration
	// Streams is the streams' shape, used to re-create a stream (and the
	// hand-back bucket) found missing at run time. Defaults as in
	// StreamsConfig.
	Streams StreamsConfig
	// ServerNow returns the JetStream server's current time (estimated);
	// retry.max_elapsed compares it with the server's enqueue timestamp, so
	// the rule uses one clock. internal/node passes the fleet limiter's
	// server clock. Default Clock.Now (tests, a server on the same host).
	ServerNow func() time.Time
	// Clock is the local time source of every wait and timer of the worker
	// (heartbeats to JetStream, scans, retries, shutdown). Default the
	// system clock; internal/node injects the process's one clock.
	Clock clock.Clock
	// FetchWait is how long one pull waits for jobs. Default 2s.
	FetchWait time.Duration
	// JanitorInterval is how often jobs on unknown subjects are looked for.
	// Default 10s.
	JanitorInterval time.Duration
}

func (c *Config) setDefaults() {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.InitialBackoff <= 0 {
		c.InitialBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Minute
	}
	if c.MaxElapsed <= 0 {
		c.MaxElapsed = time.Hour
	}
	if c.AckWait <= 0 {
		c.AckWait = 3 * time.Second
	}
	if c.MaxAckPending <= 0 {
		c.MaxAckPending = 20000
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.FetchWait <= 0 {
		c.FetchWait = 2 * time.Second
	}
	if c.JanitorInterval <= 0 {
		c.JanitorInterval = 10 * time.Second
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 1024
	}
	if c.DecisionLead <= 0 {
		c.DecisionLead = 25 * time.Millisecond
	}
	if c.ScanInterval <= 0 {
		c.ScanInterval = time.Second
	}
	c.Clock = clock.OrSystem(c.Clock)
	if c.ServerNow == nil {
		c.ServerNow = c.Clock.Now
	}
}

// DefaultShutdownTimeout is Config.ShutdownTimeout's default.
const DefaultShutdownTimeout = 25 * time.Second

// Worker processes jobs of every type until its Run context ends.
type Worker struct {
	cfg       Config
	js        jetstream.JetStream
	api       Caller
	log       *zap.Logger
	disp      *dispatcher
	merchants map[string]bool
	defMchID  string
	repair    repairer

	mu      sync.Mutex
	started bool
	running atomic.Bool        // consumers ready and pulling; false once stopping
	health  health             // whether JetStream answers the intake pulls
	pauses  pauses             // job types paused by an operator
	kv      jetstream.KeyValue // hand-back counts (handbacks.go)
	stopAt  time.Time          // shutdown deadline, once stopping
}

// New builds a worker. js must reach a JetStream where EnsureStreams has run;
// api makes the calls.
func New(cfg Config, js jetstream.JetStream, api Caller, log *zap.Logger) (*Worker, error) {
	if cfg.ID == "" {
		return nil, errors.New("worker: Config.ID is required")
	}
	if js == nil || api == nil {
		return nil, errors.New("worker: JetStream and API caller are required")
	}
	if log == nil {
		log = zap.NewNop()
	}
	cfg.setDefaults()
	w := &Worker{cfg: cfg, js: js, api: api, log: log, merchants: map[string]bool{}}
	for _, m := range api.Merchants() {
		w.merchants[m] = true
	}
	if len(w.merchants) == 1 {
		for m := range w.merchants {
			w.defMchID = m
		}
	}
	return w, nil
}

// Run creates the consumers, processes jobs until ctx ends, then shuts down
// gracefully within ShutdownTimeout (see shutdown) and returns nil. At start
// it retries creating the consumers and the hand-back bucket with backoff
// (StartTimeout bounds it).
func (w *Worker) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.started {
		w.mu.Unlock()
		return errors.New("worker: Run called twice")
	}
	w.started = true
	w.mu.Unlock()

	// hard ends in-flight work during shutdown (see shutdown).
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	intakes := make([]*intake, 0, 4)
	for _, t := range jobs.Types() {
		in := &intake{w: w, typ: t, log: w.log.With(zap.String("type", string(t)))}
		err := startretry.Do(ctx, w.log, "create consumer "+ConsumerName(t), w.cfg.StartTimeout, func(ctx context.Context) error {
			var err error
			in.cons, err = EnsureConsumer(ctx, w.js, t, w.cfg)
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				w.repair.streams(ctx, w)
			}
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopped while starting: nothing held, nothing to hand back
			}
			return err
		}
		intakes = append(intakes, in)
	}
	err := startretry.Do(ctx, w.log, "open kv bucket "+HandbacksBucket, w.cfg.StartTimeout, func(ctx context.Context) error {
		kv, err := ensureHandbacks(ctx, w.js, w.cfg.Streams)
		if err == nil {
			w.mu.Lock()
			w.kv = kv
			w.mu.Unlock()
		}
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	w.mu.Lock()
	w.disp = newDispatcher(w, ctx, hard)
	w.mu.Unlock()
	sub, err := w.disp.subscribe(w.js.Conn())
	if err != nil {
		return fmt.Errorf("worker: subscribe to wake notices: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	var wg sync.WaitGroup
	for _, in := range intakes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.run(ctx, hard)
		}()
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		w.disp.scanLoop()
	}()
	go func() {
		defer wg.Done()
		w.pauses.watch(ctx, w.js, w.log, w.disp.scan)
	}()
	go func() {
		defer wg.Done()
		w.runJanitor(ctx, hard)
	}()
	w.running.Store(true)
	w.log.Info("worker started", zap.String("worker", w.cfg.ID), zap.Int("types", len(intakes)))

	<-ctx.Done()
	w.running.Store(false)
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.disp.wait()
	}()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	w.shutdown(done, cancelHard)
	return nil
}

// settleReserve is the part of ShutdownTimeout kept for storing the results
// of calls cancelled at the soft deadline and for handing jobs back: a
// quarter of it, at most 5s.
func settleReserve(total time.Duration) time.Duration {
	return min(total/4, 5*time.Second)
}

// shutdown waits for in-flight jobs (done) until the soft deadline, then
// cancels their calls (cancel) and waits for their hand-backs until the
// hard deadline, ShutdownTimeout after it began; settles observe that
// deadline too (settleContext). Past it, shutdown returns anyway: a job
// still held then is redelivered after ack_wait.
func (w *Worker) shutdown(done <-chan struct{}, cancel context.CancelFunc) {
	clk := w.cfg.Clock
	start := clk.Now()
	end := start.Add(w.cfg.ShutdownTimeout)
	w.mu.Lock()
	w.stopAt = end
	w.mu.Unlock()
	soft := w.cfg.ShutdownTimeout - settleReserve(w.cfg.ShutdownTimeout)
	w.log.Info("worker stopping: no new jobs pulled; waiting for in-flight jobs",
		zap.Duration("timeout", w.cfg.ShutdownTimeout), zap.Duration("calls_may_finish_within", soft))
	if !clock.Sleep(clk, soft, done) {
		w.stopped(start)
		return
	}
	w.log.Warn("shutdown: cancelling in-flight calls and handing their jobs back")
	cancel()
	if clock.Sleep(clk, end.Sub(clk.Now()), done) {
		w.log.Error("shutdown timeout reached with jobs still held; they are redelivered after ack_wait")
	}
	w.stopped(start)
}

// stopped logs the end of a shutdown that began at start.
func (w *Worker) stopped(start time.Time) {
	w.log.Info("worker stopped", zap.String("worker", w.cfg.ID), zap.Duration("took", w.cfg.Clock.Now().Sub(start).Round(time.Millisecond)))
}

// stopDeadline is the shutdown deadline, once Run is stopping.
func (w *Worker) stopDeadline() (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopAt, !w.stopAt.IsZero()
}

// serverNow is the JetStream server's time (Config.ServerNow).
func (w *Worker) serverNow() time.Time { return w.cfg.ServerNow() }

// concurrency returns the per-flow in-flight bound of type t.
func (w *Worker) concurrency(t jobs.Type) int {
	if n := w.cfg.Concurrency[t]; n > 0 {
		return n
	}
	if s, ok := marketing.Lookup(t); ok && s.Concurrency > 0 {
		return s.Concurrency
	}
	return 4
}

// Flows returns, per (merchant account, job type, priority), the backlog in
// the flows stream as of the last scan and the jobs this worker holds; empty
// before Run.
func (w *Worker) Flows() []FlowStat {
	w.mu.Lock()
	d := w.disp
	w.mu.Unlock()
	if d == nil {
		return nil
	}
	return d.stats()
}

// FlowStats is Flows with the backlog read from the flows stream now (one
// stream-info request). It is the one view of queues that metrics and the
// dashboard read.
func (w *Worker) FlowStats(ctx context.Context) ([]FlowStat, error) {
	w.mu.Lock()
	d := w.disp
	w.mu.Unlock()
	if d == nil {
		return nil, nil
	}
	counts, err := SubjectCounts(ctx, w.js, FlowsStream, FlowSubjectPrefix+">")
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.backlog = counts
	d.mu.Unlock()
	return d.stats(), nil
}

// Ready reports whether the worker is taking jobs: its streams and
// consumers are set up and it has not begun to stop.
func (w *Worker) Ready() error {
	if !w.running.Load() {
		return errors.New("worker not running (starting, or stopping)")
	}
	return w.health.err()
}
