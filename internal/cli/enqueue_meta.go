package cli

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/couponq/couponq/jobs"
)

// withCampaignFast is withCampaign for the common case, without decoding
// meta into a map: meta absent or null, or an object whose names are
// plain (see plainJSON), in sorted order and none of them "campaign". It
// inserts "campaign" where json.Marshal of the map would put it; values
// stay as written, which jobs.Prepare compacts exactly as it compacts
// withCampaign's map output, so the published bytes are the same. ok is
// false in every other case (withCampaign then decides as before).
func withCampaignFast(meta []byte, id string) (out []byte, ok bool) {
	if !plainJSON(id) {
		return nil, false
	}
	field := `"` + jobs.MetaCampaign + `":"` + id + `"`
	if len(meta) == 0 || string(meta) == "null" {
		return []byte("{" + field + "}"), true
	}
	sc := metaScanners.Get().(*metaScanner)
	defer metaScanners.Put(sc)
	sc.r.Reset(meta)
	dec := &sc.dec
	dec.Reset(&sc.r)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	b := make([]byte, 0, len(meta)+len(field)+2)
	b = append(b, '{')
	prev, inserted := "", false
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, false
		}
		name := tok.String()
		if !plainJSON(name) || (prev != "" && name <= prev) || name == jobs.MetaCampaign {
			return nil, false
		}
		prev = name
		v, err := dec.ReadValue()
		if err != nil {
			return nil, false
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		if !inserted && name > jobs.MetaCampaign {
			b = append(append(b, field...), ',')
			inserted = true
		}
		b = append(append(append(append(b, '"'), name...), `":`...), v...)
	}
	if _, err := dec.ReadToken(); err != nil { // '}'
		return nil, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, false // trailing data
	}
	if !inserted {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, field...)
	}
	return append(b, '}'), true
}

// metaScanner is a reusable reader of meta objects (a jsontext.Decoder is
// too big to allocate per line).
type metaScanner struct {
	r   bytes.Reader
	dec jsontext.Decoder
}

var metaScanners = sync.Pool{New: func() any { return new(metaScanner) }}

// plainJSON reports whether json.Marshal writes the string s as it is
// between quotes: printable ASCII without '"', '\\', '<', '>' or '&'.
func plainJSON(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '<' || r == '>' || r == '&'
	})
}
