package sandbox

import (
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/wechat/marketing"

	"go.uber.org/zap"
)

// DefaultMchID is the merchant the sandbox serves when Config.Merchants is empty.
const DefaultMchID = "1900000001"

// Config configures a Sandbox. The zero value is ready to use: one merchant
// (DefaultMchID) with freshly generated keys, the default limits, the real clock.
type Config struct {
	// Merchants are the accounts whose signatures the sandbox accepts. When
	// empty, one merchant DefaultMchID with generated in-memory keys is used;
	// read its keys back with Sandbox.Merchant.
	Merchants []MerchantKeys
	// Limits are the requests per sliding second allowed per merchant and
	// endpoint. An operation missing from the map gets its default
	// (DefaultLimit); 0 or negative means unlimited.
	Limits map[marketing.Operation]int
	// MerchantLimits overrides Limits for single merchants (mchid → op →
	// requests per sliding second; 0 or negative: unlimited), as WeChat Pay
	// quotas differ between accounts. Default none.
	MerchantLimits map[string]map[marketing.Operation]int
	// Clock is the time for signature timestamps, the rate limits and the
	// times in responses. Default the system clock.
	Clock clock.Clock
	// Logger receives one line per notable event (rejected signatures, injected
	// faults). Default: no logging.
	Logger *zap.Logger
}

// MerchantKeys is what the sandbox knows of a merchant: it verifies the
// merchant's request signatures with MerchantPublicKey (the request's
// serial_no must equal CertSerialNo) and signs its answers with
// PlatformPrivateKey under PublicKeyID (the Wechatpay-Serial header).
type MerchantKeys struct {
	MchID              string
	CertSerialNo       string
	MerchantPublicKey  *rsa.PublicKey
	PublicKeyID        string
	PlatformPrivateKey *rsa.PrivateKey
}

// validate reports every missing field at once.
func (k MerchantKeys) validate() error {
	var errs []error
	if k.MchID == "" {
		errs = append(errs, errors.New("mchid is empty"))
	}
	if k.CertSerialNo == "" {
		errs = append(errs, errors.New("cert serial number is empty"))
	}
	if k.MerchantPublicKey == nil {
		errs = append(errs, errors.New("merchant public key is missing"))
	}
	if k.PublicKeyID == "" {
		errs = append(errs, errors.New("public key id is empty"))
	}
	if k.PlatformPrivateKey == nil {
		errs = append(errs, errors.New("platform private key is missing"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("merchant %q: %w", k.MchID, err)
	}
	return nil
}

// DefaultLimit is the per-merchant limit the sandbox applies to op when
// Config.Limits does not name it: the documented 500 QPS for busifavor.use and
// 20/s for product_coupon.update; 100/s for product_coupon.use and 50/s for
// busifavor.stock.get, whose documents state no limit.
func DefaultLimit(op marketing.Operation) int { return op.AssumedLimit() }
