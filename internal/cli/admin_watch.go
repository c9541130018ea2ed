package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/schollz/progressbar/v3"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/jobs"
)

// watchTick is how often watch refreshes its display and the manifest.
const watchTick = 250 * time.Millisecond

func runWatch(ctx context.Context, args []string, env *adminEnv) int {
	fs, configPath := newFlags("watch", "watch CAMPAIGN [--report failures.csv|.jsonl] [--timeout D] [--total N]", env)
	report := fs.String("report", "", "write every failure (code, message, Request-ID, ...) to this file: CSV for .csv, else JSON lines")
	timeout := fs.Duration("timeout", 0, "give up after this long (0: until every job has its result or interrupted)")
	total := fs.Int64("total", 0, "the number of jobs to expect (default: from the campaign manifest)")
	noProgress := fs.Bool("no-progress", false, "no progress bar (it is shown only when stderr is a terminal)")
	if code, ok := parseFlags(fs, args, 1, 1); !ok {
		return code
	}
	id := fs.Arg(0)
	_, nc, js, ok := connectAdmin(*configPath, env)
	if !ok {
		return exitFailed
	}
	defer nc.Close()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	w := &watcher{js: js, id: id, fixedTotal: *total, env: env, tally: admin.NewTally()}
	if err := w.loadManifest(ctx); err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitFailed
	}
	if w.manifest == nil && w.fixedTotal == 0 {
		fmt.Fprintf(env.stderr, "no campaign %q: enqueue --file writes its manifest (or give --total N)\n", id)
		return exitFailed
	}
	finished := w.run(ctx, !*noProgress)
	w.summary(env.stdout, finished)
	if *report != "" {
		failures := w.tally.Failures()
		if err := writeReport(*report, failures); err != nil {
			fmt.Fprintln(env.stderr, err)
			return exitFailed
		}
		fmt.Fprintf(env.stdout, "report: %s (%d failures)\n", *report, len(failures))
	}
	if !finished || w.tally.Failed > 0 {
		return exitFailed
	}
	return exitOK
}

// watcher follows one campaign's results.
type watcher struct {
	js         jetstream.JetStream
	id         string
	fixedTotal int64
	env        *adminEnv

	mu       sync.Mutex
	manifest *jobs.Campaign
	tally    *admin.Tally
}

func (w *watcher) loadManifest(ctx context.Context) error {
	c, err := admin.GetCampaign(ctx, w.js, w.id)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if c != nil {
		w.manifest = c
	}
	return nil
}

// total is the number of jobs to expect, and whether it can still grow.
func (w *watcher) total() (int64, bool) {
	if w.fixedTotal > 0 {
		return w.fixedTotal, false
	}
	return w.manifest.Total, w.manifest.State == jobs.CampaignPublishing
}

// complete: every expected job has its result and no more are coming.
func (w *watcher) complete() bool {
	total, growing := w.total()
	return !growing && w.tally.Done() >= total
}

// run reads the campaign's results until it is complete or ctx ends, with a
// live display; it reports whether the campaign completed.
func (w *watcher) run(ctx context.Context, showProgress bool) bool {
	f := admin.ResultFilter{Campaign: w.id, Follow: true}
	if w.manifest != nil {
		f.Types = w.manifest.Types
		if !w.manifest.StartedAt.IsZero() {
			f.Since = w.manifest.StartedAt.Add(-time.Minute) // clock skew
		}
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	scanErr := make(chan error, 1)
	go func() {
		scanErr <- admin.ScanResults(sctx, w.js, f, func(r *admin.StoredResult) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.tally.Add(r)
			return nil
		})
	}()
	disp := newWatchDisplay(w.env.stderr, w.id, showProgress)
	tick := time.NewTicker(watchTick)
	defer tick.Stop()
	lastManifest := time.Now()
	for {
		w.mu.Lock()
		total, _ := w.total()
		disp.show(w.tally, total)
		done := w.complete()
		w.mu.Unlock()
		if done {
			disp.finish()
			return true
		}
		select {
		case <-ctx.Done():
			disp.finish()
			return false
		case err := <-scanErr:
			disp.finish()
			if err != nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintln(w.env.stderr, err)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			return w.complete()
		case <-tick.C:
		}
		if w.fixedTotal == 0 && time.Since(lastManifest) >= time.Second {
			lastManifest = time.Now()
			if err := w.loadManifest(ctx); err != nil && ctx.Err() == nil {
				fmt.Fprintln(w.env.stderr, "campaign manifest:", err)
			}
		}
	}
}

// summary prints the final counts and the failures by code.
func (w *watcher) summary(out io.Writer, finished bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	printWatchSummary(out, w.id, w.manifest, w.tally, w.fixedTotal, finished)
}

// printWatchSummary renders the summary (the golden test pins the layout).
func printWatchSummary(out io.Writer, id string, m *jobs.Campaign, t *admin.Tally, fixedTotal int64, finished bool) {
	total := fixedTotal
	types := ""
	if m != nil {
		if total == 0 {
			total = m.Total
		}
		for i, ty := range m.Types {
			if i > 0 {
				types += ", "
			}
			types += string(ty)
		}
	}
	pending := max(total-t.Done(), 0)
	fmt.Fprintf(out, "campaign %s: %d jobs", id, total)
	if types != "" {
		fmt.Fprintf(out, " (%s)", types)
	}
	fmt.Fprintf(out, ": %d succeeded, %d failed, %d pending\n", t.Succeeded, t.Failed, pending)
	if m != nil && m.State != jobs.CampaignPublished {
		fmt.Fprintf(out, "enqueue state: %s (run the same enqueue command again to finish publishing)\n", m.State)
	}
	if !finished {
		fmt.Fprintf(out, "not finished: %d jobs have no result yet (queued or retrying: see couponq stats)\n", pending)
	}
	if t.Failed == 0 {
		return
	}
	fmt.Fprintln(out, "failures by code:")
	tw := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "  CODE\tCLASS\tJOBS")
	operational := false
	for _, c := range t.ByCode() {
		fmt.Fprintf(tw, "  %s\t%s\t%d\n", c.Code, c.Class, c.Jobs)
		operational = operational || c.Class == jobs.ClassOperational
	}
	_ = tw.Flush()
	if operational {
		fmt.Fprintf(out, "replay what needs an operator once its cause is fixed: couponq dlq replay --campaign %s\n", id)
	}
}

// watchDisplay shows live counts: a bar on a terminal, a line every
// progressLogEvery otherwise.
type watchDisplay struct {
	w     io.Writer
	id    string
	bar   *progressbar.ProgressBar
	plain bool
	next  time.Time
	max   int64
}

func newWatchDisplay(w io.Writer, id string, enabled bool) *watchDisplay {
	d := &watchDisplay{w: w, id: id, next: time.Now()}
	switch {
	case !enabled:
	case isTerminal(w):
		d.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("results"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	default:
		d.plain = true
	}
	return d
}

func (d *watchDisplay) show(t *admin.Tally, total int64) {
	pending := max(total-t.Done(), 0)
	desc := fmt.Sprintf("%s: %d ok, %d failed, %d pending", d.id, t.Succeeded, t.Failed, pending)
	switch {
	case d.bar != nil:
		if total != d.max && total > 0 {
			d.max = total
			d.bar.ChangeMax64(total)
		}
		d.bar.Describe(desc)
		_ = d.bar.Set64(t.Done())
	case d.plain && time.Now().After(d.next):
		d.next = time.Now().Add(progressLogEvery)
		fmt.Fprintln(d.w, desc)
	}
}

func (d *watchDisplay) finish() {
	if d.bar != nil {
		_ = d.bar.Finish()
	}
}
