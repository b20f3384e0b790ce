package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
)

// The notification settings: every kind has its form; bad input is 422
// with a message a field and nothing saved; a good one is saved, audited,
// and its chat webhook is shown masked, never whole.
func TestNotifySettings(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	admin := a.client()
	admin.login("admin@example.com")
	code, page := admin.get("/settings/notifications")
	if code != http.StatusOK {
		t.Fatalf("page: %d", code)
	}
	for _, k := range payout.ConditionKinds {
		if byID(t, page, "notify-form-"+string(k)) == nil {
			t.Errorf("no form for %s", k)
		}
	}
	if byID(t, page, "notify-no-email") == nil {
		t.Error("the page does not say email is off without PAYOPS_SMTP_URL")
	}
	if _, page := admin.get("/settings"); byID(t, page, "settings-notifications") == nil {
		t.Error("the settings index does not link the notification settings")
	}

	const secret = "https://hooks.example.com/services/T000/B000/verysecretWxYz"
	code, page, _ = admin.do("POST", "/settings/notifications/stuck", url.Values{"reminder": {"often"},
		"chat": {"hooks.example.com/nope"}, "threshold_count": {"0"}, "threshold_minutes": {"30"}}, nil)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad input: %d, want 422", code)
	}
	for _, field := range []string{"reminder", "chat", "threshold_count"} {
		if byID(t, page, "error-"+field) == nil {
			t.Errorf("no message for %s", field)
		}
	}
	if got := valueByID(t, page, "notify-reminder-stuck"); got != "often" {
		t.Errorf("the refused form lost what was typed: reminder %q", got)
	}
	if a.audited("admin@example.com", "notify.configure", "stuck") != 0 {
		t.Error("a refused form was saved")
	}

	code, _, h := admin.do("POST", "/settings/notifications/stuck", url.Values{"email": {"on"}, "reminder": {"30"},
		"chat": {secret}, "threshold_count": {"5"}, "threshold_minutes": {"15"}}, nil)
	if code != http.StatusSeeOther {
		t.Fatalf("save: %d", code)
	}
	_, page = admin.get(h.Get("Location"))
	if strings.Contains(page, "verysecret") {
		t.Fatal("the page shows the chat webhook whole")
	}
	if got, _ := textByID(t, page, "notify-chat-set-stuck"); !strings.Contains(got, "https://hooks.example.com/…WxYz") {
		t.Errorf("the webhook set: %q", got)
	}
	if byID(t, page, "notify-notice-stuck") == nil || valueByID(t, page, "notify-count-stuck") != "5" {
		t.Error("the saved form does not say so, or lost its threshold")
	}
	if a.audited("admin@example.com", "notify.configure", "stuck") != 1 {
		t.Error("the change is not audited as the admin")
	}
	var details string
	a.store.DB().Get(&details, `SELECT details::text FROM audit_log WHERE action = 'notify.configure'`)
	if strings.Contains(details, "verysecret") {
		t.Error("the audit log holds the chat webhook")
	}

	if code, _, _ := admin.do("POST", "/settings/notifications/nope", url.Values{"reminder": {"1"}}, nil); code != http.StatusNotFound {
		t.Errorf("an unknown kind: %d, want 404", code)
	}
}

// Send a test queues a notice to the kind's chat webhook, shown on the log
// with the webhook masked; with no channel it is 422.
func TestNotifySendATest(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	a.addUser("ops@example.com", payout.RoleOps)
	admin := a.client()
	admin.login("admin@example.com")
	for _, bad := range []string{"abc", "0", "184467440737095518"} {
		if code, _ := admin.get("/notifications?page=" + bad); code != http.StatusBadRequest {
			t.Errorf("notifications page %s: %d, want 400", bad, code)
		}
	}
	if _, page := admin.get("/notifications"); byID(t, page, "notifications-empty") == nil {
		t.Error("no empty state on the log")
	}
	code, page, _ := admin.do("POST", "/settings/notifications/drill_failed/test", nil, nil)
	if code != http.StatusUnprocessableEntity || byID(t, page, "notify-problem-drill_failed") == nil {
		t.Fatalf("a test with no channel: %d, want 422 saying why", code)
	}
	admin.do("POST", "/settings/notifications/drill_failed", url.Values{"reminder": {"0"},
		"chat": {"https://chat.example.com/hooks/abcdefgh1234"}}, nil)
	code, _, h := admin.do("POST", "/settings/notifications/drill_failed/test", nil, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/notifications?tested=1" {
		t.Fatalf("test: %d to %q", code, h.Get("Location"))
	}
	_, page = admin.get(h.Get("Location"))
	if byID(t, page, "notifications-notice") == nil || byID(t, page, "notifications") == nil {
		t.Fatal("the log does not show the test")
	}
	if strings.Contains(page, "abcdefgh1234") || !strings.Contains(page, "https://chat.example.com/…1234") {
		t.Error("the log does not mask the chat webhook")
	}

	ops := a.client()
	ops.login("ops@example.com")
	for _, path := range []string{"/notifications", "/settings/notifications"} {
		if code, _ := ops.get(path); code != http.StatusForbidden {
			t.Errorf("ops on %s: %d, want 403", path, code)
		}
	}
}

// walkNotifications gives the walk a log with a sent email, a failed chat
// post with a long error, and a chat webhook set.
func walkNotifications(t *testing.T, a *app) {
	t.Helper()
	ctx := context.Background()
	hook := "https://hooks.slack.com/services/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"
	err := a.store.UpdateNotifyChannel(ctx, store.NotifyChannel{Kind: payout.CondStuck, Email: true,
		ChatURLs: []string{hook}, ReminderMinutes: 60, ThresholdCount: 10, ThresholdMinutes: 30},
		store.Actor{Name: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []store.NewNotice{
		{ConditionKey: "hold_overdue:1", Kind: payout.CondHoldOverdue, Notice: payout.NoticeStarted,
			Channel: store.ChannelEmail, Recipient: "venkata.narasimhan@example.com",
			Subject: "[payops] Hold #1 on MARKETPLACE-SELLER-SETTLEMENT-2026-04100 (Above review threshold) is past its SLA"},
		{ConditionKey: "stuck:sandbox", Kind: payout.CondStuck, Notice: payout.NoticeReminder,
			Channel: store.ChannelChat, Recipient: hook, Subject: "[payops] Still: Payouts stuck at sandbox for over 40 min"},
	} {
		n.Body = n.Subject
		id, err := a.store.QueueNotice(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		var sendErr error
		if i == 1 {
			sendErr = errors.New("chat: hooks.slack.com answered 503 Service Unavailable: " +
				"dial tcp: lookup hooks.slack.com on 127.0.0.53:53: server misbehaving")
		}
		if err := a.store.MarkNotice(ctx, id, time.Now(), sendErr, 1440); err != nil {
			t.Fatal(err)
		}
	}
}
