package harness

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

// MeasuredPrefix marks the redemptions whose latency is measured.
const MeasuredPrefix = "RD"

// ResultGrace is how long, after a window, results of its redemptions may
// still arrive before they count as missing.
const ResultGrace = 10 * time.Second

// IsMeasured selects the measured redemptions' message ids for the watcher.
func IsMeasured(msgID string) bool {
	return strings.HasPrefix(msgID, string(jobs.TypeBusifavorUse)+"/BENCH-"+MeasuredPrefix+"-")
}

// Prober sends single busifavor.use redemptions through the queue at a
// steady interval (when Queue is set) and, half an interval later each time,
// one call of DirectOp straight to the sandbox with a signed client: the
// second is the API's own latency under the same load, the yardstick for the
// first. DirectOp is busifavor.use, or busifavor.stock.get where direct
// busifavor.use calls would count against the limit being measured.
type Prober struct {
	Producer *jobs.Producer      // publishes the redemptions
	Client   *wechat.Client      // signed client for the direct calls; nil: none
	Watcher  *Watcher            // sees the redemptions' results
	Every    time.Duration       // one redemption (and one direct call) per Every
	Queue    bool                // send redemptions through the queue
	DirectOp marketing.Operation // the operation of the direct calls
}

// ProbeResult holds one window's latencies.
type ProbeResult struct {
	// Queued are enqueue→result latencies: from just before the publish to
	// the result's arrival at the benchmark.
	Queued []time.Duration
	// Missing counts redemptions without a result within ResultGrace;
	// Failed those whose publish failed.
	Missing, Failed int
	// Direct are the direct API calls' latencies; DirectFailed counts their
	// errors and DirectErr is the last one.
	Direct       []time.Duration
	DirectFailed int
	DirectErr    error
}

// NewDirectClient is a wechat.Client for the sandbox with the key files it
// wrote, without pacer or backup host.
func NewDirectClient(keysDir, baseURL string) (*wechat.Client, error) {
	_, files, err := sandbox.GenerateMerchant(filepath.Join(keysDir, MchID), MchID)
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

// Run probes for d, naming jobs with prefix, and returns the latencies once
// every result has arrived or ResultGrace has passed. Only MeasuredPrefix
// jobs are tracked by the watcher; other prefixes (warmup) are sent and
// forgotten.
func (p *Prober) Run(ctx context.Context, prefix string, d time.Duration) ProbeResult {
	var (
		mu     sync.Mutex
		res    ProbeResult
		starts = map[string]time.Time{}
		wg     sync.WaitGroup
	)
	end := time.Now().Add(d)
	tick := time.NewTicker(p.Every)
	defer tick.Stop()
	for i := 1; time.Now().Before(end); i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if !p.Queue {
				return
			}
			job := UseJob(prefix, i)
			start := time.Now()
			_, err := p.Producer.Publish(ctx, jobs.TypeBusifavorUse, job)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Failed++
				return
			}
			starts[jobs.MsgID(jobs.TypeBusifavorUse, UseRequestNo(prefix, i))] = start
		}()
		go func() {
			defer wg.Done()
			select {
			case <-time.After(p.Every / 2):
			case <-ctx.Done():
				return
			}
			lat, err := p.Direct(ctx, "D"+prefix, i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.DirectFailed++
				res.DirectErr = err
				return
			}
			res.Direct = append(res.Direct, lat)
		}()
		select {
		case <-tick.C:
		case <-ctx.Done():
			wg.Wait()
			return res
		}
	}
	wg.Wait()
	if prefix != MeasuredPrefix {
		return res
	}
	res.Queued, res.Missing = p.Watcher.Latencies(ctx, starts)
	return res
}

// Direct times one signed call of DirectOp straight to the sandbox.
func (p *Prober) Direct(ctx context.Context, prefix string, i int) (time.Duration, error) {
	start := time.Now()
	if p.DirectOp == marketing.OpBusifavorStockGet {
		_, _, err := p.Client.GetBusifavorStock(ctx, MchID, &marketing.BusifavorStockGetRequest{StockID: sandbox.FixtureBusifavorStockID})
		return time.Since(start), err
	}
	_, _, err := p.Client.UseBusifavorCoupon(ctx, MchID, &marketing.BusifavorUseRequest{
		CouponCode:   fmt.Sprintf("%s%08d", prefix, i),
		StockID:      sandbox.FixtureBusifavorStockID,
		AppID:        sandbox.FixtureAppID,
		UseTime:      start.Format(time.RFC3339),
		UseRequestNo: UseRequestNo(prefix, i),
	})
	return time.Since(start), err
}
