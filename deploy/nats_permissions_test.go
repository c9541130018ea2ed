package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/cli"
	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/testio"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

// startWorker runs a real worker process (cli.RunWorker) connected as
// couponq-worker, calling an external sandbox on loopback. It stops when the
// test ends. It returns a config file for the same setup connecting as
// couponq-producer, for enqueue.
func startWorker(t *testing.T, ctx context.Context, url string) (producerConfig string) {
	t.Helper()
	keysDir := t.TempDir()
	k, _, err := sandbox.GenerateMerchant(filepath.Join(keysDir, sandbox.DefaultMchID), sandbox.DefaultMchID)
	require.NoError(t, err)
	sb, err := sandbox.New(sandbox.Config{Merchants: []sandbox.MerchantKeys{k}})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	hs := httptest.NewServer(sb.Handler())
	t.Cleanup(hs.Close)

	writeConfig := func(user, password string) string {
		path := filepath.Join(t.TempDir(), "config.yaml")
		body := fmt.Sprintf("worker:\n  id: perm-worker\nnats:\n  url: %s\n  user: %s\n  password: %s\n"+
			"wechat:\n  sandbox: true\n  base_url: %s\n  backup_url: \"-\"\n  sandbox_keys_dir: %s\nmerchants:\n  - mchid: %q\nlog:\n  level: warn\n",
			url, user, password, hs.URL, keysDir, sandbox.DefaultMchID)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		return path
	}
	workerConfig := writeConfig("couponq-worker", workerPassword)

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var errOut testio.Buffer
		if code := cli.RunWorker(ctx, []string{"--config", workerConfig}, &testio.Buffer{}, &errOut); code != 0 {
			t.Errorf("worker exited %d:\n%s", code, errOut.String())
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return writeConfig("couponq-producer", producerPassword)
}

// TestLeastPrivilege runs the shipped nats-server.conf with a real worker
// connected as couponq-worker and the producer library connected as
// couponq-producer: the producer publishes a job and reads its result, the
// worker publishes that result, and the producer cannot forge results, dead
// letters or rate-limit state, nor touch streams or the job consumers.
func TestLeastPrivilege(t *testing.T) {
	url := startShippedServer(t)
	ctx := natstest.Context(t)
	producerConfig := startWorker(t, ctx, url)

	// The producer's happy path: publish (waiting for the worker to create
	// the stream) and read the result back, through the library users call.
	pnc, pViolations := connectAs(t, url, "couponq-producer", producerPassword)
	pjs, err := jetstream.New(pnc)
	require.NoError(t, err)
	pub, err := jobs.NewProducer(pjs, jobs.ProducerConfig{}).Publish(ctx, jobs.TypeBusifavorStockGet,
		jobs.Job{ID: "perm-1", Request: json.RawMessage(`{"stock_id":"` + sandbox.FixtureBusifavorStockID + `"}`)})
	require.NoError(t, err, "the producer may publish jobs")
	res, err := jobs.AwaitResults(ctx, pjs, []string{pub.MsgID}, time.Time{}, nil)
	require.NoError(t, err, "the producer may read results")
	require.Equal(t, jobs.StatusSucceeded, res[pub.MsgID].Status, "%+v", res[pub.MsgID].Error)
	assert.Equal(t, "perm-worker", res[pub.MsgID].Worker, "the worker published the result")

	t.Run("enqueue works as the producer", func(t *testing.T) {
		var out, errOut testio.Buffer
		code := cli.RunEnqueue(ctx, []string{"--config", producerConfig, "--type", string(jobs.TypeBusifavorStockGet),
			"--id", "perm-2", "--request", `{"stock_id":"` + sandbox.FixtureBusifavorStockID + `"}`, "--wait"},
			strings.NewReader(""), &out, &errOut)
		require.Zero(t, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
		assert.Contains(t, out.String(), `"status":"succeeded"`)
	})

	anc, _ := connectAs(t, url, "couponq-admin", adminPassword)
	ajs, err := jetstream.New(anc)
	require.NoError(t, err)
	resultsBefore := streamMsgs(t, ctx, ajs, jobs.ResultsStream)

	t.Run("producer cannot forge a result", func(t *testing.T) {
		forged := "couponq.results.busifavor.use.succeeded"
		requireDenied(t, pnc, pViolations, forged)
		_, err := pjs.Publish(shortCtx(t, ctx), forged, []byte(`{"id":"fake"}`))
		require.Error(t, err, "a JetStream publish of a result gets no acknowledgement")
		assert.Equal(t, resultsBefore, streamMsgs(t, ctx, ajs, jobs.ResultsStream), "nothing was stored")
	})
	t.Run("producer cannot publish dead letters or flow and wake-up messages", func(t *testing.T) {
		for _, subj := range []string{"couponq.dlq.busifavor.use", "couponq.flow.x", "couponq.wake.x"} {
			requireDenied(t, pnc, pViolations, subj)
		}
	})
	t.Run("producer cannot touch the rate-limit buckets", func(t *testing.T) {
		requireDenied(t, pnc, pViolations, "$KV.couponq_ratelimit.x")
		requireDenied(t, pnc, pViolations, "$KV.couponq_workers.x")
		requireDenied(t, pnc, pViolations, "$JS.API.DIRECT.GET.KV_couponq_ratelimit.$KV.couponq_ratelimit.x")
	})
	t.Run("producer cannot change streams or take jobs", func(t *testing.T) {
		for _, subj := range []string{
			"$JS.API.STREAM.CREATE.EVIL",
			"$JS.API.STREAM.DELETE." + jobs.JobsStream,
			"$JS.API.STREAM.PURGE." + jobs.ResultsStream,
			"$JS.API.STREAM.UPDATE." + jobs.ResultsStream,
			"$JS.API.CONSUMER.CREATE." + jobs.JobsStream + ".thief",
			"$JS.API.CONSUMER.MSG.NEXT." + jobs.JobsStream + ".couponq_busifavor_use",
			"$JS.API.CONSUMER.DELETE." + jobs.JobsStream + ".couponq_busifavor_use",
		} {
			requireDenied(t, pnc, pViolations, subj)
		}
	})
	t.Run("worker may publish results but not jobs", func(t *testing.T) {
		wnc, wViolations := connectAs(t, url, "couponq-worker", workerPassword)
		wjs, err := jetstream.New(wnc)
		require.NoError(t, err)
		_, err = wjs.Publish(ctx, "couponq.results.busifavor.use.succeeded", []byte(`{"id":"by-worker"}`),
			jetstream.WithMsgID("busifavor.use/by-worker"))
		require.NoError(t, err)
		assert.Equal(t, resultsBefore+1, streamMsgs(t, ctx, ajs, jobs.ResultsStream))
		requireDenied(t, wnc, wViolations, "couponq.jobs.busifavor.use")
	})
}

// requireDenied publishes to subject on nc and waits for the server's
// permissions violation naming it (violations for other subjects, such as
// one a JetStream publish raised earlier, are passed over).
func requireDenied(t *testing.T, nc *nats.Conn, violations <-chan error, subject string) {
	t.Helper()
	require.NoError(t, nc.Publish(subject, []byte("x")))
	require.NoError(t, nc.Flush())
	timeout := time.After(10 * time.Second)
	for {
		select {
		case err := <-violations:
			require.ErrorIs(t, err, nats.ErrPermissionViolation)
			if strings.Contains(err.Error(), `"`+subject+`"`) {
				return
			}
		case <-timeout:
			t.Fatalf("publish to %s was not denied", subject)
		}
	}
}

// streamMsgs is the number of messages stream holds.
func streamMsgs(t *testing.T, ctx context.Context, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	s, err := js.Stream(ctx, stream)
	require.NoError(t, err)
	info, err := s.Info(ctx)
	require.NoError(t, err)
	return info.State.Msgs
}

// shortCtx bounds a call that is expected to fail for lack of an answer.
func shortCtx(t *testing.T, ctx context.Context) context.Context {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	t.Cleanup(cancel)
	return ctx
}
