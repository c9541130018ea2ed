package ratebench

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
)

// reportHeader is what the run was: command, date, machine, setup.
type reportHeader struct {
	harness.Header
	opts Options
}

// writeReport prints the Markdown report: header, the main table, CPU per
// row and notes.
func writeReport(w io.Writer, h reportHeader, results []RowResult) {
	fsync := "nats-server default (fsync every 2 min)"
	if h.opts.NATSSyncAlways {
		fsync = "sync_interval: always (fsync before every ack)"
	}
	fmt.Fprintf(w, "## couponq fleet rate-limit benchmark\n\n")
	fmt.Fprintf(w, "- command: `%s`\n", h.Command)
	fmt.Fprintf(w, "- date: %s\n", h.Date.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- machine: %s\n", h.Machine)
	fmt.Fprintf(w, "- per row, fresh processes on this machine: nats-server (JetStream file storage, %s), "+
		"the sandbox (cmd/sandbox) enforcing the real limit per sliding second, N × cmd/worker with default lanes "+
		"and headroom; the benchmark publishes the backlog with jobs.Batch before the workers start\n", fsync)
	if h.opts.SandboxNice != 0 {
		fmt.Fprintf(w, "- the sandbox ran at nice %d, so that the stand-in for the remote API is not starved of CPU by the processes it measures\n", h.opts.SandboxNice)
	} else {
		fmt.Fprintf(w, "- the sandbox ran at normal priority: where the machine is saturated it counts requests late and in bursts (see the API latency column)\n")
	}
	if h.opts.Headroom > 0 {
		fmt.Fprintf(w, "- workers' ratelimit.headroom set to %g (default 0.985)\n", h.opts.Headroom)
	}
	if h.opts.Unenforced {
		fmt.Fprintf(w, "- rows whose limits agree ran with the sandbox's limit off (real limit \"off\"): max in any 1 s shows any overshoot directly\n")
	}
	fmt.Fprintf(w, "- measured at the sandbox after a warmup (settling time for degraded rows) that starts with the first result; "+
		"redemptions (product_coupon.update rows): one busifavor.use job every %s through the queue during the window, enqueue→result; "+
		"API: the sandbox's own latency under the same load, a signed call straight to it every %[1]s, interleaved "+
		"(busifavor.use in product_coupon.update rows; busifavor.stock.get in busifavor.use rows, so as not to count against the measured limit)\n", h.opts.RedeemEvery)
	fmt.Fprintf(w, "- code: %s\n\n", h.Code)
	writeTable(w, results)
	fmt.Fprintln(w)
	writeCPUTable(w, results)
	writeNotes(w, results)
}

func writeTable(w io.Writer, results []RowResult) {
	fmt.Fprintln(w, "| job type | workers | configured /s | real limit /s | max in any 1 s | achieved /s | utilization | of configured | 429s | redemption p50 | p99 | API p50 | p99 |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for i := range results {
		r := &results[i]
		if r.Err != nil && r.window == 0 {
			fmt.Fprintf(w, "| %s | %d | %d | %s | failed: see note %d | | | | | | | | |\n", r.Type, r.Workers, r.Configured, limitText(r.Real), i+1)
			continue
		}
		limit := r.Real
		if limit == 0 {
			limit = r.Configured
		}
		qp50, qp99 := "—", "—"
		if r.Row.Probe {
			qp50, qp99 = harness.MS(harness.Percentile(r.Probe.Queued, 50)), harness.MS(harness.Percentile(r.Probe.Queued, 99))
		}
		ap50, ap99 := harness.MS(harness.Percentile(r.Probe.Direct, 50)), harness.MS(harness.Percentile(r.Probe.Direct, 99))
		fmt.Fprintf(w, "| %s | %d | %d | %s | %d | %.2f | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Type, r.Workers, r.Configured, limitText(r.Real), r.Stats.MaxAcceptedPerSecond, r.Achieved(),
			harness.Pct(r.Achieved()/float64(limit)), harness.Pct(r.Achieved()/float64(r.Configured)),
			harness.Share(r.Stats.Status429, r.Stats.Requests), qp50, qp99, ap50, ap99)
	}
}

func writeCPUTable(w io.Writer, results []RowResult) {
	fmt.Fprintln(w, "CPU during the window, in cores (machine busy of all cores; per process user+system; other = the rest of the machine: kernel, other programs):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| job type | workers | real limit /s | machine busy | sandbox | nats-server | workers (sum) | benchmark | other |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for i := range results {
		r := &results[i]
		if !r.CPU.Known {
			fmt.Fprintf(w, "| %s | %d | %s | n/a | | | | | |\n", r.Type, r.Workers, limitText(r.Real))
			continue
		}
		sb, ns, wk, bn := r.CPU.Sum(r.PIDs.Sandbox), r.CPU.Sum(r.PIDs.NATS), r.CPU.Sum(r.PIDs.Workers...), r.CPU.Sum(r.PIDs.bench)
		fmt.Fprintf(w, "| %s | %d | %s | %.2f of %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
			r.Type, r.Workers, limitText(r.Real), r.CPU.Machine, r.CPU.Cores, sb, ns, wk, bn, max(0, r.CPU.Machine-sb-ns-wk-bn))
	}
}

func writeNotes(w io.Writer, results []RowResult) {
	fmt.Fprintf(w, "\nNotes per row:\n\n")
	for i := range results {
		r := &results[i]
		var notes []string
		if r.Err != nil {
			notes = append(notes, "FAILED: "+strings.ReplaceAll(r.Err.Error(), "\n", "\n    ")+"; logs in "+r.Dir)
		}
		if r.Err != nil && r.window == 0 {
			fmt.Fprintf(w, "%d. %s, %d workers, real limit %s: %s\n", i+1, r.Type, r.Workers, limitText(r.Real), strings.Join(append(notes, r.logNotes...), ". "))
			continue
		}
		notes = append(notes, fmt.Sprintf("backlog %d jobs enqueued in %s; %d still queued after the window; window %.1f s: %d requests, %d accepted",
			r.Backlog, r.enqueueTook.Round(time.Millisecond), r.backlogLeft, r.window.Seconds(), r.Stats.Requests, r.accepted()))
		if r.backlogLeft == 0 && r.Err == nil {
			notes = append(notes, "WARNING: the backlog ran out during the window; raise --backlog")
		}
		if r.Warmup > 0 {
			notes = append(notes, fmt.Sprintf("before the window (%s warmup/settle after the first result, plus start-up): %d requests, %d 429s",
				r.Warmup, r.settle.Requests, r.settle.Status429))
		}
		if odd := r.Stats.Status4xx + r.Stats.Status5xx; odd > 0 {
			notes = append(notes, fmt.Sprintf("window answers other than 2xx/429: %d 4xx, %d 5xx", r.Stats.Status4xx, r.Stats.Status5xx))
		}
		if r.Row.Probe {
			notes = append(notes, fmt.Sprintf("redemptions: %d measured, %d without result within %s, %d publish errors",
				len(r.Probe.Queued), r.Probe.Missing, harness.ResultGrace, r.Probe.Failed))
		}
		notes = append(notes, fmt.Sprintf("direct API calls: %d, %d errors", len(r.Probe.Direct), r.Probe.DirectFailed))
		if r.Probe.DirectErr != nil {
			notes = append(notes, "last direct API error: "+r.Probe.DirectErr.Error())
		}
		if len(r.failures) > 0 {
			notes = append(notes, "failed results: "+strings.Join(r.failures, ", "))
		}
		if len(r.killed) > 0 {
			notes = append(notes, "killed after SIGTERM grace: "+strings.Join(r.killed, ", "))
		}
		if len(r.logNotes) > 0 {
			notes = append(notes, "logged (warn+): "+strings.Join(r.logNotes, "; "))
		}
		fmt.Fprintf(w, "%d. %s, %d workers, real limit %s: %s\n", i+1, r.Type, r.Workers, limitText(r.Real), strings.Join(notes, ". "))
	}
}

func limitText(real int) string {
	if real == 0 {
		return "off"
	}
	return fmt.Sprint(real)
}
