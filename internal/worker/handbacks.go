package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Hand-backs that are not attempts.
//
// JetStream raises a message's delivery count on every delivery, whatever
// became of it, and the worker bounds real tries by retry.max_attempts. A
// delivery in which no request was sent — the worker shut down before the
// call, found no rate budget, or was cut off from NATS — must not use up an
// attempt. The worker records such deliveries in a small KV bucket
// (HandbacksBucket) keyed by the job's flows-stream message, before it naks
// the message; attempt = delivery count − recorded hand-backs.
//
// Why a KV counter and not a republished copy with an "attempts used"
// header: a nak keeps the job's place at the head of its group (a copy
// would queue behind the whole backlog: 100,000 bulk jobs for a job that
// was next), keeps NakWithDelay for a no-budget back-off, needs no second
// message id (the copy could not reuse the job's, which JetStream
// de-duplicates) and never makes two copies of one job. The cost is a KV
// write per hand-back (rare) and a KV read per redelivery (not per first
// delivery). If the write fails the delivery counts as an attempt: the
// error is on the side of giving up early, never of retrying forever. A
// crash between the record and the nak leaves the count right (the
// redelivery after ack_wait is the recorded one).
const (
	// HandbacksBucket holds, per job in the flows stream, how many of its
	// deliveries were hand-backs (not attempts).
	HandbacksBucket = "couponq_handbacks"
	// handbacksTTL bounds how long a count outlives its job (deleted on
	// settle; the TTL only collects leftovers).
	handbacksTTL = 7 * 24 * time.Hour
	// kvTimeout bounds one KV operation of the hand-back bookkeeping.
	kvTimeout = 2 * time.Second
)

// handbacksConfig is the bucket's configuration for c.
func handbacksConfig(c StreamsConfig) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      HandbacksBucket,
		Description: "couponq: deliveries of a job that were hand-backs, not attempts",
		History:     1,
		TTL:         handbacksTTL,
		Storage:     jetstream.FileStorage,
		Replicas:    c.Replicas,
	}
}

// ensureHandbacks creates the bucket when it is missing; an existing one is
// left alone (several workers start at once).
func ensureHandbacks(ctx context.Context, js jetstream.JetStream, c StreamsConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, HandbacksBucket)
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("kv bucket %s: %w", HandbacksBucket, err)
	}
	kv, err = js.CreateKeyValue(ctx, handbacksConfig(c))
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, HandbacksBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("create kv bucket %s: %w", HandbacksBucket, err)
	}
	return kv, nil
}

// handbackKey names d's counter: its flows-stream sequence and a hash of
// its message id (so a sequence reused after the stream was re-created
// does not inherit another job's count).
func handbackKey(d *delivery) string {
	sum := sha256.Sum256([]byte(d.msgID))
	return "f" + strconv.FormatUint(d.flowSeq, 10) + "_" + hex.EncodeToString(sum[:8])
}

// handbacks returns kv, or nil before Run opened it.
func (w *Worker) handbacks() jetstream.KeyValue {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.kv
}

// countFree sets d.free and d.attempt from the recorded hand-backs of d. A
// first delivery has none, so only redeliveries read the bucket. When the
// read fails every delivery counts (conservative).
func (w *Worker) countFree(ctx context.Context, d *delivery) {
	kv := w.handbacks()
	if d.flowSeq == 0 || d.delivered <= 1 || kv == nil {
		return
	}
	kctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	e, err := kv.Get(kctx, handbackKey(d))
	if err != nil {
		return
	}
	n, err := strconv.Atoi(string(e.Value()))
	if err != nil || n < 0 {
		return
	}
	d.free = min(n, d.delivered-1)
	d.attempt = d.delivered - d.free
}

// recordFree adds this delivery to d's hand-backs (compare-and-set, so
// workers never lose each other's counts).
func (w *Worker) recordFree(ctx context.Context, d *delivery) error {
	kv := w.handbacks()
	if kv == nil || d.flowSeq == 0 {
		return errors.New("no hand-back bucket for this message")
	}
	kctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	key := handbackKey(d)
	for range 5 {
		e, err := kv.Get(kctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			if _, err = kv.Create(kctx, key, []byte("1")); err == nil {
				return nil
			}
		case err != nil:
			return fmt.Errorf("read hand-backs: %w", err)
		default:
			n, _ := strconv.Atoi(string(e.Value()))
			if _, err = kv.Update(kctx, key, []byte(strconv.Itoa(n+1)), e.Revision()); err == nil {
				return nil
			}
		}
		if kctx.Err() != nil {
			return fmt.Errorf("record hand-back: %w", err)
		}
	}
	return errors.New("record hand-back: too many concurrent updates")
}

// forgetFree removes d's counter once d is settled for good.
func (w *Worker) forgetFree(ctx context.Context, d *delivery) {
	kv := w.handbacks()
	if kv == nil || d.free == 0 {
		return
	}
	kctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	_ = kv.Purge(kctx, handbackKey(d))
}
