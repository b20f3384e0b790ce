package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// NotifyStore is what the notification pages read and write.
type NotifyStore interface {
	NotifyChannels(ctx context.Context) (map[payout.ConditionKind]store.NotifyChannel, error)
	UpdateNotifyChannel(ctx context.Context, c store.NotifyChannel, by store.Actor) error
	QueueNotice(ctx context.Context, n store.NewNotice) (int64, error)
	Notifications(ctx context.Context, limit, offset int) ([]store.Notification, int, error)
}

// thresholdLabels say what a kind's two thresholds mean.
var thresholdLabels = map[payout.ConditionKind][2]string{
	payout.CondStuck: {"Stuck payouts of one provider, at least",
		"Stuck for minutes more than PAYOPS_STUCK_AFTER"},
	payout.CondWebhookRejections: {"Refused webhooks of one provider, more than", "Within minutes"},
}

// NotifySettingsPage shows, per kind of condition, who is told and how.
func (h *Handlers) NotifySettingsPage(w http.ResponseWriter, r *http.Request) {
	saved := r.URL.Query().Get("saved")
	h.notifySettingsPage(w, r, http.StatusOK, func(vm *views.NotifySettingsPage) {
		onKind(vm, saved, func(k *views.NotifyKindForm) { k.Notice = "Saved." })
	})
}

func (h *Handlers) notifySettingsPage(w http.ResponseWriter, r *http.Request, status int,
	adjust func(*views.NotifySettingsPage)) {
	channels, err := h.Store.NotifyChannels(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	me := userOf(r)
	vm := views.NotifySettingsPage{Meta: MetaFor(r, "Notifications", "settings"), EmailFrom: h.EmailFrom}
	for _, k := range payout.ConditionKinds {
		vm.Kinds = append(vm.Kinds, notifyKindForm(k, channels[k], me))
	}
	if adjust != nil {
		adjust(&vm)
	}
	Render(w, r, status, views.NotifySettings(vm), nil)
}

// notifyKindForm is a kind's form as it is stored; never a whole chat URL.
func notifyKindForm(k payout.ConditionKind, c store.NotifyChannel, me User) views.NotifyKindForm {
	f := views.NotifyKindForm{Kind: string(k), Label: k.Label(), Recipients: k.Recipients(), Email: c.Email,
		Reminder: strconv.Itoa(c.ReminderMinutes), HasThresholds: k.HasThresholds(),
		Count: strconv.Itoa(c.ThresholdCount), Minutes: strconv.Itoa(c.ThresholdMinutes), Errors: map[string]string{},
		ActionURL: "/settings/notifications/" + string(k), TestURL: "/settings/notifications/" + string(k) + "/test"}
	f.CountLabel, f.MinutesLabel = thresholdLabels[k][0], thresholdLabels[k][1]
	for _, u := range c.ChatURLs {
		f.ChatMasked = append(f.ChatMasked, payout.MaskURL(u))
	}
	if !c.UpdatedAt.IsZero() && c.UpdatedBy != "migration" {
		f.Updated = fmt.Sprintf("Changed by %s, %s.", c.UpdatedBy, me.stamp(c.UpdatedAt))
	}
	return f
}

// onKind changes the form of kind on the page.
func onKind(vm *views.NotifySettingsPage, kind string, change func(*views.NotifyKindForm)) {
	for i := range vm.Kinds {
		if vm.Kinds[i].Kind == kind {
			change(&vm.Kinds[i])
		}
	}
}

// kindFromPath returns the kind of condition named in the path; not found
// for none.
func kindFromPath(r *http.Request) (payout.ConditionKind, error) {
	k, err := payout.ParseConditionKind(r.PathValue("kind"))
	if err != nil {
		return "", store.ErrNotFound
	}
	return k, nil
}

// notifyKind returns the signed-in admin, the kind the path names and its
// channels; on a failure it has answered and ok is false.
func (h *Handlers) notifyKind(w http.ResponseWriter, r *http.Request) (User, payout.ConditionKind, store.NotifyChannel, bool) {
	me := userOf(r)
	if !me.Role.Can(payout.ActConfigureNotify) {
		Fail(w, r, h.Log, Forbidden(payout.ActConfigureNotify))
		return User{}, "", store.NotifyChannel{}, false
	}
	kind, err := kindFromPath(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return User{}, "", store.NotifyChannel{}, false
	}
	channels, err := h.Store.NotifyChannels(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return User{}, "", store.NotifyChannel{}, false
	}
	return me, kind, channels[kind], true
}

// SaveNotify sets one kind's channels, reminder and thresholds, audited;
// bad input is 422 with the form and a message a field.
func (h *Handlers) SaveNotify(w http.ResponseWriter, r *http.Request) {
	me, kind, prev, ok := h.notifyKind(w, r)
	if !ok {
		return
	}
	form := payout.NotifyForm{Email: r.PostFormValue("email") == "on", Chat: r.PostFormValue("chat"),
		ClearChat: r.PostFormValue("clear_chat") == "on", Reminder: r.PostFormValue("reminder"),
		ThresholdCount: r.PostFormValue("threshold_count"), ThresholdMinutes: r.PostFormValue("threshold_minutes")}
	set, errs := payout.ParseNotifyForm(kind, form, payout.NotifySettings{ChatURLs: prev.ChatURLs,
		ThresholdCount: prev.ThresholdCount, ThresholdMinutes: prev.ThresholdMinutes}, h.Outbound)
	if len(errs) > 0 {
		h.notifySettingsPage(w, r, http.StatusUnprocessableEntity, func(vm *views.NotifySettingsPage) {
			onKind(vm, string(kind), func(k *views.NotifyKindForm) {
				k.Problem = "Not changed: correct the form below."
				k.Errors, k.Email, k.Chat, k.Reminder = errs, form.Email, form.Chat, form.Reminder
				k.Count, k.Minutes = form.ThresholdCount, form.ThresholdMinutes
			})
		})
		return
	}
	err := h.Store.UpdateNotifyChannel(r.Context(), store.NotifyChannel{Kind: kind, Email: set.Email,
		ChatURLs: set.ChatURLs, ReminderMinutes: set.ReminderMinutes, ThresholdCount: set.ThresholdCount,
		ThresholdMinutes: set.ThresholdMinutes}, actorOf(me))
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	http.Redirect(w, r, "/settings/notifications?saved="+string(kind)+"#notify-"+string(kind), http.StatusSeeOther)
}

// TestNotify queues a test notice of one kind to each of its chat webhooks
// and, when email is on and set up, to the admin who asked; the notify job
// sends them within a minute, and the log shows how it went.
func (h *Handlers) TestNotify(w http.ResponseWriter, r *http.Request) {
	me, kind, c, ok := h.notifyKind(w, r)
	if !ok {
		return
	}
	base := store.NewNotice{ConditionKey: "test:" + string(kind), Kind: kind, Notice: "test",
		Subject: "[payops] Test: " + kind.Label(),
		Body:    fmt.Sprintf("A test notice of %q, asked for by %s on /settings/notifications.", kind.Label(), me.Email)}
	queued := 0
	if c.Email && h.EmailFrom != "" {
		n := base
		n.Channel, n.UserID, n.Recipient = store.ChannelEmail, &me.ID, me.Email
		if _, err := h.Store.QueueNotice(r.Context(), n); err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		queued++
	}
	for _, u := range c.ChatURLs {
		n := base
		n.Channel, n.Recipient = store.ChannelChat, u
		if _, err := h.Store.QueueNotice(r.Context(), n); err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		queued++
	}
	if queued == 0 {
		h.notifySettingsPage(w, r, http.StatusUnprocessableEntity, func(vm *views.NotifySettingsPage) {
			onKind(vm, string(kind), func(k *views.NotifyKindForm) {
				k.Problem = "No channel to test: set a chat webhook, or turn email on (with PAYOPS_SMTP_URL set), " +
					"and save first."
			})
		})
		return
	}
	redirect(w, r, fmt.Sprintf("/notifications?tested=%d", queued))
}
