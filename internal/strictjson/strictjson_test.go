package strictjson

import (
	"errors"
	"testing"
)

func TestCheckText(t *testing.T) {
	cases := []struct {
		in     string
		bad    bool
		offset int
	}{
		{`{"a":"b"}`, false, 0},
		{`{"a":"\ud83d\ude00"}`, false, 0},
		{`{"a":"\\ud800"}`, false, 0}, // an escaped backslash, not an escape
		{`{"a":"\"\ud800"}`, true, 8},
		{`{"a":"\ud800"}`, true, 6},
		{`{"a":"\udfff"}`, true, 6},
		{`{"a":"\ud800\ud800"}`, true, 6},
		{`{"a":"\ud800x"}`, true, 6},
		{`{"a":"\ud800`, true, 6},
		{"{\"a\":\"\xff\"}", true, 6},
		{`\ud800`, false, 0}, // outside a string: the decoder's business
		{`{"a":"\u00e9"}`, false, 0},
		{`{"a":"\uZZZZ"}`, false, 0}, // malformed: left to the decoder
	}
	for _, c := range cases {
		err := CheckText([]byte(c.in))
		if (err != nil) != c.bad {
			t.Errorf("%q: err = %v, want bad=%v", c.in, err, c.bad)
			continue
		}
		var te *TextError
		if c.bad && (!errors.As(err, &te) || te.Offset != c.offset) {
			t.Errorf("%q: %v, want offset %d", c.in, err, c.offset)
		}
	}
}
