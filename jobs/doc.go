// Package jobs is the couponq wire contract in Go: the job and result
// messages, their subjects and streams, decoding with errors that say what is
// wrong and where, and the producer library that order systems and campaign
// tools import to publish jobs.
//
// A job is JSON published to couponq.jobs.<type> with the header
// Nats-Msg-Id: <type>/<id>; the worker answers with exactly one Result on
// couponq.results.<type>.succeeded or .failed. See CONTRACT.md.
package jobs
