//go:build !(openssl && cgo)

package wechat

import "testing"

// TestDefaultBuildSignsInGo: without the openssl tag the build signs with
// Go's crypto/rsa (and links no C).
func TestDefaultBuildSignsInGo(t *testing.T) {
	if got := SignerBackend(); got != "go" {
		t.Fatalf("SignerBackend() = %q, want go", got)
	}
}
