package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/ratelimit"
)

// stats on a known state: jobs queued behind the worker's consumers, dead
// letters of both classes, a paused type, one live worker and a flows stream.
func TestStatsGolden(t *testing.T) {
	b := adminSetup(t)
	for _, typ := range []jobs.Type{jobs.TypeBusifavorUse, jobs.TypeProductCouponUpdate} {
		_, err := worker.EnsureConsumer(b.ctx, b.srv.JS, typ, worker.Config{ID: "w"})
		require.NoError(t, err)
	}
	file := b.writeFile(t, "q.jsonl", stockLines("q", 3))
	code, _, stderr := b.enqueue(t, nil, "--file", file)
	require.Equal(t, 0, code, stderr)
	upd := b.writeFile(t, "u.csv", "product_coupon_id,out_request_no,brand_id,display_info.name,display_info.image_url,display_info.background_url\n"+
		"1000000013,UPD-000001,120344,Spring sale,https://x/i.png,https://x/b.png\n"+
		"1000000013,UPD-000002,120344,Spring sale,https://x/i.png,https://x/b.png\n")
	code, _, stderr = b.enqueue(t, nil, "--file", upd, "--type", "product_coupon.update")
	require.Equal(t, 0, code, stderr)
	seedDeadLetters(t, b)
	require.NoError(t, admin.PauseType(b.ctx, b.srv.JS, 1, jobs.TypeProductCouponUpdate,
		jobs.Pause{By: "ops@host", Reason: "price list being fixed", At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}))
	members, err := b.srv.JS.CreateKeyValue(b.ctx, jetstream.KeyValueConfig{Bucket: ratelimit.DefaultMembersBucket, Storage: jetstream.MemoryStorage})
	require.NoError(t, err)
	_, err = members.Put(b.ctx, "worker-1", []byte(`{}`))
	require.NoError(t, err)

	code, out, stderr := b.admin(t, "stats")
	require.Equal(t, 0, code, stderr)
	golden(t, "stats.golden", out)

	// With the worker's per-flow stream: the backlog per merchant and priority.
	for _, subj := range []string{
		"couponq.flow.product_coupon.update.1900000001.5.spring", "couponq.flow.product_coupon.update.1900000001.5.spring",
		"couponq.flow.product_coupon.update.1900000001.5.autumn", "couponq.flow.product_coupon.update.1900000001.1.~",
		"couponq.flow.busifavor.stock.get.1900000002.3.~",
	} {
		_, err := b.srv.JS.Publish(b.ctx, subj, []byte("x"))
		require.NoError(t, err)
	}
	code, out, stderr = b.admin(t, "stats")
	require.Equal(t, 0, code, stderr)
	golden(t, "stats_flows.golden", out)

	code, out, _ = b.admin(t, "stats", "--json")
	require.Equal(t, 0, code)
	var st admin.Stats
	require.NoError(t, json.Unmarshal([]byte(out), &st))
	assert.True(t, st.FlowsStream)
	assert.Equal(t, 1, st.Workers)
}

// watch on a campaign whose results are all in: the summary, the failure
// report, and a replay that succeeded replacing its failure.
func TestWatchSummaryGolden(t *testing.T) {
	b := adminSetup(t)
	file := b.writeFile(t, "camp.jsonl", stockLines("c", 5))
	code, _, stderr := b.enqueue(t, nil, "--file", file, "--campaign", "autumn")
	require.Equal(t, 0, code, stderr)
	meta := json.RawMessage(`{"campaign":"autumn"}`)
	at := time.Now().UTC()
	fail := func(id, code, msg string, replay uint64) jobs.Result {
		return jobs.Result{ID: id, Type: jobs.TypeBusifavorStockGet, MchID: "1900000001", Attempts: 8, HTTPStatus: 500, RequestID: "REQ-" + id,
			Error: &jobs.ResultError{Code: code, Message: msg}, Meta: meta, FinishedAt: at, Replay: replay}
	}
	ok := func(id string, replay uint64) jobs.Result {
		return jobs.Result{ID: id, Type: jobs.TypeBusifavorStockGet, MchID: "1900000001", Attempts: 1, HTTPStatus: 200, Meta: meta, FinishedAt: at, Replay: replay}
	}
	b.result(t, ok("c-1", 0), "")
	b.result(t, fail("c-2", jobs.CodeRetriesExhausted, "gave up after 8 attempts; last error: HTTP 500 SYSTEM_ERROR", 0), "")
	b.result(t, fail("c-3", "NOT_FOUND", "stock not found", 0), "")
	b.result(t, fail("c-4", jobs.CodeRetriesExhausted, "gave up", 0), "")
	b.result(t, ok("c-5", 0), "")
	b.result(t, ok("c-4", 17), "") // c-4 replayed from dead letter 17: succeeded
	// Results of other campaigns are not counted.
	b.result(t, jobs.Result{ID: "other", Type: jobs.TypeBusifavorStockGet, Meta: json.RawMessage(`{"campaign":"spring"}`)}, "")

	report := filepath.Join(b.dir, "failures.csv")
	code, out, stderr := b.admin(t, "watch", "autumn", "--report", report, "--timeout", "30s", "--no-progress")
	assert.Equal(t, 1, code, "failures: exit 1\n%s", stderr)
	golden(t, "watch_summary.golden", stripDir(out, b.dir))
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	golden(t, "watch_report.csv.golden", stripTime(string(data), at))

	jsonl := filepath.Join(b.dir, "failures.jsonl")
	code, _, _ = b.admin(t, "watch", "autumn", "--report", jsonl, "--timeout", "30s")
	assert.Equal(t, 1, code)
	data, err = os.ReadFile(jsonl)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"code":"NOT_FOUND","class":"rejected","message":"stock not found","request_id":"REQ-c-3"`)

	code, _, stderr = b.admin(t, "watch", "nope", "--timeout", "5s")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no campaign "nope"`)
}

// A campaign with results still missing: watch stops at its timeout and
// says how many are pending.
func TestWatchTimesOutWithPending(t *testing.T) {
	b := adminSetup(t)
	file := b.writeFile(t, "p.jsonl", stockLines("p", 2))
	code, _, stderr := b.enqueue(t, nil, "--file", file, "--campaign", "slow")
	require.Equal(t, 0, code, stderr)
	b.result(t, jobs.Result{ID: "p-1", Type: jobs.TypeBusifavorStockGet, Meta: json.RawMessage(`{"campaign":"slow"}`)}, "")
	code, out, _ := b.admin(t, "watch", "slow", "--timeout", "1s")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "campaign slow: 2 jobs (busifavor.stock.get): 1 succeeded, 0 failed, 1 pending")
	assert.Contains(t, out, "not finished: 1 jobs have no result yet")
}

func stripDir(s, dir string) string { return replaceAll(s, dir+string(filepath.Separator), "") }

func stripTime(s string, at time.Time) string {
	return replaceAll(s, at.Format(time.RFC3339Nano), "<finished_at>")
}
