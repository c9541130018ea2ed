package jobs_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

// publishResult stores a result the way the worker does and returns its
// stream sequence.
func (b *bundle) publishResult(typ jobs.Type, id string, status jobs.Status) uint64 {
	b.t.Helper()
	r := jobs.Result{ID: id, Type: typ, MchID: "1900000001", Status: status, Attempts: 1, HTTPStatus: 200,
		Response: json.RawMessage(`{"ok":true}`), Meta: json.RawMessage(`{"order_id":"` + id + `"}`),
		EnqueuedAt: time.Now().UTC(), FinishedAt: time.Now().UTC(), Worker: "test"}
	if status == jobs.StatusFailed {
		r.Error = &jobs.ResultError{Code: "NOT_ENOUGH", Message: "stock exhausted"}
	}
	data, err := json.Marshal(r)
	require.NoError(b.t, err)
	msg := &nats.Msg{Subject: jobs.ResultSubject(typ, status), Data: data, Header: nats.Header{}}
	ack, err := b.js.PublishMsg(b.ctx, msg, jetstream.WithMsgID(jobs.MsgID(typ, id)))
	require.NoError(b.t, err)
	return ack.Sequence
}

// resultLog records onResult calls.
type resultLog struct {
	mu    sync.Mutex
	calls map[string]int
	seen  chan string
}

func newResultLog() *resultLog {
	return &resultLog{calls: map[string]int{}, seen: make(chan string, 100)}
}

func (l *resultLog) onResult(r *jobs.Result) {
	l.mu.Lock()
	l.calls[jobs.MsgID(r.Type, r.ID)]++
	l.mu.Unlock()
	l.seen <- jobs.MsgID(r.Type, r.ID)
}

func TestAwaitResults(t *testing.T) {
	b := setup(t, &worker.StreamsConfig{})
	// Before the call: one wanted result and some that are not wanted.
	b.publishResult(jobs.TypeBusifavorUse, "EARLY", jobs.StatusSucceeded)
	b.publishResult(jobs.TypeBusifavorUse, "OTHER-1", jobs.StatusSucceeded)
	b.publishResult(jobs.TypeBusifavorStockGet, "OTHER-2", jobs.StatusFailed)

	want := []string{
		"busifavor.use/EARLY",
		"busifavor.use/LATE-OK",
		"product_coupon.update/LATE-FAILED",
	}
	log := newResultLog()
	type outcome struct {
		got map[string]*jobs.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		got, err := jobs.AwaitResults(b.ctx, b.js, want, time.Time{}, log.onResult)
		done <- outcome{got, err}
	}()
	// Once the early result is reported the reader is running: the rest
	// arrive after the call.
	require.Equal(t, "busifavor.use/EARLY", <-log.seen)
	b.publishResult(jobs.TypeProductCouponUpdate, "NOT-WANTED", jobs.StatusSucceeded)
	b.publishResult(jobs.TypeBusifavorUse, "LATE-OK", jobs.StatusSucceeded)
	b.publishResult(jobs.TypeProductCouponUpdate, "LATE-FAILED", jobs.StatusFailed)

	o := <-done
	require.NoError(t, o.err)
	require.Len(t, o.got, 3)
	assert.True(t, o.got["busifavor.use/EARLY"].Succeeded())
	assert.True(t, o.got["busifavor.use/LATE-OK"].Succeeded())
	failed := o.got["product_coupon.update/LATE-FAILED"]
	assert.False(t, failed.Succeeded())
	assert.Equal(t, "NOT_ENOUGH", failed.Error.Code)
	assert.JSONEq(t, `{"order_id":"LATE-FAILED"}`, string(failed.Meta))

	log.mu.Lock()
	defer log.mu.Unlock()
	assert.Equal(t, map[string]int{
		"busifavor.use/EARLY":               1,
		"busifavor.use/LATE-OK":             1,
		"product_coupon.update/LATE-FAILED": 1,
	}, log.calls, "onResult once per wanted id, never for others")
}

func TestAwaitResultsNothingWanted(t *testing.T) {
	// No stream needed: with nothing to wait for it returns at once.
	b := setup(t, nil)
	got, err := jobs.AwaitResults(b.ctx, b.js, nil, time.Time{}, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestAwaitResultsSince(t *testing.T) {
	b := setup(t, &worker.StreamsConfig{})
	oldSeq := b.publishResult(jobs.TypeBusifavorUse, "OLD", jobs.StatusSucceeded)
	newSeq := b.publishResult(jobs.TypeBusifavorUse, "NEW", jobs.StatusSucceeded)
	s, err := b.js.Stream(b.ctx, jobs.ResultsStream)
	require.NoError(t, err)
	oldMsg, err := s.GetMsg(b.ctx, oldSeq)
	require.NoError(t, err)
	newMsg, err := s.GetMsg(b.ctx, newSeq)
	require.NoError(t, err)
	require.True(t, oldMsg.Time.Before(newMsg.Time), "precondition: distinct store times")

	// Reading from the second result's store time on, the first is not seen.
	ctx, cancel := context.WithTimeout(b.ctx, 500*time.Millisecond)
	defer cancel()
	got, err := jobs.AwaitResults(ctx, b.js, []string{"busifavor.use/OLD", "busifavor.use/NEW"}, newMsg.Time, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "1 of 2 results missing")
	require.Len(t, got, 1, "the partial result comes back with the error")
	assert.Contains(t, got, "busifavor.use/NEW")

	// From the zero time (the whole stream) both are found.
	got, err = jobs.AwaitResults(b.ctx, b.js, []string{"busifavor.use/OLD", "busifavor.use/NEW"}, time.Time{}, nil)
	require.NoError(t, err)
	assert.Len(t, got, 2)
}

func TestAwaitResultsStopsWithContext(t *testing.T) {
	b := setup(t, &worker.StreamsConfig{})
	b.publishResult(jobs.TypeBusifavorUse, "THERE", jobs.StatusSucceeded)
	log := newResultLog()
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan error, 1)
	var got map[string]*jobs.Result
	go func() {
		var err error
		got, err = jobs.AwaitResults(ctx, b.js, []string{"busifavor.use/THERE", "busifavor.use/NEVER"}, time.Time{}, log.onResult)
		done <- err
	}()
	require.Equal(t, "busifavor.use/THERE", <-log.seen)
	cancel()
	err := <-done
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "1 of 2 results missing")
	assert.Len(t, got, 1)
	assert.Contains(t, got, "busifavor.use/THERE")
}

// Without a results stream AwaitResults waits for a worker to create it, and
// says so when its context ends first.
func TestAwaitResultsWithoutStream(t *testing.T) {
	b := setup(t, nil)
	ctx, cancel := context.WithTimeout(b.ctx, 300*time.Millisecond)
	defer cancel()
	_, err := jobs.AwaitResults(ctx, b.js, []string{"busifavor.use/X"}, time.Time{}, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "COUPONQ_RESULTS does not exist (is a worker running?)")
}

func TestAwaitResultsWaitsForTheStreamToBeCreated(t *testing.T) {
	b := setup(t, nil)
	done := make(chan error, 1)
	go func() {
		_, err := jobs.AwaitResults(b.ctx, b.js, []string{"busifavor.use/LATE"}, time.Time{}, nil)
		done <- err
	}()
	// A worker starts: streams appear, then the result.
	require.NoError(t, worker.EnsureStreams(b.ctx, b.js, worker.StreamsConfig{}))
	msg := &nats.Msg{Subject: jobs.ResultSubject(jobs.TypeBusifavorUse, jobs.StatusSucceeded),
		Data: []byte(`{"id":"LATE","type":"busifavor.use","status":"succeeded"}`), Header: nats.Header{}}
	_, err := b.js.PublishMsg(b.ctx, msg, jetstream.WithMsgID("busifavor.use/LATE"))
	require.NoError(t, err)
	require.NoError(t, <-done)
}

func TestAwaitResultsRejectsUndecodableResult(t *testing.T) {
	b := setup(t, &worker.StreamsConfig{})
	msg := &nats.Msg{Subject: jobs.ResultSubject(jobs.TypeBusifavorUse, jobs.StatusSucceeded), Data: []byte(`{not json`), Header: nats.Header{}}
	_, err := b.js.PublishMsg(b.ctx, msg, jetstream.WithMsgID("busifavor.use/GARBLED"))
	require.NoError(t, err)
	_, err = jobs.AwaitResults(b.ctx, b.js, []string{"busifavor.use/GARBLED"}, time.Time{}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "result busifavor.use/GARBLED is not valid JSON")
}
