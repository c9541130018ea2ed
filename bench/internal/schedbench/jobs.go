package schedbench

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/couponq/couponq/bench/internal/harness"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"
)

// jobSpec names a family of generated jobs: type, merchant, scheduling
// fields and the id prefix that keeps families apart (ids are unique per
// prefix and index, across merchants too, as JetStream de-duplicates ids
// stream-wide).
type jobSpec struct {
	typ      jobs.Type
	mchid    string
	prefix   string
	priority int    // 0: the default
	key      string // fairness key; "" for none
}

// job returns the i-th job of the family.
func (s jobSpec) job(i int) jobs.Job {
	var req []byte
	if s.typ == jobs.TypeProductCouponUpdate {
		req, _ = json.Marshal(marketing.ProductCouponUpdateRequest{
			ProductCouponID: sandbox.FixtureProductCouponID,
			OutRequestNo:    s.requestNo(i),
			DisplayInfo: &marketing.ProductCouponDisplayInfo{
				Name:          fmt.Sprintf("bench %d", i%100_000_000), // 3-15 characters
				ImageURL:      harness.ImageURL,
				BackgroundURL: harness.ImageURL,
			},
			BrandID: sandbox.FixtureBrandID,
		})
	} else {
		req, _ = json.Marshal(map[string]string{
			"coupon_code":    fmt.Sprintf("%s%08d", s.prefix, i),
			"stock_id":       sandbox.FixtureBusifavorStockID,
			"appid":          sandbox.FixtureAppID,
			"use_request_no": s.requestNo(i),
		})
	}
	return jobs.Job{MchID: s.mchid, Request: req, Priority: s.priority, FairnessKey: s.key}
}

// requestNo is the request number, and so the job id, of job i.
func (s jobSpec) requestNo(i int) string { return fmt.Sprintf("BENCH-%s-%08d", s.prefix, i) }

// msgID is the message id of job i.
func (s jobSpec) msgID(i int) string { return jobs.MsgID(s.typ, s.requestNo(i)) }

// idPrefix is what every message id of the family starts with.
func (s jobSpec) idPrefix() string { return string(s.typ) + "/BENCH-" + s.prefix + "-" }

// request returns job i as the typed API request, for a direct call.
func (s jobSpec) request(i int) (marketing.Request, error) {
	prep, err := jobs.Prepare(s.typ, s.job(i), time.Now())
	if err != nil {
		return nil, err
	}
	d, err := jobs.Decode(s.typ, prep.Data)
	if err != nil {
		return nil, err
	}
	return d.Req, nil
}

// publishAll publishes jobs from..to-1 of s with the asynchronous batch
// producer and returns how long it took.
func publishAll(ctx context.Context, p *jobs.Producer, s jobSpec, from, to int) (time.Duration, error) {
	start := time.Now()
	b := p.NewBatch(jobs.BatchConfig{Window: 1024})
	for i := from; i < to; i++ {
		if err := b.Add(ctx, s.typ, s.job(i)); err != nil {
			return 0, fmt.Errorf("publish %s: %w", s.msgID(i), err)
		}
	}
	rep, err := b.Wait(ctx)
	if err != nil {
		return 0, fmt.Errorf("publish %s jobs: %w", s.prefix, err)
	}
	if len(rep.Failed) > 0 {
		return 0, fmt.Errorf("publish %s jobs: %d not stored, first %s: %w", s.prefix, len(rep.Failed), rep.Failed[0].MsgID, rep.Failed[0].Err)
	}
	return time.Since(start), nil
}

// publishPaced publishes jobs of s at rate per second for d (in ticks of
// 20 ms), asynchronously, and returns how many it published.
func publishPaced(ctx context.Context, p *jobs.Producer, s jobSpec, rate float64, d time.Duration) (int, error) {
	const tick = 20 * time.Millisecond
	b := p.NewBatch(jobs.BatchConfig{Window: 4096})
	start := time.Now()
	t := time.NewTicker(tick)
	defer t.Stop()
	n := 0
	for ctx.Err() == nil {
		el := time.Since(start)
		if el >= d {
			break
		}
		for due := int(rate * el.Seconds()); n < due; n++ {
			if err := b.Add(ctx, s.typ, s.job(n)); err != nil {
				return n, fmt.Errorf("publish %s: %w", s.msgID(n), err)
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	rep, err := b.Wait(ctx)
	if err != nil {
		return n, fmt.Errorf("publish %s jobs: %w", s.prefix, err)
	}
	if len(rep.Failed) > 0 {
		return n, fmt.Errorf("publish %s jobs: %d not stored, first %s: %w", s.prefix, len(rep.Failed), rep.Failed[0].MsgID, rep.Failed[0].Err)
	}
	return n, nil
}

// directClientFor is a signed client of the sandbox for one merchant whose
// keys the sandbox wrote, without pacer or backup host.
func directClientFor(keysDir, baseURL, id string) (*wechat.Client, error) {
	_, files, err := sandbox.GenerateMerchant(filepath.Join(keysDir, id), id)
	if err != nil {
		return nil, fmt.Errorf("sandbox keys of %s: %w", id, err)
	}
	m, err := wechat.LoadMerchant(files)
	if err != nil {
		return nil, fmt.Errorf("sandbox merchant %s: %w", id, err)
	}
	c, err := wechat.New(wechat.Config{BaseURL: baseURL, BackupURL: wechat.NoBackup, MaxConnsPerHost: 8}, m)
	if err != nil {
		return nil, fmt.Errorf("direct client: %w", err)
	}
	return c, nil
}

// jobProbe sends single jobs of one family through the queue at a steady
// interval and, half an interval later each time, the same kind of call
// straight to the sandbox as the yardstick merchant (whose budget nobody
// else uses): the second is the API's own latency under the same load.
type jobProbe struct {
	producer  *jobs.Producer
	w         *harness.Watcher
	spec      jobSpec
	every     time.Duration
	direct    *wechat.Client // nil: no direct calls
	yardstick jobSpec        // the direct calls' family
	// done, when closed, ends the probing before d has passed.
	done <-chan struct{}
}

// run probes for d and returns the latencies once every result has
// arrived or resultGrace has passed. The watcher must track spec's ids.
func (p *jobProbe) run(ctx context.Context, d time.Duration) harness.ProbeResult {
	var (
		mu     sync.Mutex
		res    harness.ProbeResult
		starts = map[string]time.Time{}
		wg     sync.WaitGroup
	)
	end := time.Now().Add(d)
	tick := time.NewTicker(p.every)
	defer tick.Stop()
	for i := 0; time.Now().Before(end); i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			start := time.Now()
			_, err := p.producer.Publish(ctx, p.spec.typ, p.spec.job(i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Failed++
				return
			}
			starts[p.spec.msgID(i)] = start
		}()
		go func() {
			defer wg.Done()
			if p.direct == nil {
				return
			}
			select {
			case <-time.After(p.every / 2):
			case <-ctx.Done():
				return
			}
			req, err := p.yardstick.request(i)
			var lat time.Duration
			if err == nil {
				start := time.Now()
				_, err = p.direct.Do(ctx, p.yardstick.mchid, req)
				lat = time.Since(start)
			}
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
		case <-p.done:
			end = time.Now()
		case <-ctx.Done():
			wg.Wait()
			return res
		}
	}
	wg.Wait()
	res.Queued, res.Missing = p.w.Latencies(ctx, starts)
	return res
}
