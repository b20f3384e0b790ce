package handlers

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lib/pq"
)

// A transaction the database rolled back for the work beside it (deadlock,
// serialization failure, a lock not had in time) is 503 with Retry-After,
// to the API and the dashboard alike: the same request again goes through.
// Any other database error stays a 500.
func TestRolledBackBesideOthersIsRetryable(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := &API{Log: log}
	for _, code := range []pq.ErrorCode{"40P01", "40001", "55P03"} {
		err := fmt.Errorf("store: release hold 7: %w", &pq.Error{Code: code})
		w := httptest.NewRecorder()
		a.fail(w, httptest.NewRequest(http.MethodPost, "/api/v1/payouts", nil), err)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), `"busy"`) {
			t.Errorf("API, %s: %d, Retry-After %q, %s; want 503 busy with Retry-After 1", code, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
		w = httptest.NewRecorder()
		Fail(w, httptest.NewRequest(http.MethodPost, "/holds/7/release", nil), log, err)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "Try again") {
			t.Errorf("dashboard, %s: %d, Retry-After %q; want 503 saying to try again", code, w.Code, w.Header().Get("Retry-After"))
		}
	}
	w := httptest.NewRecorder()
	a.fail(w, httptest.NewRequest(http.MethodPost, "/api/v1/payouts", nil), fmt.Errorf("store: payouts: %w", &pq.Error{Code: "42P01"}))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("API, an undefined table: %d, want 500", w.Code)
	}
}

// A read the replica cancelled while applying the primary's changes
// (40001, conflict with recovery) is 503 saying to load the page again,
// not that the reader's change met someone else's: they changed nothing.
func TestRecoveryConflictIsAReadToLoadAgain(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	err := fmt.Errorf("store: find payouts: %w", &pq.Error{Code: "40001",
		Message: "canceling statement due to conflict with recovery"})
	w := httptest.NewRecorder()
	Fail(w, httptest.NewRequest(http.MethodGet, "/payouts", nil), log, err)
	body := w.Body.String()
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(body, "read replica cancelled this read") ||
		strings.Contains(body, "met someone else") {
		t.Errorf("a recovery conflict: %d, %s; want 503 saying the replica cancelled the read", w.Code, body)
	}
}
