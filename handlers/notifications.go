package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// notificationsPageSize is how many notices the log shows a page.
const notificationsPageSize = 50

// NotificationsPage is the notifications log, newest first, a page at a
// time: what was sent, to whom, by which channel, and failures with their
// error. Chat webhooks are shown masked: they are secrets.
func (h *Handlers) NotificationsPage(w http.ResponseWriter, r *http.Request) {
	page, err := pageNumber(r.URL.Query().Get("page"))
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	rows, total, err := h.Store.Notifications(r.Context(), notificationsPageSize, (page-1)*notificationsPageSize)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	me := userOf(r)
	vm := views.NotificationsPage{Meta: MetaFor(r, "Notifications log", "settings"), Total: total}
	if n, err := strconv.Atoi(r.URL.Query().Get("tested")); err == nil && n > 0 {
		vm.Notice = fmt.Sprintf("%d test notice%s queued: sent within a minute, shown here with the outcome.", n, plural(n))
	}
	for _, n := range rows {
		vm.Rows = append(vm.Rows, notificationRow(n, me))
	}
	if page > 1 {
		vm.NewerHref = fmt.Sprintf("/notifications?page=%d", page-1)
	}
	if page*notificationsPageSize < total {
		vm.OlderHref = fmt.Sprintf("/notifications?page=%d", page+1)
	}
	Render(w, r, http.StatusOK, views.NotificationsLog(vm), nil)
}

func notificationRow(n store.Notification, me User) views.NotificationRow {
	row := views.NotificationRow{ID: strconv.FormatInt(n.ID, 10), Time: me.stamp(n.CreatedAt),
		Condition: n.Kind.Label(), Key: n.ConditionKey, Notice: n.Notice, Subject: n.Subject, Channel: n.Channel,
		Recipient: n.Recipient, Outcome: n.State, Error: n.Error}
	if n.Channel == store.ChannelChat {
		row.Recipient = payout.MaskURL(n.Recipient)
	}
	switch {
	case n.State == "sent" && n.SentAt != nil:
		row.Attempts = "at " + me.stamp(*n.SentAt)
		if n.Attempts > 1 {
			row.Attempts += fmt.Sprintf(", try %d", n.Attempts)
		}
	case n.Attempts > 0:
		row.Attempts = fmt.Sprintf("%d tr%s", n.Attempts, map[bool]string{true: "y", false: "ies"}[n.Attempts == 1])
	}
	return row
}
