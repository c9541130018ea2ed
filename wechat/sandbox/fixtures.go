package sandbox

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"maps"
)

// Fixtures: the resources every sandbox starts with, so the dev default, the
// tests and the benchmarks need no setup. Each merchant has its own copy.
const (
	// FixtureAppID is an AppID to send; the sandbox accepts any.
	FixtureAppID = "wx233544546545989"
	// FixtureBrandID is the only brand_id the product coupon endpoints accept.
	FixtureBrandID = "120344"
	// FixtureBusifavorStockID is the one busifavor stock. Any coupon_code under
	// it (or with stock_id omitted) counts as issued to the first openid that
	// uses it, except codes starting with NotFoundPrefix.
	FixtureBusifavorStockID = "100088"
	// FixtureProductCouponID is a product coupon in SINGLE usage mode: each
	// user coupon can be used once, and sequential_coupon_index must be left
	// out. Any coupon_code under its stock counts as issued to the first
	// openid that uses it, except codes starting with NotFoundPrefix.
	FixtureProductCouponID = "1000000013"
	// FixtureProductStockID is the stock of FixtureProductCouponID.
	FixtureProductStockID = "1000000013001"
	// FixtureSequentialProductCouponID is a product coupon in SEQUENTIAL usage
	// mode: each user coupon can be used FixtureSequentialCount times, with
	// sequential_coupon_index 0, 1, 2 in that order.
	FixtureSequentialProductCouponID = "1000000014"
	// FixtureSequentialProductStockID is the stock of FixtureSequentialProductCouponID.
	FixtureSequentialProductStockID = "1000000014001"
	// FixtureSequentialCount is how often a sequential user coupon can be used.
	FixtureSequentialCount = 3
	// NotFoundPrefix starts coupon codes the sandbox treats as never issued
	// (busifavor 404 RESOURCE_NOT_EXISTS, product coupon 404 NOT_FOUND).
	NotFoundPrefix = "NOTFOUND"
)

//go:embed fixtures/*.json
var fixtureFiles embed.FS

// fixtures are the parsed documents, shared read-only by every merchant.
type fixtures struct {
	busifavorStock map[string]any
	// products by product_coupon_id: the use-document view of the product
	// coupon and its one stock.
	products map[string]productFixture
}

// productFixture is one product coupon with its stock.
type productFixture struct {
	coupon     map[string]any // as in the use document (UserProductCouponEntity.product_coupon)
	stock      map[string]any
	stockID    string
	sequential bool
	count      int // uses per user coupon: 1, or the sequential count
}

func loadFixtures() (*fixtures, error) {
	f := &fixtures{products: map[string]productFixture{}}
	if err := readFixture("fixtures/busifavor_stock.json", &f.busifavorStock); err != nil {
		return nil, err
	}
	var products map[string]struct {
		ProductCoupon map[string]any `json:"product_coupon"`
		Stock         map[string]any `json:"stock"`
	}
	if err := readFixture("fixtures/product_coupons.json", &products); err != nil {
		return nil, err
	}
	for id, p := range products {
		pf := productFixture{coupon: p.ProductCoupon, stock: p.Stock, count: 1}
		pf.stockID, _ = p.Stock["stock_id"].(string)
		if p.ProductCoupon["usage_mode"] == "SEQUENTIAL" {
			pf.sequential = true
			info, _ := p.ProductCoupon["sequential_usage_info"].(map[string]any)
			n, _ := info["count"].(json.Number)
			c, err := n.Int64()
			if err != nil || c < 1 {
				return nil, fmt.Errorf("sandbox: fixture %s: bad sequential_usage_info.count", id)
			}
			pf.count = int(c)
		}
		f.products[id] = pf
	}
	return f, nil
}

func readFixture(name string, v any) error {
	raw, err := fixtureFiles.ReadFile(name)
	if err != nil {
		return fmt.Errorf("sandbox: fixture %s: %w", name, err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("sandbox: fixture %s: %w", name, err)
	}
	return nil
}

// with returns a shallow copy of m with the given keys set. The maps shared
// by fixtures are never modified; answers are built from such copies.
func with(m map[string]any, kv ...any) map[string]any {
	out := maps.Clone(m)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}
