//go:build openssl && cgo

package opensslsign

// FromDER exposes fromDER to the tests.
var FromDER = fromDER
