package ratelimit

import (
	"fmt"
	"regexp"
	"strings"
)

// Key names one rate-limit budget: a merchant account and a couponq job type
// (for example {"1900000001", "product_coupon.update"}). Each merchant account
// has its own budget per type.
type Key struct {
	// MchID is the merchant account that calls the API (letters, digits, '_'
	// and '-').
	MchID string
	// Type is the couponq job type, e.g. "product_coupon.update" (lower-case
	// letters, digits, '_' and '.').
	Type string
}

// String returns "mchid/type", the form used in logs and errors.
func (k Key) String() string { return k.MchID + "/" + k.Type }

var (
	mchIDPattern = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)
	typePattern  = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)
)

// validate reports whether k can name a KV key.
func (k Key) validate() error {
	if !mchIDPattern.MatchString(k.MchID) {
		return fmt.Errorf("ratelimit: invalid merchant id %q", k.MchID)
	}
	if !typePattern.MatchString(k.Type) || len(k.Type) > 64 {
		return fmt.Errorf("ratelimit: invalid job type %q", k.Type)
	}
	return nil
}

// kvKey is the key of k's pacing state in the state bucket: "<mchid>.<type>".
// The merchant id has no dots, so the first dot separates the two.
func (k Key) kvKey() string { return k.MchID + "." + k.Type }

// parseKVKey is the inverse of Key.kvKey. It only splits: the watcher calls
// it for every reservation in the fleet, and Limiter.queue validates a key
// the first time it sees it.
func parseKVKey(s string) (Key, bool) {
	mch, typ, ok := strings.Cut(s, ".")
	if !ok {
		return Key{}, false
	}
	return Key{MchID: mch, Type: typ}, true
}
