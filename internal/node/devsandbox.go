package node

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

// devSandboxKey is the control-bucket key where a worker that runs the
// sandbox in-process advertises it, so that a second worker started in dev
// mode against the same NATS uses that sandbox instead of its own (two
// sandboxes would each accept the same coupon once: a double redemption).
const devSandboxKey = "sandbox.dev"

// devSandbox is the advertised sandbox.
type devSandbox struct {
	Primary string `json:"primary"`
	Backup  string `json:"backup"`
	KeysDir string `json:"keys_dir"`
	Worker  string `json:"worker"`
}

// sharedSandbox returns the sandbox another worker of this NATS runs, when
// it answers and uses the same keys directory.
func (rt *Node) sharedSandbox(ctx context.Context, keysDir string) (devSandbox, bool) {
	kv, err := rt.JS.KeyValue(ctx, jobs.ControlBucket)
	if err != nil {
		return devSandbox{}, false
	}
	e, err := kv.Get(ctx, devSandboxKey)
	if err != nil {
		return devSandbox{}, false
	}
	var s devSandbox
	if json.Unmarshal(e.Value(), &s) != nil || s.KeysDir != absPath(keysDir) {
		return devSandbox{}, false
	}
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := (&sandbox.AdminClient{BaseURL: s.Primary}).Limits(actx); err != nil {
		return devSandbox{}, false // its worker is gone
	}
	return s, true
}

// advertiseSandbox publishes this worker's in-process sandbox and removes
// the advertisement at Close.
func (rt *Node) advertiseSandbox(ctx context.Context, s devSandbox) {
	kv, err := rt.JS.KeyValue(ctx, jobs.ControlBucket)
	if err != nil {
		rt.log.Warn("cannot advertise the dev sandbox to other workers", zap.Error(err))
		return
	}
	s.KeysDir = absPath(s.KeysDir)
	b, err := json.Marshal(s)
	if err != nil {
		return
	}
	rev, err := kv.Put(ctx, devSandboxKey, b)
	if err != nil {
		rt.log.Warn("cannot advertise the dev sandbox to other workers", zap.Error(err))
		return
	}
	rt.closers = append(rt.closers, func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// Only our own advertisement: another worker may have replaced it.
		if err := kv.Delete(cctx, devSandboxKey, jetstream.LastRevision(rev)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			rt.log.Debug("dev sandbox advertisement left behind", zap.Error(err))
		}
	})
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
