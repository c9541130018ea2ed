package cli_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/internal/cli"
	"github.com/couponq/couponq/internal/testio"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

// An update fails through an API outage (RETRIES_EXHAUSTED, an operational
// dead letter); once the API is back, two operators replay it at once: one
// new result, one effect at the sandbox.
func TestReplayAfterOutageTakesEffectOnce(t *testing.T) {
	b := adminSetup(t)
	keysDir := filepath.Join(b.dir, "keys")
	keys, _, err := sandbox.GenerateMerchant(filepath.Join(keysDir, "1900000001"), "1900000001")
	require.NoError(t, err)
	sb, err := sandbox.New(sandbox.Config{Merchants: []sandbox.MerchantKeys{keys}})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	api := httptest.NewServer(sb.Handler())
	t.Cleanup(api.Close)
	workerCfg := filepath.Join(b.dir, "worker.yaml")
	require.NoError(t, os.WriteFile(workerCfg, []byte("nats:\n  url: "+b.srv.ClientURL()+"\n"+
		"wechat:\n  sandbox: true\n  sandbox_keys_dir: "+keysDir+"\n  base_url: "+api.URL+"\n  backup_url: \"-\"\n"+
		"merchants:\n  - mchid: \"1900000001\"\n"+
		"retry:\n  max_attempts: 2\n  initial_interval: 20ms\n  max_interval: 50ms\n"), 0o600))
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan int, 1)
	var werr testio.Buffer
	go func() { done <- cli.RunWorker(ctx, []string{"--config", workerCfg}, &testio.Buffer{}, &werr) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	// The outage: every request fails with a 5xx before it takes effect.
	sb.Inject(sandbox.Fault{Op: marketing.OpProductCouponUpdate, Kind: sandbox.FailBeforeEffect, Count: 1000})
	job := `{"type":"product_coupon.update","request":{"product_coupon_id":"1000000013","out_request_no":"UPD-OUTAGE-1","brand_id":"120344",` +
		`"display_info":{"name":"Outage sale","image_url":"https://x/i.png","background_url":"https://x/b.png"}}}`
	code, out, stderr := b.enqueue(t, strings.NewReader(job), "--wait", "--timeout", "60s")
	require.Equal(t, 1, code, "stderr:\n%s\nworker:\n%s", stderr, werr.String())
	assert.Contains(t, out, `"code":"RETRIES_EXHAUSTED"`)
	assert.Equal(t, 0, sb.Effects(marketing.OpProductCouponUpdate))
	var dead *admin.DeadLetter
	require.NoError(t, admin.ScanDeadLetters(b.ctx, b.srv.JS, admin.DeadLetterFilter{IDs: []string{"UPD-OUTAGE-1"}}, false, func(d *admin.DeadLetter) error {
		dead = d
		return nil
	}))
	require.NotNil(t, dead)
	assert.Equal(t, jobs.ClassOperational, dead.Class)

	// The cause is fixed; two replays race.
	sb.ClearFaults()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _, stderr := b.admin(t, "dlq", "replay", "--keep", itoa(int(dead.Seq)))
			assert.Equal(t, 0, code, stderr)
		}()
	}
	wg.Wait()
	replayID := jobs.ReplayMsgID(jobs.TypeProductCouponUpdate, "UPD-OUTAGE-1", dead.Seq)
	wctx, wcancel := context.WithTimeout(b.ctx, natsWait)
	defer wcancel()
	got, err := jobs.AwaitResults(wctx, b.srv.JS, []string{replayID}, dead.FailedAt.Add(-1), nil)
	require.NoError(t, err, "worker:\n%s", werr.String())
	r := got[replayID]
	assert.Equal(t, jobs.StatusSucceeded, r.Status)
	assert.Equal(t, dead.Seq, r.Replay, "the result says which dead letter it replays")
	assert.Equal(t, "UPD-OUTAGE-1", r.ID)
	assert.Equal(t, 1, sb.Effects(marketing.OpProductCouponUpdate), "one effect")
	// One new result: the first run's and the replay's.
	code, out, _ = b.admin(t, "results", "--id", "UPD-OUTAGE-1")
	require.Equal(t, 0, code)
	assert.Equal(t, 2, strings.Count(out, "\n"), out)
}
