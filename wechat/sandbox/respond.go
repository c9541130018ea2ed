package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// probeSignaturePrefix starts the signatures WeChat Pay sends to probe that
// clients verify answers; a client must reject them.
const probeSignaturePrefix = "WECHATPAY/SIGNTEST/"

// apiError is a non-2xx answer in WeChat Pay's shape.
type apiError struct {
	Status  int
	Code    string
	Message string
	Detail  map[string]any
}

// body encodes the error as {"code":..,"message":..,"detail":{..}}.
func (e *apiError) body() []byte {
	v := struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Detail  map[string]any `json:"detail,omitempty"`
	}{e.Code, e.Message, e.Detail}
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{"code":"SYSTEM_ERROR","message":"encode error"}`)
	}
	return b
}

// marshalAnswer encodes a 2xx body.
func marshalAnswer(v any) ([]byte, *apiError) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, systemError("encode answer: " + err.Error())
	}
	return b, nil
}

// writeError sends e and returns its status.
func writeError(w http.ResponseWriter, e *apiError) int {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.Status)
	_, _ = w.Write(e.body())
	return e.Status
}

// signing says how to sign a 2xx answer.
type signing int

const (
	signNormally   signing = iota
	signProbe              // a WECHATPAY/SIGNTEST/ signature
	signThenTamper         // a valid signature over a body that is then changed
)

// writeSigned sends a 2xx answer signed as WeChat Pay signs: Wechatpay-Timestamp,
// Wechatpay-Nonce, Wechatpay-Serial (the public key id) and Wechatpay-Signature,
// the base64 SHA256-RSA signature of "timestamp\nnonce\nbody\n" with the
// platform private key. It returns the status sent.
func (s *Sandbox) writeSigned(w http.ResponseWriter, m *merchant, status int, body []byte, how signing) int {
	ts := strconv.FormatInt(s.now().Unix(), 10)
	nonce, err := utils.GenerateNonce()
	if err != nil {
		return writeError(w, systemError("nonce: "+err.Error()))
	}
	signature, err := utils.SignSHA256WithRSA(ts+"\n"+nonce+"\n"+string(body)+"\n", m.keys.PlatformPrivateKey)
	if err != nil {
		return writeError(w, systemError("sign answer"))
	}
	switch how {
	case signProbe:
		random, err := utils.GenerateNonce()
		if err != nil {
			return writeError(w, systemError("nonce: "+err.Error()))
		}
		signature = probeSignaturePrefix + random
	case signThenTamper:
		body = tamper(body)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Serial", m.keys.PublicKeyID)
	h.Set("Wechatpay-Signature", signature)
	h.Set("Wechatpay-Signature-Type", authScheme)
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

// tamper changes a JSON object's content as a man in the middle might: one
// more field, still valid JSON.
func tamper(body []byte) []byte {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) >= 2 && trimmed[0] == '{' && trimmed[len(trimmed)-1] == '}' {
		sep := ","
		if bytes.Equal(bytes.TrimSpace(trimmed[1:len(trimmed)-1]), nil) {
			sep = ""
		}
		return fmt.Appendf(nil, "%s%s\"tampered\":true}", trimmed[:len(trimmed)-1], sep)
	}
	return append(append([]byte{}, body...), ' ')
}
