package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"
)

// TestStreamLeaderLossMidRun runs a real 3-node JetStream cluster (R3
// streams, fsync before ack), the sandbox and two worker processes, feeds
// redemptions steadily, and stops the node that leads the jobs stream in
// the middle. Every job must still get exactly one result and take effect
// exactly once; the worker on the stopped node loses readiness and gets it
// back; its metrics show the jobs and readiness.
func TestStreamLeaderLossMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster and worker processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bins := buildBinaries(t)
	dir := t.TempDir()
	nodes := startNATSCluster(t, bins.nats, dir)

	keys := filepath.Join(dir, "keys")
	sbURL := startSandbox(t, bins.sandbox, dir, keys)
	admin := &sandbox.AdminClient{BaseURL: sbURL}

	// Worker i talks to node i only (it learns the others from the cluster).
	// Both at once on a fresh cluster: stream creation races and may time
	// out while leaders are elected; the workers retry rather than exit.
	w1 := startWorker(t, bins.worker, dir, "w1", nodes[0].url, sbURL, keys)
	w2 := startWorker(t, bins.worker, dir, "w2", nodes[1].url, sbURL, keys)
	waitReady(ctx, t, w1)
	waitReady(ctx, t, w2)

	nc, err := nats.Connect(strings.Join([]string{nodes[0].url, nodes[1].url, nodes[2].url}, ","), nats.MaxReconnects(-1))
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)

	// Make a node with a worker on it lead the jobs stream, then watch that
	// worker's readiness while the node goes away.
	leader := moveLeader(ctx, t, js, jobs.JobsStream, map[string]bool{nodes[0].name: true, nodes[1].name: true})
	victim, watched := nodes[0], w1
	if leader == nodes[1].name {
		victim, watched = nodes[1], w2
	}
	seenDown, seenUpAgain := watchReadiness(ctx, watched)

	p := jobs.NewProducer(js, jobs.ProducerConfig{})
	const total = 150
	var ids []string
	for i := range total {
		if i == total/3 {
			t.Logf("stopping %s, leader of %s", victim.name, jobs.JobsStream)
			victim.proc.stop(t)
		}
		pub, err := p.Publish(ctx, jobs.TypeBusifavorUse, redemption(i))
		require.NoError(t, err, "job %d", i)
		ids = append(ids, pub.MsgID)
		time.Sleep(20 * time.Millisecond) // a steady 50 jobs/s, not a synchronisation
	}

	actx, acancel := context.WithTimeout(ctx, 2*time.Minute)
	defer acancel()
	results, err := jobs.AwaitResults(actx, js, ids, time.Time{}, nil)
	require.NoError(t, err, "every job gets its result")
	for id, r := range results {
		require.Equal(t, jobs.StatusSucceeded, r.Status, "%s: %+v", id, r.Error)
	}
	assert.Equal(t, total, countResults(ctx, t, js), "exactly one result per job")
	effects, err := admin.Effects(ctx)
	require.NoError(t, err)
	assert.Equal(t, total, effects[marketing.OpBusifavorUse], "each redemption took effect once")

	// The worker on the stopped node lost NATS (not ready) and found
	// another node (ready again). The window can be shorter than any poll,
	// so the worker's own log lines are the evidence; the poll reports what
	// it caught.
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(watched.proc.log)
		require.NoError(t, err)
		down := strings.Index(string(b), "disconnected from NATS")
		return down >= 0 && strings.Contains(string(b)[down:], "reconnected to NATS")
	}, time.Minute, 50*time.Millisecond, "%s lost its node and reconnected", watched.id)
	require.Eventually(t, func() bool { return scrape(t, watched)["couponq_ready"] == 1 }, time.Minute, 50*time.Millisecond)
	t.Logf("/readyz polling of %s: saw 503: %v, then 200: %v", watched.id, seenDown.Load(), seenUpAgain.Load())
	m1, m2 := scrape(t, w1), scrape(t, w2)
	assert.Equal(t, 1.0, m1["couponq_ready"], "w1 ready again")
	assert.Equal(t, 1.0, m2["couponq_ready"], "w2 ready again")
	finished := m1[`couponq_jobs_finished_total{code="",outcome="succeeded",type="busifavor.use"}`] +
		m2[`couponq_jobs_finished_total{code="",outcome="succeeded",type="busifavor.use"}`]
	assert.GreaterOrEqual(t, finished, float64(total), "the workers' metrics count every job")
}

func redemption(i int) jobs.Job {
	req, _ := json.Marshal(map[string]string{
		"coupon_code": fmt.Sprintf("CLUSTER-%05d", i), "stock_id": sandbox.FixtureBusifavorStockID,
		"appid": sandbox.FixtureAppID, "use_request_no": fmt.Sprintf("CLUSTERUSE%05d", i),
		"use_time": "2026-01-02T03:04:05+08:00", "openid": "oCluster",
	})
	return jobs.Job{Request: req}
}

// moveLeader steps the stream's leader down until one of want leads it:
// after each step-down it waits for the election's outcome (a leader other
// than the one stepped down) before judging it.
func moveLeader(ctx context.Context, t *testing.T, js jetstream.JetStream, stream string, want map[string]bool) string {
	t.Helper()
	leader := func() string {
		s, err := js.Stream(ctx, stream)
		if err != nil || s.CachedInfo().Cluster == nil {
			return ""
		}
		return s.CachedInfo().Cluster.Leader
	}
	for range 30 {
		var l string
		require.Eventually(t, func() bool { l = leader(); return l != "" }, 30*time.Second, 20*time.Millisecond, "%s has a leader", stream)
		if want[l] {
			return l
		}
		_, _ = js.Conn().RequestWithContext(ctx, "$JS.API.STREAM.LEADER.STEPDOWN."+stream, nil)
		require.Eventually(t, func() bool { n := leader(); return n != "" && n != l }, 30*time.Second, 20*time.Millisecond,
			"%s elects a leader other than %s", stream, l)
	}
	t.Fatalf("could not move the leader of %s", stream)
	return ""
}

// watchReadiness polls w's /readyz until the test ends and reports whether
// it saw a 503 and, after it, a 200.
func watchReadiness(ctx context.Context, w *workerProc) (down, upAgain *atomic.Bool) {
	down, upAgain = &atomic.Bool{}, &atomic.Bool{}
	var once sync.Once
	go once.Do(func() {
		client := &http.Client{Timeout: time.Second}
		for ctx.Err() == nil {
			resp, err := client.Get(w.http + "/readyz")
			if err == nil {
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusServiceUnavailable:
					down.Store(true)
				case resp.StatusCode == http.StatusOK && down.Load():
					upAgain.Store(true)
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	return down, upAgain
}

func countResults(ctx context.Context, t *testing.T, js jetstream.JetStream) int {
	t.Helper()
	s, err := js.Stream(ctx, jobs.ResultsStream)
	require.NoError(t, err)
	info, err := s.Info(ctx)
	require.NoError(t, err)
	return int(info.State.Msgs)
}
