package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"go.uber.org/zap"

	"github.com/couponq/couponq/clock"
)

// Defaults of Config fields.
const (
	DefaultHeadroom      = 0.985
	DefaultStateBucket   = "couponq_ratelimit"
	DefaultMembersBucket = "couponq_workers"
	DefaultMemberTTL     = 5 * time.Second
)

// Config configures a Limiter. Every process of the fleet must use the same
// Limits, Headroom and buckets: the pacing state is shared, each process only
// applies its own numbers to it.
type Config struct {
	// Limits is the fleet-wide limit in requests per second per job type;
	// it applies to each merchant account separately. A key whose type has
	// no limit here (nor in MerchantLimits) is refused by Wait with
	// ErrNoLimit. The caller supplies the defaults (internal/config fills
	// them from the operation table).
	Limits map[string]float64
	// MerchantLimits overrides Limits for single merchant accounts:
	// MerchantLimits[mchid][type]. WeChat Pay quotas differ between accounts.
	MerchantLimits map[string]map[string]float64
	// Headroom scales every budget to the rate actually paced: rate =
	// Headroom × budget. Default 0.985, which absorbs up to 15 ms of variation
	// between a slot and the request reaching the API (see
	// docs/rate-limiting.md). Must be in (0, 1].
	Headroom float64
	// WorkerID names this process in the members bucket. Required, unique
	// per process; letters, digits and '_', '-', '=' in dot-separated tokens.
	WorkerID string
	// StateBucket is the KV bucket of the pacing state. Default
	// "couponq_ratelimit".
	StateBucket string
	// MembersBucket is the KV bucket of worker heartbeats. Default
	// "couponq_workers".
	MembersBucket string
	// Replicas of both KV buckets (memory storage). Default 1.
	Replicas int
	// MemberTTL is how long a worker counts as live after its last
	// heartbeat; Run heartbeats every MemberTTL/5. Default 5s, at least 500ms.
	MemberTTL time.Duration
	// Logger receives one line per event that matters (budget cut, state
	// unreachable and back, clock reference change). Default zap.NewNop().
	Logger *zap.Logger
	// Clock is the local time source, for tests. Default the system clock.
	Clock Clock
}

var (
	bucketPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	workerPattern = regexp.MustCompile(`^[A-Za-z0-9_=-]+(\.[A-Za-z0-9_=-]+)*$`)
)

// withDefaults returns c with every unset field at its default.
func (c Config) withDefaults() Config {
	if c.Headroom == 0 {
		c.Headroom = DefaultHeadroom
	}
	if c.StateBucket == "" {
		c.StateBucket = DefaultStateBucket
	}
	if c.MembersBucket == "" {
		c.MembersBucket = DefaultMembersBucket
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MemberTTL == 0 {
		c.MemberTTL = DefaultMemberTTL
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Clock == nil {
		c.Clock = clock.System()
	}
	return c
}

// validate returns every problem of a defaulted config at once, each naming
// its field.
func (c Config) validate() error {
	var errs []error
	errs = append(errs, checkLimits("limits", c.Limits)...)
	for mchid, l := range c.MerchantLimits {
		errs = append(errs, checkLimits("merchant_limits."+mchid, l)...)
	}
	if !(c.Headroom > 0 && c.Headroom <= 1) {
		errs = append(errs, fmt.Errorf("headroom: must be in (0, 1], got %v", c.Headroom))
	}
	if c.WorkerID == "" {
		errs = append(errs, errors.New("worker_id: required"))
	} else if !workerPattern.MatchString(c.WorkerID) {
		errs = append(errs, fmt.Errorf("worker_id: %q is not a valid KV key", c.WorkerID))
	}
	if !bucketPattern.MatchString(c.StateBucket) {
		errs = append(errs, fmt.Errorf("state_bucket: invalid bucket name %q", c.StateBucket))
	}
	if !bucketPattern.MatchString(c.MembersBucket) {
		errs = append(errs, fmt.Errorf("members_bucket: invalid bucket name %q", c.MembersBucket))
	}
	if c.StateBucket == c.MembersBucket {
		errs = append(errs, errors.New("members_bucket: must differ from state_bucket"))
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas: must be 1 to 5, got %d", c.Replicas))
	}
	if c.MemberTTL < 500*time.Millisecond {
		errs = append(errs, fmt.Errorf("member_ttl: must be at least 500ms, got %s", c.MemberTTL))
	}
	return errors.Join(errs...)
}

// checkLimits reports every invalid type or rate in l, naming field.
func checkLimits(field string, l map[string]float64) []error {
	var errs []error
	for typ, v := range l {
		if !typePattern.MatchString(typ) {
			errs = append(errs, fmt.Errorf("%s: invalid job type %q", field, typ))
		}
		if !(v > 0) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("%s.%s: must be a positive number of requests per second, got %v", field, typ, v))
		}
	}
	return errs
}

// limit returns the configured limit for a key: the merchant's own, else
// the type's.
func (c Config) limit(k Key) (float64, bool) {
	if v, ok := c.MerchantLimits[k.MchID][k.Type]; ok {
		return v, true
	}
	v, ok := c.Limits[k.Type]
	return v, ok
}
