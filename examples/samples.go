// Package examples holds sample jobs (sample-jobs.jsonl) that run against
// the sandbox fixtures; the worker's --demo mode feeds them in, and
// `enqueue --file examples/sample-jobs.jsonl` publishes them by hand.
// The producer example is in examples/producer.
package examples

import _ "embed"

// SampleJobs is sample-jobs.jsonl: one job per line, with its type.
//
//go:embed sample-jobs.jsonl
var SampleJobs []byte
