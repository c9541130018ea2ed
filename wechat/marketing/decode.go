package marketing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/couponq/couponq/internal/strictjson"
)

// DecodeError is a job's request object that does not decode into the typed
// request: malformed JSON, an unknown or repeated field, a wrong JSON type or
// trailing data. Field is the JSON path ("" for the object itself,
// "display_info.combo_package_list[0].pick_count"); Problem says what is
// wrong. Nothing was sent; Classify reports it permanent.
type DecodeError struct {
	Field   string
	Problem string
}

// Error returns "request.<field>: <problem>", or "request: <problem>".
func (e *DecodeError) Error() string {
	if e.Field == "" {
		return "request: " + e.Problem
	}
	return "request." + e.Field + ": " + e.Problem
}

// DecodeRequest strictly decodes a job's "request" JSON object into the typed
// request for op. Field names must match the API's exactly (case included);
// unknown or repeated fields, wrong JSON types, non-integer numbers (1e2,
// 1.0) for integer fields, invalid UTF-8, lone surrogates and trailing data are
// *DecodeError values naming the field, e.g.
// `request.display_info.name: expected string, got number`. JSON null counts
// as absent. It does NOT call Validate.
func DecodeRequest(op Operation, raw []byte) (Request, error) {
	req := NewRequest(op)
	if req == nil {
		return nil, fmt.Errorf("marketing: decode request: unknown operation %q", op)
	}
	if fast := decodeFast(op, raw); fast != nil {
		return fast, nil // well-formed: one pass (decode_fast.go)
	}
	return decodeSlow(req, raw)
}

// decodeSlow is DecodeRequest's careful path, into the empty request req:
// it names the field of every problem.
func decodeSlow(req Request, raw []byte) (Request, error) {
	// encoding/json replaces invalid UTF-8 and lone surrogates with U+FFFD:
	// a coupon code the producer never sent. Refuse them instead.
	if err := strictjson.CheckText(raw); err != nil {
		return nil, &DecodeError{Problem: "cannot be represented faithfully: " + err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	w := walker{dec: dec}
	if err := w.object(reflect.TypeOf(req).Elem(), ""); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &DecodeError{Problem: "unexpected data after the request object"}
	}
	// The walk proved the shape; the standard decoder now fills the struct.
	if err := json.Unmarshal(raw, req); err != nil {
		return nil, &DecodeError{Problem: err.Error()}
	}
	return req, nil
}

// walker checks a JSON token stream against a Go type, so that problems are
// reported with their full path and duplicate keys are caught.
type walker struct{ dec *json.Decoder }

func (w *walker) token(path string) (json.Token, error) {
	tok, err := w.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &DecodeError{Field: path, Problem: "unexpected end of JSON"}
		}
		return nil, &DecodeError{Field: path, Problem: "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	return tok, nil
}

// object expects the next value to be an object (or null unless top level).
func (w *walker) object(t reflect.Type, path string) error {
	tok, err := w.token(path)
	if err != nil {
		return err
	}
	if tok == nil && path != "" {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return mismatch(path, "object", tok)
	}
	fields := jsonFields(t)
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.token(path)
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		fpath := key
		if path != "" {
			fpath = path + "." + key
		}
		f, ok := fields[key]
		if !ok {
			return &DecodeError{Field: fpath, Problem: "unknown field"}
		}
		if seen[key] {
			return &DecodeError{Field: fpath, Problem: "repeated field"}
		}
		seen[key] = true
		if err := w.value(f.Type, fpath); err != nil {
			return err
		}
	}
	_, err = w.token(path) // '}'
	return err
}

func (w *walker) value(t reflect.Type, path string) error {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return w.object(t, path)
	case reflect.Slice:
		return w.array(t.Elem(), path)
	}
	tok, err := w.token(path)
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := tok.(string); ok {
			return nil
		}
		return mismatch(path, "string", tok)
	case reflect.Bool:
		if _, ok := tok.(bool); ok {
			return nil
		}
		return mismatch(path, "boolean", tok)
	case reflect.Int64:
		n, ok := tok.(json.Number)
		if !ok {
			return mismatch(path, "integer", tok)
		}
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			return &DecodeError{Field: path, Problem: "expected integer, got number " + n.String()}
		}
		return nil
	}
	return &DecodeError{Field: path, Problem: "unsupported field type " + t.String()}
}

func (w *walker) array(elem reflect.Type, path string) error {
	tok, err := w.token(path)
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return mismatch(path, "array", tok)
	}
	for i := 0; w.dec.More(); i++ {
		if err := w.value(elem, path+index(i)); err != nil {
			return err
		}
	}
	_, err = w.token(path) // ']'
	return err
}

// mismatch describes a token of the wrong JSON type.
func mismatch(path, want string, tok json.Token) error {
	got := "null"
	switch v := tok.(type) {
	case json.Delim:
		got = map[json.Delim]string{'{': "object", '[': "array"}[v]
	case string:
		got = "string"
	case json.Number:
		got = "number"
	case bool:
		got = "boolean"
	}
	return &DecodeError{Field: path, Problem: "expected " + want + ", got " + got}
}

// jsonFields maps the JSON names of t's fields to the fields (cached per type).
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	if m, ok := fieldMaps.Load(t); ok {
		return m.(map[string]reflect.StructField)
	}
	m := make(map[string]reflect.StructField, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		m[name] = f
	}
	fieldMaps.Store(t, m)
	return m
}

// fieldMaps caches jsonFields: reflect.Type → map[string]reflect.StructField.
var fieldMaps sync.Map
