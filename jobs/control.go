package jobs

import (
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ControlBucket is the KV bucket (file storage) of operator switches. The
// key PauseKey(t) present means job type t is paused: workers stop taking
// new jobs of that type until the key is deleted. Whoever needs the bucket
// first creates it with ControlBucketConfig, idempotently.
const ControlBucket = "couponq_control"

// pauseKeyPrefix is followed by the job type.
const pauseKeyPrefix = "pause."

// PauseKey is the control-bucket key that pauses job type t: "pause.<type>".
func PauseKey(t Type) string { return pauseKeyPrefix + string(t) }

// Pause is the value of a pause key: who paused the type, why and when.
type Pause struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// ControlBucketConfig is the configuration of ControlBucket, the same for
// every process that creates it.
func ControlBucketConfig(replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      ControlBucket,
		Description: "couponq operator switches (pause.<type>)",
		History:     5,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	}
}
