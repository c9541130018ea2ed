package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/jobs"
)

// PauseType pauses job type t: it puts jobs.PauseKey(t) into the control
// bucket (creating the bucket when needed). Pausing a paused type replaces
// who, why and when.
func PauseType(ctx context.Context, js jetstream.JetStream, replicas int, t jobs.Type, p jobs.Pause) error {
	kv, err := EnsureBucket(ctx, js, jobs.ControlBucketConfig(replicas))
	if err != nil {
		return err
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode pause: %w", err)
	}
	if _, err := kv.Put(ctx, jobs.PauseKey(t), data); err != nil {
		return fmt.Errorf("pause %s: %w", t, err)
	}
	return nil
}

// ResumeType deletes the pause key of t. It reports whether t was paused.
func ResumeType(ctx context.Context, js jetstream.JetStream, t jobs.Type) (bool, error) {
	kv, err := OpenBucket(ctx, js, jobs.ControlBucket)
	if err != nil || kv == nil {
		return false, err
	}
	if _, err := kv.Get(ctx, jobs.PauseKey(t)); errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("read pause of %s: %w", t, err)
	}
	if err := kv.Delete(ctx, jobs.PauseKey(t)); err != nil {
		return false, fmt.Errorf("resume %s: %w", t, err)
	}
	return true, nil
}

// Paused returns the paused job types and their pause records.
func Paused(ctx context.Context, js jetstream.JetStream) (map[jobs.Type]jobs.Pause, error) {
	out := map[jobs.Type]jobs.Pause{}
	kv, err := OpenBucket(ctx, js, jobs.ControlBucket)
	if err != nil || kv == nil {
		return out, err
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return out, fmt.Errorf("list %s: %w", jobs.ControlBucket, err)
	}
	for k := range keys.Keys() {
		t, ok := strings.CutPrefix(k, jobs.PauseKey(""))
		if !ok {
			continue
		}
		var p jobs.Pause
		if e, err := kv.Get(ctx, k); err == nil {
			_ = json.Unmarshal(e.Value(), &p)
			if p.At.IsZero() {
				p.At = e.Created()
			}
		}
		out[jobs.Type(t)] = p
	}
	return out, nil
}
