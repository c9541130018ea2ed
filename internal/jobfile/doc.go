// Package jobfile reads job files for `enqueue --file`, one job at a time in
// constant memory: JSONL (one {"type", "id", "request", ...} object per line)
// and CSV (one job per row, columns mapped to fields by the header, nested
// request fields by dotted headers such as display_info.name).
//
// A bad line does not stop the reader: it yields a Record with Err set and
// the line number, and goes on with the next line. Only problems with the
// file as a whole (unreadable, UTF-16, a bad CSV header) end the reading.
package jobfile
