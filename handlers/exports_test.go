package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Whole-list exports past the bound are answered 503 with Retry-After,
// nothing started; a slot given back lets the next one in.
func TestExportSlotsBoundExports(t *testing.T) {
	h := &Handlers{Exports: NewExportSlots(1), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r := httptest.NewRequest(http.MethodGet, "/payouts.csv", nil)
	done, ok := h.exportSlot(httptest.NewRecorder(), r)
	if !ok {
		t.Fatal("the first export got no slot")
	}
	w := httptest.NewRecorder()
	if _, ok := h.exportSlot(w, r); ok || w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("an export past the bound: ok %v, %d, Retry-After %q; want 503 with Retry-After", ok, w.Code,
			w.Header().Get("Retry-After"))
	}
	done()
	if done, ok := h.exportSlot(httptest.NewRecorder(), r); !ok {
		t.Error("no slot after the first export ended")
	} else {
		done()
	}
}
