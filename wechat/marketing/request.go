package marketing

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
)

// Request is one of the four typed requests: *BusifavorUseRequest,
// *BusifavorStockGetRequest, *ProductCouponUseRequest or
// *ProductCouponUpdateRequest.
type Request interface {
	// Operation is the call this request is for.
	Operation() Operation
	// RequestNo is the API's own idempotency number: use_request_no
	// (busifavor.use), out_request_no (product_coupon.use and .update); ""
	// for busifavor.stock.get.
	RequestNo() string
	// Validate checks the documents' field rules. It returns nil or an error
	// that errors.As-matches *ValidationError; several problems come as an
	// errors.Join of them, each naming its field as a JSON path.
	Validate() error
	// Path is the request path with the path parameters filled in, each
	// escaped with url.PathEscape.
	Path() string
	// Body is the exact JSON body sent, with the path parameters left out;
	// nil for GET. The same request value always gives the same bytes.
	Body() ([]byte, error)
}

// fillPath replaces each {name} in op's template with the escaped value.
func fillPath(op Operation, params ...string) string {
	p := op.PathTemplate()
	for i := 0; i+1 < len(params); i += 2 {
		p = strings.Replace(p, "{"+params[i]+"}", url.PathEscape(params[i+1]), 1)
	}
	return p
}

// marshalBody encodes v as compact JSON without HTML escaping (so URLs with
// '&' travel as written) and without the encoder's trailing newline.
func marshalBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
