package cli_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/couponq/couponq/internal/cli"
	"github.com/couponq/couponq/internal/natstest"
	"github.com/couponq/couponq/internal/testio"
	"github.com/couponq/couponq/jobs"
)

func TestDemoShowsEveryOutcome(t *testing.T) {
	var out, errOut testio.Buffer
	code := cli.RunWorker(natstest.Context(t), []string{"--demo"}, &out, &errOut)
	require.Equal(t, 0, code, "stderr:\n%s", errOut.String())
	o := out.String()
	for _, want := range []string{
		"busifavor.use/DEMO-BF-USE-0001          succeeded",
		"dropped the duplicate",
		"busifavor.use/DEMO-BF-USE-0002          failed     1         400   RESOURCE_ALREADY_EXISTS",
		"busifavor.stock.get/demo-stock-100088   succeeded",
		"product_coupon.use/DEMO-PC-USE-0001     succeeded",
		"product_coupon.use/DEMO-PC-USE-0002     failed     1         404   NOT_FOUND",
		"product_coupon.update/DEMO-PC-UPD-0001  succeeded  2         200",
		"product_coupon.update/DEMO-PC-UPD-0002  failed     1         -     INVALID_JOB",
		"7 results, 3 dead letters",
	} {
		assert.Contains(t, o, want)
	}
	assert.Contains(t, errOut.String(), "mode: embedded JetStream")
	assert.Contains(t, errOut.String(), "mode: WeChat Pay SANDBOX")
}

// writeConfig writes a config file pointing at an external NATS server, with
// the in-process sandbox.
func writeConfig(t *testing.T, natsURL, extra string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	body := "nats:\n  url: " + natsURL + "\n" +
		"wechat:\n  sandbox: true\n  sandbox_keys_dir: " + filepath.Join(dir, "keys") + "\n" +
		"merchants:\n  - mchid: \"1900000001\"\n" +
		"retry:\n  initial_interval: 50ms\n" +
		"log:\n  level: info\n" + extra
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

func TestWorkerAndEnqueueEndToEnd(t *testing.T) {
	srv := natstest.Start(t)
	cfgPath := writeConfig(t, srv.ClientURL(), "")
	ctx, cancel := context.WithCancel(natstest.Context(t))
	var werr testio.Buffer
	done := make(chan int, 1)
	go func() { done <- cli.RunWorker(ctx, []string{"--config", cfgPath}, &testio.Buffer{}, &werr) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	// One job from flags: succeeds, exit 0, the result on stdout.
	var out, errOut testio.Buffer
	code := cli.RunEnqueue(ctx, []string{"--config", cfgPath, "--type", "busifavor.stock.get", "--id", "cli-stock-1",
		"--request", `{"stock_id":"100088"}`, "--meta", `{"k":"v"}`, "--wait", "--timeout", "60s"}, strings.NewReader(""), &out, &errOut)
	require.Equal(t, 0, code, "stderr:\n%s\nworker:\n%s", errOut.String(), werr.String())
	r, err := jobs.DecodeResult([]byte(strings.TrimSpace(out.String())))
	require.NoError(t, err)
	assert.Equal(t, "cli-stock-1", r.ID)
	assert.Equal(t, jobs.StatusSucceeded, r.Status)
	assert.JSONEq(t, `{"k":"v"}`, string(r.Meta))

	// The sample file: one line is refused by the producer's validation, so
	// exit 3 (some lines bad); every other job has exactly one result.
	out, errOut = testio.Buffer{}, testio.Buffer{}
	code = cli.RunEnqueue(ctx, []string{"--config", cfgPath, "--file", "../../examples/sample-jobs.jsonl", "--wait", "--timeout", "60s"},
		strings.NewReader(""), &out, &errOut)
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut.String(), "line 17: request.display_info.name")
	assert.Contains(t, errOut.String(), "duplicate busifavor.use/DEMO-BF-USE-0001")
	statuses := map[string]jobs.Status{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		r, err := jobs.DecodeResult(sc.Bytes())
		require.NoError(t, err, sc.Text())
		_, seen := statuses[r.ID]
		assert.False(t, seen, "one result per job: %s", r.ID)
		statuses[r.ID] = r.Status
	}
	// Two redemptions of one coupon race: exactly one wins.
	assert.ElementsMatch(t, []jobs.Status{jobs.StatusSucceeded, jobs.StatusFailed},
		[]jobs.Status{statuses["DEMO-BF-USE-0001"], statuses["DEMO-BF-USE-0002"]})
	delete(statuses, "DEMO-BF-USE-0001")
	delete(statuses, "DEMO-BF-USE-0002")
	assert.Equal(t, map[string]jobs.Status{
		"demo-stock-100088": jobs.StatusSucceeded,
		"DEMO-PC-USE-0001":  jobs.StatusSucceeded,
		"DEMO-PC-USE-0002":  jobs.StatusFailed,
		"DEMO-PC-UPD-0001":  jobs.StatusSucceeded,
	}, statuses)

	// A job object on stdin.
	out, errOut = testio.Buffer{}, testio.Buffer{}
	code = cli.RunEnqueue(ctx, []string{"--config", cfgPath, "--wait", "--timeout", "60s"},
		strings.NewReader(`{"type":"busifavor.stock.get","id":"cli-stdin-1","request":{"stock_id":"100088"}}`), &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), `"id":"cli-stdin-1"`)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, "graceful shutdown exits 0")
	case <-time.After(60 * time.Second):
		t.Fatal("worker did not stop")
	}
	done <- 0 // for the cleanup
	assert.Contains(t, werr.String(), "mode: external NATS")
	assert.Contains(t, werr.String(), "worker stopped")
}

func TestBadConfigIsRefusedWithClearErrors(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"unknown key":  {"nats:\n  ulr: x\n", "field ulr not found"},
		"bad duration": {"retry:\n  ack_wait: soon\n", "ack_wait"},
		"unknown type": {"limits:\n  coupon.teleport: 5\n", "limits.coupon.teleport: unknown job type"},
		"sandbox+prod": {"wechat:\n  sandbox: true\n  base_url: https://api.mch.weixin.qq.com\n", "refusing to send sandbox traffic to a real host"},
		"missing key":  {"wechat:\n  sandbox: false\nmerchants:\n  - mchid: \"1900000001\"\n    cert_serial_no: ABC\n    private_key_file: /nonexistent/key.pem\n    wechatpay_public_key_id: PUB_KEY_ID_1\n    wechatpay_public_key_file: /nonexistent/pub.pem\n", "merchants[0].private_key_file: cannot read"},
		"sandbox keys": {"wechat:\n  sandbox: false\nmerchants:\n  - mchid: \"1900000001\"\n    cert_serial_no: SANDBOXABC\n    private_key_file: /nonexistent/key.pem\n    wechatpay_public_key_id: PUB_KEY_ID_SANDBOX_1\n    wechatpay_public_key_file: /nonexistent/pub.pem\n", "refusing to call WeChat Pay with sandbox keys"},
		"two problems": {"streams:\n  replicas: 2\nlog:\n  level: loud\n", "log.level"},
		"bad nats url": {"nats:\n  url: \"http://x:1\"\n", "nats.url"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(path, []byte(c.yaml), 0o600))
			var out, errOut testio.Buffer
			code := cli.RunWorker(context.Background(), []string{"--config", path}, &out, &errOut)
			assert.Equal(t, 2, code)
			assert.Contains(t, errOut.String(), c.want)
		})
	}
}
