package wechat

import (
	"net"
	"net/http"
	"time"
)

// NewTransport returns the http.Transport the client uses when
// Config.HTTPClient is nil: a keep-alive pool of maxConnsPerHost connections
// per host, all of which may stay idle (MaxIdleConnsPerHost ==
// MaxConnsPerHost, so a worker running that many calls at once never closes
// and re-dials connections), idle connections kept 90 s, 5 s dial and TLS
// handshake timeouts, HTTP/2 when the server offers it. Overall attempt time
// is bounded by Config.Timeout and the caller's context, not here.
func NewTransport(maxConnsPerHost int) *http.Transport {
	if maxConnsPerHost <= 0 {
		maxConnsPerHost = DefaultMaxConnsPerHost
	}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxConnsPerHost:       maxConnsPerHost,
		MaxIdleConnsPerHost:   maxConnsPerHost,
		MaxIdleConns:          2 * maxConnsPerHost, // primary and backup host
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
