package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/examples"
	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/node"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

// runDemo runs the worker on a throw-away embedded JetStream and sandbox,
// publishes the bundled sample jobs, prints their results and exits.
func runDemo(ctx context.Context, cfg *config.Config, stdout, stderr io.Writer) int {
	dir, err := os.MkdirTemp("", "couponq-demo-")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	cfg.NATS = config.NATS{Listen: "127.0.0.1:0", StoreDir: filepath.Join(dir, "nats")}
	cfg.WeChat.Sandbox, cfg.WeChat.BaseURL, cfg.WeChat.BackupURL = true, "", ""
	cfg.WeChat.SandboxKeysDir = filepath.Join(dir, "sandbox-keys")
	cfg.Merchants = []config.Merchant{{MchID: config.DevMchID}}
	cfg.Retry.InitialInterval = 500 * time.Millisecond
	cfg.Log.Format = "console"
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log, err := newLogger(cfg.Log, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	code := make(chan int, 1)
	err = serve(ctx, cfg, log, func(rt *node.Node) {
		code <- feedDemo(ctx, rt, stdout)
		cancel()
	})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	select {
	case c := <-code:
		return c
	default:
		return 1
	}
}

// feedDemo publishes the sample jobs and prints their results.
func feedDemo(ctx context.Context, rt *node.Node, out io.Writer) int {
	samples, err := jobs.ReadJSONL(strings.NewReader(string(examples.SampleJobs)), "")
	if err != nil {
		fmt.Fprintln(out, "demo: bad sample file:", err)
		return 1
	}
	// Show a retry: the sandbox fails the first update with a 500 on the
	// primary host and again on the backup host, before it takes effect;
	// the worker backs off and tries again.
	rt.Sandbox.Inject(sandbox.Fault{Op: marketing.OpProductCouponUpdate, Kind: sandbox.FailBeforeEffect, Count: 2})
	fmt.Fprintf(out, "\ncouponq demo: embedded JetStream + WeChat Pay sandbox; publishing %d sample jobs from examples/sample-jobs.jsonl\n\n", len(samples))
	producer := jobs.NewProducer(rt.JS, jobs.ProducerConfig{Clock: rt.Clock})
	var want []string
	results := map[string]*jobs.Result{}
	// One job at a time, each awaited: two redemptions of one coupon race
	// otherwise, and the demo tells a story in order.
	for _, s := range samples {
		start := time.Now()
		pub, err := producer.Publish(ctx, s.Type, s.Job)
		var msgID string
		var bad *jobs.InvalidJobError
		switch {
		case errors.As(err, &bad):
			fmt.Fprintf(out, "  producer refused a %s job: %v\n  -> publishing it anyway, as a buggy producer would, to show the worker's handling\n", s.Type, err)
			if msgID, err = publishRaw(ctx, rt.JS, s); err != nil {
				fmt.Fprintln(out, "demo:", err)
				return 1
			}
		case err != nil:
			fmt.Fprintln(out, "demo: publish:", err)
			return 1
		default:
			msgID = pub.MsgID
			if pub.Duplicate {
				fmt.Fprintf(out, "  %s published again: JetStream dropped the duplicate (one job, one result)\n", pub.MsgID)
				continue
			}
		}
		actx, cancel := context.WithTimeout(ctx, time.Minute)
		got, err := jobs.AwaitResults(actx, rt.JS, []string{msgID}, start.Add(-time.Second), nil)
		cancel()
		if err != nil {
			fmt.Fprintln(out, "demo:", err)
			return 1
		}
		want = append(want, msgID)
		results[msgID] = got[msgID]
	}
	printResults(out, want, results)
	dlq := 0
	if s, err := rt.JS.Stream(ctx, jobs.DLQStream); err == nil {
		if info, err := s.Info(ctx); err == nil {
			dlq = int(info.State.Msgs)
		}
	}
	fmt.Fprintf(out, "\n%d results, %d dead letters (stream %s). The sandbox applied: ", len(results), dlq, jobs.DLQStream)
	parts := []string{}
	for _, op := range marketing.Operations() {
		st := rt.Sandbox.Stats(op)
		parts = append(parts, fmt.Sprintf("%s %d effects/%d requests", op, rt.Sandbox.Effects(op), st.Requests))
	}
	fmt.Fprintln(out, strings.Join(parts, ", ")+".")
	fmt.Fprintln(out, "Next: `go run ./cmd/worker` keeps a worker running (dashboard and metrics at http://"+config.DefaultDevHTTPListen+"/);")
	fmt.Fprintln(out, "      `go run ./cmd/enqueue --file examples/sample-jobs.jsonl --wait` feeds it; `go run ./cmd/couponq stats` shows the queues.")
	return 0
}

// publishRaw publishes a job's bytes without the producer's checks.
func publishRaw(ctx context.Context, js jetstream.JetStream, s jobs.TypedJob) (string, error) {
	data, err := json.Marshal(s.Job)
	if err != nil {
		return "", err
	}
	id := s.ID
	if id == "" {
		var req map[string]any
		_ = json.Unmarshal(s.Request, &req)
		for _, k := range []string{"out_request_no", "use_request_no"} {
			if v, ok := req[k].(string); ok {
				id = v
			}
		}
	}
	msgID := jobs.MsgID(s.Type, id)
	_, err = js.PublishMsg(ctx, &nats.Msg{Subject: jobs.JobSubject(s.Type), Data: data, Header: nats.Header{}}, jetstream.WithMsgID(msgID))
	return msgID, err
}

func printResults(out io.Writer, order []string, results map[string]*jobs.Result) {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSTATUS\tATTEMPTS\tHTTP\tOUTCOME")
	for _, id := range order {
		r := results[id]
		if r == nil {
			fmt.Fprintf(tw, "%s\t(no result)\t\t\t\n", id)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", id, r.Status, r.Attempts, httpStatus(r.HTTPStatus), outcomeText(r))
	}
	_ = tw.Flush()
}

func httpStatus(s int) string {
	if s == 0 {
		return "-"
	}
	return fmt.Sprint(s)
}

func outcomeText(r *jobs.Result) string {
	if r.Error != nil {
		return fmt.Sprintf("%s: %s", r.Error.Code, truncate(r.Error.Message, 90))
	}
	return truncate(string(r.Response), 90)
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
