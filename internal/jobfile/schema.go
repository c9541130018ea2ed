package jobfile

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat/marketing"
)

// cellKind says how a CSV cell becomes a JSON value, from the Go type of the
// request field it fills.
type cellKind int

const (
	kindString  cellKind = iota // the cell as it is
	kindInt                     // an integer: 0, -5, 1200
	kindBool                    // true or false
	kindStrings                 // a list of strings: a|b|c or a JSON array
	kindInts                    // a list of integers: 1|2|3 or a JSON array
	kindJSON                    // an object or a list of objects: the cell is JSON
)

// fieldKinds caches the kind of every request column per job type.
var fieldKinds sync.Map // key: type + "\x00" + dotted path → cellKind or error

// requestFieldKind returns how a cell for the request field at the dotted
// path fills type t's request, or an error when there is no such field.
func requestFieldKind(t jobs.Type, path string) (cellKind, error) {
	key := string(t) + "\x00" + path
	if v, ok := fieldKinds.Load(key); ok {
		if err, isErr := v.(error); isErr {
			return 0, err
		}
		return v.(cellKind), nil
	}
	k, err := resolveKind(t, path)
	if err != nil {
		fieldKinds.Store(key, err)
		return 0, err
	}
	fieldKinds.Store(key, k)
	return k, nil
}

func resolveKind(t jobs.Type, path string) (cellKind, error) {
	req := marketing.NewRequest(t)
	if req == nil {
		return 0, fmt.Errorf("unknown job type %q", t)
	}
	typ := reflect.TypeOf(req).Elem()
	parts := strings.Split(path, ".")
	for i, name := range parts {
		f, ok := jsonField(typ, name)
		if !ok {
			return 0, fmt.Errorf("%s requests have no field %q", t, strings.Join(parts[:i+1], "."))
		}
		typ = deref(f)
		if i < len(parts)-1 && typ.Kind() != reflect.Struct {
			return 0, fmt.Errorf("%s request field %q has no sub-fields", t, strings.Join(parts[:i+1], "."))
		}
	}
	switch typ.Kind() {
	case reflect.String:
		return kindString, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return kindInt, nil
	case reflect.Bool:
		return kindBool, nil
	case reflect.Slice:
		switch deref(typ.Elem()).Kind() {
		case reflect.String:
			return kindStrings, nil
		case reflect.Int, reflect.Int32, reflect.Int64:
			return kindInts, nil
		}
		return kindJSON, nil
	}
	return kindJSON, nil
}

// jsonField finds the struct field whose JSON name is name.
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		if f.Anonymous && tag == "" {
			if ft, ok := jsonField(deref(f.Type), name); ok {
				return ft, true
			}
			continue
		}
		if tag == name && f.IsExported() {
			return f.Type, true
		}
	}
	return nil, false
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// cellValue converts a non-empty cell to the JSON value of kind k.
func cellValue(k cellKind, cell string) (any, error) {
	switch k {
	case kindString:
		return cell, nil
	case kindInt:
		n, err := parseInt(cell)
		if err != nil {
			return nil, err
		}
		return n, nil
	case kindBool:
		b, err := strconv.ParseBool(strings.TrimSpace(cell))
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", cell)
		}
		return b, nil
	case kindStrings, kindInts:
		if c := strings.TrimSpace(cell); strings.HasPrefix(c, "[") {
			return jsonCell(c)
		}
		parts := strings.Split(cell, "|")
		out := make([]any, 0, len(parts))
		for _, p := range parts {
			p = strings.TrimSpace(p)
			if k == kindStrings {
				out = append(out, p)
				continue
			}
			n, err := parseInt(p)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	}
	c := strings.TrimSpace(cell)
	if !strings.HasPrefix(c, "{") && !strings.HasPrefix(c, "[") {
		return nil, fmt.Errorf("must be a JSON object or array (or use dotted column names for its fields), got %q", truncate(cell, 40))
	}
	return jsonCell(c)
}

func parseInt(s string) (json.Number, error) {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseInt(s, 10, 64); err != nil {
		return "", fmt.Errorf("%q is not an integer", s)
	}
	return json.Number(s), nil
}

func jsonCell(c string) (json.RawMessage, error) {
	if !json.Valid([]byte(c)) {
		return nil, fmt.Errorf("malformed JSON %q", truncate(c, 40))
	}
	return json.RawMessage(c), nil
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
