package jobs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// TypedJob is a job together with its type: the line format of JSONL job
// files ({"type": "busifavor.use", "id": ..., "request": {...}}).
type TypedJob struct {
	Type Type `json:"type"`
	Job
}

// ReadJSONL reads one job per line (blank lines and lines starting with #
// are skipped). A line without "type" gets defaultType; when that is empty
// too, it is an error. Errors name the line.
func ReadJSONL(r io.Reader, defaultType Type) ([]TypedJob, error) {
	var out []TypedJob
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		tj, err := ParseTypedJob(b, defaultType)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, tj)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read jobs: %w", err)
	}
	return out, nil
}

// ParseTypedJob decodes one {"type": ..., <job fields>} object.
func ParseTypedJob(b []byte, defaultType Type) (TypedJob, error) {
	var tj TypedJob
	if !decodeStrictFast(b, &tj) { // well-formed: one pass (decode_fast.go)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tj); err != nil {
			return tj, &InvalidJobError{Reason: "not a job object: " + jsonProblem(err), Err: err}
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return tj, &InvalidJobError{Reason: "trailing data after the job object (one job per line)"}
		}
	}
	if tj.Type == "" {
		tj.Type = defaultType
	}
	if tj.Type == "" {
		return tj, &InvalidJobError{Field: "type", Reason: "is required (or pass a default type)", Err: errors.New("missing type")}
	}
	if _, err := ParseType(string(tj.Type)); err != nil {
		return tj, &InvalidJobError{Field: "type", Reason: err.Error(), Err: err}
	}
	return tj, nil
}
