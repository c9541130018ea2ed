//go:build openssl && cgo

package wechat

import (
	"strings"
	"testing"
)

// TestOpenSSLBuildSignsWithOpenSSL: with the openssl tag the build signs
// with libcrypto.
func TestOpenSSLBuildSignsWithOpenSSL(t *testing.T) {
	if got := SignerBackend(); got != "openssl" {
		t.Fatalf("SignerBackend() = %q, want openssl", got)
	}
	if lib := SignerLibrary(); !strings.HasPrefix(lib, "OpenSSL ") {
		t.Fatalf("SignerLibrary() = %q", lib)
	}
}
