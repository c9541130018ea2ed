package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/couponq/couponq/internal/jobfile"
)

// benchCampaignLines is n lines like bench/enqueue's: product_coupon.update
// jobs with a meta object.
func benchCampaignLines(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"type":"product_coupon.update","request":{"product_coupon_id":"1000000013","out_request_no":"BENCH-%010d","brand_id":"120344","display_info":{"name":"Sale %07d","image_url":"https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx","background_url":"https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"}},"meta":{"row":%d}}`+"\n", i, i, i)
	}
	return b.Bytes()
}

// BenchmarkCampaignPrepare is the CPU side of enqueue --file without NATS:
// read, parse, add the campaign fields, validate as the worker will, encode.
func BenchmarkCampaignPrepare(b *testing.B) {
	const n = 10_000
	data := benchCampaignLines(n)
	o := &enqueueOptions{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := newCampaignPass(o, "bench", "", io.Discard)
		pl := p.pipeline(jobfile.NewJSONL(bytes.NewReader(data), ""))
		for {
			if _, err := pl.next(); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				b.Fatal(err)
			}
		}
		pl.close()
		if p.good != n {
			b.Fatalf("%d good lines, want %d", p.good, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
}
