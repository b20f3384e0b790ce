package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Whole-list exports past the bound, or a second of one person's while
// their first streams, are answered 503 with Retry-After, nothing started;
// a slot given back lets the next one in.
func TestExportSlotsBoundExports(t *testing.T) {
	h := &Handlers{Exports: NewExportSlots(2), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	as := func(id int64) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/payouts.csv", nil)
		return r.WithContext(WithUser(r.Context(), User{ID: id}))
	}
	refused := func(r *http.Request, why string) {
		t.Helper()
		w := httptest.NewRecorder()
		if _, ok := h.exportSlot(w, r); ok || w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("%s: ok %v, %d, Retry-After %q; want 503 with Retry-After", why, ok, w.Code, w.Header().Get("Retry-After"))
		}
		if body := w.Body.String(); !strings.Contains(body, why) {
			t.Errorf("the refusal does not say %q: %.300s", why, body)
		}
	}
	done, ok := h.exportSlot(httptest.NewRecorder(), as(1))
	if !ok {
		t.Fatal("the first export got no slot")
	}
	refused(as(1), "Your export is still being written") // the same person's second
	other, ok := h.exportSlot(httptest.NewRecorder(), as(2))
	if !ok {
		t.Fatal("another person's export got no slot")
	}
	refused(as(3), "Exports busy") // past the bound
	done()
	if again, ok := h.exportSlot(httptest.NewRecorder(), as(1)); !ok {
		t.Error("no slot after the first export ended")
	} else {
		again()
	}
	other()
}

// A reconciliation day's diffs.csv is a whole-list export too: while its
// reader's other export streams, it is refused before anything is read.
func TestDiffsExportTakesASlot(t *testing.T) {
	h := &Handlers{Exports: NewExportSlots(MaxExports), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r := httptest.NewRequest(http.MethodGet, "/reconciliation/nxtbanking/2026-12-01/diffs.csv", nil)
	r = r.WithContext(WithUser(r.Context(), User{ID: 7}))
	done, ok := h.exportSlot(httptest.NewRecorder(), r)
	if !ok {
		t.Fatal("the first export got no slot")
	}
	defer done()
	w := httptest.NewRecorder()
	h.ExportDiffs(w, r) // no Store: reading the day would panic
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("diffs.csv beside the same person's export: %d, Retry-After %q; want 503", w.Code, w.Header().Get("Retry-After"))
	}
}
