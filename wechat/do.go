package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"go.uber.org/zap"
)

// Do validates req, signs it for merchant mchid ("" = the only configured
// merchant), sends it to the primary host and, on a connection error,
// timeout or 5xx, once more to the backup host (same body, fresh signature;
// the request number makes the repeat idempotent). Config.Pacer is asked
// before each attempt that may reach the API: a backup attempt after a
// primary attempt that could not connect uses the primary's permission, and
// a primary known to give no answers is skipped (see Config.BackupURL).
// 2xx answers are verified with the merchant's WeChat Pay public key.
//
// On success it returns the answer and nil. On failure it returns the last
// answer (nil if none came back) and an error that is, or wraps, one of:
// *marketing.ValidationError (nothing sent), ErrUnknownMerchant (nothing sent),
// *APIError (a non-2xx answer), *UnverifiedError (a 2xx that failed
// verification; the call may have taken effect), *TransportError (no
// answer). Classify and ErrorCode interpret it. Do never retries beyond the
// one failover; that is the worker's job.
func (c *Client) Do(ctx context.Context, mchid string, req marketing.Request) (*Response, error) {
	return c.DoPaced(ctx, mchid, req, c.pacer)
}

// DoPaced is Do with pacer asked before each HTTP attempt instead of
// Config.Pacer (nil: none). The worker passes a pacer per job, whose first
// attempt is paid with a slot reserved before the job was fetched.
func (c *Client) DoPaced(ctx context.Context, mchid string, req marketing.Request, pacer Pacer) (*Response, error) {
	if v := reflect.ValueOf(req); req == nil || v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, &marketing.ValidationError{Field: "request", Rule: "is required"}
	}
	a, err := c.account(mchid)
	if err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	op := req.Operation()
	body, err := req.Body()
	if err != nil {
		return nil, fmt.Errorf("wechat: %s: encode body: %w", op, err)
	}
	hosts := []string{c.base}
	if c.backup != "" {
		hosts = append(hosts, c.backup)
	}
	var resp *Response
	tried := 0
	paid := false // the pacer allowed an attempt that never reached the API
	for i, host := range hosts {
		var br *breaker
		if i == 0 && len(hosts) > 1 {
			br = c.primary
			if !br.allow() {
				continue // known to give no answers: straight to the backup
			}
		}
		if tried > 0 {
			if !shouldFailover(err) || ctx.Err() != nil {
				break
			}
			c.log.Debug("wechat: failing over to backup host",
				zap.String("op", string(op)), zap.String("mchid", a.MchID),
				zap.String("request_no", req.RequestNo()), zap.String("from", hosts[i-1]),
				zap.String("to", host), zap.Error(err))
		}
		tried++
		// Sign before waiting for budget: RSA signing then sits outside the
		// gap between the paced slot and the request reaching the API, so
		// requests arrive as evenly spaced as their slots.
		hreq, serr := c.prepare(ctx, a, req, host, body)
		if serr != nil {
			br.abort()
			return nil, serr
		}
		// An attempt that never reached the API (connection refused) did
		// not spend what the pacer allowed: the next one uses it.
		if pacer != nil && !paid {
			if perr := pacer.Wait(ctx, a.MchID, op); perr != nil {
				br.abort()
				if tried == 1 {
					return nil, &TransportError{Host: host, Err: fmt.Errorf("pacer: %w", perr)}
				}
				break // keep the primary's answer
			}
		}
		start := time.Now()
		resp, err = c.send(ctx, a, req, host, hreq)
		if c.observe != nil {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			c.observe(op, status, time.Since(start))
		}
		var tr *TransportError
		noAnswer := errors.As(err, &tr)
		switch {
		case ctx.Err() != nil:
			br.abort() // our own deadline, not the host's fault
		default:
			br.record(!noAnswer)
		}
		paid = noAnswer && neverSent(err)
	}
	if tried == 0 { // unreachable: the backup is never skipped
		return nil, &TransportError{Host: c.base, Err: errors.New("no host to try")}
	}
	return resp, err
}

// shouldFailover: no answer at all, or a 5xx.
func shouldFailover(err error) bool {
	var tr *TransportError
	var apiErr *APIError
	return errors.As(err, &tr) || errors.As(err, &apiErr) && apiErr.StatusCode >= 500
}

// prepare builds one signed HTTP request to host. Its context is set by send.
func (c *Client) prepare(ctx context.Context, a *account, req marketing.Request, host string, body []byte) (*http.Request, error) {
	op := req.Operation()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, op.Method(), host+req.Path(), rd)
	if err != nil {
		return nil, &TransportError{Host: host, Err: fmt.Errorf("build request: %w", err)}
	}
	auth, err := a.authorization(ctx, op.Method(), hreq.URL.RequestURI(), body, c.clock.Now())
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Authorization", auth)
	hreq.Header.Set("Accept", "application/json")
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	hreq.Header.Set("User-Agent", userAgent)
	hreq.Header.Set("Wechatpay-Serial", a.PublicKeyID)
	return hreq, nil
}

// send makes one HTTP attempt with a request built by prepare, bounded by
// the client's per-attempt timeout.
func (c *Client) send(ctx context.Context, a *account, req marketing.Request, host string, hreq *http.Request) (*Response, error) {
	op := req.Operation()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq = hreq.WithContext(ctx)
	hresp, err := c.http.Do(hreq)
	if err != nil {
		return nil, &TransportError{Host: host, Err: err}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(hresp.Body, MaxResponseBytes))
		_ = hresp.Body.Close()
	}()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, MaxResponseBytes+1))
	if err == nil && len(data) > MaxResponseBytes {
		err = fmt.Errorf("answer longer than %d bytes", MaxResponseBytes)
	}
	if err != nil {
		return nil, &TransportError{Host: host, Err: fmt.Errorf("read HTTP %d answer: %w", hresp.StatusCode, err)}
	}
	resp := &Response{
		StatusCode: hresp.StatusCode,
		RequestID:  hresp.Header.Get("Request-ID"),
		Body:       data,
		Host:       host,
	}
	if hresp.StatusCode >= 200 && hresp.StatusCode < 300 {
		if f := a.verify(ctx, hresp.Header, data, c.clock.Now()); f != nil {
			c.log.Error("wechat: answer not verified",
				zap.String("op", string(op)), zap.String("mchid", a.MchID),
				zap.String("request_no", req.RequestNo()), zap.String("host", host),
				zap.Int("status", hresp.StatusCode), zap.String("request_id", resp.RequestID),
				zap.String("reason", f.reason), zap.NamedError("cause", f.err))
			return resp, &UnverifiedError{Op: op, Host: host, StatusCode: hresp.StatusCode,
				RequestID: resp.RequestID, Reason: f.reason, Body: data, Err: f.err}
		}
		return resp, nil
	}
	var eb errorBody
	_ = json.Unmarshal(data, &eb) // not an error object: Code stays ""
	return resp, &APIError{Op: op, Host: host, StatusCode: hresp.StatusCode, Code: eb.Code,
		Message: eb.Message, Detail: eb.Detail, RequestID: resp.RequestID,
		Header: hresp.Header.Clone(), Body: data}
}
