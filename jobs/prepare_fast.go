package jobs

import (
	"bytes"
	"io"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// encodeJobFast writes what json.Marshal(job) writes, without reflection,
// when every string field is plain (see plainString) and Request and Meta
// are compact with nothing to escape; ok is false otherwise. It does NOT
// check that Request and Meta are valid JSON values: Prepare decodes the
// result and falls back to json.Marshal unless the decoded job has exactly
// job's fields, which proves each was one valid value on its own (a
// strict decoder found it as the whole value of its field).
func encodeJobFast(job *Job) (data []byte, ok bool) {
	if !plainString(job.ID) || !plainString(job.MchID) || !plainString(job.FairnessKey) ||
		!compactClean(job.Request) || !compactClean(job.Meta) {
		return nil, false
	}
	b := make([]byte, 0, 64+len(job.ID)+len(job.MchID)+len(job.Request)+len(job.Meta)+len(job.FairnessKey))
	b = append(b, '{')
	if job.ID != "" {
		b = append(append(append(b, `"id":"`...), job.ID...), `",`...)
	}
	if job.MchID != "" {
		b = append(append(append(b, `"mchid":"`...), job.MchID...), `",`...)
	}
	b = append(b, `"request":`...)
	if len(job.Request) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, job.Request...)
	}
	if len(job.Meta) > 0 {
		b = append(append(b, `,"meta":`...), job.Meta...)
	}
	if job.Priority != 0 {
		b = strconv.AppendInt(append(b, `,"priority":`...), int64(job.Priority), 10)
	}
	if job.FairnessKey != "" {
		b = append(append(append(b, `,"fairness_key":"`...), job.FairnessKey...), '"')
	}
	return append(b, '}'), true
}

// sameJob reports whether the decoded job has exactly the fields of the
// encoded one (the id only when the job had one: Decode derives it).
func sameJob(decoded, job *Job) bool {
	return (job.ID == "" || decoded.ID == job.ID) && decoded.MchID == job.MchID &&
		bytes.Equal(decoded.Request, job.Request) && bytes.Equal(decoded.Meta, job.Meta) &&
		decoded.Priority == job.Priority && decoded.FairnessKey == job.FairnessKey
}

// plainString reports whether json.Marshal writes s as it is between
// quotes: printable ASCII without '"', '\\' or the HTML characters it
// escapes.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// compactClean reports whether json.Marshal leaves the raw JSON value v as
// it is: no whitespace outside strings and nothing it escapes (<, >, &,
// U+2028, U+2029). It assumes v is valid JSON; for invalid input its answer
// does not matter (see encodeJobFast).
func compactClean(v []byte) bool {
	inString := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !notPlain[c] {
			continue
		}
		switch c {
		case '<', '>', '&':
			return false
		case 0xE2:
			if i+2 < len(v) && v[i+1] == 0x80 && (v[i+2] == 0xA8 || v[i+2] == 0xA9) {
				return false
			}
		case '"':
			inString = !inString
		case '\\':
			if inString {
				i++ // the escaped character
			}
		case ' ', '\t', '\n', '\r':
			if !inString {
				return false
			}
		}
	}
	return true
}

// hasUseTime reports whether the request object raw certainly has a
// use_time that fillUseTime keeps (neither "" nor null), reading only its
// top level. False means "not certain": fillUseTime then decides as
// before. A strict reading (go-json-experiment/json's jsontext: exact
// names, no repeated names, valid UTF-8) finds the same fields and raw
// values as encoding/json's map decoding whenever it succeeds.
func hasUseTime(raw []byte) bool {
	sc := objectScanners.Get().(*objectScanner)
	defer objectScanners.Put(sc)
	sc.r.Reset(raw)
	dec := &sc.dec
	dec.Reset(&sc.r)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	found := false
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return false
		}
		isUseTime := name.String() == "use_time" // before the next read voids name
		v, err := dec.ReadValue()
		if err != nil {
			return false
		}
		if isUseTime && string(v) != `""` && string(v) != "null" {
			found = true
		}
	}
	if _, err := dec.ReadToken(); err != nil { // '}'
		return false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return false // trailing data: encoding/json refuses it
	}
	return found
}

// notPlain marks the bytes compactClean looks at.
var notPlain = [256]bool{'<': true, '>': true, '&': true, 0xE2: true, '"': true, '\\': true, ' ': true, '\t': true, '\n': true, '\r': true}

// objectScanner is a reusable reader of JSON objects (a jsontext.Decoder is
// too big to allocate per job).
type objectScanner struct {
	r   bytes.Reader
	dec jsontext.Decoder
}

var objectScanners = sync.Pool{New: func() any { return new(objectScanner) }}
