package marketing

import "strconv"

// ProductCouponUpdateRequest changes a product coupon's display information:
// PATCH /v3/marketing/partner/product-coupon/product-coupons/{product_coupon_id}.
// ProductCouponID is the path parameter: it decodes from a job's request
// object like any field but is left out of the body. The change only affects
// coupons issued afterwards.
//
// Field rules (document 003): product_coupon_id 1-40, out_request_no 6-40 of
// [0-9A-Za-z_-], display_info required (see ProductCouponDisplayInfo),
// brand_id required.
type ProductCouponUpdateRequest struct {
	ProductCouponID string                    `json:"product_coupon_id"`
	OutRequestNo    string                    `json:"out_request_no"`
	DisplayInfo     *ProductCouponDisplayInfo `json:"display_info"`
	BrandID         string                    `json:"brand_id"`
}

// productCouponUpdateBody is the body: the request without its path parameter.
type productCouponUpdateBody struct {
	OutRequestNo string                    `json:"out_request_no"`
	DisplayInfo  *ProductCouponDisplayInfo `json:"display_info"`
	BrandID      string                    `json:"brand_id"`
}

// Operation returns OpProductCouponUpdate.
func (r *ProductCouponUpdateRequest) Operation() Operation { return OpProductCouponUpdate }

// RequestNo returns out_request_no.
func (r *ProductCouponUpdateRequest) RequestNo() string { return r.OutRequestNo }

// Path returns the path with product_coupon_id escaped into it.
func (r *ProductCouponUpdateRequest) Path() string {
	return fillPath(OpProductCouponUpdate, "product_coupon_id", r.ProductCouponID)
}

// Body returns the JSON body without product_coupon_id.
func (r *ProductCouponUpdateRequest) Body() ([]byte, error) {
	return marshalBody(productCouponUpdateBody{
		OutRequestNo: r.OutRequestNo,
		DisplayInfo:  r.DisplayInfo,
		BrandID:      r.BrandID,
	})
}

// Validate checks the field rules listed on the type.
func (r *ProductCouponUpdateRequest) Validate() error {
	var c checker
	if c.required("product_coupon_id", r.ProductCouponID) {
		c.pathParam("product_coupon_id", r.ProductCouponID, 1, 40)
	}
	if c.required("out_request_no", r.OutRequestNo) {
		c.outRequestNo("out_request_no", r.OutRequestNo)
	}
	if r.DisplayInfo == nil {
		c.add("display_info", "is required")
	} else {
		r.DisplayInfo.validate(&c, "display_info")
	}
	if c.required("brand_id", r.BrandID) {
		c.ident("brand_id", r.BrandID, 1, 64)
	}
	return c.err()
}

// maxDetailImages is the documents' limit on detail_image_url_list.
const maxDetailImages = 8

// validate applies the update document's display_info rules: name 3-15
// characters, image_url and background_url required, at most 8 detail
// images (none empty), original_price >= 0, and every combo package with a
// name, pick_count >= 1 and a non-empty choice list whose entries have a
// name and non-negative price and count.
func (d *ProductCouponDisplayInfo) validate(c *checker, field string) {
	if c.required(field+".name", d.Name) {
		c.text(field+".name", d.Name, 3, 15)
	}
	if c.required(field+".image_url", d.ImageURL) {
		c.ident(field+".image_url", d.ImageURL, 1, 2048)
	}
	if c.required(field+".background_url", d.BackgroundURL) {
		c.ident(field+".background_url", d.BackgroundURL, 1, 2048)
	}
	if n := len(d.DetailImageURLList); n > maxDetailImages {
		c.add(field+".detail_image_url_list", "must have at most %d images, got %d", maxDetailImages, n)
	}
	for i, u := range d.DetailImageURLList {
		f := field + ".detail_image_url_list" + index(i)
		if c.required(f, u) {
			c.ident(f, u, 1, 2048)
		}
	}
	c.nonNegative(field+".original_price", d.OriginalPrice)
	for i, p := range d.ComboPackageList {
		f := field + ".combo_package_list" + index(i)
		if c.required(f+".name", p.Name) {
			c.text(f+".name", p.Name, 1, 64)
		}
		if p.PickCount < 1 {
			c.add(f+".pick_count", "must be >= 1, got %d", p.PickCount)
		}
		if len(p.ChoiceList) == 0 {
			c.add(f+".choice_list", "must not be empty")
		}
		for j, ch := range p.ChoiceList {
			g := f + ".choice_list" + index(j)
			if c.required(g+".name", ch.Name) {
				c.text(g+".name", ch.Name, 1, 64)
			}
			c.nonNegative(g+".price", ch.Price)
			c.nonNegative(g+".count", ch.Count)
		}
	}
}

func index(i int) string { return "[" + strconv.Itoa(i) + "]" }
