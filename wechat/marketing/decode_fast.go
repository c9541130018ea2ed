package marketing

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/couponq/couponq/internal/strictjson"
)

// decodeFast decodes raw into a new request for op in one pass, or returns
// nil when it cannot vouch for the input; DecodeRequest then runs its
// token walker, which gives the same answer and names the problem.
//
// It may only accept what the walker and encoding/json accept, and must
// then produce the same value. It uses go-json-experiment/json (the
// prototype of encoding/json/v2, maintained by the Go team's JSON
// maintainers), whose defaults are the walker's rules: field names match
// exactly (case included), repeated names are errors, unknown names are
// errors with RejectUnknownMembers, integers must be written as integers
// (no 1e2, no 1.0) within int64, and trailing data is an error. It is
// stricter where the walker is lenient (invalid UTF-8, lone surrogates): those
// inputs go to the walker. It is used only for request types whose every
// field the walker understands (fastDecodable), and only for an input
// that is a JSON object (v2 would accept a top-level null).
func decodeFast(op Operation, raw []byte) Request {
	req := NewRequest(op)
	if req == nil || !fastDecodable(reflect.TypeOf(req).Elem()) || !strictjson.StartsObject(raw) {
		return nil
	}
	if err := jsonv2.Unmarshal(raw, req, jsonv2.RejectUnknownMembers(true)); err != nil {
		return nil
	}
	return req
}

// fastTypes caches fastDecodable per struct type.
var fastTypes sync.Map // reflect.Type → bool

// fastDecodable reports whether both decoders see struct type t alike:
// every field exported, not embedded, named by a plain json tag with no
// options but omitempty/omitzero, of a type the walker checks (string,
// bool, int64, structs, pointers and slices of those), none with its own
// unmarshalling methods and none of another package's named types (v2
// treats some, such as time.Duration, specially).
func fastDecodable(t reflect.Type) bool {
	if v, ok := fastTypes.Load(t); ok {
		return v.(bool)
	}
	ok := fastType(t, map[reflect.Type]bool{})
	fastTypes.Store(t, ok)
	return ok
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	ownPkgPath      = reflect.TypeFor[DecodeError]().PkgPath()
)

func fastType(t reflect.Type, visiting map[reflect.Type]bool) bool {
	if t.PkgPath() != "" && t.PkgPath() != ownPkgPath {
		return false
	}
	if t.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler) ||
		reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return false
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int64:
		return true
	case reflect.Pointer, reflect.Slice:
		return fastType(t.Elem(), visiting)
	case reflect.Struct:
		if visiting[t] {
			return true
		}
		visiting[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Anonymous || !plainTag(f.Tag.Get("json")) || !fastType(f.Type, visiting) {
				return false
			}
		}
		return true
	}
	return false
}

// plainTag reports whether a json tag is a name of [a-z0-9_] followed by
// no options but omitempty or omitzero.
func plainTag(tag string) bool {
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o != "omitempty" && o != "omitzero" {
			return false
		}
	}
	return true
}
