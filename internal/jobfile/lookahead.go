package jobfile

import (
	"bufio"
	"bytes"
)

// Lookahead is implemented by this package's readers. WouldWait reports
// whether the next call to Next may have to wait for more input because no
// whole line is buffered yet. A consumer that gathers records into batches
// hands on what it has before such a call, so that jobs from a slow stream
// (stdin fed by another program) are never held back waiting for the rest
// of a batch.
type Lookahead interface {
	WouldWait() bool
}

// WouldWait implements Lookahead.
func (j *jsonlReader) WouldWait() bool { return wouldWait(j.r) }

// WouldWait implements Lookahead.
func (c *csvReader) WouldWait() bool { return c.br != nil && wouldWait(c.br) }

// wouldWait reports whether r holds no newline: reading a line may block.
func wouldWait(r *bufio.Reader) bool {
	b, _ := r.Peek(r.Buffered())
	return bytes.IndexByte(b, '\n') < 0
}
