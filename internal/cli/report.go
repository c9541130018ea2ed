package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/jobs"
)

// reportColumns are the columns of a CSV failure report.
var reportColumns = []string{"type", "id", "mchid", "code", "class", "message", "request_id", "http_status", "attempts", "replay", "finished_at"}

// writeReport writes failures to path as CSV (.csv) or JSON lines (any
// other extension), replacing the file.
func writeReport(path string, failures []*admin.StoredResult) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		err = writeReportCSV(f, failures)
	} else {
		enc := json.NewEncoder(f)
		for _, r := range failures {
			if err = enc.Encode(reportLine(r)); err != nil {
				break
			}
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	return nil
}

func writeReportCSV(f *os.File, failures []*admin.StoredResult) error {
	w := csv.NewWriter(f)
	if err := w.Write(reportColumns); err != nil {
		return err
	}
	for _, r := range failures {
		l := reportLine(r)
		if err := w.Write([]string{string(l.Type), l.ID, l.MchID, l.Code, l.Class, l.Message, l.RequestID,
			strconv.Itoa(l.HTTPStatus), strconv.Itoa(l.Attempts), strconv.FormatUint(l.Replay, 10), l.FinishedAt.Format(time.RFC3339Nano)}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// failureLine is one failure of a report.
type failureLine struct {
	Type       jobs.Type `json:"type"`
	ID         string    `json:"id"`
	MchID      string    `json:"mchid"`
	Code       string    `json:"code"`
	Class      string    `json:"class"`
	Message    string    `json:"message"`
	RequestID  string    `json:"request_id"`
	HTTPStatus int       `json:"http_status"`
	Attempts   int       `json:"attempts"`
	Replay     uint64    `json:"replay"`
	FinishedAt time.Time `json:"finished_at"`
}

func reportLine(r *admin.StoredResult) failureLine {
	l := failureLine{Type: r.Type, ID: r.ID, MchID: r.MchID, RequestID: r.RequestID, HTTPStatus: r.HTTPStatus,
		Attempts: r.Attempts, Replay: r.Replay, FinishedAt: r.FinishedAt}
	if r.Error != nil {
		l.Code, l.Message = r.Error.Code, r.Error.Message
	}
	l.Class = jobs.FailureClass(l.Code)
	return l
}
