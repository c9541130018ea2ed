// Package harness is what couponq's benchmarks share: it builds the
// binaries (nats-server, cmd/sandbox, cmd/worker), starts and stops real
// processes (a nats-server with JetStream, the WeChat Pay sandbox enforcing
// real limits per sliding second, N worker processes) as a Cluster, watches
// results (Watcher), probes enqueue→result latency next to the same call
// made straight to the sandbox (Prober), samples CPU and memory from /proc,
// reads nats-server's monitoring endpoint, builds benchmark jobs, parses
// flags with --quick profiles and formats report figures.
//
// The benchmarks themselves live in ratebench, perfbench, schedbench and
// faultsbench, one package each; this package measures nothing on its own
// and asserts nothing about timing. Every child process a Group starts is
// stopped on every exit path.
package harness
