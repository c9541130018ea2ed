package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/jobs"
)

func runStats(ctx context.Context, args []string, env *adminEnv) int {
	fs, configPath := newFlags("stats", "stats [--json]", env)
	asJSON := fs.Bool("json", false, "print as JSON")
	if code, ok := parseFlags(fs, args, 0, 0); !ok {
		return code
	}
	_, nc, js, ok := connectAdmin(*configPath, env)
	if !ok {
		return exitFailed
	}
	defer nc.Close()
	st, err := admin.CollectStats(ctx, js)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitFailed
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(st)
		return exitOK
	}
	printStats(env.stdout, st)
	return exitOK
}

// printStats renders a Stats as tables (the golden test pins the layout).
func printStats(w io.Writer, st *admin.Stats) {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tQUEUED\tPENDING\tIN FLIGHT\tREDELIVERED\tDEAD: OPERATIONAL\tDEAD: REJECTED\tSTATE")
	for _, t := range st.Types {
		state := "running"
		if t.Paused != nil {
			state = fmt.Sprintf("PAUSED by %s since %s: %s", dash(t.Paused.By), formatTime(t.Paused.At), dash(t.Paused.Reason))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", t.Type, t.Queued, t.Pending, t.InFlight, t.Redelivered, t.DeadOperational, t.DeadRejected, state)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\nworkers: %d live\n", st.Workers)
	if !st.FlowsStream {
		fmt.Fprintf(w, "flows: no %s stream (the workers queue per type only)\n", admin.FlowsStream)
		return
	}
	if len(st.Flows) == 0 {
		fmt.Fprintln(w, "flows: no backlog")
		return
	}
	fmt.Fprintln(w, "\nbacklog per flow:")
	tw = tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tMCHID\tPRIORITY\tBACKLOG\tFAIRNESS KEYS")
	for _, f := range st.Flows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", f.Type, f.MchID, f.Priority, f.Backlog, f.Keys)
	}
	_ = tw.Flush()
}

func runPause(ctx context.Context, args []string, env *adminEnv) int {
	fs, configPath := newFlags("pause", "pause TYPE [--reason TEXT]", env)
	reason := fs.String("reason", "", "why (shown by stats)")
	if code, ok := parseFlags(fs, args, 1, 1); !ok {
		return code
	}
	t, err := jobs.ParseType(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitUsage
	}
	cfg, nc, js, ok := connectAdmin(*configPath, env)
	if !ok {
		return exitFailed
	}
	defer nc.Close()
	p := jobs.Pause{By: operatorName(), Reason: *reason, At: time.Now().UTC()}
	if err := admin.PauseType(ctx, js, cfg.Streams.Replicas, t, p); err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitFailed
	}
	fmt.Fprintf(env.stdout, "paused %s: workers take no new jobs of this type (jobs in flight finish; new jobs queue up)\nresume: couponq resume %s\n", t, t)
	return exitOK
}

func runResume(ctx context.Context, args []string, env *adminEnv) int {
	fs, configPath := newFlags("resume", "resume TYPE", env)
	if code, ok := parseFlags(fs, args, 1, 1); !ok {
		return code
	}
	t, err := jobs.ParseType(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitUsage
	}
	_, nc, js, ok := connectAdmin(*configPath, env)
	if !ok {
		return exitFailed
	}
	defer nc.Close()
	was, err := admin.ResumeType(ctx, js, t)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitFailed
	}
	if !was {
		fmt.Fprintf(env.stdout, "%s was not paused\n", t)
		return exitOK
	}
	fmt.Fprintf(env.stdout, "resumed %s\n", t)
	return exitOK
}

// operatorName is "user@host" for pause records.
func operatorName() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		name += "@" + h
	}
	return name
}
