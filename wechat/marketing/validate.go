package marketing

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// ValidationError is one broken field rule, found before anything was sent.
// Field is the JSON path of the field ("display_info.name",
// "associated_order_info.mchid", "display_info.detail_image_url_list[3]");
// Rule says in English what is wrong ("must be 3-15 characters, got 2").
// Validate joins several of them with errors.Join; use errors.As to get one.
type ValidationError struct {
	Field string
	Rule  string
}

// Error returns "field: rule".
func (e *ValidationError) Error() string { return e.Field + ": " + e.Rule }

// checker collects every violation of one request.
type checker struct{ errs []error }

func (c *checker) add(field, format string, args ...any) {
	c.errs = append(c.errs, &ValidationError{Field: field, Rule: fmt.Sprintf(format, args...)})
}

// err returns nil, the only violation, or all of them joined.
func (c *checker) err() error {
	switch len(c.errs) {
	case 0:
		return nil
	case 1:
		return c.errs[0]
	}
	return errors.Join(c.errs...)
}

// required reports whether v is present, recording a violation if not.
func (c *checker) required(field, v string) bool {
	if v == "" {
		c.add(field, "is required")
		return false
	}
	return true
}

// text checks a free-text value: valid UTF-8, no control characters, and
// min..max characters (runes). An empty optional value is not checked.
func (c *checker) text(field, v string, min, max int) {
	if !utf8.ValidString(v) {
		c.add(field, "must be valid UTF-8")
		return
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			c.add(field, "must not contain control characters")
			return
		}
	}
	c.length(field, v, min, max)
}

// length checks min..max characters (runes).
func (c *checker) length(field, v string, min, max int) {
	if n := utf8.RuneCountInString(v); n < min || n > max {
		c.add(field, "must be %d-%d characters, got %d", min, max, n)
	}
}

// ident checks an identifier: min..max characters, valid UTF-8, no
// whitespace or control characters.
func (c *checker) ident(field, v string, min, max int) {
	if !utf8.ValidString(v) {
		c.add(field, "must be valid UTF-8")
		return
	}
	for _, r := range v {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			c.add(field, "must not contain whitespace or control characters")
			return
		}
	}
	c.length(field, v, min, max)
}

// pathParam is ident plus: not "." or "..", which would change the path.
func (c *checker) pathParam(field, v string, min, max int) {
	if v == "." || v == ".." {
		c.add(field, "must not be %q (it is a path parameter)", v)
		return
	}
	c.ident(field, v, min, max)
}

// printableASCII checks min..max characters of printable ASCII without
// spaces ('!' to '~'): such a value can travel as a NATS header value.
func (c *checker) printableASCII(field, v string, min, max int) {
	for i := 0; i < len(v); i++ {
		if v[i] < '!' || v[i] > '~' {
			c.add(field, "must be printable ASCII without spaces, got byte 0x%02x at %d", v[i], i)
			return
		}
	}
	c.length(field, v, min, max)
}

// outRequestNo is the product coupon request number rule: 6-40 characters of
// digits, ASCII letters, '_' and '-'.
func (c *checker) outRequestNo(field, v string) {
	for i := 0; i < len(v); i++ {
		if !isRequestNoByte(v[i]) {
			c.add(field, "must contain only 0-9, A-Z, a-z, '_' and '-', got %q at %d", v[i], i)
			return
		}
	}
	c.length(field, v, 6, 40)
}

func isRequestNoByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b == '_' || b == '-'
}

// rfc3339 checks the documents' time format yyyy-MM-DDTHH:mm:ss+TIMEZONE
// (time.RFC3339, seconds required; fractional seconds are accepted by the
// standard and so here), at most max characters.
func (c *checker) rfc3339(field, v string, max int) {
	if len(v) > max {
		c.add(field, "must be at most %d characters, got %d", max, len(v))
		return
	}
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		c.add(field, "must be an RFC 3339 time with seconds and zone like 2025-07-24T00:00:00+08:00, got %q", v)
	}
}

// nonNegative checks an optional integer.
func (c *checker) nonNegative(field string, v *int64) {
	if v != nil && *v < 0 {
		c.add(field, "must be >= 0, got %d", *v)
	}
}
