package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/jobs"
)

// stockLines returns n JSONL stock queries with ids prefix-1..n.
func stockLines(prefix string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"type":"busifavor.stock.get","id":"%s-%d","request":{"stock_id":"100088"}}`+"\n", prefix, i)
	}
	return b.String()
}

func TestEnqueueCSVCampaign(t *testing.T) {
	b := adminSetup(t)
	csv := b.writeFile(t, "updates.csv",
		"product_coupon_id,out_request_no,brand_id,display_info.name,display_info.image_url,display_info.background_url,meta.row\n"+
			"1000000013,UPD-000001,120344,Spring sale,https://x/i.png,https://x/b.png,1\n"+
			"1000000013,UPD-000002,120344,Spring sale 2,https://x/i.png,https://x/b.png,2\n")
	code, _, stderr := b.enqueue(t, nil, "--file", csv, "--type", "product_coupon.update", "--campaign", "spring")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "estimate: ~2 jobs")
	assert.Contains(t, stderr, "product_coupon.update  merchant (default)")
	assert.Contains(t, stderr, "campaign spring: 3 lines read, 2 jobs enqueued (2 new, 0 already enqueued), 0 bad lines")
	bodies, ids := b.jobsOnStream(t)
	require.Len(t, bodies, 2)
	assert.Equal(t, []string{"product_coupon.update/UPD-000001", "product_coupon.update/UPD-000002"}, ids)
	for i, j := range bodies {
		assert.Equal(t, 5, j.Priority, "campaign jobs are bulk work")
		assert.Equal(t, "spring", j.FairnessKey)
		assert.JSONEq(t, fmt.Sprintf(`{"campaign":"spring","row":"%d"}`, i+1), string(j.Meta))
	}
	c, err := admin.GetCampaign(b.ctx, b.srv.JS, "spring")
	require.NoError(t, err)
	require.NotNil(t, c)
	assert.Equal(t, int64(2), c.Total)
	assert.Equal(t, jobs.CampaignPublished, c.State)
	assert.Equal(t, []jobs.Type{jobs.TypeProductCouponUpdate}, c.Types)

	// Flags override the campaign defaults; a line's own values win.
	lines := b.writeFile(t, "own.jsonl", `{"type":"busifavor.stock.get","id":"own-1","priority":1,"request":{"stock_id":"1"}}`+"\n"+
		`{"type":"busifavor.stock.get","id":"own-2","fairness_key":"brand:9","meta":{"k":"v"},"request":{"stock_id":"1"}}`+"\n")
	code, _, stderr = b.enqueue(t, nil, "--file", lines, "--priority", "4", "--fairness-key", "fk-x", "--campaign", "own")
	require.Equal(t, 0, code, stderr)
	bodies, _ = b.jobsOnStream(t)
	require.Len(t, bodies, 4)
	assert.Equal(t, [2]any{1, "fk-x"}, [2]any{bodies[2].Priority, bodies[2].FairnessKey})
	assert.Equal(t, [2]any{4, "brand:9"}, [2]any{bodies[3].Priority, bodies[3].FairnessKey})
	assert.JSONEq(t, `{"k":"v","campaign":"own"}`, string(bodies[3].Meta))
}

func TestEnqueueBadLinesAreReportedAndGoodOnesGo(t *testing.T) {
	b := adminSetup(t)
	file := b.writeFile(t, "mixed.jsonl", strings.Join([]string{
		`{"type":"busifavor.stock.get","id":"ok-1","request":{"stock_id":"100088"}}`,
		`{"type":"busifavor.stock.get","id":"ok-2","request":{"stock_id":"100088"}`,
		`{"type":"busifavor.stock.get","id":"bad id!","request":{"stock_id":"100088"}}`,
		`{"type":"busifavor.stock.get","id":"meta-1","meta":[1],"request":{"stock_id":"100088"}}`,
		`{"type":"busifavor.stock.get","id":"prio-1","priority":9,"request":{"stock_id":"100088"}}`,
		"{\"type\":\"busifavor.stock.get\",\"id\":\"enc-1\",\"request\":{\"stock_id\":\"\xc4\xe3\"}}",
		`{"type":"busifavor.stock.get","id":"ok-3","request":{"stock_id":"100088"}}`,
	}, "\n"))

	// --dry-run validates everything and needs no NATS at all.
	offline := b.writeFile(t, "offline.yaml", "nats:\n  url: nats://127.0.0.1:1\n")
	var out, errOut strings.Builder
	code := runEnqueue(t, []string{"--config", offline, "--file", file, "--dry-run"}, &out, &errOut)
	assert.Equal(t, 3, code)
	stderr := errOut.String()
	for _, want := range []string{
		"line 2: not a job object: ",
		"line 3: id: must be 1-64 characters of [0-9A-Za-z_.:-]",
		"line 4: meta: must be a JSON object (it carries the campaign id)",
		"line 5: priority: must be 1 to 5, got 9",
		"line 6: not valid UTF-8",
		"2 valid jobs, 5 bad lines",
	} {
		assert.Contains(t, stderr, want)
	}

	// --strict publishes nothing when a line is bad.
	code, _, stderr = b.enqueue(t, nil, "--file", file, "--strict")
	assert.Equal(t, 3, code)
	assert.Contains(t, stderr, "nothing published: --strict")
	assert.Equal(t, uint64(0), b.streamMsgs(t, jobs.JobsStream))

	// Without --strict the good lines go, and the exit code says some were bad.
	code, _, stderr = b.enqueue(t, nil, "--file", file, "--campaign", "mixed")
	assert.Equal(t, 3, code)
	assert.Contains(t, stderr, "line 5: priority: must be 1 to 5, got 9")
	assert.Contains(t, stderr, "2 jobs enqueued (2 new, 0 already enqueued), 5 bad lines")
	_, ids := b.jobsOnStream(t)
	assert.Equal(t, []string{"busifavor.stock.get/ok-1", "busifavor.stock.get/ok-3"}, ids)

	// An empty file, and a CSV with the wrong column count.
	empty := b.writeFile(t, "empty.jsonl", "")
	code, _, stderr = b.enqueue(t, nil, "--file", empty)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "the file has no jobs")
	csv := b.writeFile(t, "cols.csv", "id,stock_id\nc-1,100088\nc-2\nc-3,100088,x\n")
	code, _, stderr = b.enqueue(t, nil, "--file", csv, "--type", "busifavor.stock.get")
	assert.Equal(t, 3, code)
	assert.Contains(t, stderr, "line 3: has 1 fields, the header has 2")
	assert.Contains(t, stderr, "line 4: has 3 fields, the header has 2")
	utf16 := b.writeFile(t, "u16.csv", "\xFF\xFEi\x00d\x00")
	code, _, stderr = b.enqueue(t, nil, "--file", utf16, "--type", "busifavor.stock.get")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "UTF-16")
}

func runEnqueue(t *testing.T, args []string, out, errOut io.Writer) int {
	t.Helper()
	return cliRunEnqueue(context.Background(), args, strings.NewReader(""), out, errOut)
}

// An interrupted run, then the same command again: every job once.
func TestEnqueueInterruptedAndResumed(t *testing.T) {
	b := adminSetup(t)
	const n, first = 200, 120
	all := stockLines("r", n)
	file := b.writeFile(t, "run.jsonl", all)

	// The first run reads stdin; it is interrupted after `first` lines.
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan struct {
		code   int
		stderr string
	}, 1)
	go func() {
		code, _, stderr := b.enqueueCtx(ctx, t, pr, "--file", "-", "--campaign", "resume-me")
		done <- struct {
			code   int
			stderr string
		}{code, stderr}
	}()
	_, err := io.WriteString(pw, strings.Join(strings.SplitAfter(all, "\n")[:first], ""))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return b.streamMsgs(t, jobs.JobsStream) == first }, natsWait, pollEvery)
	cancel()
	require.NoError(t, pw.Close())
	r := <-done
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "interrupted: run the same command again")
	c, err := admin.GetCampaign(b.ctx, b.srv.JS, "resume-me")
	require.NoError(t, err)
	assert.Equal(t, int64(first), c.Total)
	assert.Equal(t, jobs.CampaignInterrupted, c.State)

	// The re-run publishes the rest; what is stored is a duplicate.
	code, _, stderr := b.enqueue(t, nil, "--file", file, "--campaign", "resume-me")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, fmt.Sprintf("%d jobs enqueued (%d new, %d already enqueued)", n, n-first, first))
	assert.Contains(t, stderr, fmt.Sprintf("(%d duplicates not named)", first-10))
	_, ids := b.jobsOnStream(t)
	require.Len(t, ids, n)
	seen := map[string]bool{}
	for _, id := range ids {
		assert.False(t, seen[id], "published twice: %s", id)
		seen[id] = true
	}
	c, err = admin.GetCampaign(b.ctx, b.srv.JS, "resume-me")
	require.NoError(t, err)
	assert.Equal(t, int64(n), c.Total, "the manifest counts each job once")
	assert.Equal(t, jobs.CampaignPublished, c.State)
	assert.Equal(t, 2, c.Runs)
}

// --wait names the jobs whose results did not come.
func TestEnqueueWaitNamesMissingJobs(t *testing.T) {
	b := adminSetup(t)
	file := b.writeFile(t, "w.jsonl", stockLines("w", 3))
	b.result(t, jobs.Result{ID: "w-2", Type: jobs.TypeBusifavorStockGet, Attempts: 1}, "")
	code, stdout, stderr := b.enqueue(t, nil, "--file", file, "--wait", "--timeout", "1s")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, `"id":"w-2"`)
	assert.Contains(t, stderr, "no result yet for 2 of 3 jobs: busifavor.stock.get/w-1, busifavor.stock.get/w-3")
}

// A producer runs with the production config, whose merchant key files do
// not exist on its machine: it never reads them.
func TestEnqueueWithProductionConfigNeedsNoKeys(t *testing.T) {
	b := adminSetup(t)
	t.Setenv("COUPONQ_NATS_URL", b.srv.ClientURL())
	_, err := os.Stat("/run/secrets/apiclient_key.pem")
	require.True(t, os.IsNotExist(err), "the test needs the deploy config's key files to be absent")
	var out, errOut strings.Builder
	code := cliRunEnqueue(b.ctx, []string{"--config", "../../deploy/couponq.yaml", "--type", "busifavor.stock.get", "--id", "prod-1",
		"--request", `{"stock_id":"100088"}`}, strings.NewReader(""), &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Contains(t, errOut.String(), "enqueued busifavor.stock.get/prod-1")
	// The admin commands too.
	var aout, aerr strings.Builder
	code = cliRunAdmin(b.ctx, []string{"stats", "--config", "../../deploy/couponq.yaml"}, &aout, &aerr)
	require.Equal(t, 0, code, aerr.String())
	assert.Contains(t, aout.String(), "busifavor.stock.get")
}

func TestEnqueueJSONOfJobsOnStdin(t *testing.T) {
	b := adminSetup(t)
	code, _, stderr := b.enqueue(t, strings.NewReader(stockLines("in", 5)), "--file", "-", "--campaign", "stdin-run")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, uint64(5), b.streamMsgs(t, jobs.JobsStream))
	var m jobs.Campaign
	kv, err := b.srv.JS.KeyValue(b.ctx, jobs.CampaignsBucket)
	require.NoError(t, err)
	e, err := kv.Get(b.ctx, "stdin-run")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(e.Value(), &m))
	assert.Equal(t, "-", m.File)
	assert.Equal(t, int64(5), m.Total)
}
