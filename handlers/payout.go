package handlers

import (
	"net/http"
	"net/url"

	"payops/payout"
	"payops/views"
)

// Payout shows one payout, its status timeline and its audit log.
func (h *Handlers) Payout(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	p, err := h.Store.PayoutByRef(r.Context(), ref)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	events, err := h.Store.EventsFor(r.Context(), p.ID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	audit, err := h.Store.AuditFor(r.Context(), "payout", p.ReferenceID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	u, _ := UserFrom(r.Context())
	now := h.Now()
	vm := views.Payout{
		Meta: MetaFor(r, p.ReferenceID, ""), Ref: p.ReferenceID, Status: string(p.Status),
		Amount: p.Amount().String(), Provider: p.Provider, ProviderPayoutID: dash(p.ProviderID()),
		Mode: dash(p.Mode), Narration: dash(p.Narration), Beneficiary: beneficiary(p), Bank: dash(p.BankName),
		UTR: dash(p.UTR), Failure: dash(joinNonEmpty(p.FailureCode, p.FailureReason)),
		Created: stamp(p.CreatedAt), Updated: stamp(p.UpdatedAt) + " (" + agoPtr(now, &p.UpdatedAt) + ")",
		Submitted: stampPtr(p.SubmittedAt), LastChecked: stampPtr(p.LastCheckedAt), Fee: "—",
		CanRecheck: u.Role.CanRecheck(), RecheckURL: "/payouts/" + url.PathEscape(p.ReferenceID) + "/recheck",
	}
	if p.FeeMinor != nil {
		vm.Fee = payout.Money{Minor: *p.FeeMinor, Currency: p.Currency}.String()
	}
	for _, e := range events {
		vm.Events = append(vm.Events, views.EventRow{At: stamp(e.RecordedAt), Source: string(e.Source), RawStatus: dash(e.RawStatus),
			Status: e.Status, Decision: e.Decision, Detail: e.Detail, Actor: e.Actor, UTR: e.UTR})
	}
	for _, a := range audit {
		vm.Audit = append(vm.Audit, views.AuditRow{At: stamp(a.At), Actor: a.Actor, Action: a.Action, Details: string(a.Details)})
	}
	Render(w, r, http.StatusOK, views.PayoutPage(vm), nil)
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}
