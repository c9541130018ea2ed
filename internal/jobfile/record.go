package jobfile

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/couponq/couponq/jobs"
)

// Record is one job of a file, or why its line is bad.
type Record struct {
	// Line is the 1-based line number (of the row's first line in CSV).
	Line int
	// Job is the parsed job; partial when Err is set.
	Job jobs.TypedJob
	// Err says why the line is not a job (a *LineError).
	Err error
}

// LineError is a bad line: its number and what is wrong with it.
type LineError struct {
	Line   int
	Reason string
	Err    error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Unwrap returns the underlying error, if any.
func (e *LineError) Unwrap() error { return e.Err }

// Reader yields the records of a job file in order. Next returns io.EOF
// after the last record; any other error is a problem with the whole file
// and ends the reading.
type Reader interface {
	Next() (Record, error)
}

// Format is a job file format.
type Format string

// The formats.
const (
	JSONL Format = "jsonl"
	CSV   Format = "csv"
)

// FormatFor chooses the format: the explicit one when given ("jsonl",
// "csv"), else by the file name's extension (.csv is CSV, anything else
// JSONL).
func FormatFor(name, explicit string) (Format, error) {
	switch strings.ToLower(explicit) {
	case "jsonl", "json", "ndjson":
		return JSONL, nil
	case "csv":
		return CSV, nil
	case "":
	default:
		return "", fmt.Errorf("unknown format %q (jsonl or csv)", explicit)
	}
	if strings.EqualFold(filepath.Ext(name), ".csv") {
		return CSV, nil
	}
	return JSONL, nil
}
