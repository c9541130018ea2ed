package jobfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/couponq/couponq/jobs"
)

// MaxLineBytes bounds one line of a JSONL file; a longer line is a bad line.
const MaxLineBytes = 1 << 20

// jsonlReader reads one job object per line.
type jsonlReader struct {
	r           *bufio.Reader
	defaultType jobs.Type
	line        int
	started     bool
}

// NewJSONL reads JSONL jobs from r: one {"type": ..., "id": ..., "mchid":
// ..., "request": {...}, "meta": {...}, "priority": N, "fairness_key": ...}
// object per line. Blank lines and lines starting with # are skipped. A line
// without "type" gets defaultType (an error when that is empty too). Memory
// is bounded by MaxLineBytes whatever the file's size.
func NewJSONL(r io.Reader, defaultType jobs.Type) Reader {
	return &jsonlReader{r: bufio.NewReaderSize(r, 64*1024), defaultType: defaultType}
}

func (j *jsonlReader) Next() (Record, error) {
	if !j.started {
		j.started = true
		if err := skipBOM(j.r); err != nil {
			return Record{}, err
		}
	}
	for {
		b, tooLong, err := j.readLine()
		if err != nil {
			return Record{}, err
		}
		j.line++
		if tooLong {
			return j.bad(fmt.Sprintf("longer than %d bytes", MaxLineBytes), nil), nil
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		if !utf8.Valid(b) {
			return j.bad(notUTF8, nil), nil
		}
		tj, err := jobs.ParseTypedJob(b, j.defaultType)
		if err != nil {
			return Record{Line: j.line, Job: tj, Err: &LineError{Line: j.line, Reason: reason(err), Err: err}}, nil
		}
		return Record{Line: j.line, Job: tj}, nil
	}
}

func (j *jsonlReader) bad(why string, err error) Record {
	return Record{Line: j.line, Err: &LineError{Line: j.line, Reason: why, Err: err}}
}

// readLine returns the next line without its newline. A line longer than
// MaxLineBytes is skipped to its end and reported as tooLong. io.EOF comes
// only when no bytes are left.
func (j *jsonlReader) readLine() (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := j.r.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxLineBytes {
			tooLong = true
			buf = buf[:0]
		} else {
			buf = append(buf, chunk...)
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(buf, []byte("\n")), tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			return buf, tooLong, nil
		default:
			return nil, false, fmt.Errorf("read job file: %w", err)
		}
	}
}

// reason is the text of a line's problems on one line, without the
// "invalid job: " prefix the jobs package puts on each.
func reason(err error) string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts := make([]string, 0, len(j.Unwrap()))
		for _, e := range j.Unwrap() {
			parts = append(parts, reason(e))
		}
		return strings.Join(parts, "; ")
	}
	var ij *jobs.InvalidJobError
	if errors.As(err, &ij) {
		if ij.Field != "" {
			return ij.Field + ": " + ij.Reason
		}
		return ij.Reason
	}
	return err.Error()
}
