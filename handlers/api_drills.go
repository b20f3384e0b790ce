package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"payops/drill"
	"payops/payout"
	"payops/store"
)

// apiDrillRequest starts a drill: the scenario, the market its payouts go
// to (IN when empty), how many payouts, and how long it may take to
// converge ("5m"; the runner's own wait when empty).
type apiDrillRequest struct {
	Scenario string `json:"scenario"`
	Market   string `json:"market"`
	Payouts  int    `json:"payouts"`
	Wait     string `json:"wait"`
}

// apiDrill is a drill as payops drill follows it.
type apiDrill struct {
	ID         int64           `json:"id"`
	Scenario   string          `json:"scenario"`
	Market     string          `json:"market"`
	Payouts    int             `json:"payouts"`
	State      string          `json:"state"` // running, passed, failed, interrupted
	Phase      string          `json:"phase"` // creating, converging
	Done       int             `json:"done"`
	Total      int             `json:"total"`
	StartedBy  string          `json:"started_by"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at"`
	Error      string          `json:"error,omitempty"`
	Report     json.RawMessage `json:"report,omitempty"` // drill.Report, once finished
}

// maxDrillWait bounds a drill's wait for convergence: drill payouts are
// re-checked only in their first hour.
const maxDrillWait = 50 * time.Minute

// maxDrillRequest bounds a drill request's body:
// {"scenario": "all-of-them", "market": "IN", "payouts": 200, "wait": "5m"}.
const maxDrillRequest = 4 << 10

// StartDrill handles POST /api/v1/drills for drills tokens: the same runner
// as the dashboard's /drills, 202 with the drill to follow at
// /api/v1/drills/{id}; 422 for a bad request, 409 while another drill runs
// or when this payops cannot run drills, saying why.
func (a *API) StartDrill(w http.ResponseWriter, r *http.Request) {
	if !a.forScope(w, r, payout.Scope.RunsDrills, "run drills (payops token create --scope drills)") {
		return
	}
	var req apiDrillRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDrillRequest))
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(&req)
	}
	if err != nil {
		badBody(w, err, "drill", maxDrillRequest)
		return
	}
	fields := payout.FieldErrors{}
	if _, ok := drill.Scenarios[req.Scenario]; !ok {
		fields["scenario"] = "one of " + strings.Join(drill.Names(), ", ")
	} else if err := drill.Check(store.NewDrillRun{Scenario: req.Scenario, Payouts: req.Payouts}); err != nil {
		fields["payouts"] = err.Error()
	}
	if err := drill.CheckMarket(req.Market); err != nil {
		fields["market"] = err.Error()
	}
	var wait time.Duration
	if req.Wait != "" {
		if wait, err = time.ParseDuration(req.Wait); err != nil || wait < time.Second || wait > maxDrillWait {
			fields["wait"] = "a duration from 1s to " + maxDrillWait.String() + ", such as 5m"
		}
	}
	if len(fields) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "invalid_request", Message: "the drill has invalid fields",
			Fields: fields})
		return
	}
	if a.Drills == nil {
		writeJSON(w, http.StatusConflict, apiError{Error: "drills_unavailable", Message: "this payops runs its drill " +
			"provider outside (PAYOPS_DRILL_SANDBOX_URL is set): run the drill with payops drill --supervise"})
		return
	}
	n := store.NewDrillRun{Scenario: req.Scenario, Market: req.Market, Payouts: req.Payouts}
	run, err := a.Drills.Start(r.Context(), n, wait, store.Actor{Name: "api:" + tokenOf(r).Name})
	if errors.Is(err, store.ErrRefused) {
		writeJSON(w, http.StatusConflict, apiError{Error: "drills_unavailable", Message: err.Error()})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/drills/"+strconv.FormatInt(run.ID, 10))
	writeJSON(w, http.StatusAccepted, apiDrillOf(run))
}

// GetDrill handles GET /api/v1/drills/{id} for drills tokens: the drill's
// progress, and its report once finished.
func (a *API) GetDrill(w http.ResponseWriter, r *http.Request) {
	if !a.forScope(w, r, payout.Scope.RunsDrills, "read drills (payops token create --scope drills)") {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found", Message: "there is no drill with this id"})
		return
	}
	run, err := a.Store.DrillRunByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found", Message: "there is no drill with this id"})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiDrillOf(run))
}

func apiDrillOf(run store.DrillRun) apiDrill {
	return apiDrill{ID: run.ID, Scenario: run.Scenario, Market: run.Market, Payouts: run.Payouts, State: run.State,
		Phase: run.Phase, Done: run.Done, Total: run.Total, StartedBy: run.StartedBy, StartedAt: run.StartedAt.UTC(),
		FinishedAt: run.FinishedAt, Error: run.Error, Report: json.RawMessage(run.Report)}
}
