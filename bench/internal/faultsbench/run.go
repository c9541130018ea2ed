package faultsbench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
)

// Options are the settings of the fault matrix (command bench/faults).
type Options struct {
	// Quick runs the most valuable rows with short phases (under 2 minutes).
	Quick bool
	// Rows to run, by name; empty: all (quick: quickRows).
	Rows []string
	// Rate is the steady load in busifavor.use jobs per second; Load how
	// long it runs (the fault comes a third into it).
	Rate float64
	Load time.Duration
	// AckWait is the workers' retry.ack_wait; the partition lasts 5s longer.
	AckWait time.Duration
	// APITimeout is the workers' wechat.timeout (the hang row waits it out).
	APITimeout time.Duration
	// Outage is how long a NATS restart, leader kill, 429 storm or primary
	// host outage lasts.
	Outage time.Duration
	// Drain bounds the wait for every result after the load.
	Drain time.Duration
	// Soak, when positive, also runs the bounded soak for this long at
	// SoakLoad (a fraction) of SoakLimit jobs per second, sampling every
	// SoakEvery.
	Soak, SoakEvery time.Duration
	SoakLimit       int
	SoakLoad        float64
	Keep            bool
	TempDir         string
}

// ParseOptions parses the command line of bench/faults.
func ParseOptions(args []string, stderr io.Writer) (Options, error) {
	var o Options
	var rows string
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./bench/faults [flags]\n\nFault matrix with real processes (nats-server, cmd/sandbox, cmd/worker): one row per fault,\n"+
			"a Markdown table of jobs, results, lost, duplicated effects and recovery time. --quick: under 2 minutes.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.BoolVar(&o.Quick, "quick", false, "CI profile: the most valuable rows, short phases, ack_wait 5s, no soak")
	fs.StringVar(&rows, "rows", "", "comma-separated rows (default all; quick: "+strings.Join(quickRows, ",")+")")
	fs.Float64Var(&o.Rate, "rate", 50, "steady load, busifavor.use jobs per second (quick: 30)")
	fs.DurationVar(&o.Load, "load", 30*time.Second, "load duration per row (quick: 9s)")
	fs.DurationVar(&o.AckWait, "ack-wait", 30*time.Second, "workers' retry.ack_wait (quick: 5s)")
	fs.DurationVar(&o.APITimeout, "api-timeout", 3*time.Second, "workers' wechat.timeout (quick: 2s)")
	fs.DurationVar(&o.Outage, "outage", 10*time.Second, "length of NATS restarts, leader kills, 429 storms, primary outages (quick: 3s)")
	fs.DurationVar(&o.Drain, "drain", 3*time.Minute, "most time to wait for every result after the load (quick: 60s)")
	fs.DurationVar(&o.Soak, "soak", 5*time.Minute, "bounded soak at --soak-load of --soak-limit (0: none; quick: none)")
	fs.DurationVar(&o.SoakEvery, "soak-every", 15*time.Second, "soak sampling interval")
	fs.IntVar(&o.SoakLimit, "soak-limit", 100, "busifavor.use limit per second during the soak (workers and sandbox)")
	fs.Float64Var(&o.SoakLoad, "soak-load", 0.8, "soak load as a fraction of --soak-limit")
	fs.BoolVar(&o.Keep, "keep", false, "keep logs, configs and stores")
	fs.StringVar(&o.TempDir, "tmp", "", "parent of the temporary directory")
	if err := harness.ParseArgs(fs, args, &o.Quick, map[string]func(){
		"rate": func() { o.Rate = 30 }, "load": func() { o.Load = 9 * time.Second },
		"ack-wait": func() { o.AckWait = 5 * time.Second }, "api-timeout": func() { o.APITimeout = 2 * time.Second },
		"outage": func() { o.Outage = 3 * time.Second }, "drain": func() { o.Drain = 60 * time.Second },
		"soak": func() { o.Soak = 0 }, "rows": func() { rows = strings.Join(quickRows, ",") },
	}); err != nil {
		return o, err
	}
	var known []string
	for _, r := range faultRows(o) {
		known = append(known, r.name)
	}
	var err error
	if o.Rows, err = harness.PickNames("rows", "row", rows, known); err != nil {
		return o, err
	}
	switch {
	case o.Rate <= 0 || o.Load <= 0 || o.AckWait <= 0 || o.APITimeout <= 0 || o.Outage < 0 || o.Drain <= 0:
		return o, errors.New("rate, load, ack-wait, api-timeout and drain must be positive")
	case o.Soak > 0 && (o.SoakEvery <= 0 || o.SoakLimit < 1 || o.SoakLoad <= 0 || o.SoakLoad > 1):
		return o, errors.New("soak settings out of range")
	}
	return o, nil
}

// Run is the fault-matrix command: it builds the binaries, runs every
// row on fresh processes (and the soak), and prints the report. Exit code:
// 0 when every row ran and lost nothing, 1 otherwise, 2 for bad flags.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := ParseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "faults: %v\n", err)
		return 2
	}
	root, base, code := harness.Setup("faults", o.TempDir, "couponq-faults-", nil, stderr)
	if code != 0 {
		return code
	}
	g := &harness.Group{}
	defer g.StopAll(time.Second)
	start := time.Now()
	fmt.Fprintf(stderr, "building nats-server, sandbox and worker into %s\n", filepath.Join(base, "bin"))
	bins, err := harness.BuildBinaries(root, filepath.Join(base, "bin"))
	if err != nil {
		fmt.Fprintf(stderr, "faults: %v\n", err)
		return 1
	}
	var results []faultResult
	bad := false
	for i, r := range faultRows(o) {
		if len(o.Rows) > 0 && !contains(o.Rows, r.name) {
			continue
		}
		fmt.Fprintf(stderr, "row %s ...\n", r.name)
		res := runFaultRow(ctx, g, bins, filepath.Join(base, fmt.Sprintf("%02d-%s", i+1, r.name)), o, r)
		results = append(results, res)
		if res.err != nil || res.sum.lost > 0 || res.effects > res.sum.ok || len(res.crashed) > 0 {
			bad = true
		}
		if res.err != nil {
			fmt.Fprintf(stderr, "  FAILED: %v (logs in %s)\n", res.err, res.dir)
		} else {
			fmt.Fprintf(stderr, "  %d jobs, %d ok, %d failed, %d lost, recovery %s\n", res.sum.jobs, res.sum.ok, res.sum.failed, res.sum.lost, res.sum.recovery.Round(10*time.Millisecond))
		}
		if ctx.Err() != nil {
			break
		}
	}
	var soak *soakResult
	if o.Soak > 0 && ctx.Err() == nil {
		fmt.Fprintf(stderr, "soak %s at %.0f%% of %d/s ...\n", o.Soak, o.SoakLoad*100, o.SoakLimit)
		s := runSoak(ctx, g, bins, filepath.Join(base, "soak"), o, stderr)
		soak = &s
		bad = bad || s.err != nil || s.lost > 0
	}
	writeFaultReport(stdout, args, o, results, soak, time.Since(start))
	return harness.Finish(ctx, "faults", base, bad, o.Keep, stderr)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// rawLogLines counts lines of the workers' logs that are not JSON objects
// (every log line must be structured).
func rawLogLines(e *faultEnv) int {
	files, _ := filepath.Glob(filepath.Join(e.dir, "faults-w*.log"))
	n := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		s := bufio.NewScanner(fh)
		s.Buffer(make([]byte, 1<<20), 1<<20)
		for s.Scan() {
			line := strings.TrimSpace(s.Text())
			if line != "" && (!strings.HasPrefix(line, "{") || !json.Valid([]byte(line))) {
				n++
			}
		}
		fh.Close()
	}
	return n
}

// writeFaultReport prints the matrix as Markdown.
func writeFaultReport(w io.Writer, args []string, o Options, rs []faultResult, soak *soakResult, took time.Duration) {
	fmt.Fprintf(w, "## couponq fault matrix\n\n")
	fmt.Fprintf(w, "- command: `go run ./bench/faults %s`\n", strings.Join(args, " "))
	fmt.Fprintf(w, "- date: %s; machine: %s; took %s\n", time.Now().Format("2006-01-02 15:04"), harness.MachineInfo(), took.Round(time.Second))
	fmt.Fprintf(w, "- per row: fresh nats-server (sync_interval: always), cmd/sandbox (primary + backup listener), 3 cmd/worker processes; "+
		"steady load %.0f busifavor.use jobs/s for %s, fault at a third; ack_wait %s, wechat.timeout %s, outage %s\n\n",
		o.Rate, o.Load, o.AckWait, o.APITimeout, o.Outage)
	fmt.Fprintln(w, "| fault | jobs | results ok / failed | lost | duplicated results | effects − ok | recovery after the fault | max latency | raw log lines | notes |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		if r.err != nil {
			fmt.Fprintf(w, "| %s | — | — | — | — | — | — | — | %d | FAILED: %s |\n", r.name, r.rawLogLines, oneLine(r.err.Error()))
			continue
		}
		s := r.sum
		notes := r.note
		if len(s.codes) > 0 {
			var cs []string
			for c, n := range s.codes {
				cs = append(cs, fmt.Sprintf("%s ×%d", c, n))
			}
			sort.Strings(cs)
			notes += "; failed: " + strings.Join(cs, ", ")
		}
		if len(r.crashed) > 0 {
			notes += "; EXITED ON THEIR OWN: " + strings.Join(r.crashed, ", ")
		}
		if s.unpublished > 0 {
			notes += fmt.Sprintf("; %d publishes failed (not counted)", s.unpublished)
		}
		fmt.Fprintf(w, "| %s | %d | %d / %d | %d | %d | %d | %s | %s | %d | %s |\n", r.name, s.jobs, s.ok, s.failed, s.lost, s.dupResults,
			r.effects-s.ok, s.recovery.Round(10*time.Millisecond), s.maxLatency.Round(10*time.Millisecond), r.rawLogLines, notes)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "lost: enqueued, no result within the drain time. duplicated results: more than one result message for one job. "+
		"effects − ok: redemptions that took effect at the API minus succeeded results (> 0: an effect without its success result). "+
		"recovery: from the end of the fault until every job enqueued before it had its result.")
	if soak != nil {
		writeSoak(w, o, soak)
	}
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
