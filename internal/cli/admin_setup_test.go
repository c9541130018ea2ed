package cli_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/cli"
	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/testio"
	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// adminBundle is an embedded JetStream with the contract's streams (as a
// worker creates them, but no worker) and a producer config pointing at it.
type adminBundle struct {
	srv *natstest.Server
	cfg string
	ctx context.Context
	dir string
}

func adminSetup(t *testing.T) *adminBundle {
	t.Helper()
	srv := natstest.Start(t)
	ctx := natstest.Context(t)
	require.NoError(t, worker.EnsureStreams(ctx, srv.JS, worker.StreamsConfig{}))
	dir := t.TempDir()
	cfg := filepath.Join(dir, "producer.yaml")
	// A producer's config: NATS only, no merchants, no keys.
	require.NoError(t, os.WriteFile(cfg, []byte("nats:\n  url: "+srv.ClientURL()+"\nwechat:\n  sandbox: false\n"), 0o600))
	return &adminBundle{srv: srv, cfg: cfg, ctx: ctx, dir: dir}
}

// admin runs `couponq args...` with --config after the command words.
func (b *adminBundle) admin(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return b.adminCtx(b.ctx, t, args...)
}

func (b *adminBundle) adminCtx(ctx context.Context, t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut testio.Buffer
	code := cli.RunAdmin(ctx, withConfig(args, b.cfg), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// enqueue runs the enqueue command with the bundle's config.
func (b *adminBundle) enqueue(t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	return b.enqueueCtx(b.ctx, t, stdin, args...)
}

func (b *adminBundle) enqueueCtx(ctx context.Context, t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut testio.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	code := cli.RunEnqueue(ctx, append([]string{"--config", b.cfg}, args...), stdin, &out, &errOut)
	return code, out.String(), errOut.String()
}

// withConfig puts --config after the (sub)command words.
func withConfig(args []string, cfg string) []string {
	n := 1
	if len(args) > 1 && args[0] == "dlq" {
		n = 2
	}
	if len(args) < n {
		return args
	}
	out := append([]string{}, args[:n]...)
	out = append(out, "--config", cfg)
	return append(out, args[n:]...)
}

// writeFile writes a test input file and returns its path.
func (b *adminBundle) writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(b.dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

// deadLetter publishes a dead letter as a worker would: the job's bytes on
// couponq.dlq.<type> with the reason in headers. It returns its sequence.
func (b *adminBundle) deadLetter(t *testing.T, typ jobs.Type, id, code, campaign string, body string) uint64 {
	t.Helper()
	if body == "" {
		meta := ""
		if campaign != "" {
			meta = `,"meta":{"campaign":"` + campaign + `"}`
		}
		body = `{"id":"` + id + `","request":{"stock_id":"100088"}` + meta + `}`
	}
	h := nats.Header{}
	h.Set(jobs.HeaderErrorCode, code)
	h.Set(jobs.HeaderFailureClass, jobs.FailureClass(code))
	h.Set(jobs.HeaderErrorMessage, "because "+code)
	h.Set(jobs.HeaderAttempts, "3")
	h.Set(jobs.HeaderJobSubject, jobs.JobSubject(typ))
	h.Set(jobs.HeaderJobSequence, "7")
	h.Set(jobs.HeaderWorker, "w-1")
	h.Set(jobs.HeaderRequestID, "REQ-"+id)
	h.Set(jobs.HeaderFailedAt, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339Nano))
	ack, err := b.srv.JS.PublishMsg(b.ctx, &nats.Msg{Subject: jobs.DLQSubject(typ), Data: []byte(body), Header: h},
		jetstream.WithMsgID(jobs.MsgID(typ, id)))
	require.NoError(t, err)
	return ack.Sequence
}

// result publishes a result as a worker would.
func (b *adminBundle) result(t *testing.T, r jobs.Result, msgID string) {
	t.Helper()
	if r.Status == "" {
		r.Status = jobs.StatusSucceeded
		if r.Error != nil {
			r.Status = jobs.StatusFailed
		}
	}
	data, err := json.Marshal(r)
	require.NoError(t, err)
	if msgID == "" {
		msgID = jobs.MsgID(r.Type, r.ID)
		if r.Replay > 0 {
			msgID = jobs.ReplayMsgID(r.Type, r.ID, r.Replay)
		}
	}
	_, err = b.srv.JS.PublishMsg(b.ctx, &nats.Msg{Subject: jobs.ResultSubject(r.Type, r.Status), Data: data, Header: nats.Header{}},
		jetstream.WithMsgID(msgID))
	require.NoError(t, err)
}

// streamMsgs counts the messages of a stream.
func (b *adminBundle) streamMsgs(t *testing.T, name string) uint64 {
	t.Helper()
	s, err := b.srv.JS.Stream(b.ctx, name)
	require.NoError(t, err)
	info, err := s.Info(b.ctx)
	require.NoError(t, err)
	return info.State.Msgs
}

// jobsOnStream returns the job bodies and message ids of the jobs stream.
func (b *adminBundle) jobsOnStream(t *testing.T) (bodies []jobs.Job, msgIDs []string) {
	t.Helper()
	s, err := b.srv.JS.Stream(b.ctx, jobs.JobsStream)
	require.NoError(t, err)
	info, err := s.Info(b.ctx)
	require.NoError(t, err)
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(b.ctx, seq)
		if err != nil {
			continue
		}
		var j jobs.Job
		require.NoError(t, json.Unmarshal(m.Data, &j))
		bodies = append(bodies, j)
		msgIDs = append(msgIDs, m.Header.Get(jetstream.MsgIDHeader))
	}
	return bodies, msgIDs
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/cli -run %s -update to create it", t.Name())
	assert.Equal(t, string(want), got, "golden file %s (go test -update rewrites it)", path)
}

func itoa(n int) string { return strconv.Itoa(n) }
