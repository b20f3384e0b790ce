package handlers

import (
	"net/http"
	"net/url"

	"payops/payout"
	"payops/views"
)

// Recheck asks the payout's provider for its state now and applies the
// answer. From HTMX it answers with the updated stuck-list row, saying what
// happened; without JavaScript it redirects to the payout's page, whose
// timeline shows the same.
func (h *Handlers) Recheck(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.CanRecheck() {
		Fail(w, r, h.Log, ErrForbidden)
		return
	}
	ref := r.PathValue("ref")
	res, err := h.Rechecker.Recheck(r.Context(), ref, payout.SourceManual, u.Email)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	if r.Header.Get("HX-Request") != "true" {
		http.Redirect(w, r, "/payouts/"+url.PathEscape(ref), http.StatusSeeOther)
		return
	}
	row := h.stuckRow(res.Payout, u, h.Now())
	row.Message = res.Message
	switch {
	case res.ProviderError != "":
		row.MessageKind = "bad"
	case res.Decision == payout.Apply:
		row.MessageKind = "ok"
	case res.Decision == payout.Anomaly:
		row.MessageKind = "warn"
	default:
		row.MessageKind = "info"
	}
	Render(w, r, http.StatusOK, views.StuckRowView(row), views.StuckRowView(row))
}
