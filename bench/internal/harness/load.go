package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/sandbox"
)

// ImageURL is a display image in the form the update API expects.
const ImageURL = "https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"

// updateJob is the i-th product_coupon.update of a backlog: it renames the
// sandbox's fixture product coupon under its own out_request_no.
func updateJob(i int) jobs.Job {
	req, _ := json.Marshal(marketing.ProductCouponUpdateRequest{
		ProductCouponID: sandbox.FixtureProductCouponID,
		OutRequestNo:    fmt.Sprintf("BENCH-UPD-%08d", i),
		DisplayInfo: &marketing.ProductCouponDisplayInfo{
			Name:          fmt.Sprintf("bench %d", i), // 3-15 characters
			ImageURL:      ImageURL,
			BackgroundURL: ImageURL,
		},
		BrandID: sandbox.FixtureBrandID,
	})
	return jobs.Job{MchID: MchID, Request: req}
}

// UseJob is a busifavor.use of a fresh coupon code; prefix keeps backlog,
// warmup and measured redemptions apart (codes and numbers are unique per
// prefix and i). use_time is filled by the producer.
func UseJob(prefix string, i int) jobs.Job {
	req, _ := json.Marshal(map[string]string{
		"coupon_code":    fmt.Sprintf("%s%08d", prefix, i),
		"stock_id":       sandbox.FixtureBusifavorStockID,
		"appid":          sandbox.FixtureAppID,
		"use_request_no": UseRequestNo(prefix, i),
	})
	return jobs.Job{MchID: MchID, Request: req}
}

// UseRequestNo is the use_request_no (and job id) of UseJob(prefix, i).
func UseRequestNo(prefix string, i int) string {
	return fmt.Sprintf("BENCH-%s-%08d", prefix, i)
}

// backlogJob returns the i-th backlog job of type t.
func backlogJob(t jobs.Type, i int) jobs.Job {
	if t == jobs.TypeProductCouponUpdate {
		return updateJob(i)
	}
	return UseJob("BL", i)
}

// EnqueueBacklog publishes n jobs of type t with the asynchronous batch
// producer and returns how long it took.
func EnqueueBacklog(ctx context.Context, p *jobs.Producer, t jobs.Type, n int) (time.Duration, error) {
	start := time.Now()
	b := p.NewBatch(jobs.BatchConfig{Window: 1024})
	for i := 1; i <= n; i++ {
		if err := b.Add(ctx, t, backlogJob(t, i)); err != nil {
			return 0, fmt.Errorf("enqueue backlog job %d: %w", i, err)
		}
	}
	rep, err := b.Wait(ctx)
	if err != nil {
		return 0, fmt.Errorf("enqueue backlog: %w", err)
	}
	if len(rep.Failed) > 0 {
		return 0, fmt.Errorf("enqueue backlog: %d jobs not stored, first %s: %w", len(rep.Failed), rep.Failed[0].MsgID, rep.Failed[0].Err)
	}
	if rep.Published != n {
		return 0, fmt.Errorf("enqueue backlog: %d of %d stored (%d duplicates)", rep.Published, n, rep.Duplicates)
	}
	return time.Since(start), nil
}
