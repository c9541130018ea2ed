package wechat

import (
	"testing"
	"time"

	"go.uber.org/zap"
)

// BenchmarkBreakerClosed is the breaker's cost per call while the primary
// answers.
func BenchmarkBreakerClosed(b *testing.B) {
	br := newBreaker("http://primary", zap.NewNop(), time.Now)
	b.ReportAllocs()
	for range b.N {
		if br.allow() {
			br.record(true)
		}
	}
}
