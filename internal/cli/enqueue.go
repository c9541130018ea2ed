package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/internal/node"
	"github.com/couponq/couponq/jobs"
)

// RunEnqueue is the enqueue command. It publishes one job from flags, one
// job object from stdin, or the jobs of a JSONL file; with --wait it waits
// for their results, prints them (one JSON line each) and exits 1 if any
// failed. It returns the process exit code.
func RunEnqueue(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("enqueue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML config file (default: ./config.yaml when present); nats.url empty means the local embedded worker at nats.listen")
	typ := fs.String("type", "", "job type (busifavor.use, busifavor.stock.get, product_coupon.use, product_coupon.update); default for lines without \"type\"")
	id := fs.String("id", "", "job id (default: the request number; required for busifavor.stock.get)")
	mchid := fs.String("mchid", "", "merchant account (optional when the worker has one)")
	request := fs.String("request", "", "the API request as JSON, path parameters included")
	meta := fs.String("meta", "", "opaque JSON echoed into the result")
	file := fs.String("file", "", "JSONL file of jobs, one {\"type\":...,\"request\":{...}} per line; - for stdin")
	wait := fs.Bool("wait", false, "wait for the results, print them, exit 1 if any failed")
	timeout := fs.Duration("timeout", 2*time.Minute, "with --wait: how long to wait for all results")
	eventTime := fs.String("event-time", "", "RFC3339 time of the business event, used as use_time when a job has none (default: now)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var opts []jobs.PublishOption
	if *eventTime != "" {
		t, err := time.Parse(time.RFC3339, *eventTime)
		if err != nil {
			fmt.Fprintln(stderr, "--event-time:", err)
			return 2
		}
		opts = append(opts, jobs.EventTime(t))
	}
	list, err := readJobs(stdin, *file, *typ, *id, *mchid, *request, *meta)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	nc, err := node.ConnectNATS(cfg.NATS, cfg.NATS.ClientURL(), "couponq-enqueue", zap.NewNop())
	if err != nil {
		fmt.Fprintf(stderr, "%v (is a worker running? with nats.url empty, enqueue talks to the worker's embedded server at %s)\n", err, cfg.NATS.Listen)
		return 1
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	start := time.Now()
	want, anyDuplicate, bad := publishAll(ctx, js, list, opts, stdout, stderr)
	if bad > 0 && len(want) == 0 {
		return 2
	}
	if !*wait {
		if bad > 0 {
			return 2
		}
		return 0
	}
	since := start.Add(-time.Second)
	if anyDuplicate {
		since = time.Time{} // a duplicate's result may be older than this run
	}
	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	enc := json.NewEncoder(stdout)
	failed := 0
	_, err = jobs.AwaitResults(wctx, js, want, since, func(r *jobs.Result) {
		if !r.Succeeded() {
			failed++
		}
		_ = enc.Encode(r)
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if failed > 0 || bad > 0 {
		fmt.Fprintf(stderr, "%d of %d jobs failed\n", failed+bad, len(want)+bad)
		return 1
	}
	return 0
}

// readJobs gathers the jobs to publish from a file, flags or stdin.
func readJobs(stdin io.Reader, file, typ, id, mchid, request, meta string) ([]jobs.TypedJob, error) {
	switch {
	case file != "":
		r := stdin
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return nil, fmt.Errorf("--file: %w", err)
			}
			defer func() { _ = f.Close() }()
			r = f
		}
		return jobs.ReadJSONL(r, jobs.Type(typ))
	case request != "":
		if typ == "" {
			return nil, errors.New("--type is required with --request")
		}
		j := jobs.TypedJob{Type: jobs.Type(typ), Job: jobs.Job{ID: id, MchID: mchid, Request: json.RawMessage(request)}}
		if meta != "" {
			j.Meta = json.RawMessage(meta)
		}
		if _, err := jobs.ParseType(typ); err != nil {
			return nil, err
		}
		return []jobs.TypedJob{j}, nil
	default:
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		if strings.TrimSpace(string(data)) == "" {
			return nil, errors.New("nothing to enqueue: give --request with --type, --file, or a job object on stdin")
		}
		j, err := jobs.ParseTypedJob([]byte(strings.TrimSpace(string(data))), jobs.Type(typ))
		if err != nil {
			return nil, err
		}
		if id != "" {
			j.ID = id
		}
		if mchid != "" {
			j.MchID = mchid
		}
		return []jobs.TypedJob{j}, nil
	}
}

// publishAll publishes list in one asynchronous batch, reporting each job.
func publishAll(ctx context.Context, js jetstream.JetStream, list []jobs.TypedJob, opts []jobs.PublishOption, stdout, stderr io.Writer) (want []string, anyDuplicate bool, bad int) {
	p := jobs.NewProducer(js, jobs.ProducerConfig{})
	seen := map[string]bool{}
	batch := p.NewBatch(jobs.BatchConfig{OnDone: func(prep *jobs.Prepared, pub *jobs.Published, err error) {
		switch {
		case err != nil:
			bad++
			fmt.Fprintf(stderr, "not enqueued %s: %v\n", prep.MsgID, err)
		case pub.Duplicate:
			anyDuplicate = true
			fmt.Fprintf(stderr, "duplicate %s (already enqueued; one result)\n", pub.MsgID)
		default:
			fmt.Fprintf(stderr, "enqueued %s seq=%d\n", pub.MsgID, pub.Sequence)
		}
		if err == nil && !seen[pub.MsgID] {
			seen[pub.MsgID] = true
			want = append(want, pub.MsgID)
		}
	}})
	for i, j := range list {
		if err := batch.Add(ctx, j.Type, j.Job, opts...); err != nil {
			bad++
			fmt.Fprintf(stderr, "job %d (%s) refused: %v\n", i+1, j.Type, err)
		}
	}
	if _, err := batch.Wait(ctx); err != nil {
		fmt.Fprintln(stderr, err)
	}
	_ = stdout
	return want, anyDuplicate, bad
}
