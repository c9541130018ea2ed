// Command enqueue benchmarks `enqueue --file` against a raw asynchronous
// publish of the same jobs, both as separate processes publishing to a local
// nats-server built from go.mod, and prints jobs per second and peak RSS.
//
//	go run ./bench/enqueue            # 1,000,000 lines (and 100,000 to show RSS stays flat)
//	go run ./bench/enqueue --quick    # 20,000 lines, a few seconds
//	go run ./bench/enqueue --runs 3   # the median of 3 alternating runs each
//
// The raw publisher reads the same JSONL file line by line and publishes
// each line's bytes as they are with PublishMsgAsync (at most --window
// unacknowledged), with the job's Nats-Msg-Id: no parsing, no validation.
// enqueue parses, validates (as the worker will), adds the campaign fields,
// publishes with the same window and records the campaign manifest.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/internal/worker"
	"github.com/couponq/couponq/jobs"
)

func main() {
	lines := flag.Int("lines", 1_000_000, "lines of the big file")
	quick := flag.Bool("quick", false, "20,000 lines only")
	window := flag.Int("window", 512, "publishes in flight, for both")
	runs := flag.Int("runs", 1, "runs of each publisher per size, alternating; the table shows the median")
	rawFile := flag.String("raw-publish", "", "internal: publish FILE raw to --url")
	url := flag.String("url", "", "internal: NATS URL for --raw-publish")
	flag.Parse()
	if *rawFile != "" {
		if err := rawPublish(*rawFile, *url, *window); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	sizes := []int{*lines / 10, *lines}
	if *quick {
		sizes = []int{20_000}
	}
	if err := run(sizes, *window, max(1, *runs)); err != nil {
		fmt.Fprintln(os.Stderr, "bench/enqueue:", err)
		os.Exit(1)
	}
}

// row is one measured run.
type row struct {
	what       string
	jobs       int
	elapsed    time.Duration
	cpu        time.Duration // user + system time of the publisher
	peakRSSKiB int64
}

func run(sizes []int, window, runs int) error {
	dir, err := os.MkdirTemp("", "couponq-bench-enqueue-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	fmt.Fprintln(os.Stderr, "building nats-server and enqueue ...")
	natsBin, enqBin, selfBin := filepath.Join(dir, "nats-server"), filepath.Join(dir, "enqueue"), filepath.Join(dir, "bench")
	for _, b := range [][2]string{{natsBin, "github.com/nats-io/nats-server/v2"}, {enqBin, "./cmd/enqueue"}, {selfBin, "./bench/enqueue"}} {
		if out, err := exec.Command("go", "build", "-o", b[0], b[1]).CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", b[1], err, out)
		}
	}
	var rows []row
	for _, n := range sizes {
		file := filepath.Join(dir, fmt.Sprintf("jobs-%d.jsonl", n))
		if err := writeJobs(file, n); err != nil {
			return err
		}
		// Each run gets a fresh server: no duplicate ids from the other run.
		// The publishers alternate, so that a busy spell of the machine
		// (shared with other work) hits both alike.
		byMode := map[string][]row{}
		for i := 0; i < runs*2; i++ {
			mode := []string{"raw async publish", "enqueue --file"}[i%2]
			r, err := measure(dir, natsBin, mode, n, func(url string) *exec.Cmd {
				if mode == "enqueue --file" {
					cfg := filepath.Join(dir, "producer.yaml")
					_ = os.WriteFile(cfg, []byte("nats:\n  url: "+url+"\n"), 0o600)
					return exec.Command(enqBin, "--config", cfg, "--file", file, "--campaign", "bench", "--no-progress", "--window", strconv.Itoa(window))
				}
				return exec.Command(selfBin, "--raw-publish", file, "--url", url, "--window", strconv.Itoa(window))
			})
			if err != nil {
				return err
			}
			byMode[mode] = append(byMode[mode], r)
		}
		rows = append(rows, median(byMode["raw async publish"]), median(byMode["enqueue --file"]))
		_ = os.Remove(file)
	}
	printTable(rows, window, runs)
	return nil
}

// measure starts a fresh nats-server, creates the streams, runs the
// publisher and checks every job is stored.
func measure(dir, natsBin, mode string, n int, cmdFor func(url string) *exec.Cmd) (row, error) {
	store, err := os.MkdirTemp(dir, "js-")
	if err != nil {
		return row{}, err
	}
	defer func() { _ = os.RemoveAll(store) }()
	port, err := freePort()
	if err != nil {
		return row{}, err
	}
	srv := exec.Command(natsBin, "-js", "-sd", store, "-a", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := srv.Start(); err != nil {
		return row{}, fmt.Errorf("nats-server: %w", err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	var nc *nats.Conn
	for i := 0; i < 100; i++ {
		if nc, err = nats.Connect(url); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return row{}, fmt.Errorf("connect to nats-server: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return row{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := worker.EnsureStreams(ctx, js, worker.StreamsConfig{}); err != nil {
		return row{}, err
	}
	cmd := cmdFor(url)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	fmt.Fprintf(os.Stderr, "%s: %d jobs ...\n", mode, n)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return row{}, fmt.Errorf("%s: %w\n%s", mode, err, tail(stderr.String()))
	}
	elapsed := time.Since(start)
	ctx, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	s, err := js.Stream(ctx, jobs.JobsStream)
	if err != nil {
		return row{}, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return row{}, err
	}
	if info.State.Msgs != uint64(n) {
		return row{}, fmt.Errorf("%s: %d jobs stored, want %d", mode, info.State.Msgs, n)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss // KiB on Linux
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	fmt.Fprintf(os.Stderr, "  %.2f s, %.0f jobs/s, CPU %.2f s\n", elapsed.Seconds(), float64(n)/elapsed.Seconds(), cpu.Seconds())
	return row{what: mode, jobs: n, elapsed: elapsed, cpu: cpu, peakRSSKiB: rss}, nil
}

// median is the run of median speed, with the highest peak RSS of all.
func median(rs []row) row {
	sort.Slice(rs, func(i, j int) bool { return rs[i].elapsed < rs[j].elapsed })
	m := rs[len(rs)/2]
	for _, r := range rs {
		m.peakRSSKiB = max(m.peakRSSKiB, r.peakRSSKiB)
	}
	return m
}

func printTable(rows []row, window, runs int) {
	fmt.Printf("\nenqueue --file vs raw async publish: one local nats-server per run (default sync), window %d, median of %d runs, %s, %d CPUs\n\n", window, runs, runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU())
	tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "| publisher\t| jobs\t| seconds\t| jobs/s\t| of raw\t| CPU µs/job\t| peak RSS\t|")
	fmt.Fprintln(tw, "|---\t|---\t|---\t|---\t|---\t|---\t|---\t|")
	var raw float64
	for _, r := range rows {
		rate := float64(r.jobs) / r.elapsed.Seconds()
		of := "—"
		if r.what == "raw async publish" {
			raw = rate
		} else if raw > 0 {
			of = fmt.Sprintf("%.0f%%", 100*rate/raw)
		}
		fmt.Fprintf(tw, "| %s\t| %d\t| %.2f\t| %.0f\t| %s\t| %.1f\t| %.1f MiB\t|\n", r.what, r.jobs, r.elapsed.Seconds(), rate, of,
			float64(r.cpu.Microseconds())/float64(r.jobs), float64(r.peakRSSKiB)/1024)
	}
	_ = tw.Flush()
}

// writeJobs writes n product_coupon.update jobs (a typical campaign line).
func writeJobs(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, `{"type":"product_coupon.update","request":{"product_coupon_id":"1000000013","out_request_no":"BENCH-%010d","brand_id":"120344","display_info":{"name":"Sale %07d","image_url":"https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx","background_url":"https://wxpaylogo.qpic.cn/wxpaylogo/xxxxx/xxx"}},"meta":{"row":%d}}`+"\n", i, i, i)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// rawPublish publishes each line of file as it is, asynchronously.
func rawPublish(file, url string, window int) error {
	nc, err := nats.Connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(window))
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	subject := jobs.JobSubject(jobs.TypeProductCouponUpdate)
	i := 0
	for sc.Scan() {
		msg := &nats.Msg{Subject: subject, Data: append([]byte(nil), sc.Bytes()...), Header: nats.Header{}}
		// A full window waits for acknowledgements (nats.go gives up after
		// 200 ms by default, which a busy machine exceeds).
		if _, err := js.PublishMsgAsync(msg, jetstream.WithMsgID(jobs.MsgID(jobs.TypeProductCouponUpdate, fmt.Sprintf("BENCH-%010d", i))), jetstream.WithStallWait(time.Minute)); err != nil {
			return err
		}
		i++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	select {
	case <-js.PublishAsyncComplete():
		return nil
	case <-time.After(time.Minute):
		return fmt.Errorf("raw publish: %d acks missing", js.PublishAsyncPending())
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
