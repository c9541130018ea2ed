package admin

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// OpenBucket returns the KV bucket name, or nil (and no error) when it does
// not exist: readers treat a missing bucket as empty and never create it.
func OpenBucket(ctx context.Context, js jetstream.JetStream, name string) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open KV bucket %s: %w", name, err)
	}
	return kv, nil
}

// EnsureBucket opens the KV bucket of cfg, creating it when it does not
// exist. An existing bucket is never changed, so every process that creates
// it may race: the loser opens the winner's.
func EnsureBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	if kv, err := OpenBucket(ctx, js, cfg.Bucket); err != nil || kv != nil {
		return kv, err
	}
	kv, err := js.CreateKeyValue(ctx, cfg)
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, cfg.Bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("create KV bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}
