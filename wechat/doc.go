// Package wechat is couponq's client for the four WeChat Pay APIv3 marketing
// calls the workers make: busifavor coupon use, busifavor stock query,
// product coupon use and product coupon update.
//
// The package owns everything between a couponq job's "request" object and a
// verified answer:
//
//   - typed requests and responses for the four calls (marketing.DecodeRequest strictly
//     decodes a job's request object; Validate applies the documents' field
//     rules, so nothing invalid is ever sent);
//   - signing with the merchant's private key and verification of every 2xx
//     answer with the WeChat Pay public key, through wechatpay-go's
//     core/auth packages;
//   - failover from the primary host to the backup host on connection errors,
//     timeouts and 5xx answers;
//   - classification of failures for the worker (Classify, ErrorCode).
//
// Retries, backoff and rate limiting are the worker's job: Client.Do makes at
// most one attempt per host and asks Config.Pacer before each.
package wechat
