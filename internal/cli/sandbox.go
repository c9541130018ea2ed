package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/wechat/marketing"
	"github.com/couponq/couponq/wechat/sandbox"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/couponq/couponq/wechat"
)

// Defaults of the sandbox command.
const (
	// DefaultSandboxAddr is where the sandbox command listens without --addr.
	DefaultSandboxAddr = "127.0.0.1:8090"
	// shutdownTimeout bounds how long the command waits for requests in
	// flight when it stops.
	shutdownTimeout = 5 * time.Second
	// maxBannerMerchants bounds the merchants whose key files the banner
	// names one by one (the configuration snippet lists every merchant).
	maxBannerMerchants = 10
)

// commandOptions are the parsed flags of the sandbox command.
type commandOptions struct {
	addr, backupAddr, keysDir string
	mchids                    []string
	limits                    map[marketing.Operation]int
	merchantLimits            map[string]map[marketing.Operation]int
	sharedKeys                bool
	logLevel                  string
}

// maxMchIDRange bounds one --mchid range, so a typo does not make a
// sandbox of billions of merchants.
const maxMchIDRange = 100_000

// mchidList is a repeatable, comma-separated --mchid flag.
type mchidList struct{ ids *[]string }

func (l mchidList) String() string {
	if l.ids == nil {
		return ""
	}
	return strings.Join(*l.ids, ",")
}

func (l mchidList) Set(v string) error {
	for _, id := range strings.Split(v, ",") {
		id = strings.TrimSpace(id)
		if first, last, ok := strings.Cut(id, "-"); ok {
			ids, err := mchidRange(first, last)
			if err != nil {
				return err
			}
			*l.ids = append(*l.ids, ids...)
			continue
		}
		if err := checkMchID(id); err != nil {
			return err
		}
		*l.ids = append(*l.ids, id)
	}
	return nil
}

func checkMchID(id string) error {
	if id == "" {
		return errors.New("empty merchant id")
	}
	if strings.Trim(id, "0123456789") != "" {
		return fmt.Errorf("merchant id %q is not numeric", id)
	}
	return nil
}

// mchidRange expands "first-last" (inclusive, numeric, at most
// maxMchIDRange ids).
func mchidRange(first, last string) ([]string, error) {
	if err := errors.Join(checkMchID(first), checkMchID(last)); err != nil {
		return nil, err
	}
	a, errA := strconv.ParseUint(first, 10, 64)
	b, errB := strconv.ParseUint(last, 10, 64)
	if errA != nil || errB != nil || b < a || b-a >= maxMchIDRange {
		return nil, fmt.Errorf("merchant id range %s-%s: want first <= last, at most %d ids", first, last, maxMchIDRange)
	}
	ids := make([]string, 0, b-a+1)
	for n := a; n <= b; n++ {
		ids = append(ids, strconv.FormatUint(n, 10))
	}
	return ids, nil
}

// merchantLimitList is a repeatable --merchant-limit MCHID:op=N flag.
type merchantLimitList struct {
	limits map[string]map[marketing.Operation]int
}

func (l merchantLimitList) String() string { return "" }

func (l merchantLimitList) Set(v string) error {
	mchid, rest, ok := strings.Cut(v, ":")
	if !ok {
		return fmt.Errorf("%q is not MCHID:op=N", v)
	}
	if err := checkMchID(mchid); err != nil {
		return err
	}
	if l.limits[mchid] == nil {
		l.limits[mchid] = map[marketing.Operation]int{}
	}
	return limitList{l.limits[mchid]}.Set(rest)
}

// limitList is a repeatable --limit op=N flag.
type limitList struct{ limits map[marketing.Operation]int }

func (l limitList) String() string { return "" }

func (l limitList) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("%q is not op=N", v)
	}
	op, err := marketing.ParseOperation(strings.TrimSpace(name))
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil {
		return fmt.Errorf("%q: limit is not a whole number", v)
	}
	l.limits[op] = n
	return nil
}

func parseCommand(args []string, stderr io.Writer) (commandOptions, error) {
	o := commandOptions{limits: map[marketing.Operation]int{}, merchantLimits: map[string]map[marketing.Operation]int{}}
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sandbox [flags]\n\nA stand-in for the WeChat Pay APIv3 endpoints couponq calls (no credentials needed).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.addr, "addr", DefaultSandboxAddr, "listen address of the primary host (wechat.base_url)")
	fs.StringVar(&o.backupAddr, "backup-addr", "", "optional second listen address with the same state (wechat.backup_url)")
	fs.StringVar(&o.keysDir, "keys", config.DefaultSandboxKeysDir, "directory for generated keys, one subdirectory per merchant; existing keys are reused")
	fs.Var(mchidList{&o.mchids}, "mchid", "merchant id to accept, repeatable or comma-separated, or a range FIRST-LAST (default "+sandbox.DefaultMchID+")")
	fs.Var(limitList{o.limits}, "limit", "requests per merchant per sliding second, op=N (repeatable; 0 = unlimited); defaults busifavor.use=500, product_coupon.update=20, product_coupon.use=100, busifavor.stock.get=50")
	fs.Var(merchantLimitList{o.merchantLimits}, "merchant-limit", "one merchant's own limit, MCHID:op=N (repeatable), overriding --limit for it")
	fs.BoolVar(&o.sharedKeys, "shared-keys", false, "merchants without keys get the same generated key pairs (own serials and key ids): thousands of merchants start in seconds; for load tests")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if len(o.mchids) == 0 {
		o.mchids = []string{sandbox.DefaultMchID}
	}
	known := map[string]bool{}
	for _, id := range o.mchids {
		known[id] = true
	}
	for id := range o.merchantLimits {
		if !known[id] {
			return o, fmt.Errorf("--merchant-limit: merchant %s is not among --mchid", id)
		}
	}
	return o, nil
}

// RunSandbox is the sandbox command (cmd/sandbox): it parses args, generates
// or reuses key files, serves the sandbox until ctx is done and then shuts
// down gracefully. It prints where it listens, the key files and a couponq
// configuration snippet to stdout (never key material) and logs to stderr. It
// returns the process exit code: 0 after a clean stop, 2 for bad flags, 1 for
// other failures.
func RunSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseCommand(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: %v\n", err)
		return 2
	}
	if err := runCommand(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "sandbox: %v\n", err)
		return 1
	}
	return 0
}

func runCommand(ctx context.Context, o commandOptions, stdout, stderr io.Writer) error {
	level, err := zapcore.ParseLevel(o.logLevel)
	if err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = "ts"
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(encCfg), zapcore.AddSync(stderr), level))
	defer func() { _ = log.Sync() }()

	keysDir, err := filepath.Abs(o.keysDir)
	if err != nil {
		return fmt.Errorf("--keys: %w", err)
	}
	var keys []sandbox.MerchantKeys
	var clientFiles []wechat.MerchantFiles
	var notes []string
	var pairs *sandbox.KeyPairs
	for _, id := range o.mchids {
		dir := filepath.Join(keysDir, id)
		_, statErr := os.Stat(filepath.Join(dir, sandbox.MerchantInfoFile))
		if o.sharedKeys && pairs == nil && errors.Is(statErr, fs.ErrNotExist) {
			if pairs, err = sandbox.NewKeyPairs(); err != nil {
				return err
			}
		}
		k, f, err := sandbox.GenerateMerchantWith(dir, id, pairs)
		if err != nil {
			return err
		}
		verb := "reused"
		if errors.Is(statErr, fs.ErrNotExist) {
			verb = "generated"
		}
		keys = append(keys, k)
		clientFiles = append(clientFiles, f)
		notes = append(notes, fmt.Sprintf("merchant %s: keys %s in %s\n  %s  merchant API private key (the client signs with it)\n  %s  WeChat Pay public key (the client verifies answers with it)\n",
			id, verb, dir, f.PrivateKeyFile, f.PublicKeyFile))
	}
	if len(notes) > maxBannerMerchants {
		notes = append(notes[:maxBannerMerchants], fmt.Sprintf("... and %d more merchants, keys in %s\n", len(notes)-maxBannerMerchants, keysDir))
	}
	sb, err := sandbox.New(sandbox.Config{Merchants: keys, Limits: o.limits, MerchantLimits: o.merchantLimits, Logger: log})
	if err != nil {
		return err
	}
	defer sb.Close()

	primary, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	listeners := []net.Listener{primary}
	if o.backupAddr != "" {
		backup, err := net.Listen("tcp", o.backupAddr)
		if err != nil {
			primary.Close()
			return fmt.Errorf("--backup-addr: %w", err)
		}
		listeners = append(listeners, backup)
	}
	urls := make([]string, len(listeners))
	for i, ln := range listeners {
		urls[i] = "http://" + ln.Addr().String()
	}
	printBanner(stdout, urls, notes, sb, keysDir, clientFiles)

	servers := make([]*http.Server, len(listeners))
	errc := make(chan error, len(listeners))
	for i, ln := range listeners {
		servers[i] = &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- servers[i].Serve(ln) }()
		log.Info("sandbox listening", zap.String("url", urls[i]))
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	sb.Close() // release requests held by sandbox.Hang and sandbox.Latency faults
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			srv.Close()
		}
	}
	log.Info("sandbox stopped")
	fmt.Fprintln(stdout, "sandbox stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	return nil
}

// printBanner tells the user where the sandbox is and how to point couponq at
// it. Only file names, serials and key ids are printed, never key material.
func printBanner(w io.Writer, urls, notes []string, sb *sandbox.Sandbox, keysDir string, files []wechat.MerchantFiles) {
	fmt.Fprintf(w, "couponq WeChat Pay sandbox (no real coupons, no credentials)\n")
	fmt.Fprintf(w, "listening on %s (primary)\n", urls[0])
	if len(urls) > 1 {
		fmt.Fprintf(w, "listening on %s (backup, same state)\n", urls[1])
	}
	for _, n := range notes {
		fmt.Fprint(w, n)
	}
	limits := sb.Limits()
	var parts []string
	for _, op := range marketing.Operations() {
		v := strconv.Itoa(limits[op])
		if limits[op] <= 0 {
			v = "unlimited"
		}
		parts = append(parts, string(op)+"="+v)
	}
	fmt.Fprintf(w, "limits per merchant per second: %s\n", strings.Join(parts, " "))
	fmt.Fprintf(w, "fixtures: busifavor stock %s; product coupons %s (stock %s, single use) and %s (stock %s, %d uses); brand %s; coupon codes starting %s do not exist\n",
		sandbox.FixtureBusifavorStockID, sandbox.FixtureProductCouponID, sandbox.FixtureProductStockID, sandbox.FixtureSequentialProductCouponID,
		sandbox.FixtureSequentialProductStockID, sandbox.FixtureSequentialCount, sandbox.FixtureBrandID, sandbox.NotFoundPrefix)
	fmt.Fprintf(w, "admin API: GET %[1]s%[2]s, POST %[1]s%[3]s, PUT %[1]s%[4]s, POST %[1]s%[5]s\n",
		urls[0], sandbox.AdminStatsPath, sandbox.AdminFaultsPath, sandbox.AdminLimitsPath, sandbox.AdminResetStatsPath)
	backup := wechat.NoBackup
	if len(urls) > 1 {
		backup = urls[1]
	}
	fmt.Fprintf(w, "\ncouponq configuration for this sandbox (paste into config.yaml):\n\n")
	fmt.Fprintf(w, "wechat:\n  sandbox: true  # sandbox-generated keys are accepted only in sandbox mode\n")
	fmt.Fprintf(w, "  sandbox_keys_dir: %q\n  base_url: %q\n  backup_url: %q\nmerchants:\n", keysDir, urls[0], backup)
	for _, f := range files {
		fmt.Fprintf(w, "  - mchid: %q\n    cert_serial_no: %s\n    private_key_file: %q\n    wechatpay_public_key_id: %s\n    wechatpay_public_key_file: %q\n",
			f.MchID, f.CertSerialNo, f.PrivateKeyFile, f.PublicKeyID, f.PublicKeyFile)
	}
	fmt.Fprintln(w)
}
