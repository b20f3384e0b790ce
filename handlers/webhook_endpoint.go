package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// deliveriesShown is how many of an endpoint's latest deliveries its page
// lists.
const deliveriesShown = 50

// WebhookEndpointPage shows an endpoint, its actions and its delivery log
// with every attempt.
func (h *Handlers) WebhookEndpointPage(w http.ResponseWriter, r *http.Request) {
	h.endpointPage(w, r, http.StatusOK, func(vm *views.WebhookEndpoint) {
		done := r.URL.Query().Get("done")
		vm.Notice = endpointNotices[done]
		if (done == "test" || done == "redeliver") && !vm.Endpoint.Enabled {
			vm.Notice = "The event waits: the endpoint is disabled, so nothing is sent to it until it is enabled."
		}
	})
}

// endpointNotices say what an action did, after its redirect.
var endpointNotices = map[string]string{
	"test":      "A webhook.test event is on its way to this endpoint (to it alone); see the deliveries below.",
	"disable":   "The endpoint is disabled: nothing is sent to it, and its events wait until it is enabled.",
	"enable":    "The endpoint is enabled: its waiting events are being sent.",
	"redeliver": "The delivery is due again: a new attempt with the same webhook-id follows within seconds.",
}

func (h *Handlers) endpointPage(w http.ResponseWriter, r *http.Request, status int, adjust func(*views.WebhookEndpoint)) {
	id, err := pathID(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	e, err := h.Store.WebhookEndpointByID(r.Context(), id)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	logs, err := h.Store.DeliveriesOf(r.Context(), id, deliveriesShown)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	me, now := userOf(r), h.Now()
	vm := views.WebhookEndpoint{Meta: MetaFor(r, fmt.Sprintf("Endpoint %d", id), "settings"), Endpoint: endpointRow(e, me),
		ActionURL: fmt.Sprintf("/settings/webhooks/%d", id)}
	if e.PreviousSecretUntil != nil && now.Before(*e.PreviousSecretUntil) {
		vm.Rotation = "Rotated: the previous secret also signs every delivery until " + me.stamp(*e.PreviousSecretUntil) + "."
	}
	for _, d := range logs {
		vm.Deliveries = append(vm.Deliveries, outboundRow(d, me, e.Livemode, e.Enabled(), now))
	}
	if adjust != nil {
		adjust(&vm)
	}
	Render(w, r, status, views.WebhookEndpointPage(vm), nil)
}

func outboundRow(d store.DeliveryLog, me User, live, enabled bool, now time.Time) views.OutboundRow {
	id := strconv.FormatInt(d.ID, 10)
	row := views.OutboundRow{ID: id, WebhookID: d.WebhookID, Type: d.Type, State: d.State,
		Attempts: fmt.Sprintf("%d attempt%s", len(d.Tries), plural(len(d.Tries))), Created: me.stamp(d.CreatedAt),
		RedeliverURL: "/settings/webhooks/deliveries/" + id + "/redeliver"}
	if d.PayoutRef != nil {
		row.Payout, row.PayoutURL = *d.PayoutRef, views.PayoutPath(*d.PayoutRef, live) // the endpoint's mode
	}
	if d.State == "failed" {
		row.Why = d.LastError
	}
	if d.State == "pending" {
		row.Next = me.stamp(d.NextAttemptAt)
		if d.NextAttemptAt.Before(now.Add(-time.Minute)) {
			row.Next = "due since " + row.Next + ": " + dueWhy(d, enabled)
		}
	}
	for _, t := range d.Tries {
		a := views.AttemptRow{At: me.stamp(t.AttemptedAt), Status: "no answer", Latency: fmt.Sprintf("%d ms", t.LatencyMS),
			Response: t.Response, Error: t.Error}
		if t.HTTPStatus != nil {
			a.Status, a.OK = strconv.Itoa(*t.HTTPStatus), *t.HTTPStatus >= 200 && *t.HTTPStatus < 300
		}
		row.Tries = append(row.Tries, a)
	}
	return row
}

// dueWhy says why a delivery due for a while has not been sent.
func dueWhy(d store.DeliveryLog, enabled bool) string {
	switch {
	case !enabled:
		return "waits for the endpoint to be enabled"
	case d.Behind:
		return "waits behind an earlier event of its payout, which goes first (in order per payout)"
	}
	return "not sent yet: see the outbound-webhooks job's last runs on Jobs"
}

// EndpointAction returns the handler of one of an endpoint's actions:
// "rotate" (the new secret shown once on the endpoint's page), "disable",
// "enable" and "test" (each back to the page, which says what it did).
func (h *Handlers) EndpointAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		me := userOf(r)
		if !me.Role.Can(payout.ActManageWebhooks) {
			Fail(w, r, h.Log, Forbidden(payout.ActManageWebhooks))
			return
		}
		id, err := pathID(r)
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		by := store.Actor{UserID: me.ID, Name: me.Email}
		switch action {
		case "rotate":
			e, err := h.Store.RotateWebhookSecret(r.Context(), id, by)
			if err != nil {
				Fail(w, r, h.Log, err)
				return
			}
			h.endpointPage(w, r, http.StatusOK, func(vm *views.WebhookEndpoint) {
				vm.Secret = &views.NewSecret{EndpointID: strconv.FormatInt(id, 10), URL: e.URL, Secret: e.Secret,
					Rotated: true, PreviousUntil: me.stamp(*e.PreviousSecretUntil)}
				shownOnceAt(&vm.Meta, vm.ActionURL)
			})
			return
		case "disable", "enable":
			err = h.Store.SetWebhookEndpointEnabled(r.Context(), id, action == "enable", action+"d by "+me.Email, by)
		case "test":
			_, err = h.Store.SendTestEvent(r.Context(), id, by)
		default:
			err = store.ErrNotFound
		}
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		redirect(w, r, fmt.Sprintf("/settings/webhooks/%d?done=%s", id, action))
	}
}

// RedeliverWebhook makes one delivery due again (same webhook-id) and goes
// back to its endpoint's page.
func (h *Handlers) RedeliverWebhook(w http.ResponseWriter, r *http.Request) {
	me := userOf(r)
	if !me.Role.Can(payout.ActManageWebhooks) {
		Fail(w, r, h.Log, Forbidden(payout.ActManageWebhooks))
		return
	}
	id, err := pathID(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	endpointID, err := h.Store.Redeliver(r.Context(), id, store.Actor{UserID: me.ID, Name: me.Email})
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, fmt.Sprintf("/settings/webhooks/%d?done=redeliver", endpointID))
}
