package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/internal/embedded"
	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

func TestPublishStoresPreparedJob(t *testing.T) {
	b := setup(t, &worker.StreamsConfig{})
	event := time.Date(2026, 1, 2, 3, 4, 5, 0, shanghai)
	p := jobs.NewProducer(b.js, jobs.ProducerConfig{})
	job := jobs.Job{Request: json.RawMessage(busifavorUseRequest), Meta: json.RawMessage(`{"order_id":"A-1001"}`)}

	pub, err := p.Publish(b.ctx, jobs.TypeBusifavorUse, job, jobs.EventTime(event))
	require.NoError(t, err)
	assert.Equal(t, "BF-USE-0001", pub.ID)
	assert.Equal(t, "busifavor.use/BF-USE-0001", pub.MsgID)
	assert.False(t, pub.Duplicate)

	want, err := jobs.Prepare(jobs.TypeBusifavorUse, job, event)
	require.NoError(t, err)
	stored := b.jobsStored()
	require.Len(t, stored, 1)
	m := stored[0]
	assert.Equal(t, pub.Sequence, m.Sequence)
	assert.Equal(t, "couponq.jobs.busifavor.use", m.Subject)
	assert.Equal(t, "busifavor.use/BF-USE-0001", m.Header.Get(jetstream.MsgIDHeader))
	assert.Equal(t, string(want.Data), string(m.Data), "the prepared bytes are stored")
	got, _ := requestField(t, m.Data, "use_time")
	assert.Equal(t, "2026-01-02T03:04:05+08:00", got)
}

func TestPublishUsesInjectedClock(t *testing.T) {
	b := setup(t, &worker.StreamsConfig{})
	now := time.Date(2027, 5, 6, 7, 8, 9, 0, time.UTC)
	p := jobs.NewProducer(b.js, jobs.ProducerConfig{Clock: clock.Func(func() time.Time { return now })})
	_, err := p.Publish(b.ctx, jobs.TypeProductCouponUse, jobs.Job{Request: json.RawMessage(pcUseRequest)})
	require.NoError(t, err)
	stored := b.jobsStored()
	require.Len(t, stored, 1)
	got, _ := requestField(t, stored[0].Data, "use_time")
	assert.Equal(t, "2027-05-06T07:08:09Z", got)
}

func TestPublishTwiceIsStoredOnce(t *testing.T) {
	b := setup(t, &worker.StreamsConfig{})
	p := jobs.NewProducer(b.js, jobs.ProducerConfig{})
	event := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	job := busifavorUseJob("DUP-1")

	first, err := p.Publish(b.ctx, jobs.TypeBusifavorUse, job, jobs.EventTime(event))
	require.NoError(t, err)
	assert.False(t, first.Duplicate)
	second, err := p.Publish(b.ctx, jobs.TypeBusifavorUse, job, jobs.EventTime(event))
	require.NoError(t, err)
	assert.True(t, second.Duplicate)
	assert.Equal(t, first.MsgID, second.MsgID)
	assert.Equal(t, first.Sequence, second.Sequence, "the ack names the stored copy")

	// A later republish of the same request number with another event time
	// (different bytes) is still the same job: not stored again.
	third, err := p.Publish(b.ctx, jobs.TypeBusifavorUse, job, jobs.EventTime(event.Add(time.Hour)))
	require.NoError(t, err)
	assert.True(t, third.Duplicate)

	stored := b.jobsStored()
	require.Len(t, stored, 1)
	got, _ := requestField(t, stored[0].Data, "use_time")
	assert.Equal(t, "2026-01-02T03:04:05Z", got, "the first copy is kept")
}

func TestPublishInvalidJobPublishesNothing(t *testing.T) {
	b := setup(t, &worker.StreamsConfig{})
	p := jobs.NewProducer(b.js, jobs.ProducerConfig{})
	_, err := p.Publish(b.ctx, jobs.TypeBusifavorUse, jobs.Job{ID: "other", Request: json.RawMessage(busifavorUseRequest)})
	requireInvalid(t, err, "id", "disagrees")
	_, err = p.Publish(b.ctx, jobs.Type("coupon.teleport"), jobs.Job{Request: json.RawMessage(busifavorUseRequest)})
	requireInvalid(t, err, "", "unknown job type")
	assert.Empty(t, b.jobsStored())
}

// TestPublishWaitsForTheStream publishes before any worker has created the
// streams: Publish keeps republishing and succeeds once the stream exists.
func TestPublishWaitsForTheStream(t *testing.T) {
	b := setup(t, nil)
	// A plain subscriber sees every attempt arrive at the server; it never
	// answers, so the first attempt times out like a missing stream.
	attempts, err := b.srv.NC.SubscribeSync(jobs.JobSubjectPrefix + ">")
	require.NoError(t, err)
	p := jobs.NewProducer(b.js, jobs.ProducerConfig{AttemptTimeout: 200 * time.Millisecond})

	type outcome struct {
		pub *jobs.Published
		err error
	}
	done := make(chan outcome, 1)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	go func() {
		pub, err := p.Publish(ctx, jobs.TypeProductCouponUpdate, jobs.Job{Request: json.RawMessage(pcUpdateRequest)})
		done <- outcome{pub, err}
	}()

	first, err := attempts.NextMsg(10 * time.Second)
	require.NoError(t, err, "the first attempt reached the server")
	assert.Equal(t, "product_coupon.update/PC-UPD-0001", first.Header.Get(jetstream.MsgIDHeader))
	require.NoError(t, attempts.Unsubscribe())
	// Now attempts meet no responders at all, until the stream exists.
	select {
	case o := <-done:
		t.Fatalf("Publish returned before the stream existed: %+v %v", o.pub, o.err)
	default:
	}
	require.NoError(t, worker.EnsureStreams(b.ctx, b.js, worker.StreamsConfig{}))

	o := <-done
	require.NoError(t, o.err)
	assert.False(t, o.pub.Duplicate)
	stored := b.jobsStored()
	require.Len(t, stored, 1, "stored once although published several times")
	assert.Equal(t, string(first.Data), string(stored[0].Data), "every attempt sends the same bytes")
}

func TestPublishWithoutStreamGivesUpAtDeadline(t *testing.T) {
	b := setup(t, nil)
	p := jobs.NewProducer(b.js, jobs.ProducerConfig{AttemptTimeout: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(b.ctx, 700*time.Millisecond)
	defer cancel()
	_, err := p.Publish(ctx, jobs.TypeProductCouponUpdate, jobs.Job{Request: json.RawMessage(pcUpdateRequest)})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "product_coupon.update/PC-UPD-0001", "the error names the job")

	// Without a deadline on ctx, MaxRetryTime bounds the retries.
	p = jobs.NewProducer(b.js, jobs.ProducerConfig{AttemptTimeout: 100 * time.Millisecond, MaxRetryTime: 500 * time.Millisecond})
	_, err = p.Publish(context.Background(), jobs.TypeProductCouponUpdate, jobs.Job{Request: json.RawMessage(pcUpdateRequest)})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestPublishToFullStreamFailsAtOnce(t *testing.T) {
	b := setup(t, &worker.StreamsConfig{JobsMaxMsgs: 1})
	p := jobs.NewProducer(b.js, jobs.ProducerConfig{})
	_, err := p.Publish(b.ctx, jobs.TypeBusifavorUse, busifavorUseJob("FULL-1"))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	_, err = p.Publish(ctx, jobs.TypeBusifavorUse, busifavorUseJob("FULL-2"))
	require.Error(t, err)
	var apiErr *jetstream.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.False(t, jobs.IsTransientPublishError(err))
	assert.NoError(t, ctx.Err(), "returned at once, not at the deadline")
	assert.Contains(t, err.Error(), "busifavor.use/FULL-2")

	// Republishing the stored job is still recognised as a duplicate.
	pub, err := p.Publish(ctx, jobs.TypeBusifavorUse, busifavorUseJob("FULL-1"))
	require.NoError(t, err)
	assert.True(t, pub.Duplicate)
	assert.Len(t, b.jobsStored(), 1)
}

// TestPublishAcrossServerRestart stops the server while a job is being
// published and starts it again on the same port and store: the job is
// stored once, after the reconnect.
func TestPublishAcrossServerRestart(t *testing.T) {
	ctx := natstest.Context(t)
	dir := t.TempDir()
	srv, err := embedded.Start(embedded.Options{StoreDir: dir, NoSync: true})
	require.NoError(t, err)
	u, err := url.Parse(srv.ClientURL())
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)

	disconnected := make(chan struct{}, 16)
	reconnected := make(chan struct{}, 16)
	nc, err := nats.Connect(srv.ClientURL(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(20*time.Millisecond),
		// No reconnect buffer: a publish while disconnected fails at once,
		// so Publish must retry rather than ride on the client's buffer.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { disconnected <- struct{}{} }),
		nats.ReconnectHandler(func(*nats.Conn) { reconnected <- struct{}{} }),
	)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	require.NoError(t, worker.EnsureStreams(ctx, js, worker.StreamsConfig{}))
	p := jobs.NewProducer(js, jobs.ProducerConfig{AttemptTimeout: time.Second})

	_, err = p.Publish(ctx, jobs.TypeBusifavorUse, busifavorUseJob("RESTART-1"))
	require.NoError(t, err)

	srv.Shutdown()
	<-disconnected
	prep, err := jobs.Prepare(jobs.TypeBusifavorUse, busifavorUseJob("RESTART-2"), time.Now())
	require.NoError(t, err)
	_, rawErr := js.PublishMsg(ctx, &nats.Msg{Subject: prep.Subject, Data: prep.Data})
	require.Error(t, rawErr, "publishing while disconnected fails")
	assert.True(t, jobs.IsTransientPublishError(rawErr), "%v is transient", rawErr)

	type outcome struct {
		pub *jobs.Published
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		pub, err := p.PublishPrepared(pctx, prep)
		done <- outcome{pub, err}
	}()

	srv2, err := embedded.Start(embedded.Options{StoreDir: dir, Port: port, NoSync: true})
	require.NoError(t, err)
	t.Cleanup(srv2.Shutdown)
	<-reconnected

	o := <-done
	require.NoError(t, o.err)
	assert.Equal(t, "busifavor.use/RESTART-2", o.pub.MsgID)
	assert.False(t, o.pub.Duplicate)

	s, err := js.Stream(ctx, jobs.JobsStream)
	require.NoError(t, err)
	info, err := s.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), info.State.Msgs, "the job from before the restart survived, the new one is stored once")
	m, err := s.GetMsg(ctx, o.pub.Sequence)
	require.NoError(t, err)
	assert.Equal(t, string(prep.Data), string(m.Data))
}

func TestIsTransientPublishError(t *testing.T) {
	transient := []error{
		context.DeadlineExceeded,
		nats.ErrTimeout,
		nats.ErrNoResponders,
		jetstream.ErrNoStreamResponse,
		nats.ErrConnectionReconnecting,
		nats.ErrDisconnected,
		nats.ErrConnectionDraining,
		nats.ErrReconnectBufExceeded,
		fmt.Errorf("attempt 3: %w", nats.ErrTimeout),
	}
	for _, err := range transient {
		assert.True(t, jobs.IsTransientPublishError(err), "%v", err)
	}
	final := []error{
		nil,
		errors.New("something else"),
		context.Canceled,
		nats.ErrConnectionClosed,
		&jetstream.APIError{Code: 503, ErrorCode: jetstream.JSErrCodeStreamNotFound, Description: "stream not found"},
		fmt.Errorf("wrapped: %w", &jetstream.APIError{Code: 400, Description: "maximum messages exceeded"}),
		&jobs.InvalidJobError{Field: "id", Reason: "bad"},
	}
	for _, err := range final {
		assert.False(t, jobs.IsTransientPublishError(err), "%v", err)
	}
}
