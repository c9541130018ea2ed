package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/wechat/marketing"

	"go.uber.org/zap"

	"github.com/couponq/couponq/wechat"
)

// Sandbox is a stand-in for the WeChat Pay APIv3 endpoints couponq calls.
// It serves them over HTTP (Handler), verifies request signatures, signs its
// answers, keeps coupon state, enforces rate limits, injects faults on demand
// and counts what it saw. All methods are safe for concurrent use.
type Sandbox struct {
	now       func() time.Time
	log       *zap.Logger
	merchants map[string]*merchant
	// client holds the client side of merchants the sandbox generated itself.
	client  []wechat.Merchant
	traffic *traffic
	faults  faultQueue
	store   *store
	handler http.Handler

	requestIDPrefix string
	requestSeq      atomic.Uint64

	closeOnce sync.Once
	closed    chan struct{}
}

// New returns a Sandbox for cfg (see Config for the defaults). With no
// merchants configured it generates RSA-2048 keys for DefaultMchID in memory;
// ClientMerchant returns the client's side of them.
func New(cfg Config) (*Sandbox, error) {
	s := &Sandbox{
		now:       clock.OrSystem(cfg.Clock).Now,
		log:       cfg.Logger,
		merchants: map[string]*merchant{},
		closed:    make(chan struct{}),
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	keys := cfg.Merchants
	if len(keys) == 0 {
		k, client, err := NewMerchant(DefaultMchID)
		if err != nil {
			return nil, err
		}
		keys = []MerchantKeys{k}
		s.client = []wechat.Merchant{client}
	}
	var errs []error
	for _, k := range keys {
		if err := k.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if s.merchants[k.MchID] != nil {
			errs = append(errs, fmt.Errorf("merchant %q is configured twice", k.MchID))
			continue
		}
		s.merchants[k.MchID] = newMerchant(k)
	}
	for op := range cfg.Limits {
		if _, err := marketing.ParseOperation(string(op)); err != nil {
			errs = append(errs, fmt.Errorf("limits: %w", err))
		}
	}
	for mchid, limits := range cfg.MerchantLimits {
		if s.merchants[mchid] == nil {
			errs = append(errs, fmt.Errorf("merchant limits: merchant %q is not configured", mchid))
		}
		for op := range limits {
			if _, err := marketing.ParseOperation(string(op)); err != nil {
				errs = append(errs, fmt.Errorf("merchant limits of %s: %w", mchid, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sandbox: config: %w", err)
	}
	fix, err := loadFixtures()
	if err != nil {
		return nil, err
	}
	prefix, err := randomHex(6)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s.requestIDPrefix = strings.ToUpper(prefix)
	s.traffic = newTraffic(s.now, cfg.Limits, cfg.MerchantLimits)
	s.store = newStore(s.now, fix)
	s.handler = s.routes()
	return s, nil
}

// NewMerchant generates RSA-2048 key pairs for mchid in memory and returns
// both sides: the MerchantKeys for a sandbox and the wechat.Merchant a client
// signs with. Serials start with wechat.SandboxMarker, as with GenerateMerchant.
// Generation takes a noticeable time (much longer under -race); tests should
// share one result.
func NewMerchant(mchid string) (MerchantKeys, wechat.Merchant, error) {
	pairs, err := NewKeyPairs()
	if err != nil {
		return MerchantKeys{}, wechat.Merchant{}, err
	}
	return merchantFrom(mchid, pairs)
}

// merchantFrom gives mchid a fresh serial and public key id over pairs.
func merchantFrom(mchid string, pairs *KeyPairs) (MerchantKeys, wechat.Merchant, error) {
	info, err := newMerchantInfo(mchid)
	if err != nil {
		return MerchantKeys{}, wechat.Merchant{}, err
	}
	keys := MerchantKeys{
		MchID:              mchid,
		CertSerialNo:       info.CertSerialNo,
		MerchantPublicKey:  &pairs.Merchant.PublicKey,
		PublicKeyID:        info.PublicKeyID,
		PlatformPrivateKey: pairs.Platform,
	}
	client := wechat.Merchant{
		MchID:        mchid,
		CertSerialNo: info.CertSerialNo,
		PrivateKey:   pairs.Merchant,
		PublicKeyID:  info.PublicKeyID,
		PublicKey:    &pairs.Platform.PublicKey,
	}
	return keys, client, nil
}

// newMerchantInfo makes a fresh certificate serial and public key id.
func newMerchantInfo(mchid string) (merchantInfo, error) {
	serial, err := randomHex(16)
	if err != nil {
		return merchantInfo{}, fmt.Errorf("sandbox: %w", err)
	}
	keyID, err := randomHex(12)
	if err != nil {
		return merchantInfo{}, fmt.Errorf("sandbox: %w", err)
	}
	return merchantInfo{
		MchID:        mchid,
		CertSerialNo: wechat.SandboxMarker + strings.ToUpper(serial),
		PublicKeyID:  wechat.SandboxKeyIDPrefix + "_" + strings.ToUpper(keyID),
	}, nil
}

// ClientMerchant returns the client side (merchant private key, WeChat Pay
// public key) of the merchant New generated when Config.Merchants was empty;
// ok is false when merchants were configured.
func (s *Sandbox) ClientMerchant() (m wechat.Merchant, ok bool) {
	if len(s.client) == 0 {
		return wechat.Merchant{}, false
	}
	return s.client[0], true
}

// MchIDs returns the merchants the sandbox accepts, sorted.
func (s *Sandbox) MchIDs() []string {
	ids := make([]string, 0, len(s.merchants))
	for id := range s.merchants {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Handler serves the four APIv3 endpoints under /v3/ and the admin API under
// /sandbox/ (see AdminClient). Every answer carries a Request-ID header.
func (s *Sandbox) Handler() http.Handler { return s.handler }

// Stats returns op's counters summed over all merchants, including requests
// whose merchant was unknown.
func (s *Sandbox) Stats(op marketing.Operation) EndpointStats { return s.traffic.stats(op) }

// StatsFor returns the counters of one merchant's op requests.
func (s *Sandbox) StatsFor(mchid string, op marketing.Operation) EndpointStats {
	return s.traffic.statsFor(mchid, op)
}

// AllStats returns Stats for every operation.
func (s *Sandbox) AllStats() map[marketing.Operation]EndpointStats {
	out := map[marketing.Operation]EndpointStats{}
	for _, op := range marketing.Operations() {
		out[op] = s.Stats(op)
	}
	return out
}

// ResetStats zeroes every counter and MaxAcceptedPerSecond. It changes
// neither the coupon state, nor the limiter's memory of the last second, nor
// Effects.
func (s *Sandbox) ResetStats() { s.traffic.reset() }

// Inject queues f: the next f.Count (0 means 1) requests of f.Op that pass the
// signature check and the rate limiter get it. Faults for one operation apply
// in the order injected. It panics on an unknown operation or kind, which is
// a programming error; the admin API checks them instead.
func (s *Sandbox) Inject(f Fault) {
	if err := f.validate(); err != nil {
		panic(err)
	}
	s.faults.push(f)
	s.log.Info("sandbox fault queued", zap.String("op", string(f.Op)), zap.Stringer("kind", f.Kind), zap.Int("count", max(f.Count, 1)), zap.Duration("delay", f.Delay))
}

// PendingFaults returns how many requests of op queued faults will still affect.
func (s *Sandbox) PendingFaults(op marketing.Operation) int { return s.faults.pending(op) }

// ClearFaults drops every queued fault.
func (s *Sandbox) ClearFaults() { s.faults.clear() }

// SetLimit changes op's limit, per merchant per sliding second, for every
// merchant without its own limit of op (Config.MerchantLimits); 0 or
// negative means unlimited.
func (s *Sandbox) SetLimit(op marketing.Operation, perSecond int) {
	s.traffic.setLimit(op, perSecond)
}

// Limits returns the current limit of every operation (0 or negative: unlimited).
func (s *Sandbox) Limits() map[marketing.Operation]int { return s.traffic.limitsCopy() }

// Effects returns how many state changes op actually made, over all merchants:
// coupon redemptions for the use endpoints, applied updates for
// product_coupon.update, always 0 for busifavor.stock.get. Idempotent replays
// and rejected requests change nothing; FailAfterEffect requests do.
func (s *Sandbox) Effects(op marketing.Operation) int { return s.store.effectCount(op) }

// Close releases requests held by Hang and Latency faults (they end without an
// answer) and makes later such faults end at once. The handler keeps serving.
func (s *Sandbox) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// nextRequestID returns a Request-ID unique to this sandbox's lifetime and
// unlikely to repeat across sandboxes.
func (s *Sandbox) nextRequestID() string {
	return fmt.Sprintf("SANDBOX%s%012X", s.requestIDPrefix, s.requestSeq.Add(1))
}
