package faultsbench

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

// soakSample is one look at the workers during the soak.
type soakSample struct {
	at          time.Duration
	results     int
	rssMB       []float64
	threads     []int
	fds         []int
	redelivered int // messages redelivered and still pending, over all consumers
}

// soakResult is the bounded soak's outcome.
type soakResult struct {
	err        error
	rate       float64
	samples    []soakSample
	jobs, lost int
	ok, failed int
}

// runSoak runs 2 workers at SoakLoad of SoakLimit for Soak and samples
// their memory, threads and descriptors, and the redeliveries.
func runSoak(ctx context.Context, g *harness.Group, bins harness.Binaries, dir string, o Options, stderr io.Writer) (res soakResult) {
	res.rate = float64(o.SoakLimit) * o.SoakLoad
	e, err := startFaultEnv(ctx, g, bins, dir, faultEnvConfig{natsNodes: 1, workers: 2, ackWait: 30 * time.Second, apiTimeout: o.APITimeout, limit: o.SoakLimit})
	defer func() {
		if e != nil {
			e.stop()
		}
	}()
	if err != nil {
		res.err = err
		return res
	}
	t, done, err := startLoad(ctx, e, "S", res.rate, o.Soak)
	if err != nil {
		res.err = err
		return res
	}
	defer t.stop()
	start := time.Now()
	tick := time.NewTicker(o.SoakEvery)
	defer tick.Stop()
	sample := func() {
		s := soakSample{at: time.Since(start).Round(time.Second)}
		t.mu.Lock()
		s.results = len(t.arrived)
		t.mu.Unlock()
		for _, w := range e.workers {
			rss, threads := procStatus(w.p.PID())
			s.rssMB, s.threads, s.fds = append(s.rssMB, rss), append(s.threads, threads), append(s.fds, fdCount(w.p.PID()))
		}
		s.redelivered = redelivered(ctx, e)
		res.samples = append(res.samples, s)
		fmt.Fprintf(stderr, "  %s: %d results, rss %v MB, threads %v, fds %v, redelivered %d\n", s.at, s.results, s.rssMB, s.threads, s.fds, s.redelivered)
	}
	sample()
loop:
	for {
		select {
		case <-done:
			break loop
		case <-tick.C:
			sample()
		case <-ctx.Done():
			res.err = ctx.Err()
			return res
		}
	}
	t.waitAll(ctx, o.Drain)
	sample()
	s := t.summarize(time.Now())
	res.jobs, res.lost, res.ok, res.failed = s.jobs, s.lost, s.ok, s.failed
	for _, w := range e.workers {
		if err := w.p.ExitError(); err != nil {
			res.err = err
		}
	}
	return res
}

// procStatus reads VmRSS (MB) and Threads of pid from /proc.
func procStatus(pid int) (float64, int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	var rss float64
	var threads int
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			kb, _ := strconv.ParseFloat(f[0], 64)
			rss = float64(int(kb/1024*10)) / 10
		case "Threads":
			threads, _ = strconv.Atoi(f[0])
		}
	}
	return rss, threads
}

// fdCount counts pid's open file descriptors.
func fdCount(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	return len(ents)
}

// redelivered sums NumRedelivered over the consumers of the jobs and flows
// streams.
func redelivered(ctx context.Context, e *faultEnv) int {
	n := 0
	for _, name := range []string{jobs.JobsStream, worker.FlowsStream} {
		s, err := e.js.Stream(ctx, name)
		if err != nil {
			continue
		}
		for info := range s.ListConsumers(ctx).Info() {
			n += info.NumRedelivered
		}
	}
	return n
}

// writeSoak prints the soak's samples.
func writeSoak(w io.Writer, o Options, s *soakResult) {
	fmt.Fprintf(w, "\n### bounded soak: %s at %.0f jobs/s (%.0f%% of the %d/s limit), 2 workers, ack_wait 30s\n\n", o.Soak, s.rate, o.SoakLoad*100, o.SoakLimit)
	if s.err != nil {
		fmt.Fprintf(w, "FAILED: %s\n\n", oneLine(s.err.Error()))
	}
	fmt.Fprintf(w, "jobs %d, ok %d, failed %d, lost %d\n\n", s.jobs, s.ok, s.failed, s.lost)
	fmt.Fprintln(w, "| time | results | worker RSS MB | worker threads | worker fds | redelivered (pending) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, x := range s.samples {
		fmt.Fprintf(w, "| %s | %d | %v | %v | %v | %d |\n", x.at, x.results, x.rssMB, x.threads, x.fds, x.redelivered)
	}
	fmt.Fprintln(w, "\nGoroutine counts need the workers' metrics endpoint (issue 12); threads, RSS and descriptors are read from /proc.")
}
