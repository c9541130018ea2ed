package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/jobs"
)

func runResults(ctx context.Context, args []string, env *adminEnv) int {
	fs, configPath := newFlags("results", "results [--type T] [--status succeeded|failed] [--id ID] [--campaign C] [--since 1h|RFC3339] [--follow] [--limit N] [--table]", env)
	var types, ids listFlag
	fs.Var(&types, "type", "job type (repeat or comma-separate)")
	fs.Var(&ids, "id", "job id (repeat or comma-separate); a replay's result has the same id and \"replay\": N")
	status := fs.String("status", "", "succeeded or failed")
	campaign := fs.String("campaign", "", "campaign id (meta.campaign)")
	since := fs.String("since", "", "results stored since a duration ago (90m) or a time (RFC3339); default: all kept")
	follow := fs.Bool("follow", false, "after the stored results, print new ones as they come, until interrupted")
	limit := fs.Int("limit", 0, "stop after N results (0: no limit)")
	table := fs.Bool("table", false, "a table instead of JSON lines")
	if code, ok := parseFlags(fs, args, 0, 0); !ok {
		return code
	}
	f := admin.ResultFilter{IDs: ids, Campaign: *campaign, Follow: *follow}
	for _, t := range types {
		pt, err := jobs.ParseType(t)
		if err != nil {
			fmt.Fprintln(env.stderr, "--type:", err)
			return exitUsage
		}
		f.Types = append(f.Types, pt)
	}
	switch jobs.Status(*status) {
	case "", jobs.StatusSucceeded, jobs.StatusFailed:
		f.Status = jobs.Status(*status)
	default:
		fmt.Fprintf(env.stderr, "--status must be succeeded or failed, got %q\n", *status)
		return exitUsage
	}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			fmt.Fprintln(env.stderr, "--since:", err)
			return exitUsage
		}
		f.Since = t
	}
	_, nc, js, ok := connectAdmin(*configPath, env)
	if !ok {
		return exitFailed
	}
	defer nc.Close()
	enc := json.NewEncoder(env.stdout)
	tw := tabwriter.NewWriter(env.stdout, 0, 2, 2, ' ', 0)
	if *table {
		fmt.Fprintln(tw, "SEQ\tFINISHED\tTYPE\tID\tSTATUS\tATTEMPTS\tHTTP\tCODE\tREQUEST-ID\tCAMPAIGN")
	}
	n := 0
	err := admin.ScanResults(ctx, js, f, func(r *admin.StoredResult) error {
		n++
		if *table {
			code := "-"
			if r.Error != nil {
				code = r.Error.Code
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", r.Seq, formatTime(r.FinishedAt), r.Type, replayID(r.ID, r.Replay),
				r.Status, r.Attempts, httpStatus(r.HTTPStatus), code, dash(r.RequestID), dash(r.Campaign))
			if *follow {
				_ = tw.Flush()
			}
		} else if err := enc.Encode(r.Result); err != nil {
			return err
		}
		if *limit > 0 && n >= *limit {
			return admin.ErrStop
		}
		return nil
	})
	_ = tw.Flush()
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitFailed
	}
	fmt.Fprintf(env.stderr, "%d results\n", n)
	return exitOK
}

// parseSince reads "90m" (that long before now) or an RFC3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration (90m) nor an RFC3339 time", s)
	}
	return t, nil
}
