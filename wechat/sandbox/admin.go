package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/couponq/couponq/wechat/marketing"

	"go.uber.org/zap"
)

// Admin API paths (JSON, unsigned), served by Handler for other processes
// such as a benchmark; AdminClient speaks it.
const (
	// AdminStatsPath: GET answers {"<op>": EndpointStats, ...} summed over
	// merchants, or one merchant's with ?mchid=.
	AdminStatsPath = "/sandbox/stats"
	// AdminFaultsPath: POST a Fault as JSON to queue it
	// ({"op":"busifavor.use","kind":"fail_before_effect","count":1,"delay":"1s"});
	// DELETE drops every queued fault.
	AdminFaultsPath = "/sandbox/faults"
	// AdminLimitsPath: PUT {"<op>": N, ...} changes those limits; GET and PUT
	// answer every limit.
	AdminLimitsPath = "/sandbox/limits"
	// AdminResetStatsPath: POST zeroes the counters (ResetStats).
	AdminResetStatsPath = "/sandbox/reset-stats"
	// AdminEffectsPath: GET answers {"<op>": Effects(op), ...}.
	AdminEffectsPath = "/sandbox/effects"
)

func (s *Sandbox) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+AdminStatsPath, func(w http.ResponseWriter, r *http.Request) {
		out := map[marketing.Operation]EndpointStats{}
		for _, op := range marketing.Operations() {
			if mchid := r.URL.Query().Get("mchid"); mchid != "" {
				out[op] = s.StatsFor(mchid, op)
			} else {
				out[op] = s.Stats(op)
			}
		}
		writeJSON(w, out)
	})
	mux.HandleFunc("POST "+AdminFaultsPath, func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if !readJSON(w, r, &f) {
			return
		}
		s.Inject(f)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE "+AdminFaultsPath, func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET "+AdminLimitsPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.Limits())
	})
	mux.HandleFunc("PUT "+AdminLimitsPath, func(w http.ResponseWriter, r *http.Request) {
		var limits map[marketing.Operation]int
		if !readJSON(w, r, &limits) {
			return
		}
		for op := range limits {
			if _, err := marketing.ParseOperation(string(op)); err != nil {
				writeError(w, &apiError{Status: http.StatusBadRequest, Code: "PARAM_ERROR", Message: err.Error()})
				return
			}
		}
		for op, n := range limits {
			s.SetLimit(op, n)
			s.log.Info("sandbox limit set", zap.String("op", string(op)), zap.Int("per_second", n))
		}
		writeJSON(w, s.Limits())
	})
	mux.HandleFunc("POST "+AdminResetStatsPath, func(w http.ResponseWriter, r *http.Request) {
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET "+AdminEffectsPath, func(w http.ResponseWriter, r *http.Request) {
		out := map[marketing.Operation]int{}
		for _, op := range marketing.Operations() {
			out[op] = s.Effects(op)
		}
		writeJSON(w, out)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, systemError("encode: "+err.Error()))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

// readJSON decodes the request body into v, answering 400 PARAM_ERROR and
// returning false when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		writeError(w, &apiError{Status: http.StatusBadRequest, Code: "PARAM_ERROR", Message: fmt.Sprintf("decode body: %v", err)})
		return false
	}
	return true
}
