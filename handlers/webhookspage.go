package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// DeliveryStore is what the webhooks page reads.
type DeliveryStore interface {
	Deliveries(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, error)
	DeliveryOutcomes(ctx context.Context, since time.Time) ([]store.OutcomeCount, error)
}

const webhooksPageSize = 50

// WebhooksPage lists recent deliveries newest first, filtered by provider
// and outcome and found by an identifier, with the last day's counts by
// outcome.
func (h *Handlers) WebhooksPage(w http.ResponseWriter, r *http.Request) {
	f, err := deliveryFilter(r.URL.Query())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	rows, err := h.Store.Deliveries(r.Context(), f)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	counts, err := h.Store.DeliveryOutcomes(r.Context(), h.Now().Add(-24*time.Hour))
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm := views.Webhooks{Meta: MetaFor(r, "Webhooks", "webhooks"), Provider: f.Provider, Outcome: f.Outcome,
		Search: f.Search, Providers: payout.Providers, Outcomes: store.Outcomes}
	byOutcome := map[string]int{}
	for _, c := range counts {
		byOutcome[c.Outcome] = c.Count
	}
	for _, o := range store.Outcomes {
		if byOutcome[o] > 0 || o == store.OutcomeApplied || o == store.OutcomeRejected {
			vm.Counts = append(vm.Counts, views.OutcomeTile{Outcome: o, Count: byOutcome[o], Href: "/webhooks?outcome=" + o})
		}
	}
	for _, d := range rows {
		vm.Rows = append(vm.Rows, deliveryRow(d, userOf(r)))
	}
	if len(rows) == 0 && f.Search != "" {
		if vm.Archived, err = h.archivedDeliveries(r.Context()); err != nil {
			Fail(w, r, h.Log, err)
			return
		}
	}
	if len(rows) == webhooksPageSize {
		v := url.Values{"before": {strconv.FormatInt(rows[len(rows)-1].ID, 10)}}
		for k, s := range map[string]string{"provider": f.Provider, "outcome": f.Outcome, "q": f.Search} {
			if s != "" {
				v.Set(k, s)
			}
		}
		vm.OlderHref = "/webhooks?" + v.Encode()
	}
	Render(w, r, http.StatusOK, views.WebhooksPage(vm), nil)
}

// deliveryFilter reads the webhooks page's filter from its query string:
// provider, outcome, q (a reference, provider payout id or event id) and
// before (the page after that delivery). A value that makes no sense is a
// BadRequest naming it.
func deliveryFilter(q url.Values) (store.DeliveryFilter, error) {
	f := store.DeliveryFilter{Provider: q.Get("provider"), Outcome: q.Get("outcome"),
		Search: strings.TrimSpace(q.Get("q")), Limit: webhooksPageSize}
	if f.Provider != "" && !slices.Contains(payout.Providers, f.Provider) {
		return f, BadRequest(fmt.Sprintf("Unknown provider %q.", f.Provider))
	}
	if f.Outcome != "" && !slices.Contains(store.Outcomes, f.Outcome) {
		return f, BadRequest(fmt.Sprintf("Unknown outcome %q.", f.Outcome))
	}
	if len([]rune(f.Search)) > maxFilterText {
		return f, BadRequest(fmt.Sprintf("The search is longer than %d characters: paste one reference, "+
			"provider payout id or event id.", maxFilterText))
	}
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return f, BadRequest("before must be a delivery number.")
		}
		f.BeforeID = n
	}
	return f, nil
}

func deliveryRow(d store.Delivery, u User) views.DeliveryRow {
	row := views.DeliveryRow{ID: strconv.FormatInt(d.ID, 10), At: u.stamp(d.ReceivedAt), Provider: d.Provider,
		EventType: dash(d.EventType), EventID: d.EventID, Verified: d.Verified, Outcome: d.Outcome, Detail: d.Detail,
		Headers: headerLines(d.HeadersRaw), Body: deliveryBody(d), BodySize: bodySize(d)}
	if d.PayoutRef != nil {
		row.PayoutRef, row.PayoutURL = *d.PayoutRef, views.PayoutPath(*d.PayoutRef, d.PayoutLive)
	}
	return row
}

// deliveryBody is what a person may see of a delivery: the readable payload
// (decrypted for Paywize) when it verified, else the raw body; masked.
func deliveryBody(d store.Delivery) string {
	if d.Payload != "" {
		return MaskBody([]byte(d.Payload))
	}
	if len(d.Body) == 0 {
		return "(no body kept)"
	}
	return MaskBody(d.Body)
}

// bodySize says how long a delivery's body was, and how much of it is kept
// when that is less (a refused delivery keeps its first 4 KiB).
func bodySize(d store.Delivery) string {
	if kept := int64(len(d.Body)); kept < d.BodyLength {
		return fmt.Sprintf("first %s of %s bytes kept", thousands(kept), thousands(d.BodyLength))
	}
	return thousands(d.BodyLength) + " bytes"
}

func headerLines(raw []byte) string {
	var h map[string]string
	if json.Unmarshal(raw, &h) != nil || len(h) == 0 {
		return ""
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, h[k])
	}
	return b.String()
}
