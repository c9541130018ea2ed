package cli_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/worker"
)

// BenchmarkEnqueueFile publishes a campaign file of 10,000 update jobs to
// an embedded JetStream per iteration (a fresh server each time, so no job
// is a duplicate). The full comparison with a raw publisher against a real
// nats-server is `go run ./bench/enqueue`.
func BenchmarkEnqueueFile(b *testing.B) {
	const n = 10_000
	dir := b.TempDir()
	file := filepath.Join(dir, "jobs.jsonl")
	f, err := os.Create(file)
	require.NoError(b, err)
	w := bufio.NewWriter(f)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, `{"type":"product_coupon.update","request":{"product_coupon_id":"1000000013","out_request_no":"BENCH-%010d","brand_id":"120344","display_info":{"name":"Sale %07d","image_url":"https://x/i.png","background_url":"https://x/b.png"}}}`+"\n", i, i)
	}
	require.NoError(b, w.Flush())
	require.NoError(b, f.Close())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := natstest.Start(b)
		ctx := natstest.Context(b)
		require.NoError(b, worker.EnsureStreams(ctx, srv.JS, worker.StreamsConfig{}))
		cfg := filepath.Join(b.TempDir(), "p.yaml")
		require.NoError(b, os.WriteFile(cfg, []byte("nats:\n  url: "+srv.ClientURL()+"\n"), 0o600))
		b.StartTimer()
		var out, errOut discard
		code := cliRunEnqueue(ctx, []string{"--config", cfg, "--file", file, "--campaign", "bench", "--no-progress"}, nil, &out, &errOut)
		require.Equal(b, 0, code)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "jobs/s")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
