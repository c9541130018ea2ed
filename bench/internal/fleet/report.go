package fleet

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// reportHeader is what the run was: command, date, machine, setup.
type reportHeader struct {
	command string
	date    time.Time
	machine string
	code    string // commit and working-tree state
	opts    Options
}

// writeReport prints the Markdown report: header, the main table, CPU per
// row and notes.
func writeReport(w io.Writer, h reportHeader, results []rowResult) {
	fsync := "nats-server default (fsync every 2 min)"
	if h.opts.NATSSyncAlways {
		fsync = "sync_interval: always (fsync before every ack)"
	}
	fmt.Fprintf(w, "## couponq fleet rate-limit benchmark\n\n")
	fmt.Fprintf(w, "- command: `%s`\n", h.command)
	fmt.Fprintf(w, "- date: %s\n", h.date.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- machine: %s\n", h.machine)
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
	fmt.Fprintf(w, "- code: %s\n\n", h.code)
	writeTable(w, results)
	fmt.Fprintln(w)
	writeCPUTable(w, results)
	writeNotes(w, results)
}

func writeTable(w io.Writer, results []rowResult) {
	fmt.Fprintln(w, "| job type | workers | configured /s | real limit /s | max in any 1 s | achieved /s | utilization | of configured | 429s | redemption p50 | p99 | API p50 | p99 |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for i := range results {
		r := &results[i]
		if r.err != nil && r.window == 0 {
			fmt.Fprintf(w, "| %s | %d | %d | %s | failed: see note %d | | | | | | | | |\n", r.typ, r.workers, r.configured, limitText(r.real), i+1)
			continue
		}
		limit := r.real
		if limit == 0 {
			limit = r.configured
		}
		qp50, qp99 := "—", "—"
		if r.row.probe {
			qp50, qp99 = ms(percentile(r.probe.queued, 50)), ms(percentile(r.probe.queued, 99))
		}
		ap50, ap99 := ms(percentile(r.probe.direct, 50)), ms(percentile(r.probe.direct, 99))
		fmt.Fprintf(w, "| %s | %d | %d | %s | %d | %.2f | %s | %s | %s | %s | %s | %s | %s |\n",
			r.typ, r.workers, r.configured, limitText(r.real), r.stats.MaxAcceptedPerSecond, r.achieved(),
			pct(r.achieved()/float64(limit)), pct(r.achieved()/float64(r.configured)),
			share(r.stats.Status429, r.stats.Requests), qp50, qp99, ap50, ap99)
	}
}

func writeCPUTable(w io.Writer, results []rowResult) {
	fmt.Fprintln(w, "CPU during the window, in cores (machine busy of all cores; per process user+system; other = the rest of the machine: kernel, other programs):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| job type | workers | real limit /s | machine busy | sandbox | nats-server | workers (sum) | benchmark | other |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for i := range results {
		r := &results[i]
		if !r.cpu.known {
			fmt.Fprintf(w, "| %s | %d | %s | n/a | | | | | |\n", r.typ, r.workers, limitText(r.real))
			continue
		}
		sb, ns, wk, bn := r.cpu.sum(r.pids.sandbox), r.cpu.sum(r.pids.nats), r.cpu.sum(r.pids.workers...), r.cpu.sum(r.pids.bench)
		fmt.Fprintf(w, "| %s | %d | %s | %.2f of %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
			r.typ, r.workers, limitText(r.real), r.cpu.machine, r.cpu.cores, sb, ns, wk, bn, max(0, r.cpu.machine-sb-ns-wk-bn))
	}
}

func writeNotes(w io.Writer, results []rowResult) {
	fmt.Fprintf(w, "\nNotes per row:\n\n")
	for i := range results {
		r := &results[i]
		var notes []string
		if r.err != nil {
			notes = append(notes, "FAILED: "+strings.ReplaceAll(r.err.Error(), "\n", "\n    ")+"; logs in "+r.dir)
		}
		if r.err != nil && r.window == 0 {
			fmt.Fprintf(w, "%d. %s, %d workers, real limit %s: %s\n", i+1, r.typ, r.workers, limitText(r.real), strings.Join(append(notes, r.logNotes...), ". "))
			continue
		}
		notes = append(notes, fmt.Sprintf("backlog %d jobs enqueued in %s; %d still queued after the window; window %.1f s: %d requests, %d accepted",
			r.backlog, r.enqueueTook.Round(time.Millisecond), r.backlogLeft, r.window.Seconds(), r.stats.Requests, r.accepted()))
		if r.backlogLeft == 0 && r.err == nil {
			notes = append(notes, "WARNING: the backlog ran out during the window; raise --backlog")
		}
		if r.warmup > 0 {
			notes = append(notes, fmt.Sprintf("before the window (%s warmup/settle after the first result, plus start-up): %d requests, %d 429s",
				r.warmup, r.settle.Requests, r.settle.Status429))
		}
		if odd := r.stats.Status4xx + r.stats.Status5xx; odd > 0 {
			notes = append(notes, fmt.Sprintf("window answers other than 2xx/429: %d 4xx, %d 5xx", r.stats.Status4xx, r.stats.Status5xx))
		}
		if r.row.probe {
			notes = append(notes, fmt.Sprintf("redemptions: %d measured, %d without result within %s, %d publish errors",
				len(r.probe.queued), r.probe.missing, resultGrace, r.probe.failed))
		}
		notes = append(notes, fmt.Sprintf("direct API calls: %d, %d errors", len(r.probe.direct), r.probe.directFailed))
		if r.probe.directErr != nil {
			notes = append(notes, "last direct API error: "+r.probe.directErr.Error())
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
		fmt.Fprintf(w, "%d. %s, %d workers, real limit %s: %s\n", i+1, r.typ, r.workers, limitText(r.real), strings.Join(notes, ". "))
	}
}

func limitText(real int) string {
	if real == 0 {
		return "off"
	}
	return fmt.Sprint(real)
}
