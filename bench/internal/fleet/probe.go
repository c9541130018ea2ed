package fleet

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

// measuredPrefix marks the redemptions whose latency is measured.
const measuredPrefix = "RD"

// resultGrace is how long, after a window, results of its redemptions may
// still arrive before they count as missing.
const resultGrace = 10 * time.Second

// isMeasured selects the measured redemptions' message ids for the watcher.
func isMeasured(msgID string) bool {
	return strings.HasPrefix(msgID, string(jobs.TypeBusifavorUse)+"/BENCH-"+measuredPrefix+"-")
}

// prober sends single busifavor.use redemptions through the queue at a
// steady interval (when queue is set) and, half an interval later each time,
// one call of directOp straight to the sandbox with a signed client: the
// second is the API's own latency under the same load, the yardstick for the
// first. directOp is busifavor.use, or busifavor.stock.get where direct
// busifavor.use calls would count against the limit being measured.
type prober struct {
	producer *jobs.Producer
	client   *wechat.Client
	w        *watcher
	every    time.Duration
	queue    bool
	directOp marketing.Operation
}

// probeResult holds one window's latencies.
type probeResult struct {
	// queued are enqueue→result latencies: from just before the publish to
	// the result's arrival at the benchmark.
	queued []time.Duration
	// missing counts redemptions without a result within resultGrace;
	// failed those whose publish failed.
	missing, failed int
	// direct are the direct API calls' latencies; directFailed their errors.
	direct       []time.Duration
	directFailed int
	directErr    error
}

// newDirectClient is a wechat.Client for the sandbox with the key files it
// wrote, without pacer or backup host.
func newDirectClient(keysDir, baseURL string) (*wechat.Client, error) {
	_, files, err := sandbox.GenerateMerchant(filepath.Join(keysDir, mchid), mchid)
	if err != nil {
		return nil, fmt.Errorf("sandbox keys: %w", err)
	}
	m, err := wechat.LoadMerchant(files)
	if err != nil {
		return nil, fmt.Errorf("sandbox merchant: %w", err)
	}
	c, err := wechat.New(wechat.Config{BaseURL: baseURL, BackupURL: wechat.NoBackup, MaxConnsPerHost: 8}, m)
	if err != nil {
		return nil, fmt.Errorf("direct client: %w", err)
	}
	return c, nil
}

// run probes for d, naming jobs with prefix, and returns the latencies once
// every result has arrived or resultGrace has passed. Only measuredPrefix
// jobs are tracked by the watcher; other prefixes (warmup) are sent and
// forgotten.
func (p *prober) run(ctx context.Context, prefix string, d time.Duration) probeResult {
	var (
		mu     sync.Mutex
		res    probeResult
		starts = map[string]time.Time{}
		wg     sync.WaitGroup
	)
	end := time.Now().Add(d)
	tick := time.NewTicker(p.every)
	defer tick.Stop()
	for i := 1; time.Now().Before(end); i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if !p.queue {
				return
			}
			job := useJob(prefix, i)
			start := time.Now()
			_, err := p.producer.Publish(ctx, jobs.TypeBusifavorUse, job)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.failed++
				return
			}
			starts[jobs.MsgID(jobs.TypeBusifavorUse, useRequestNo(prefix, i))] = start
		}()
		go func() {
			defer wg.Done()
			select {
			case <-time.After(p.every / 2):
			case <-ctx.Done():
				return
			}
			lat, err := p.direct(ctx, "D"+prefix, i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.directFailed++
				res.directErr = err
				return
			}
			res.direct = append(res.direct, lat)
		}()
		select {
		case <-tick.C:
		case <-ctx.Done():
			wg.Wait()
			return res
		}
	}
	wg.Wait()
	if prefix != measuredPrefix {
		return res
	}
	res.queued, res.missing = p.w.latencies(ctx, starts)
	return res
}

// direct times one signed call of directOp straight to the sandbox.
func (p *prober) direct(ctx context.Context, prefix string, i int) (time.Duration, error) {
	start := time.Now()
	if p.directOp == marketing.OpBusifavorStockGet {
		_, _, err := p.client.GetBusifavorStock(ctx, mchid, &marketing.BusifavorStockGetRequest{StockID: sandbox.FixtureBusifavorStockID})
		return time.Since(start), err
	}
	_, _, err := p.client.UseBusifavorCoupon(ctx, mchid, &marketing.BusifavorUseRequest{
		CouponCode:   fmt.Sprintf("%s%08d", prefix, i),
		StockID:      sandbox.FixtureBusifavorStockID,
		AppID:        sandbox.FixtureAppID,
		UseTime:      start.Format(time.RFC3339),
		UseRequestNo: useRequestNo(prefix, i),
	})
	return time.Since(start), err
}
