package wechat

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/couponq/couponq/wechat/marketing"
)

// UseBusifavorCoupon redeems a busifavor coupon (Do plus decoding).
func (c *Client) UseBusifavorCoupon(ctx context.Context, mchid string, r *marketing.BusifavorUseRequest) (*marketing.BusifavorUseResponse, *Response, error) {
	return doTyped[marketing.BusifavorUseResponse](ctx, c, mchid, r)
}

// GetBusifavorStock queries a busifavor stock (Do plus decoding).
func (c *Client) GetBusifavorStock(ctx context.Context, mchid string, r *marketing.BusifavorStockGetRequest) (*marketing.BusifavorStock, *Response, error) {
	return doTyped[marketing.BusifavorStock](ctx, c, mchid, r)
}

// UseProductCoupon redeems a user's product coupon (Do plus decoding).
func (c *Client) UseProductCoupon(ctx context.Context, mchid string, r *marketing.ProductCouponUseRequest) (*marketing.UserProductCoupon, *Response, error) {
	return doTyped[marketing.UserProductCoupon](ctx, c, mchid, r)
}

// UpdateProductCoupon changes a product coupon's display information (Do
// plus decoding).
func (c *Client) UpdateProductCoupon(ctx context.Context, mchid string, r *marketing.ProductCouponUpdateRequest) (*marketing.ProductCoupon, *Response, error) {
	return doTyped[marketing.ProductCoupon](ctx, c, mchid, r)
}

// doTyped runs Do and decodes a verified answer. Decoding is lenient
// (unknown fields are ignored, times are strings); a body that is not a JSON
// object is an error, but the call did succeed: the *Response is returned.
func doTyped[T any](ctx context.Context, c *Client, mchid string, r marketing.Request) (*T, *Response, error) {
	resp, err := c.Do(ctx, mchid, r)
	if err != nil {
		return nil, resp, err
	}
	out := new(T)
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return nil, resp, fmt.Errorf("wechat: %s: decode verified answer (Request-ID %s): %w", r.Operation(), resp.RequestID, err)
	}
	return out, resp, nil
}
