package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/couponq/couponq/jobs"
)

// Exit codes of enqueue.
const (
	exitOK = 0
	// exitFailed: a job failed or its result did not come in time (--wait),
	// or NATS could not be reached or refused jobs.
	exitFailed = 1
	// exitUsage: bad arguments, config or an unreadable file.
	exitUsage = 2
	// exitBadLines: some lines of the file were bad (the good ones were
	// published unless --strict or --dry-run).
	exitBadLines = 3
)

// enqueueOptions are the parsed flags of enqueue.
type enqueueOptions struct {
	configPath, typ, id, mchid, request, meta string
	file, format, campaign, fairnessKey       string
	priority, window                          int
	dryRun, strict, wait, noProgress          bool
	timeout                                   time.Duration
	eventTime                                 time.Time
}

const enqueueUsage = `usage:
  enqueue --type TYPE --request JSON [--id ID] [--mchid M] [--meta JSON] [--wait]
  enqueue --file jobs.jsonl|jobs.csv [--campaign ID] [--dry-run] [--strict] [--wait]
  echo '{"type":...,"request":{...}}' | enqueue [--wait]

Publishes coupon jobs to couponq.jobs.<type>. Needs only the NATS settings of
the config file: merchant keys are never read.

Safe to re-run: a job's id (its request number) is its message id, so jobs
already stored within the duplicate window (24h by default) are dropped by
JetStream and counted as duplicates; an interrupted --file run is finished by
running the same command again.

--file reads JSONL (one job object per line) or CSV (one job per row; the
header maps columns to fields, display_info.name for nested fields, see
docs/operators.md) in constant memory. Every bad line is reported with its
number; the good lines are published unless --strict. Campaign jobs get
priority 5, fairness_key = the campaign id and meta.campaign = the campaign id
unless the line or a flag says otherwise. Follow a campaign with
'couponq watch CAMPAIGN'.

exit codes: 0 all good; 1 a job failed, a result is missing (--wait) or NATS
failed; 2 bad arguments, config or file; 3 some lines were bad.

flags:
`

// RunEnqueue is the enqueue command. It publishes one job from flags, one
// job object from stdin, or the jobs of a JSONL or CSV file as a campaign;
// with --wait it waits for their results, prints them (one JSON line each)
// and names the ones missing at the timeout. It returns the exit code (see
// enqueueUsage).
func RunEnqueue(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, code, ok := parseEnqueueFlags(args, stderr)
	if !ok {
		return code
	}
	cfg, err := loadProducerConfig(o.configPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if o.file != "" {
		return runEnqueueFile(ctx, cfg, o, stdin, stdout, stderr)
	}
	return runEnqueueSingle(ctx, cfg, o, stdin, stdout, stderr)
}

func parseEnqueueFlags(args []string, stderr io.Writer) (*enqueueOptions, int, bool) {
	o := &enqueueOptions{}
	fs := flag.NewFlagSet("enqueue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), enqueueUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.configPath, "config", "", "YAML config file (default: ./config.yaml when present); only nats.*, streams.* and limits.* are used; nats.url empty means the local embedded worker at nats.listen")
	fs.StringVar(&o.typ, "type", "", "job type (busifavor.use, busifavor.stock.get, product_coupon.use, product_coupon.update); default for lines and rows without a type")
	fs.StringVar(&o.id, "id", "", "job id (default: the request number; required for busifavor.stock.get)")
	fs.StringVar(&o.mchid, "mchid", "", "merchant account (optional when the worker has one)")
	fs.StringVar(&o.request, "request", "", "the API request as JSON, path parameters included")
	fs.StringVar(&o.meta, "meta", "", "opaque JSON echoed into the result")
	fs.StringVar(&o.file, "file", "", "JSONL or CSV file of jobs (- for stdin); a campaign")
	fs.StringVar(&o.format, "format", "", "file format: jsonl or csv (default: by extension, .csv is CSV)")
	fs.StringVar(&o.campaign, "campaign", "", "campaign id, 1-64 of [0-9A-Za-z_.-] (default: from the file's name and content, the same on a re-run)")
	fs.IntVar(&o.priority, "priority", 0, "priority 1 (most urgent) to 5 (bulk) of jobs that set none (default: 5 for --file, else 3)")
	fs.StringVar(&o.fairnessKey, "fairness-key", "", "fairness key of jobs that set none (default for --file: the campaign id)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "validate every line and print the estimate; publish nothing")
	fs.BoolVar(&o.strict, "strict", false, "publish nothing when any line is bad (reads the file twice)")
	fs.BoolVar(&o.wait, "wait", false, "wait for the results, print them as JSON lines, exit 1 if any failed (keeps every id in memory: for big campaigns use 'couponq watch')")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "with --wait: how long to wait for all results")
	eventTime := fs.String("event-time", "", "RFC3339 time of the business event, used as use_time when a job has none (default: now)")
	fs.IntVar(&o.window, "window", 512, "most publishes awaiting JetStream's acknowledgement at once")
	fs.BoolVar(&o.noProgress, "no-progress", false, "no progress bar (it is shown only when stderr is a terminal)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK, false
		}
		return nil, exitUsage, false
	}
	bad := func(format string, a ...any) (*enqueueOptions, int, bool) {
		fmt.Fprintf(stderr, "enqueue: "+format+"\n", a...)
		fs.Usage()
		return nil, exitUsage, false
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	if *eventTime != "" {
		t, err := time.Parse(time.RFC3339, *eventTime)
		if err != nil {
			return bad("--event-time: %v", err)
		}
		o.eventTime = t
	}
	if !jobs.ValidPriority(o.priority) {
		return bad("--priority must be 1 to 5, got %d", o.priority)
	}
	if !jobs.ValidFairnessKey(o.fairnessKey) {
		return bad("--fairness-key must be 1-64 characters of [0-9A-Za-z_.:-], got %q", o.fairnessKey)
	}
	if o.campaign != "" && !jobs.ValidCampaignID(o.campaign) {
		return bad("--campaign must be 1-64 characters of [0-9A-Za-z_.-], not starting or ending with '.', got %q", o.campaign)
	}
	if o.file == "" && (o.campaign != "" || o.strict || o.format != "") {
		return bad("--campaign, --strict and --format need --file")
	}
	if o.file != "" && o.request != "" {
		return bad("give --file or --request, not both")
	}
	if o.window < 1 {
		return bad("--window must be at least 1")
	}
	if o.typ != "" {
		if _, err := jobs.ParseType(o.typ); err != nil {
			return bad("--type: %v", err)
		}
	}
	return o, exitOK, true
}

// checkScheduling checks a job's priority and fairness key against the
// contract (the worker checks them too).
func checkScheduling(j jobs.Job) error {
	if !jobs.ValidPriority(j.Priority) {
		return fmt.Errorf("priority: must be 1 to 5, got %d", j.Priority)
	}
	if !jobs.ValidFairnessKey(j.FairnessKey) {
		return fmt.Errorf("fairness_key: must be 1-64 characters of [0-9A-Za-z_.:-], got %q", j.FairnessKey)
	}
	return nil
}
