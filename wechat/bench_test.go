//go:build unix

package wechat_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"syscall"
	"testing"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/sandbox"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSignedCall measures the CPU of one signed call (sign, send over
// HTTP to the sandbox, verify the signed answer) next to one bare RSA-2048
// sign + verify, in the same run, and reports:
//
//	cpu-ns/call      process CPU per call
//	cpu-ns/rsa-pair  process CPU per bare SHA256-RSA2048 sign + verify
//	call/rsa-pair    their ratio
//
// The sandbox runs in this process and verifies and signs too, so a call
// costs at least two RSA pairs: a ratio near 2 means HTTP, JSON and the rest
// are cheap next to the cryptography. ns/op is wall time per call.
func BenchmarkSignedCall(b *testing.B) {
	e := newEnv(b)
	c := e.client(b, func(c *wechat.Config) { c.BackupURL = wechat.NoBackup; c.Pacer = nil })
	req := &marketing.BusifavorStockGetRequest{StockID: sandbox.FixtureBusifavorStockID}
	ctx := b.Context()
	if _, err := c.Do(ctx, mch, req); err != nil { // warm the connection
		b.Fatal(err)
	}

	key := e.merchants[0].PrivateKey
	message := "GET\n" + req.Path() + "\n1700000000\n0123456789abcdef0123456789abcdef\n\n"
	rsaStart := cpuTime(b)
	for range b.N {
		sig, err := utils.SignSHA256WithRSA(message, key)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(sig)
		sum := sha256.Sum256([]byte(message))
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], raw); err != nil {
			b.Fatal(err)
		}
	}
	rsaCPU := cpuTime(b) - rsaStart

	b.ResetTimer()
	callStart := cpuTime(b)
	for range b.N {
		if _, err := c.Do(ctx, mch, req); err != nil {
			b.Fatal(err)
		}
	}
	callCPU := cpuTime(b) - callStart
	b.StopTimer()

	n := float64(b.N)
	b.ReportMetric(float64(callCPU.Nanoseconds())/n, "cpu-ns/call")
	b.ReportMetric(float64(rsaCPU.Nanoseconds())/n, "cpu-ns/rsa-pair")
	if rsaCPU > 0 {
		b.ReportMetric(float64(callCPU)/float64(rsaCPU), "call/rsa-pair")
	}
}
