package jobfile

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/couponq/couponq/jobs"
)

// The envelope columns of a CSV job file; every other column is a request
// field ("request." prefix optional) or a meta field ("meta.<key>").
const (
	colType        = "type"
	colID          = "id"
	colMchID       = "mchid"
	colPriority    = "priority"
	colFairnessKey = "fairness_key"
	colMeta        = "meta"
	metaPrefix     = "meta."
	requestPrefix  = "request."
)

// column is one CSV column and where its cells go.
type column struct {
	name string
	// envelope is one of the col* names, or "" for a request/meta field.
	envelope string
	// meta is true for meta.<path> columns; path is then within meta.
	meta bool
	// path is the dotted field path within request or meta.
	path []string
}

// csvReader reads one job per CSV row.
type csvReader struct {
	r           *csv.Reader
	br          *bufio.Reader // what r reads from (see WouldWait)
	cols        []column
	defaultType jobs.Type
}

// NewCSV reads CSV jobs from r. The first row is the header; see the
// package documentation and docs/operators.md for the column mapping. A
// header problem (an empty, repeated or unknown column, no type) is returned
// here, before any row is read.
func NewCSV(r io.Reader, defaultType jobs.Type) (Reader, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	if err := skipBOM(br); err != nil {
		return nil, err
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return &csvReader{r: cr}, nil // an empty file: no jobs
	}
	if err != nil {
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	cols, err := parseHeader(header, defaultType)
	if err != nil {
		return nil, err
	}
	return &csvReader{r: cr, br: br, cols: cols, defaultType: defaultType}, nil
}

// parseHeader maps header names to columns and checks them.
func parseHeader(header []string, defaultType jobs.Type) ([]column, error) {
	var problems []string
	cols := make([]column, len(header))
	seen := map[string]int{}
	hasType := false
	for i, raw := range header {
		name := strings.TrimSpace(raw)
		if !utf8.ValidString(name) {
			return nil, fmt.Errorf("CSV header: column %d: %s", i+1, notUTF8)
		}
		c := column{name: name}
		switch {
		case name == "":
			problems = append(problems, fmt.Sprintf("column %d has no name", i+1))
		case name == colType || name == colID || name == colMchID || name == colPriority || name == colFairnessKey || name == colMeta:
			c.envelope = name
			hasType = hasType || name == colType
		case strings.HasPrefix(name, metaPrefix):
			c.meta, c.path = true, strings.Split(strings.TrimPrefix(name, metaPrefix), ".")
		default:
			c.path = strings.Split(strings.TrimPrefix(name, requestPrefix), ".")
		}
		if prev, dup := seen[name]; dup && name != "" {
			problems = append(problems, fmt.Sprintf("columns %d and %d are both %q", prev+1, i+1, name))
		}
		seen[name] = i
		cols[i] = c
	}
	problems = append(problems, pathConflicts(cols)...)
	if !hasType && defaultType == "" {
		problems = append(problems, "no \"type\" column: add one or pass --type")
	}
	if !hasType && defaultType != "" {
		for _, c := range cols {
			if c.envelope == "" && !c.meta && c.name != "" {
				if _, err := requestFieldKind(defaultType, strings.Join(c.path, ".")); err != nil {
					problems = append(problems, fmt.Sprintf("column %q: %v", c.name, err))
				}
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("CSV header: %s", strings.Join(problems, "; "))
	}
	return cols, nil
}

// pathConflicts finds a column that is also the parent of another
// ("display_info" next to "display_info.name").
func pathConflicts(cols []column) []string {
	full := map[string]bool{}
	for _, c := range cols {
		if c.envelope == "" && c.name != "" {
			full[prefixOf(c)+strings.Join(c.path, ".")] = true
		}
	}
	var out []string
	for _, c := range cols {
		if c.envelope != "" || c.name == "" {
			continue
		}
		for i := 1; i < len(c.path); i++ {
			parent := prefixOf(c) + strings.Join(c.path[:i], ".")
			if full[parent] {
				out = append(out, fmt.Sprintf("column %q and a column for its parent %q: use one or the other", c.name, strings.Join(c.path[:i], ".")))
			}
		}
	}
	sort.Strings(out)
	return out
}

func prefixOf(c column) string {
	if c.meta {
		return metaPrefix
	}
	return requestPrefix
}

func (c *csvReader) Next() (Record, error) {
	if c.cols == nil {
		return Record{}, io.EOF
	}
	row, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return Record{}, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		line := pe.StartLine
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return badRow(line, fmt.Sprintf("has %d fields, the header has %d", len(row), len(c.cols)), err), nil
		}
		return badRow(line, fmt.Sprintf("malformed CSV (line %d, column %d): %v", pe.Line, pe.Column, pe.Err), err), nil
	}
	if err != nil {
		return Record{}, fmt.Errorf("read job file: %w", err)
	}
	line, _ := c.r.FieldPos(0)
	tj, err := c.job(row)
	if err != nil {
		return Record{Line: line, Job: tj, Err: &LineError{Line: line, Reason: err.Error(), Err: err}}, nil
	}
	return Record{Line: line, Job: tj}, nil
}

func badRow(line int, why string, err error) Record {
	return Record{Line: line, Err: &LineError{Line: line, Reason: why, Err: err}}
}

// job builds the job of one row.
func (c *csvReader) job(row []string) (jobs.TypedJob, error) {
	tj := jobs.TypedJob{Type: c.defaultType}
	var problems []string
	for i, cell := range row {
		if !utf8.ValidString(cell) {
			return tj, fmt.Errorf("column %q: %s", c.cols[i].name, notUTF8)
		}
		if c.cols[i].envelope == colType && strings.TrimSpace(cell) != "" {
			tj.Type = jobs.Type(strings.TrimSpace(cell))
		}
	}
	if tj.Type == "" {
		return tj, errors.New("type: is required (fill the type column or pass --type)")
	}
	if _, err := jobs.ParseType(string(tj.Type)); err != nil {
		return tj, fmt.Errorf("type: %w", err)
	}
	req := map[string]any{}
	meta := map[string]any{}
	for i, cell := range row {
		col := c.cols[i]
		if cell == "" {
			continue
		}
		var err error
		switch col.envelope {
		case colType:
		case colID:
			tj.ID = cell
		case colMchID:
			tj.MchID = cell
		case colFairnessKey:
			tj.FairnessKey = cell
		case colPriority:
			tj.Priority, err = strconv.Atoi(strings.TrimSpace(cell))
			if err != nil {
				err = fmt.Errorf("%q is not an integer", cell)
			}
		case colMeta:
			var m map[string]any
			if jerr := json.Unmarshal([]byte(cell), &m); jerr != nil || m == nil {
				err = errors.New("must be a JSON object")
			}
			for k, v := range m {
				meta[k] = v
			}
		default:
			if col.meta {
				setPath(meta, col.path, cell)
				continue
			}
			var k cellKind
			if k, err = requestFieldKind(tj.Type, strings.Join(col.path, ".")); err == nil {
				var v any
				if v, err = cellValue(k, cell); err == nil {
					setPath(req, col.path, v)
				}
			}
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("column %q: %v", col.name, err))
		}
	}
	if len(problems) > 0 {
		return tj, errors.New(strings.Join(problems, "; "))
	}
	var err error
	if tj.Request, err = json.Marshal(req); err != nil {
		return tj, fmt.Errorf("encode request: %w", err)
	}
	if len(meta) > 0 {
		if tj.Meta, err = json.Marshal(meta); err != nil {
			return tj, fmt.Errorf("encode meta: %w", err)
		}
	}
	return tj, nil
}

// setPath sets m[path[0]][path[1]]... = v, creating objects on the way.
func setPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}
