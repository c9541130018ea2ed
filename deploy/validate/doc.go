// Package validate checks couponq's deployment files without a Docker
// engine or a Kubernetes cluster: every Kubernetes manifest is decoded
// strictly (unknown or duplicate fields are errors) into the typed API
// structs of k8s.io/api and KEDA's own ScaledObject type, the compose file
// is loaded by compose-go (the loader docker compose uses), and the tests
// check the properties that keep a deploy safe: probes, grace periods
// longer than the worker's drain, non-root containers.
//
// It is its own Go module so that the product's go.mod stays lean: the
// Kubernetes, KEDA and compose libraries are needed only here. Run it with
// .ci/deploy-check.
package validate
