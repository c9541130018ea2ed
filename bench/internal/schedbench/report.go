package schedbench

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
)

// writeSchedReport prints the scheduling benchmark's Markdown report.
func writeSchedReport(w io.Writer, h harness.Header, o Options, reports []*schedReport, took time.Duration) {
	fmt.Fprintf(w, "## couponq flow scheduling benchmark\n\n")
	fmt.Fprintf(w, "- command: `%s` (took %s)\n", h.Command, took.Round(time.Second))
	fmt.Fprintf(w, "- date: %s\n", h.Date.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- machine: %s\n", h.Machine)
	fmt.Fprintf(w, "- per scenario, fresh processes on this machine: nats-server (JetStream, file storage, default fsync), "+
		"the sandbox (cmd/sandbox) enforcing the real limits per merchant per sliding second, %d × cmd/worker with default settings\n", o.Workers)
	if o.SandboxNice != 0 {
		fmt.Fprintf(w, "- the sandbox ran at nice %d, so that the stand-in for the remote API is not starved of CPU by the processes it measures\n", o.SandboxNice)
	} else {
		fmt.Fprintf(w, "- the sandbox ran at normal priority\n")
	}
	fmt.Fprintf(w, "- latencies are enqueue→result at the benchmark (before the publish to the result's arrival); API latency is a signed call of "+
		"the same operation straight to the sandbox by an otherwise idle merchant, every %s, interleaved with the probes\n", o.ProbeEvery)
	fmt.Fprintf(w, "- code: %s\n\n", h.Code)
	fmt.Fprintln(w, "| scenario | figure | measured | target | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range reports {
		if r.err != nil && len(r.findings) == 0 {
			fmt.Fprintf(w, "| %s | failed | see notes | | |\n", r.name)
		}
		for _, f := range r.findings {
			met := ""
			switch f.met {
			case 1:
				met = "yes"
			case -1:
				met = "**no**"
			}
			target := f.target
			if target == "" {
				target = "—"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", f.scenario, f.figure, f.measured, target, met)
		}
	}
	fmt.Fprintf(w, "\nNotes per scenario:\n\n")
	for _, r := range reports {
		var notes []string
		if r.err != nil {
			notes = append(notes, "FAILED: "+strings.ReplaceAll(r.err.Error(), "\n", "\n    ")+"; logs in "+strings.Join(r.dirs, ", "))
		}
		notes = append(notes, r.notes...)
		if len(r.killed) > 0 {
			notes = append(notes, "killed after SIGTERM grace: "+strings.Join(r.killed, ", "))
		}
		if len(r.logNotes) > 0 {
			notes = append(notes, "logged (warn+): "+strings.Join(r.logNotes, "; "))
		}
		fmt.Fprintf(w, "- %s (%s): %s\n", r.name, r.took.Round(time.Second), strings.Join(notes, ". "))
	}
}
