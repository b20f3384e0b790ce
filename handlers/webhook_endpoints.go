package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// WebhookAdminStore is what the outbound webhooks pages read and write.
type WebhookAdminStore interface {
	WebhookEndpoints(ctx context.Context) ([]store.WebhookEndpoint, error)
	WebhookEndpointByID(ctx context.Context, id int64) (store.WebhookEndpoint, error)
	AddWebhookEndpoint(ctx context.Context, n store.NewWebhookEndpoint, by store.Actor) (store.WebhookEndpoint, error)
	RotateWebhookSecret(ctx context.Context, id int64, by store.Actor) (store.WebhookEndpoint, error)
	SetWebhookEndpointEnabled(ctx context.Context, id int64, enabled bool, reason string, by store.Actor) error
	SendTestEvent(ctx context.Context, id int64, by store.Actor) (string, error)
	DeliveriesOf(ctx context.Context, endpointID int64, limit int) ([]store.DeliveryLog, error)
	Redeliver(ctx context.Context, deliveryID int64, by store.Actor) (int64, error)
}

// WebhookEndpointsPage lists the outbound webhook endpoints with the form
// that adds one.
func (h *Handlers) WebhookEndpointsPage(w http.ResponseWriter, r *http.Request) {
	h.endpointsPage(w, r, http.StatusOK, nil)
}

func (h *Handlers) endpointsPage(w http.ResponseWriter, r *http.Request, status int, adjust func(*views.WebhookEndpoints)) {
	list, err := h.Store.WebhookEndpoints(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm := views.WebhookEndpoints{Meta: MetaFor(r, "Outbound webhooks", "settings"), EventTypes: payout.EventTypes,
		Errors: map[string]string{}, AllowPrivate: h.Outbound.AllowPrivate}
	me := userOf(r)
	for _, e := range list {
		vm.Rows = append(vm.Rows, endpointRow(e, me))
	}
	if adjust != nil {
		adjust(&vm)
	}
	Render(w, r, status, views.WebhookEndpointsPage(vm), nil)
}

func endpointRow(e store.WebhookEndpoint, me User) views.EndpointRow {
	id := strconv.FormatInt(e.ID, 10)
	row := views.EndpointRow{ID: id, URL: e.URL, Description: e.Description, Events: "every event",
		Enabled: e.Enabled(), State: "enabled", Created: me.stamp(e.CreatedAt), Pending: strconv.Itoa(e.Pending),
		PageURL: "/settings/webhooks/" + id, Test: !e.Livemode}
	if len(e.Events) > 0 {
		row.Events = strings.Join(e.Events, ", ")
	}
	switch {
	case !e.Enabled():
		row.State, row.StateNote = "disabled", fmt.Sprintf("since %s: %s", me.stamp(*e.DisabledAt), e.DisabledReason)
	case e.FailingSince != nil:
		row.StateNote = "failing since " + me.stamp(*e.FailingSince)
	}
	return row
}

// AddWebhookEndpoint adds an endpoint and shows its secret on the page,
// once (201). Bad input is 422 with the form and a message a field.
func (h *Handlers) AddWebhookEndpoint(w http.ResponseWriter, r *http.Request) {
	me := userOf(r)
	if !me.Role.Can(payout.ActManageWebhooks) {
		Fail(w, r, h.Log, Forbidden(payout.ActManageWebhooks))
		return
	}
	if err := r.ParseForm(); err != nil {
		Fail(w, r, h.Log, ErrBadRequest)
		return
	}
	f := views.EndpointForm{URL: strings.TrimSpace(r.PostFormValue("url")),
		Description: strings.TrimSpace(r.PostFormValue("description")), Events: map[string]bool{},
		Test: r.PostFormValue("test") == "1"}
	for _, t := range r.PostForm["events"] {
		f.Events[t] = true
	}
	n, errs := h.endpointSpec(f, r.PostForm["events"])
	if len(errs) > 0 {
		h.endpointsPage(w, r, http.StatusUnprocessableEntity, func(vm *views.WebhookEndpoints) {
			vm.Form, vm.Errors, vm.Problem = f, errs, "No endpoint was added: correct the form below."
		})
		return
	}
	e, err := h.Store.AddWebhookEndpoint(r.Context(), n, store.Actor{UserID: me.ID, Name: me.Email})
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	h.endpointsPage(w, r, http.StatusCreated, func(vm *views.WebhookEndpoints) {
		vm.Created = &views.NewSecret{EndpointID: strconv.FormatInt(e.ID, 10), URL: e.URL, Secret: e.Secret}
		shownOnceAt(&vm.Meta, "/settings/webhooks")
	})
}

// endpointSpec reads the add form with the rules of payops endpoint add.
func (h *Handlers) endpointSpec(f views.EndpointForm, events []string) (store.NewWebhookEndpoint, map[string]string) {
	errs := map[string]string{}
	n := store.NewWebhookEndpoint{Description: f.Description, Test: f.Test}
	if u, err := h.Outbound.CheckURL(f.URL); err != nil {
		errs["url"] = upperFirst(strings.TrimPrefix(err.Error(), payout.ErrEndpointRefused.Error()+": ")) + "."
	} else {
		n.URL = u.String()
	}
	types, err := payout.ParseEventTypes(strings.Join(events, ","))
	if err != nil {
		errs["events"] = upperFirst(err.Error()) + "."
	}
	n.Events = types
	if utf8.RuneCountInString(f.Description) > 200 {
		errs["description"] = "At most 200 characters."
	}
	return n, errs
}
