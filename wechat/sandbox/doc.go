// Package sandbox is a stand-in for the four WeChat Pay APIv3 marketing
// endpoints couponq calls. WeChat Pay offers no APIv3 sandbox; this one backs
// the dev default, the tests and the benchmarks, and runs on its own as
// cmd/sandbox.
//
// A request goes through the stages WeChat Pay applies, in order:
//
//  1. Signature: the WECHATPAY2-SHA256-RSA2048 Authorization header must name
//     a known merchant, its certificate serial, a timestamp within 5 minutes
//     of the sandbox clock and a signature over
//     "METHOD\nURL\ntimestamp\nnonce\nbody\n" made with the merchant's key;
//     Wechatpay-Serial, when sent, must be the merchant's WeChat Pay public
//     key id. Otherwise: 401 SIGN_ERROR.
//  2. Rate limit: per merchant and endpoint, an exact sliding one-second
//     window over accepted requests (defaults: see DefaultLimit). Otherwise:
//     429 FREQUENCY_LIMITED (busifavor) or RATELIMIT_EXCEEDED (product coupon).
//  3. Injected faults (Inject), if any are queued for the endpoint.
//  4. The documents' field rules (marketing.DecodeRequest and Validate):
//     400 PARAM_ERROR.
//  5. The endpoint against the state: coupons are used once; a request
//     number repeated with the same path and body gets the same answer again
//     (freshly signed, new Request-ID) without a second effect, and with
//     anything else gets the documented rejection; unknown resources get the
//     documented 404s. See the Fixture constants for what exists.
//
// Every answer has a Request-ID header; 2xx answers are signed as WeChat Pay
// signs them (Wechatpay-Timestamp, -Nonce, -Serial, -Signature). Error bodies
// are {"code","message","detail"}.
//
// Stats, StatsFor and Effects report what the sandbox saw; the admin API under
// /sandbox/ (AdminClient) offers the same to other processes, plus faults
// and limits.
package sandbox
