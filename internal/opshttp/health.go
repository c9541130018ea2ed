package opshttp

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// readyTimeout bounds one Readiness call.
const readyTimeout = time.Second

// healthz answers 200 while the process serves HTTP at all.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readiness is the /readyz body.
type readiness struct {
	Ready   bool     `json:"ready"`
	Reasons []string `json:"reasons,omitempty"`
}

// readyz answers 200 when Config.Ready says ready, else 503 with the reasons.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rd := s.readiness(r.Context())
	status := http.StatusOK
	if !rd.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, rd)
}

func (s *Server) readiness(ctx context.Context) readiness {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	err := s.cfg.Ready(ctx)
	if err == nil {
		return readiness{Ready: true}
	}
	return readiness{Reasons: reasons(err)}
}

// reasons lists the errors joined in err (one when it is not a join).
func reasons(err error) []string {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []string{err.Error()}
	}
	var out []string
	for _, e := range j.Unwrap() {
		out = append(out, reasons(e)...)
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// zapPrinter adapts a zap logger to promhttp's error log.
type zapPrinter struct{ log *zap.Logger }

func (p zapPrinter) Println(v ...any) { p.log.Sugar().Warnln(v...) }
