// Package clustertest holds end-to-end tests with real processes: a 3-node
// nats-server cluster built from the module couponq depends on, the sandbox
// and worker processes built from cmd/. It has no code of its own.
package clustertest
