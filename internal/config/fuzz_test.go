package config

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParse: loading any bytes as the config file never panics and never
// hangs; a failure is one error naming the file; a success is a valid
// configuration that survives being written out and read back.
// CI runs it briefly: see .ci/fuzz.
func FuzzParse(f *testing.F) {
	f.Add([]byte("worker:\n  id: w1\nnats:\n  url: nats://127.0.0.1:4222\n  connect_timeout: 30s\n"))
	f.Add([]byte("limits:\n  busifavor.use: 500\n  product_coupon.update: 20\nmerchants:\n  - mchid: \"1900000001\"\n    limits:\n      product_coupon.update: 10\n"))
	f.Add([]byte("retry:\n  max_attempts: 1e2\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("nats:\n  url: \"nats://user:s3cret@host:4222\"\n  connect_timeout: -1s\n"))
	f.Add([]byte("worker: {id: \"\xff\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		t.Setenv("COUPONQ_NATS_URL", "")
		c, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid config: %v", err)
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("config does not encode: %v", err)
		}
		if _, err := Parse(out, "fuzz.yaml"); err != nil {
			t.Fatalf("config written out does not load again: %v\n%s", err, out)
		}
	})
}
