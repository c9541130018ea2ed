// Package cli implements the couponq commands (worker, enqueue) behind thin
// main packages, so they can be run and tested in-process with their output
// going to any io.Writer.
package cli
