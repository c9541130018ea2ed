package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

// doneLog records OnDone calls.
type doneLog struct {
	mu    sync.Mutex
	calls map[string]int
	errs  map[string]error
}

func newDoneLog() *doneLog { return &doneLog{calls: map[string]int{}, errs: map[string]error{}} }

func (d *doneLog) onDone(prep *jobs.Prepared, pub *jobs.Published, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls[prep.MsgID]++
	if err != nil {
		d.errs[prep.MsgID] = err
	} else if pub == nil || pub.MsgID != prep.MsgID {
		d.errs[prep.MsgID] = fmt.Errorf("OnDone without error but with published %+v", pub)
	}
}

func TestBatchPublishesMany(t *testing.T) {
	b := setup(t, &worker.StreamsConfig{})
	log := newDoneLog()
	p := jobs.NewProducer(b.js, jobs.ProducerConfig{})
	batch := p.NewBatch(jobs.BatchConfig{Window: 64, OnDone: log.onDone})
	event := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	const n = 500
	for i := range n {
		require.NoError(t, batch.Add(b.ctx, jobs.TypeBusifavorUse, busifavorUseJob(fmt.Sprintf("BATCH-%04d", i)), jobs.EventTime(event)))
	}
	// Ten jobs again: JetStream drops them as duplicates.
	twice := map[string]bool{}
	for i := range 10 {
		id := fmt.Sprintf("BATCH-%04d", i*7)
		twice[jobs.MsgID(jobs.TypeBusifavorUse, id)] = true
		require.NoError(t, batch.Add(b.ctx, jobs.TypeBusifavorUse, busifavorUseJob(id), jobs.EventTime(event)))
	}
	// Invalid jobs are refused by Add and never counted.
	err := batch.Add(b.ctx, jobs.TypeBusifavorUse, jobs.Job{ID: "X", Request: json.RawMessage(busifavorUseRequest)})
	requireInvalid(t, err, "id", "disagrees")
	err = batch.Add(b.ctx, jobs.TypeBusifavorStockGet, jobs.Job{Request: json.RawMessage(stockGetRequest)})
	requireInvalid(t, err, "id", "is required")

	report, err := batch.Wait(b.ctx)
	require.NoError(t, err)
	assert.Equal(t, n, report.Published)
	assert.Equal(t, 10, report.Duplicates)
	assert.Empty(t, report.Failed)

	log.mu.Lock()
	assert.Len(t, log.calls, n, "OnDone for every valid job, never for the invalid ones")
	for id, c := range log.calls {
		want := 1
		if twice[id] {
			want = 2 // added twice
		}
		assert.Equal(t, want, c, id)
	}
	assert.Empty(t, log.errs)
	log.mu.Unlock()

	stored := b.jobsStored()
	require.Len(t, stored, n)
	seen := map[string]bool{}
	for _, m := range stored {
		id := m.Header.Get(jetstream.MsgIDHeader)
		assert.False(t, seen[id], "stored once: %s", id)
		seen[id] = true
	}

	// Wait is repeatable and a second Wait on a drained batch is immediate.
	again, err := batch.Wait(b.ctx)
	require.NoError(t, err)
	assert.Equal(t, report, again)
}

func TestBatchReportsFullStream(t *testing.T) {
	b := setup(t, &worker.StreamsConfig{JobsMaxMsgs: 10})
	log := newDoneLog()
	batch := jobs.NewProducer(b.js, jobs.ProducerConfig{}).NewBatch(jobs.BatchConfig{OnDone: log.onDone})
	for i := range 25 {
		require.NoError(t, batch.Add(b.ctx, jobs.TypeProductCouponUpdate, jobs.Job{
			Request: json.RawMessage(withField(t, pcUpdateRequest, "out_request_no", fmt.Sprintf(`"FULL-%02d"`, i))),
		}))
	}
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	report, err := batch.Wait(ctx)
	require.NoError(t, err)
	assert.NoError(t, ctx.Err(), "a full stream is final: no retrying until the deadline")
	assert.Equal(t, 10, report.Published)
	require.Len(t, report.Failed, 15)
	for _, f := range report.Failed {
		var apiErr *jetstream.APIError
		assert.ErrorAs(t, f.Err, &apiErr, f.MsgID)
	}
	assert.Len(t, log.calls, 25)
	assert.Len(t, log.errs, 15)
	assert.Len(t, b.jobsStored(), 10)
}

func TestBatchWaitStopsWithContext(t *testing.T) {
	// No stream: nothing is ever acknowledged.
	b := setup(t, nil)
	batch := jobs.NewProducer(b.js, jobs.ProducerConfig{AttemptTimeout: 100 * time.Millisecond}).NewBatch(jobs.BatchConfig{})
	require.NoError(t, batch.Add(b.ctx, jobs.TypeBusifavorUse, busifavorUseJob("NOSTREAM-1")))
	ctx, cancel := context.WithTimeout(b.ctx, 500*time.Millisecond)
	defer cancel()
	report, err := batch.Wait(ctx)
	require.NotNil(t, report)
	if err == nil {
		// The retry ran out with ctx and recorded the job as failed.
		require.Len(t, report.Failed, 1)
		assert.ErrorIs(t, report.Failed[0].Err, context.DeadlineExceeded)
	} else {
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.Zero(t, report.Published)
}
