package handlers

import (
	"net/http"
	"net/url"

	"payops/jobs"
	"payops/payout"
	"payops/views"
)

// Recheck asks the payout's provider for its state now and applies the
// answer. From HTMX it answers with the updated stuck-list row, saying what
// happened; without JavaScript it redirects to the payout's page, whose
// timeline shows the same.
func (h *Handlers) Recheck(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActRecheck) {
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
	row.Message, row.MessageKind = res.Message, outcomeKind(res)
	Render(w, r, http.StatusOK, views.StuckRowView(row), views.StuckRowView(row))
}

// outcomeKind is how a re-check's result is coloured: ok, warn, bad, info.
func outcomeKind(res jobs.Result) string {
	switch {
	case res.ProviderError != "":
		return "bad"
	case res.Decision == payout.Apply:
		return "ok"
	case res.Decision == payout.Anomaly:
		return "warn"
	default:
		return "info"
	}
}
