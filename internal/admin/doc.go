// Package admin implements what couponq's operator tools do to the streams
// and buckets — read and replay dead letters, read results, follow
// campaigns, collect queue statistics, pause job types — without any
// presentation; internal/cli renders it. It needs only a JetStream
// connection: no merchant key, no WeChat Pay client.
package admin
