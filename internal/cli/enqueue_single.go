package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/jobs"
)

// runEnqueueSingle publishes one job given by flags or as an object on stdin.
func runEnqueueSingle(ctx context.Context, cfg *config.Config, o *enqueueOptions, stdin io.Reader, stdout, stderr io.Writer) int {
	j, err := singleJob(stdin, o)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if j.Priority == 0 {
		j.Priority = o.priority
	}
	if j.FairnessKey == "" {
		j.FairnessKey = o.fairnessKey
	}
	if err := checkScheduling(j.Job); err != nil {
		fmt.Fprintln(stderr, "refused:", err)
		return exitBadLines
	}
	prep, err := jobs.Prepare(j.Type, j.Job, eventTimeOr(o))
	if err != nil {
		fmt.Fprintln(stderr, "refused:", err)
		return exitBadLines
	}
	if o.dryRun {
		fmt.Fprintf(stderr, "valid: %s (dry run, not published)\n", prep.MsgID)
		return exitOK
	}
	nc, js, ok := connectTool(cfg, "couponq-enqueue", stderr)
	if !ok {
		return exitFailed
	}
	defer nc.Close()
	start := ctx
	pub, err := jobs.NewProducer(js, jobs.ProducerConfig{}).PublishPrepared(start, prep)
	if err != nil {
		fmt.Fprintln(stderr, "not enqueued:", err)
		return exitFailed
	}
	if pub.Duplicate {
		fmt.Fprintf(stderr, "duplicate %s (already enqueued; one result)\n", pub.MsgID)
	} else {
		fmt.Fprintf(stderr, "enqueued %s seq=%d\n", pub.MsgID, pub.Sequence)
	}
	if !o.wait {
		return exitOK
	}
	return awaitAndPrint(ctx, js, []string{pub.MsgID}, pub.Duplicate, o, stdout, stderr)
}

// singleJob reads the job from flags or stdin.
func singleJob(stdin io.Reader, o *enqueueOptions) (jobs.TypedJob, error) {
	if o.request != "" {
		if o.typ == "" {
			return jobs.TypedJob{}, errors.New("--type is required with --request")
		}
		j := jobs.TypedJob{Type: jobs.Type(o.typ), Job: jobs.Job{ID: o.id, MchID: o.mchid, Request: json.RawMessage(o.request)}}
		if o.meta != "" {
			j.Meta = json.RawMessage(o.meta)
		}
		return j, nil
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		return jobs.TypedJob{}, fmt.Errorf("read stdin: %w", err)
	}
	if strings.TrimSpace(string(data)) == "" {
		return jobs.TypedJob{}, errors.New("nothing to enqueue: give --request with --type, --file, or a job object on stdin (see --help)")
	}
	j, err := jobs.ParseTypedJob([]byte(strings.TrimSpace(string(data))), jobs.Type(o.typ))
	if err != nil {
		return j, err
	}
	if o.id != "" {
		j.ID = o.id
	}
	if o.mchid != "" {
		j.MchID = o.mchid
	}
	if o.meta != "" {
		j.Meta = json.RawMessage(o.meta)
	}
	return j, nil
}
