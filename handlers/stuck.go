package handlers

import (
	"context"
	"errors"
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

// StuckStore is what the stuck list reads besides the list itself.
type StuckStore interface {
	PayoutChecked(ctx context.Context, ref string, m store.RefMode) (store.Payout, error)
	LatestRecheck(ctx context.Context, payoutID int64) (store.Event, error)
}

const stuckPageSize = 50

// Stuck lists payouts QUEUED or PROCESSING with no change for longer than
// the threshold, oldest first, filtered by provider and paginated. After a
// Re-check without JavaScript (rechecked=ref) the payout's row says what
// the Re-check found, and stays on the page even when it is no longer stuck.
func (h *Handlers) Stuck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	provider := q.Get("provider")
	if provider != "" && !slices.Contains(payoutProviders(), provider) {
		Fail(w, r, h.Log, BadRequest(fmt.Sprintf("Unknown provider %q. Choose one from the list.", provider)))
		return
	}
	page, err := pageNumber(q.Get("page"))
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	now := h.Now()
	rows, total, err := h.Store.StuckPayouts(r.Context(), store.StuckFilter{
		Before: now.Add(-h.StuckAfter), Provider: provider, Limit: stuckPageSize, Offset: (page - 1) * stuckPageSize,
		Test: testData(r.Context()),
	})
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	pages := pagesOf(total.All, stuckPageSize)
	if page > pages && total.All > 0 {
		// Past the last page (its rows settled since, or a hand-made
		// address): the last page, not an empty one saying nothing is stuck.
		v := stuckQuery(provider, pages)
		if ref := q.Get("rechecked"); ref != "" {
			v.Set("rechecked", ref)
		}
		http.Redirect(w, r, withQuery("/payouts/stuck", v.Encode()), http.StatusSeeOther)
		return
	}
	u, _ := UserFrom(r.Context())
	back := stuckQuery(provider, page)
	vm := views.Stuck{
		Meta: MetaFor(r, "Stuck payouts", "stuck"), Threshold: span(h.StuckAfter), Provider: provider,
		Providers: payoutProviders(), Total: total.All, Paused: total.Paused, Page: page,
		Pages:      pages,
		CanRecheck: u.Role.Can(payout.ActRecheck), Back: back.Encode(),
	}
	// Pauses matter to payouts not sent yet only: most pages have none,
	// and do not ask.
	var pauses []store.Pause
	if slices.ContainsFunc(rows, unsent) {
		if pauses, err = h.Store.Pauses(r.Context()); err != nil {
			Fail(w, r, h.Log, err)
			return
		}
	}
	for _, p := range rows {
		row := h.stuckRow(p, u, now, vm.Back)
		if pause, ok := store.PauseFor(pauses, p.Provider, p.Mode); ok && unsent(p) {
			// Not sent because payops paused its provider: not the
			// provider's delay, so not coloured as one.
			row.AgeLevel, row.Paused = "", "Paused by payops, not sent: "+pauseShort(pause)
		}
		vm.Rows = append(vm.Rows, row)
	}
	if ref := q.Get("rechecked"); ref != "" {
		if vm.Rows, err = h.withRecheck(r.Context(), vm.Rows, ref, u, now, vm.Back); err != nil {
			Fail(w, r, h.Log, err)
			return
		}
	}
	if vm.CanRecheck {
		vm.Unconfigured = unconfiguredNotice(vm.Rows, h.Providers, testData(r.Context()))
	}
	vm.PrevHref, vm.NextHref = pageLinks(page, vm.Pages, func(n int) string {
		return withQuery("/payouts/stuck", stuckQuery(provider, n).Encode())
	})
	Render(w, r, http.StatusOK, views.StuckPage(vm), nil)
}

// unsent is a payout payops has not sent to its provider yet.
func unsent(p store.Payout) bool { return p.Status == payout.Queued && p.SubmittedAt == nil }

// stuckQuery is the stuck list's query string for a filter and page.
func stuckQuery(provider string, page int) url.Values {
	v := url.Values{}
	if provider != "" {
		v.Set("provider", provider)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

// withRecheck puts the outcome of payout ref's latest Re-check into its row,
// or adds its row first when it is not on this page (it left the list, most
// often). An unknown reference adds nothing.
func (h *Handlers) withRecheck(ctx context.Context, rows []views.StuckRow, ref string, u User, now time.Time,
	back string) ([]views.StuckRow, error) {
	p, err := h.Store.PayoutChecked(ctx, ref, store.First(!testData(ctx)))
	if errors.Is(err, store.ErrNotFound) {
		return rows, nil
	}
	if err != nil {
		return nil, err
	}
	row := h.stuckRow(p, u, now, back)
	if row.Message, row.MessageKind, err = h.lastRecheck(ctx, p, u, now); err != nil || row.Message == "" {
		return rows, err
	}
	if i := slices.IndexFunc(rows, func(s views.StuckRow) bool { return s.Ref == ref }); i >= 0 {
		rows[i] = row
		return rows, nil
	}
	return append([]views.StuckRow{row}, rows...), nil
}

func (h *Handlers) stuckRow(p store.Payout, u User, now time.Time, back string) views.StuckRow {
	age := now.Sub(p.UpdatedAt)
	level := ""
	switch {
	case age > 24*time.Hour:
		level = "bad"
	case age > time.Hour:
		level = "warn"
	}
	row := views.StuckRow{
		Ref: p.ReferenceID, Href: views.PayoutPath(p.ReferenceID, p.Livemode), Provider: p.Provider,
		Amount: p.Amount().String(), Beneficiary: beneficiary(p), Status: string(p.Status),
		Age: ago(now, p.UpdatedAt), AgeLevel: level, LastCheck: agoPtr(now, p.LastCheckedAt),
		CanRecheck: u.Role.Can(payout.ActRecheck), RecheckURL: views.PayoutActionPath(p.ReferenceID, p.Livemode, "/recheck"),
		Back: back,
		// A row of the list is stuck; one drawn after a Re-check may have
		// left (settled, or changed just now).
		Left: !p.Status.Open() || p.UpdatedAt.After(now.Add(-h.StuckAfter)),
	}
	if p.LastCheckFailed != nil {
		row.CheckFailed, row.CheckReason = true, dash(*p.LastCheckFailed)
	}
	switch {
	case p.PendingApproval:
		row.ProviderState, row.Approval = "Waiting for approval at "+payout.ProviderLabel(p.Provider)+
			", not the provider's fault: approve or reject it there", true
	case p.ProviderStateReason != "":
		row.ProviderState = payout.ProviderLabel(p.Provider) + " says " + providerState(p)
	}
	return row
}

// pauseShort words a pause for a row of a list.
func pauseShort(p store.Pause) string {
	if p.Kind == "breaker" {
		return "circuit breaker open after failures in a row"
	}
	if p.Mode != "" {
		return p.Mode + " downtime reported by " + p.Provider
	}
	return "downtime reported by " + p.Provider
}
