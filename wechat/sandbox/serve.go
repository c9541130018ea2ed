package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/couponq/couponq/wechat/marketing"

	"go.uber.org/zap"
)

// maxBodyBytes bounds request bodies; the four endpoints take a few KiB.
const maxBodyBytes = 1 << 20

// routes builds the handler: the four endpoints, the admin API, and a JSON
// 404 for everything else, all with a Request-ID header.
func (s *Sandbox) routes() http.Handler {
	mux := http.NewServeMux()
	for _, op := range marketing.Operations() {
		mux.HandleFunc(op.Method()+" "+op.PathTemplate(), func(w http.ResponseWriter, r *http.Request) {
			s.serveAPI(w, r, op)
		})
	}
	s.adminRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Code: "NOT_FOUND",
			Message: fmt.Sprintf("no API at %s %s", r.Method, r.URL.Path)})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Request-ID", s.nextRequestID())
		mux.ServeHTTP(w, r)
	})
}

// serveAPI runs one request through the stages WeChat Pay applies: signature,
// rate limit, then the endpoint itself (with any injected fault).
func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request, op marketing.Operation) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		s.traffic.begin("", op)
		s.traffic.finish("", op, writeError(w, &apiError{Status: http.StatusBadRequest, Code: "PARAM_ERROR",
			Message: "cannot read the request body: " + err.Error()}))
		return
	}
	m, aerr := s.authenticate(r.Context(), r, body)
	mchid := ""
	if m != nil {
		mchid = m.keys.MchID
	}
	s.traffic.begin(mchid, op)
	status := 0 // stays 0 when the request ends without an answer
	defer func() {
		if status != 0 {
			s.traffic.finish(mchid, op, status)
		}
	}()
	if aerr != nil {
		s.log.Info("sandbox rejected signature", zap.String("op", string(op)), zap.String("mchid", mchid),
			zap.String("request_id", w.Header().Get("Request-ID")), zap.Any("detail", aerr.Detail))
		status = writeError(w, aerr)
		return
	}
	if s.faults.takeKind(op, RateLimited) || !s.traffic.allow(mchid, op, s.now()) {
		s.log.Debug("sandbox rate limited", zap.String("op", string(op)), zap.String("mchid", mchid))
		status = writeError(w, &apiError{Status: http.StatusTooManyRequests, Code: op.RateLimitCode(),
			Message: "请求超过接口频率限制，请稍后使用原参数重试"})
		return
	}
	status = s.process(w, r, m, op, body)
}

// process applies any injected fault around the endpoint's own work and
// sends the answer; it returns the status sent. It ends the request without
// an answer (http.ErrAbortHandler) when a Hang or Latency fault outlives the
// client.
func (s *Sandbox) process(w http.ResponseWriter, r *http.Request, m *merchant, op marketing.Operation, body []byte) int {
	fault, faulted := s.faults.take(op)
	how := signNormally
	if faulted {
		s.log.Info("sandbox injecting fault", zap.String("op", string(op)), zap.Stringer("kind", fault.Kind),
			zap.String("request_id", w.Header().Get("Request-ID")))
		switch fault.Kind {
		case FailBeforeEffect:
			return writeError(w, systemError("系统异常，请稍后重试"))
		case BusifavorSystemError:
			return writeError(w, &apiError{Status: http.StatusBadRequest, Code: "SYSTEM_ERROR", Message: "系统错误，请使用相同参数稍后重新调用"})
		case Latency:
			s.wait(r.Context(), fault.Delay)
		case Hang:
			s.wait(r.Context(), -1)
		case ProbeSignature:
			how = signProbe
		case TamperBody:
			how = signThenTamper
		}
	}
	answer, aerr := s.dispatch(r, m, op, body)
	if faulted && fault.Kind == FailAfterEffect {
		return writeError(w, systemError("系统异常，请稍后重试"))
	}
	if aerr != nil {
		return writeError(w, aerr)
	}
	return s.writeSigned(w, m, http.StatusOK, answer, how)
}

// wait blocks for d (forever when d < 0). If the client gives up or the
// sandbox is closed first, it aborts the request without an answer.
func (s *Sandbox) wait(ctx context.Context, d time.Duration) {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return
	case <-ctx.Done():
	case <-s.closed:
	}
	panic(http.ErrAbortHandler)
}

// dispatch decodes and checks the request as the documents describe, then
// runs the endpoint against the state.
func (s *Sandbox) dispatch(r *http.Request, m *merchant, op marketing.Operation, body []byte) ([]byte, *apiError) {
	mchid := m.keys.MchID
	fp := fingerprint(requestURL(r), body)
	if op == marketing.OpBusifavorStockGet {
		req := &marketing.BusifavorStockGetRequest{StockID: r.PathValue("stock_id")}
		if err := req.Validate(); err != nil {
			return nil, paramError(err)
		}
		return s.store.busifavorStock(mchid, req.StockID)
	}
	decoded, err := marketing.DecodeRequest(op, body)
	if err != nil {
		return nil, paramError(err)
	}
	switch req := decoded.(type) {
	case *marketing.BusifavorUseRequest:
		if err := req.Validate(); err != nil {
			return nil, paramError(err)
		}
		return s.store.busifavorUse(mchid, req, fp)
	case *marketing.ProductCouponUseRequest:
		if req.OpenID != "" || req.CouponCode != "" {
			return nil, paramError(&marketing.ValidationError{Field: "openid", Rule: "openid and coupon_code are path parameters and must not be in the body"})
		}
		req.OpenID, req.CouponCode = r.PathValue("openid"), r.PathValue("coupon_code")
		if err := req.Validate(); err != nil {
			return nil, paramError(err)
		}
		return s.store.productCouponUse(mchid, req, fp)
	case *marketing.ProductCouponUpdateRequest:
		if req.ProductCouponID != "" {
			return nil, paramError(&marketing.ValidationError{Field: "product_coupon_id", Rule: "is a path parameter and must not be in the body"})
		}
		req.ProductCouponID = r.PathValue("product_coupon_id")
		if err := req.Validate(); err != nil {
			return nil, paramError(err)
		}
		var raw struct {
			DisplayInfo json.RawMessage `json:"display_info"`
		}
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, paramError(err)
		}
		return s.store.productCouponUpdate(mchid, req, raw.DisplayInfo, fp)
	default:
		return nil, systemError(fmt.Sprintf("decoded %T for %s", decoded, op))
	}
}

// paramError is the 400 PARAM_ERROR for a request that breaks the documents'
// field rules; the detail names the first broken field.
func paramError(err error) *apiError {
	e := &apiError{Status: http.StatusBadRequest, Code: "PARAM_ERROR", Message: "参数错误: " + err.Error()}
	var ve *marketing.ValidationError
	if errors.As(err, &ve) {
		e.Detail = map[string]any{"location": "body", "field": ve.Field, "issue": ve.Rule}
	}
	return e
}
