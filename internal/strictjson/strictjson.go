// Package strictjson finds what encoding/json would silently change while
// decoding: invalid UTF-8 (replaced with U+FFFD) and escaped lone UTF-16
// surrogates such as "\ud800" (also replaced with U+FFFD). A job holding
// either cannot be represented faithfully — the API would receive a value
// the producer never sent — so the decoders of jobs and wechat/marketing
// refuse it before decoding.
package strictjson

import (
	"fmt"
	"unicode/utf8"
)

// TextError says where in the input the unfaithful text is.
type TextError struct {
	// Offset is the byte offset of the problem in the input.
	Offset int
	// Problem says what is wrong.
	Problem string
}

// Error returns "<problem> at byte <offset>".
func (e *TextError) Error() string { return fmt.Sprintf("%s at byte %d", e.Problem, e.Offset) }

// CheckText returns a *TextError when data holds invalid UTF-8 anywhere, or
// a \u escape inside a JSON string that is a lone surrogate (a high
// surrogate not followed by an escaped low one, or a low one on its own).
// It does not check JSON syntax otherwise: malformed input is left to the
// decoder, which reports it.
func CheckText(data []byte) error {
	if !utf8.Valid(data) {
		return &TextError{Offset: firstInvalid(data), Problem: "invalid UTF-8"}
	}
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 >= len(data) {
				return nil
			}
			if data[i+1] != 'u' {
				i++ // skip the escaped character
				continue
			}
			r, ok := hex4(data, i+2)
			if !ok {
				i++
				continue
			}
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				return &TextError{Offset: i, Problem: fmt.Sprintf(`lone UTF-16 surrogate \u%04x in a string`, r)}
			case r >= 0xD800 && r <= 0xDBFF:
				lo, ok := -1, false
				if i+7 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
					var v int
					v, ok = hex4(data, i+8)
					lo = v
				}
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					return &TextError{Offset: i, Problem: fmt.Sprintf(`lone UTF-16 surrogate \u%04x in a string`, r)}
				}
				i += 11
			default:
				i += 5
			}
		}
	}
	return nil
}

// hex4 reads four hex digits at data[at:].
func hex4(data []byte, at int) (int, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	v := 0
	for _, c := range data[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | int(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// firstInvalid is the offset of the first byte that does not start a valid
// UTF-8 sequence.
func firstInvalid(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// StartsObject reports whether the first non-space byte of data is '{':
// the fast decoders (go-json-experiment) would accept other top-level
// values, such as null, that the strict ones refuse.
func StartsObject(data []byte) bool {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}
