package node_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/couponq/couponq/internal/browsertest"
	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/node"
	"github.com/couponq/couponq/jobs"
)

// startNode runs a node on an external (test) NATS with the in-process
// sandbox and the operations server on a free loopback port.
func startNode(t *testing.T) (*node.Node, string) {
	t.Helper()
	return startNodeWith(t, "")
}

// startNodeWith is startNode with more top-level YAML in the config.
func startNodeWith(t *testing.T, extra string) (*node.Node, string) {
	t.Helper()
	srv := natstest.Start(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	body := "nats:\n  url: " + srv.ClientURL() + "\n" +
		"wechat:\n  sandbox: true\n  sandbox_keys_dir: " + filepath.Join(dir, "keys") + "\n" +
		"merchants:\n  - mchid: \"1900000001\"\n" +
		"http:\n  listen: 127.0.0.1:0\n" + extra
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	cfg, err := config.Load(path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(natstest.Context(t))
	n, err := node.Start(ctx, cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NotNil(t, n.HTTP, "ops server started")
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx, nil) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		n.Close()
	})
	return n, "http://" + n.HTTP.Addr()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// runJobs publishes n stock queries through the contract subject and waits
// for their results.
func runJobs(t *testing.T, n *node.Node, count int) {
	t.Helper()
	p := jobs.NewProducer(n.JS, jobs.ProducerConfig{})
	var ids []string
	for i := range count {
		pub, err := p.Publish(natstest.Context(t), jobs.TypeBusifavorStockGet,
			jobs.Job{ID: "ops-" + string(rune('a'+i)), Request: json.RawMessage(`{"stock_id":"100088"}`)})
		require.NoError(t, err)
		ids = append(ids, pub.MsgID)
	}
	ctx, cancel := context.WithTimeout(natstest.Context(t), 30*time.Second)
	defer cancel()
	res, err := jobs.AwaitResults(ctx, n.JS, ids, time.Time{}, nil)
	require.NoError(t, err)
	for _, r := range res {
		require.Equal(t, jobs.StatusSucceeded, r.Status)
	}
}

func TestOpsEndpointsReportRealJobs(t *testing.T) {
	n, base := startNode(t)
	require.Eventually(t, func() bool { code, _ := get(t, base+"/readyz"); return code == http.StatusOK },
		10*time.Second, 10*time.Millisecond, "ready once the worker runs")
	code, _ := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, code)
	runJobs(t, n, 3)
	var m string
	lines := map[string]bool{}
	scrape := func() {
		_, m = get(t, base+"/metrics")
		lines = map[string]bool{}
		for _, l := range strings.Split(m, "\n") {
			lines[l] = true
		}
	}
	// The result is stored just before the job's counters move, and fleet
	// gauges are cached for a second: wait for both.
	require.Eventually(t, func() bool {
		scrape()
		return lines[`couponq_jobs_finished_total{code="",outcome="succeeded",type="busifavor.stock.get"} 3`] &&
			lines[`couponq_rate_limit_requests_per_second{mchid="1900000001",type="busifavor.stock.get"} 50`]
	}, 10*time.Second, 50*time.Millisecond)
	for _, want := range []string{
		`couponq_jobs_finished_total{code="",outcome="succeeded",type="busifavor.stock.get"} 3`,
		`couponq_api_request_duration_seconds_count{endpoint="busifavor.stock.get",status_class="2xx"} 3`,
		`couponq_rate_limit_requests_per_second{mchid="1900000001",type="busifavor.stock.get"} 50`,
		"couponq_live_workers 1",
		"couponq_snapshot_success 1",
		"couponq_ready 1",
	} {
		assert.True(t, lines[want], "metrics line %q", want)
	}
	assert.False(t, strings.Contains(m, "ops-a"), "no job id in any label")

	n.NC.Close() // NATS lost: readiness drops
	code, body := get(t, base+"/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "NATS not connected")
}

func TestDashboardShowsLiveNumbersAfterJobsRan(t *testing.T) {
	exe := browsertest.Chromium(t)
	n, base := startNode(t)
	runJobs(t, n, 4)
	ctx := browsertest.Browser(t, exe)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`article[data-type="busifavor.stock.get"]`)),
	))
	require.NoError(t, chromedp.Do(ctx, chromedp.Poll[chromedp.Void](
		`document.querySelector('#total-succeeded').textContent.trim() === '4' &&
		 document.querySelector('#ready').textContent === 'ready'`, chromedp.WithPollingTimeout(20*time.Second))),
		"the succeeded counter shows the four jobs, the worker is ready")
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	if p := os.Getenv("DASHBOARD_SCREENSHOT"); p != "" {
		require.NoError(t, os.WriteFile(p, shot, 0o644))
	}
	colours, ink := browsertest.Inspect(t, shot)
	assert.Greater(t, colours, 200, "not blank")
	assert.Greater(t, ink, 0.05, "not blank")
}
