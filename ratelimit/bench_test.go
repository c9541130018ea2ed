package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/internal/natstest"
)

// BenchmarkReserveGrant is the pure GCRA step of one reservation.
func BenchmarkReserveGrant(b *testing.B) {
	iv := interval(rate(500, DefaultHeadroom, 1))
	now := int64(1_800_000_000_000_000_000)
	tat := now
	for range b.N {
		g, next, _ := reserve(tat, now, iv, int64(horizon), batchCap(iv))
		tat = next
		now = g.slot(g.n - 1)
	}
}

// BenchmarkAIMDBudget is the budget computed for every reservation after a
// cut (the CUBIC curve).
func BenchmarkAIMDBudget(b *testing.B) {
	a := defaultAIMD()
	st, _ := a.throttle(state{TAT: 1}, 1_000_000_000, 500)
	now := int64(2_500_000_000)
	var sink float64
	for range b.N {
		sink += a.budget(st, now)
	}
	_ = sink
}

// BenchmarkWait is one Limiter.Wait on a key with plenty of budget against
// an embedded JetStream server: the per-request cost of the limiter in a
// worker (reservations are batched, so most Waits take a slot from the
// local pool). The limit is high so the benchmark measures CPU, not pacing.
func BenchmarkWait(b *testing.B) {
	l, key, wctx := benchLimiter(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := l.Wait(wctx, key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReserveAhead is one reservation and its wait for a lone caller
// with a backlog, as the flow runner of a backlogged flow makes it: most
// slots come from the pool its earlier reservations filled.
func BenchmarkReserveAhead(b *testing.B) {
	l, key, wctx := benchLimiter(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s, err := l.ReserveAhead(wctx, key, maxAhead)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Wait(wctx); err != nil {
			b.Fatal(err)
		}
	}
}

// benchLimiter starts a limiter on an embedded JetStream with a limit so
// high that benchmarks measure CPU, not pacing, and returns it with its key
// and a context for the run.
func benchLimiter(b *testing.B) (*Limiter, Key, context.Context) {
	b.Helper()
	srv := natstest.Start(b)
	ctx := natstest.Context(b)
	js, err := jetstream.New(natstest.Connect(b, srv.ClientURL()))
	if err != nil {
		b.Fatal(err)
	}
	l, err := New(ctx, js, Config{WorkerID: "bench", Limits: map[string]float64{"busifavor.use": 1e6}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l.Close() })
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	b.Cleanup(cancel)
	return l, Key{MchID: "1900000001", Type: "busifavor.use"}, wctx
}

// BenchmarkAccepted is the per-answer storm check outside a storm.
func BenchmarkAccepted(b *testing.B) {
	l, key, ctx := benchLimiter(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		l.Accepted(ctx, key)
	}
}
