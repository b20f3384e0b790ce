package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/views"
)

// Recheck asks the payout's provider for its state now and applies the
// answer. From HTMX it answers with the updated stuck-list row, saying what
// happened. Without JavaScript the form posts and is redirected: from the
// stuck list (its form sends back, the list's filter and page) back to
// that list with rechecked=ref, whose row then says what the Re-check found
// (read from the payout's events, not from the address); from elsewhere to
// the payout's page with rechecked=1, whose notice says the same (read the
// same way) above the timeline that records it.
func (h *Handlers) Recheck(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActRecheck) {
		Fail(w, r, h.Log, Forbidden(payout.ActRecheck))
		return
	}
	ref := r.PathValue("ref")
	mode, err := refModeOf(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	res, err := h.Rechecker.Recheck(r.Context(), ref, mode, payout.SourceManual, u.Email)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	back := stuckBack(r.PostFormValue("back"))
	_, fromList := r.PostForm["back"]
	if r.Header.Get("HX-Request") != "true" {
		to := withQuery(views.PayoutPath(ref, res.Payout.Livemode), "rechecked=1")
		if fromList {
			back.Set("rechecked", ref)
			to = "/payouts/stuck?" + back.Encode() + "#payout-" + url.PathEscape(ref)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	p, err := h.Store.PayoutChecked(r.Context(), ref, store.Exactly(res.Payout.Livemode))
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	now := h.Now()
	row := h.stuckRow(p, u, now, back.Encode())
	row.Message, row.MessageKind = res.Message, outcomeKind(res)
	var left views.Stuck
	if row.Left {
		_, total, err := h.Store.StuckPayouts(r.Context(), store.StuckFilter{Before: now.Add(-h.StuckAfter),
			Provider: back.Get("provider"), Test: testData(r.Context())})
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		left.Total, left.Paused = total.All, total.Paused
	}
	Render(w, r, http.StatusOK, views.StuckRowView(row), views.StuckRechecked(row, left))
}

// stuckBack reads the stuck list's filter and page a Re-check form sent,
// keeping only a known provider and a page number.
func stuckBack(s string) url.Values {
	v, _ := url.ParseQuery(s)
	provider := v.Get("provider")
	if !slices.Contains(payoutProviders(), provider) {
		provider = ""
	}
	page, err := strconv.Atoi(v.Get("page"))
	if err != nil || page < 1 || page > 100000 {
		page = 1
	}
	return stuckQuery(provider, page)
}

// lastRecheck says what payout p's latest Re-check found, in the words and
// colour its stuck-list row showed right after it, naming who pressed it
// when that was not u: read from its events, so an address only asks for
// it. "" when it has none.
func (h *Handlers) lastRecheck(ctx context.Context, p store.Payout, u User, now time.Time) (msg, kind string, err error) {
	if p.SubmittedAt == nil && !p.OutcomeUnknown {
		return "not sent to " + p.Provider + " yet: nothing to ask", "info", nil
	}
	e, err := h.Store.LatestRecheck(ctx, p.ID)
	if errors.Is(err, store.ErrNotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	msg, kind = recheckOutcome(e)
	if e.Actor != u.Email {
		msg += " (re-checked by " + e.Actor + ", " + agoPtr(now, &e.RecordedAt) + ")"
	}
	return msg, kind, nil
}

// recheckNotice is lastRecheck as the payout page's notice: a sentence, its
// colour "" for ok.
func (h *Handlers) recheckNotice(ctx context.Context, p store.Payout, u User, now time.Time) (string, string, error) {
	msg, kind, err := h.lastRecheck(ctx, p, u, now)
	if msg == "" || err != nil {
		return "", "", err
	}
	if kind == "ok" {
		kind = ""
	}
	return "Re-checked with " + p.Provider + ": " + msg + ".", kind, nil
}

// outcomeKind is how a re-check's result is coloured: ok, warn, bad, info.
func outcomeKind(res jobs.Result) string {
	if res.ProviderError != "" {
		return "bad"
	}
	return decisionKind(res.Decision)
}

func decisionKind(d payout.Decision) string {
	switch d {
	case payout.Apply:
		return "ok"
	case payout.Anomaly:
		return "warn"
	default:
		return "info"
	}
}

// recheckOutcome is what a Re-check recorded as event e did, in the words
// the row showed right after it, and its colour.
func recheckOutcome(e store.Event) (string, string) {
	if e.Decision == "error" {
		return "could not ask the provider: " + e.Detail, "bad"
	}
	return e.Detail, decisionKind(payout.Decision(e.Decision))
}
