package handlers

import (
	"net/http"

	"payops/payout"
)

// apiMarket is a market and program as the API shows it: whether payouts
// there are sent, and the settlement path the platform shows its users.
type apiMarket struct {
	Market     string            `json:"market"`
	Program    string            `json:"program"`
	State      string            `json:"state"` // live or read_only
	Version    int               `json:"version"`
	Settlement payout.Settlement `json:"settlement"`
}

// ListMarkets answers every market and program that has a launch document,
// with its state and settlement path (GET /api/v1/markets). A market not
// listed has no document: its payouts are held, read-only.
func (a *API) ListMarkets(w http.ResponseWriter, r *http.Request) {
	docs, err := a.Store.Markets(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Markets []apiMarket `json:"markets"`
	}{Markets: make([]apiMarket, 0, len(docs))}
	for _, m := range docs {
		doc, err := m.Doc()
		if err != nil {
			a.fail(w, r, err)
			return
		}
		state := "read_only"
		if m.Live {
			state = "live"
		}
		out.Markets = append(out.Markets, apiMarket{Market: m.Market, Program: m.Program, State: state, Version: m.Version,
			Settlement: doc.Settlement})
	}
	writeJSON(w, http.StatusOK, out)
}
