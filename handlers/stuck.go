package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

const stuckPageSize = 50

// Stuck lists payouts QUEUED or PROCESSING with no change for longer than
// the threshold, oldest first, filtered by provider and paginated.
func (h *Handlers) Stuck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	provider := q.Get("provider")
	if provider != "" && !slices.Contains(payout.Providers, provider) {
		Fail(w, r, h.Log, BadRequest(fmt.Sprintf("Unknown provider %q. Choose one from the list.", provider)))
		return
	}
	page := 1
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			Fail(w, r, h.Log, BadRequest("The page number must be a whole number from 1."))
			return
		}
		page = n
	}
	now := h.Now()
	rows, total, err := h.Store.StuckPayouts(r.Context(), store.StuckFilter{
		Before: now.Add(-h.StuckAfter), Provider: provider, Limit: stuckPageSize, Offset: (page - 1) * stuckPageSize,
	})
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	u, _ := UserFrom(r.Context())
	vm := views.Stuck{
		Meta: MetaFor(r, "Stuck payouts", "stuck"), Threshold: span(h.StuckAfter), Provider: provider,
		Providers: payout.Providers, Total: total, Page: page, Pages: (total + stuckPageSize - 1) / stuckPageSize,
		CanRecheck: u.Role.Can(payout.ActRecheck),
	}
	for _, p := range rows {
		vm.Rows = append(vm.Rows, h.stuckRow(p, u, now))
	}
	link := func(n int) string {
		v := url.Values{}
		if provider != "" {
			v.Set("provider", provider)
		}
		v.Set("page", strconv.Itoa(n))
		return "/payouts/stuck?" + v.Encode()
	}
	if page > 1 {
		vm.PrevHref = link(page - 1)
	}
	if page < vm.Pages {
		vm.NextHref = link(page + 1)
	}
	Render(w, r, http.StatusOK, views.StuckPage(vm), nil)
}

func (h *Handlers) stuckRow(p store.Payout, u User, now time.Time) views.StuckRow {
	age := now.Sub(p.UpdatedAt)
	level := ""
	switch {
	case age > 24*time.Hour:
		level = "bad"
	case age > time.Hour:
		level = "warn"
	}
	return views.StuckRow{
		Ref: p.ReferenceID, Href: "/payouts/" + url.PathEscape(p.ReferenceID), Provider: p.Provider,
		Amount: p.Amount().String(), Beneficiary: beneficiary(p), Status: string(p.Status),
		Age: ago(now, p.UpdatedAt), AgeLevel: level, LastCheck: agoPtr(now, p.LastCheckedAt),
		CanRecheck: u.Role.Can(payout.ActRecheck), RecheckURL: "/payouts/" + url.PathEscape(p.ReferenceID) + "/recheck",
	}
}
