package metrics

import (
	"runtime"
	"runtime/debug"
)

// BuildInfo labels couponq_build_info.
type BuildInfo struct {
	// Version is the couponq version; empty is "unknown".
	Version string
	// GoVersion is the Go toolchain; empty is runtime.Version().
	GoVersion string
	// Signer is the RSA implementation that signs WeChat Pay requests
	// (wechat.SignerBackend: "go", or "openssl" in a build with that tag);
	// empty leaves the label out.
	Signer string
}

// ReadBuildInfo returns the version of the main module as the binary
// records it ("(devel)" for a source build) and the Go version.
func ReadBuildInfo() BuildInfo {
	b := BuildInfo{Version: "unknown", GoVersion: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		b.Version = info.Main.Version
	}
	return b
}

func (b BuildInfo) withDefaults() BuildInfo {
	if b.Version == "" {
		b.Version = "unknown"
	}
	if b.GoVersion == "" {
		b.GoVersion = runtime.Version()
	}
	return b
}
