package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// opTimeout bounds every single NATS operation of the limiter.
const opTimeout = 2 * time.Second

// stateTTL is how long an untouched key's pacing state is kept: forever (0).
// An expired key would look deleted, and a deleted key's state starts one
// horizon after its delete marker (epoch.go); an old tat costs nothing
// (start = max(tat, now)), and there are only merchants × 4 keys.
const stateTTL = 0

// bucket is a KV bucket that is created (or updated) idempotently and created
// again when it disappears, e.g. when a memory-storage bucket's server
// restarted. Safe for concurrent use.
type bucket struct {
	js  jetstream.JetStream
	cfg jetstream.KeyValueConfig

	mu     sync.Mutex
	kv     jetstream.KeyValue
	tried  time.Time // last re-creation attempt, to do it at most once a second
	nowFor func() time.Time
}

func newBucket(js jetstream.JetStream, cfg jetstream.KeyValueConfig, now func() time.Time) *bucket {
	return &bucket{js: js, cfg: cfg, nowFor: now}
}

// ensure creates or updates the bucket and keeps its handle.
func (b *bucket) ensure(ctx context.Context) (jetstream.KeyValue, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, b.cfg)
	if err != nil {
		return nil, fmt.Errorf("create or update KV bucket %s: %w", b.cfg.Bucket, err)
	}
	b.mu.Lock()
	b.kv = kv
	b.mu.Unlock()
	return kv, nil
}

// handle returns the bucket's handle (never nil after a successful ensure).
func (b *bucket) handle() jetstream.KeyValue {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.kv
}

// repair re-creates the bucket, at most once a second, when err says it is
// gone. It reports whether it did.
func (b *bucket) repair(ctx context.Context, err error) bool {
	if !bucketMissing(err) {
		return false
	}
	b.mu.Lock()
	now := b.nowFor()
	if now.Sub(b.tried) < time.Second {
		b.mu.Unlock()
		return false
	}
	b.tried = now
	b.mu.Unlock()
	_, err = b.ensure(ctx)
	return err == nil
}

// bucketMissing reports whether err means the bucket's stream does not exist
// (as opposed to NATS being unreachable).
func bucketMissing(err error) bool {
	return errors.Is(err, jetstream.ErrBucketNotFound) ||
		errors.Is(err, jetstream.ErrStreamNotFound) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrNoResponders)
}
