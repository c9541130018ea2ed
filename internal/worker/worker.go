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

	"github.com/couponq/couponq/wechat/marketing"

	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

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
	// ShutdownTimeout is how long in-flight jobs may finish after Run's
	// context ends before they are handed back. Default 25s.
	ShutdownTimeout time.Duration
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
		c.ShutdownTimeout = 25 * time.Second
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
}

// Worker processes jobs of every type until its Run context ends.
type Worker struct {
	cfg       Config
	js        jetstream.JetStream
	api       Caller
	log       *zap.Logger
	disp      *dispatcher
	now       func() time.Time
	merchants map[string]bool
	defMchID  string

	mu      sync.Mutex
	started bool
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
	w := &Worker{cfg: cfg, js: js, api: api, log: log, now: time.Now, merchants: map[string]bool{}}
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
// gracefully: it stops pulling, lets in-flight jobs finish within
// ShutdownTimeout, hands back (naks) those that cannot, and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.started {
		w.mu.Unlock()
		return errors.New("worker: Run called twice")
	}
	w.started = true
	w.mu.Unlock()

	// hard ends in-flight work: ShutdownTimeout after ctx ends.
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	intakes := make([]*intake, 0, 4)
	for _, t := range jobs.Types() {
		cons, err := EnsureConsumer(ctx, w.js, t, w.cfg)
		if err != nil {
			return err
		}
		intakes = append(intakes, &intake{w: w, typ: t, cons: cons, log: w.log.With(zap.String("type", string(t)))})
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
			in.run(ctx)
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		w.disp.scanLoop()
	}()
	go func() {
		defer wg.Done()
		w.runJanitor(ctx, hard)
	}()
	w.log.Info("worker started", zap.String("worker", w.cfg.ID), zap.Int("types", len(intakes)))

	<-ctx.Done()
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.disp.wait()
	}()
	w.log.Info("worker stopping: no new jobs pulled; waiting for in-flight jobs", zap.Duration("timeout", w.cfg.ShutdownTimeout))
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(w.cfg.ShutdownTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		w.log.Warn("shutdown timeout: cancelling in-flight calls and handing their jobs back")
		cancelHard()
		<-done
	}
	w.log.Info("worker stopped", zap.String("worker", w.cfg.ID))
	return nil
}

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
// the flows stream as of the last scan and the jobs this worker holds. It
// is the one view of queues that metrics and the dashboard read; empty
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
