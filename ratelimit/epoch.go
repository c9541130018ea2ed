package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// This file decides where a key's state starts when it has none: at once
// when no state can have been lost, otherwise after every slot that a lost
// state may still have out (see "A key's first slot" in
// docs/rate-limiting.md for the proof).
//
// The state bucket is memory storage, so a restarted single-replica server
// loses it, and workers that kept running may still hold slots granted
// against it. Every slot is granted by a compare-and-set on the key's entry
// and lies at most one horizon after that write. A lost entry takes no more
// writes, so every slot of a lost state lies before loss + horizon, where
// loss is no later than:
//   - the creation of the bucket incarnation now in use, when the bucket
//     itself was lost (a server restart, a deleted bucket): it can only be
//     created again after the old one is gone;
//   - the time of the key's delete marker, when only the key was deleted.
//
// The very first incarnation of the bucket follows no lost one. The epoch
// bucket (file storage, one entry) records the creation time of that first
// incarnation; it is written when a limiter starts, before it grants
// anything. A key created in the incarnation the epoch names therefore
// starts at once: the first job of a fresh cluster pays nothing.

// epochKey is the epoch bucket's one entry: the creation time (server unix
// ns) of the state bucket's first incarnation.
const epochKey = "first"

// epochBucketName is the name of the epoch bucket that goes with a state
// bucket.
func epochBucketName(state string) string { return state + "_epoch" }

// created returns the creation time of the bucket's stream (server clock,
// unix ns): one round trip.
func (b *bucket) created(ctx context.Context) (int64, error) {
	st, err := b.handle().Status(ctx)
	if err != nil {
		b.repair(ctx, err)
		return 0, fmt.Errorf("status of KV bucket %s: %w", b.cfg.Bucket, err)
	}
	s, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok || s.StreamInfo() == nil {
		return 0, fmt.Errorf("status of KV bucket %s: no stream info", b.cfg.Bucket)
	}
	return s.StreamInfo().Created.UnixNano(), nil
}

// markerTime returns the time (server unix ns) of key's delete or purge
// marker, 0 when the key has none (never written in this incarnation of the
// bucket). Two round trips; used only when a key has no state.
func (b *bucket) markerTime(ctx context.Context, key string) (int64, error) {
	s, err := b.js.Stream(ctx, "KV_"+b.cfg.Bucket)
	if err != nil {
		b.repair(ctx, err)
		return 0, fmt.Errorf("stream of KV bucket %s: %w", b.cfg.Bucket, err)
	}
	m, err := s.GetLastMsgForSubject(ctx, "$KV."+b.cfg.Bucket+"."+key)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("last entry of %s in KV bucket %s: %w", key, b.cfg.Bucket, err)
	}
	if m.Header.Get("KV-Operation") == "" && m.Header.Get(jetstream.MarkerReasonHeader) == "" {
		return 0, nil // a value (written meanwhile): the caller's compare-and-set will fail
	}
	return m.Time.UnixNano(), nil
}

// recordEpoch writes the epoch unless it exists: the creation time of the
// state bucket incarnation this limiter found at its start.
func (l *Limiter) recordEpoch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	c, err := l.state.created(ctx)
	if err != nil {
		return err
	}
	_, err = l.epoch.handle().Create(ctx, epochKey, []byte(strconv.FormatInt(c, 10)))
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("record rate limit epoch: %w", err)
	}
	return nil
}

// lostFloor returns the latest time at which a lost state of a key that
// now has no entry can have taken its last write, and false when no state
// can have been lost (the state bucket is still in its first incarnation
// and the key was never deleted). deletedAt is the key's delete marker
// time, 0 if it has none.
func (q *keyQueue) lostFloor(ctx context.Context, deletedAt int64) (int64, bool, error) {
	created, err := q.l.state.created(ctx)
	if err != nil {
		return 0, false, err
	}
	if deletedAt == 0 {
		// Get reports a deleted key as not found: look for its marker.
		if deletedAt, err = q.l.state.markerTime(ctx, q.kvKey); err != nil {
			return 0, false, err
		}
	}
	floor := max(deletedAt, 0)
	e, err := q.l.epoch.handle().Get(ctx, epochKey)
	switch {
	case err == nil:
		first, perr := strconv.ParseInt(string(e.Value()), 10, 64)
		if perr == nil && first == created {
			return floor, deletedAt != 0, nil
		}
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		q.l.epoch.repair(ctx, err)
		return 0, false, fmt.Errorf("read rate limit epoch: %w", err)
	}
	// A later incarnation (or an epoch that was lost: assume the worst).
	return max(floor, created), true, nil
}
