package cli_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/jobs"
)

// seedDeadLetters stores two operational and two rejected dead letters.
func seedDeadLetters(t *testing.T, b *adminBundle) (exhausted, invalid, notFound, used uint64) {
	exhausted = b.deadLetter(t, jobs.TypeBusifavorStockGet, "s-out-1", jobs.CodeRetriesExhausted, "spring", "")
	invalid = b.deadLetter(t, jobs.TypeBusifavorStockGet, "s-bad-1", jobs.CodeInvalidJob, "", "")
	notFound = b.deadLetter(t, jobs.TypeProductCouponUse, "PC-USE-0001", "NOT_FOUND", "spring", `{"id":"PC-USE-0001","request":{},"meta":{"campaign":"spring"}}`)
	used = b.deadLetter(t, jobs.TypeBusifavorUse, "BF-USE-0001", "RESOURCE_ALREADY_EXISTS", "", `{"id":"BF-USE-0001","request":{}}`)
	return
}

func TestDLQListShowsWhatNeedsAnOperator(t *testing.T) {
	b := adminSetup(t)
	seedDeadLetters(t, b)

	code, out, stderr := b.admin(t, "dlq", "list")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "2 dead letters (class operational)")
	assert.Contains(t, out, "busifavor.stock.get  INVALID_JOB        operational  1")
	assert.Contains(t, out, "busifavor.stock.get  RETRIES_EXHAUSTED  operational  1")
	assert.NotContains(t, out, "NOT_FOUND")
	assert.Contains(t, out, "REQ-s-out-1")

	code, out, _ = b.admin(t, "dlq", "list", "--class", "rejected")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "2 dead letters (class rejected)")
	assert.Contains(t, out, "NOT_FOUND")
	assert.Contains(t, out, "RESOURCE_ALREADY_EXISTS")

	code, out, _ = b.admin(t, "dlq", "list", "--all", "--campaign", "spring")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "2 dead letters (every class)")
	assert.Contains(t, out, "s-out-1")
	assert.Contains(t, out, "PC-USE-0001")

	code, out, _ = b.admin(t, "dlq", "list", "--all", "--type", "busifavor.use", "--json")
	require.Equal(t, 0, code)
	var d admin.DeadLetter
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(out)), &d))
	assert.Equal(t, "BF-USE-0001", d.ID)
	assert.Equal(t, jobs.ClassRejected, d.Class)
	assert.Equal(t, "REQ-BF-USE-0001", d.RequestID)

	code, out, _ = b.admin(t, "dlq", "list", "--code", "INVALID_JOB", "--id", "s-bad-1")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "1 dead letters")

	code, _, stderr = b.admin(t, "dlq", "list", "--class", "boring")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--class must be operational or rejected")
}

func TestDLQShow(t *testing.T) {
	b := adminSetup(t)
	exhausted, _, _, _ := seedDeadLetters(t, b)
	for _, arg := range []string{itoa(int(exhausted)), "s-out-1", "busifavor.stock.get/s-out-1"} {
		code, out, stderr := b.admin(t, "dlq", "show", arg)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out, "RETRIES_EXHAUSTED (operational)")
		assert.Contains(t, out, "because RETRIES_EXHAUSTED")
		assert.Contains(t, out, "REQ-s-out-1")
		assert.Contains(t, out, `"stock_id": "100088"`)
		assert.Contains(t, out, "replay it: couponq dlq replay "+itoa(int(exhausted)))
	}
	code, _, stderr := b.admin(t, "dlq", "show", "999")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no dead letter 999")
}

// Replay republishes the original bytes under a replay message id and
// deletes the dead letter; two concurrent replays queue one job.
func TestDLQReplayExactlyOnce(t *testing.T) {
	b := adminSetup(t)
	exhausted, invalid, _, _ := seedDeadLetters(t, b)

	code, out, stderr := b.admin(t, "dlq", "replay", "--code", "RETRIES_EXHAUSTED", "--dry-run")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "s-out-1\tRETRIES_EXHAUSTED\twould replay")
	assert.Contains(t, stderr, "dry run: nothing changed")
	assert.Equal(t, uint64(0), b.streamMsgs(t, jobs.JobsStream))

	// Two operators replay the same dead letter at once (--keep so that
	// neither finds it gone): one job is queued.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	outs := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], outs[i], _ = b.admin(t, "dlq", "replay", "--keep", itoa(int(exhausted)))
		}()
	}
	wg.Wait()
	assert.Equal(t, []int{0, 0}, codes)
	joined := outs[0] + outs[1]
	assert.Equal(t, 1, strings.Count(joined, "\treplayed as busifavor.stock.get/s-out-1/replay-"+itoa(int(exhausted))), joined)
	assert.Equal(t, 1, strings.Count(joined, "already replayed as"), joined)
	bodies, ids := b.jobsOnStream(t)
	require.Equal(t, []string{jobs.ReplayMsgID(jobs.TypeBusifavorStockGet, "s-out-1", exhausted)}, ids)
	assert.Equal(t, "s-out-1", bodies[0].ID, "the job keeps its id")

	// Without --keep the dead letter goes; a replay of the rest skips the
	// rejected ones by default.
	code, out, stderr = b.admin(t, "dlq", "replay")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "already replayed as busifavor.stock.get/s-out-1/replay-")
	assert.Contains(t, out, "s-bad-1\tINVALID_JOB\treplayed as busifavor.stock.get/s-bad-1/replay-"+itoa(int(invalid)))
	assert.Contains(t, stderr, "replay: 2 dead letters selected, 0 failed")
	_, ids = b.jobsOnStream(t)
	assert.Len(t, ids, 2)
	code, out, _ = b.admin(t, "dlq", "list", "--all")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "2 dead letters (every class)")
	assert.NotContains(t, out, "s-out-1")
}

func TestDLQPurge(t *testing.T) {
	b := adminSetup(t)
	seedDeadLetters(t, b)
	code, _, stderr := b.admin(t, "dlq", "purge")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "say what to delete")

	code, out, stderr := b.admin(t, "dlq", "purge", "--class", "rejected", "--dry-run")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "would purge")
	assert.Equal(t, uint64(4), b.streamMsgs(t, jobs.DLQStream))

	code, out, stderr = b.admin(t, "dlq", "purge", "--class", "rejected")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, 2, strings.Count(out, "deleted"))
	assert.Equal(t, uint64(2), b.streamMsgs(t, jobs.DLQStream))
	code, out, _ = b.admin(t, "dlq", "list", "--all")
	require.Equal(t, 0, code)
	assert.NotContains(t, out, "NOT_FOUND")
	assert.Contains(t, out, "RETRIES_EXHAUSTED")
}

func TestPauseAndResume(t *testing.T) {
	b := adminSetup(t)
	code, out, stderr := b.admin(t, "pause", "product_coupon.update", "--reason", "price list being fixed")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "paused product_coupon.update")
	kv, err := b.srv.JS.KeyValue(b.ctx, jobs.ControlBucket)
	require.NoError(t, err)
	e, err := kv.Get(b.ctx, jobs.PauseKey(jobs.TypeProductCouponUpdate))
	require.NoError(t, err)
	var p jobs.Pause
	require.NoError(t, json.Unmarshal(e.Value(), &p))
	assert.Equal(t, "price list being fixed", p.Reason)
	assert.NotEmpty(t, p.By)
	assert.False(t, p.At.IsZero())

	code, out, _ = b.admin(t, "stats")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "PAUSED by "+p.By)

	code, out, _ = b.admin(t, "resume", "product_coupon.update")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "resumed product_coupon.update")
	_, err = kv.Get(b.ctx, jobs.PauseKey(jobs.TypeProductCouponUpdate))
	assert.Error(t, err)
	code, out, _ = b.admin(t, "resume", "product_coupon.update")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "was not paused")

	code, _, stderr = b.admin(t, "pause", "coupon.teleport")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "unknown job type")
}

func TestResultsQueryAndFollow(t *testing.T) {
	b := adminSetup(t)
	b.result(t, jobs.Result{ID: "a-1", Type: jobs.TypeBusifavorStockGet, Attempts: 1, Meta: json.RawMessage(`{"campaign":"c1"}`)}, "")
	b.result(t, jobs.Result{ID: "a-2", Type: jobs.TypeBusifavorStockGet, Attempts: 2, Error: &jobs.ResultError{Code: "NOT_FOUND"}, Meta: json.RawMessage(`{"campaign":"c1"}`)}, "")
	b.result(t, jobs.Result{ID: "BF-1", Type: jobs.TypeBusifavorUse, Attempts: 1, Error: &jobs.ResultError{Code: jobs.CodeRetriesExhausted}}, "")
	b.result(t, jobs.Result{ID: "BF-1", Type: jobs.TypeBusifavorUse, Attempts: 1, Replay: 9}, "")

	code, out, stderr := b.admin(t, "results", "--status", "failed")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, 2, strings.Count(out, "\n"), out)
	assert.Contains(t, stderr, "2 results")

	code, out, _ = b.admin(t, "results", "--campaign", "c1", "--type", "busifavor.stock.get")
	require.Equal(t, 0, code)
	assert.Contains(t, out, `"id":"a-1"`)
	assert.Contains(t, out, `"id":"a-2"`)

	code, out, _ = b.admin(t, "results", "--id", "BF-1", "--table")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "BF-1 (replay of 9)")
	assert.Contains(t, out, "RETRIES_EXHAUSTED")

	code, out, _ = b.admin(t, "results", "--since", "1h", "--limit", "1")
	require.Equal(t, 0, code)
	assert.Equal(t, 1, strings.Count(out, "\n"))

	code, _, stderr = b.admin(t, "results", "--since", "yesterday")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "neither a duration")
}
