package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"payops/jobs"
	"payops/outbound"
	"payops/payout"
	"payops/store"
)

// sender stands for the platform's endpoint: it answers every attempt with
// status and body, and keeps the webhook-ids it was sent.
type sender struct {
	status int
	body   string
	mu     sync.Mutex // the job sends from several workers
	ids    []string
}

func (s *sender) Send(_ context.Context, _ string, m outbound.Message) (outbound.Answer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, m.ID)
	return outbound.Answer{Status: s.status, Body: s.body}, nil
}

func deliverNow(t *testing.T, st *store.Store, s *sender) {
	t.Helper()
	job := &jobs.Outbound{Store: st, Client: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := job.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// An admin adds an endpoint with an event filter and sees its secret once;
// sends it a test event, reads the failed attempt in the delivery log
// (escaped), redelivers it with the same webhook-id; rotates the secret
// (shown once) and disables the endpoint. Every action is audited.
func TestAdminManagesAWebhookEndpoint(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	admin := a.client()
	admin.login("admin@example.com")
	if _, page := admin.get("/settings/webhooks"); byID(t, page, "endpoints-empty") == nil {
		t.Error("no empty state before any endpoint")
	}
	code, page, _ := admin.do("POST", "/settings/webhooks", url.Values{"url": {"http://127.0.0.1:9000/x"}}, nil)
	if got, _ := textByID(t, page, "error-url"); code != http.StatusUnprocessableEntity || !strings.Contains(got, "https") {
		t.Fatalf("a loopback http endpoint: %d %q", code, got)
	}
	code, page, _ = admin.do("POST", "/settings/webhooks", url.Values{"url": {"https://hooks.example.com/payops"},
		"description": {"marketplace"}, "events": {"payout.succeeded", "payout.failed"}}, nil)
	if code != http.StatusCreated {
		t.Fatalf("add: %d", code)
	}
	secret := valueByID(t, page, "endpoint-secret")
	if _, err := payout.ParseWebhookSecret(secret); err != nil {
		t.Fatalf("the secret shown: %q (%v)", secret, err)
	}
	_, page = admin.get("/settings/webhooks")
	if byID(t, page, "new-secret") != nil || strings.Contains(page, secret) {
		t.Fatal("the secret is shown again after the page it was made on")
	}
	if row, _ := textByID(t, page, "endpoint-1"); !strings.Contains(row, "payout.failed, payout.succeeded") ||
		!strings.Contains(row, "enabled") || !strings.Contains(row, "marketplace") {
		t.Errorf("the endpoint's row: %q", row)
	}
	if a.audited("admin@example.com", "webhook_endpoint.add", "1") != 1 {
		t.Error("adding the endpoint is not audited as the admin")
	}
	if byID(t, page, "endpoint-test-1") != nil {
		t.Error("a live endpoint is marked test")
	}
	// A test endpoint: the box ticked, marked so in the list.
	if code, _, _ := admin.do("POST", "/settings/webhooks", url.Values{"url": {"https://hooks.example.com/test"},
		"test": {"1"}}, nil); code != http.StatusCreated {
		t.Fatalf("add a test endpoint: %d", code)
	}
	if _, page := admin.get("/settings/webhooks"); byID(t, page, "endpoint-test-2") == nil {
		t.Error("the test endpoint is not marked test")
	}

	code, _, h := admin.do("POST", "/settings/webhooks/1/test", nil, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/settings/webhooks/1?done=test" {
		t.Fatalf("test event: %d to %q", code, h.Get("Location"))
	}
	platform := &sender{status: 500, body: `<b>down</b> for maintenance`}
	deliverNow(t, a.store, platform)
	_, page = admin.get(h.Get("Location"))
	if got, _ := textByID(t, page, "endpoint-notice"); !strings.Contains(got, "webhook.test") {
		t.Errorf("notice %q", got)
	}
	var deliveryID string
	a.store.DB().Get(&deliveryID, `SELECT id::text FROM outbound_deliveries`)
	row, _ := textByID(t, page, "delivery-"+deliveryID)
	for _, want := range []string{"webhook.test", "pending", "1 attempt", "500", "<b>down</b> for maintenance", "msg_"} {
		if !strings.Contains(row, want) {
			t.Errorf("the delivery's row %q lacks %q", row, want)
		}
	}
	if strings.Contains(page, "<b>down</b>") {
		t.Error("the endpoint's answer is not escaped")
	}

	code, _, h = admin.do("POST", "/settings/webhooks/deliveries/"+deliveryID+"/redeliver", nil, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/settings/webhooks/1?done=redeliver" {
		t.Fatalf("redeliver: %d to %q", code, h.Get("Location"))
	}
	platform.status = 204
	deliverNow(t, a.store, platform)
	if len(platform.ids) != 2 || platform.ids[0] != platform.ids[1] {
		t.Errorf("webhook-ids sent: %v, want the same one twice", platform.ids)
	}
	_, page = admin.get("/settings/webhooks/1")
	if row, _ := textByID(t, page, "delivery-"+deliveryID); !strings.Contains(row, "delivered") ||
		!strings.Contains(row, "2 attempts") {
		t.Errorf("after redelivery: %q", row)
	}

	code, page, _ = admin.do("POST", "/settings/webhooks/1/rotate", nil, nil)
	rotated := valueByID(t, page, "endpoint-secret")
	if code != http.StatusOK || rotated == secret || !strings.HasPrefix(rotated, "whsec_") {
		t.Fatalf("rotate: %d, secret %q", code, rotated)
	}
	_, page = admin.get("/settings/webhooks/1")
	if strings.Contains(page, rotated) || strings.Contains(page, secret) || byID(t, page, "endpoint-rotation") == nil {
		t.Error("after rotating: a secret on the page, or no word of the overlap")
	}
	if code, _, _ := admin.do("POST", "/settings/webhooks/1/disable", nil, nil); code != http.StatusSeeOther {
		t.Fatalf("disable: %d", code)
	}
	_, page = admin.get("/settings/webhooks/1?done=disable")
	if got, _ := textByID(t, page, "endpoint-state"); !strings.Contains(got, "disabled") ||
		byID(t, page, "endpoint-enable") == nil {
		t.Errorf("after disabling: state %q", got)
	}
	for _, action := range []string{"webhook_endpoint.test", "webhook_endpoint.rotate", "webhook_endpoint.disabled",
		"webhook_delivery.redeliver"} {
		if a.audited("admin@example.com", action, "1") != 1 {
			t.Errorf("%s is not audited as the admin", action)
		}
	}
	// A test event asked of a disabled endpoint waits, and the page says so.
	if code, _, h := admin.do("POST", "/settings/webhooks/1/test", nil, nil); code != http.StatusSeeOther ||
		!strings.Contains(h.Get("Location"), "done=test") {
		t.Fatalf("test on a disabled endpoint: %d %s", code, h.Get("Location"))
	}
	_, page = admin.get("/settings/webhooks/1?done=test")
	if got, _ := textByID(t, page, "endpoint-notice"); !strings.Contains(got, "The event waits: the endpoint is disabled") {
		t.Errorf("the notice after a test event to a disabled endpoint: %q", got)
	}
}

// endpointWithTestEvent is an app with endpoint 1 and a test event waiting
// for it, and its admin signed in.
func endpointWithTestEvent(t *testing.T) (*app, *client) {
	t.Helper()
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	admin := a.client()
	admin.login("admin@example.com")
	if code, _, _ := admin.do("POST", "/settings/webhooks", url.Values{"url": {"https://hooks.example.com/payops"}}, nil); code != http.StatusCreated {
		t.Fatalf("add: %d", code)
	}
	if code, _, _ := admin.do("POST", "/settings/webhooks/1/test", nil, nil); code != http.StatusSeeOther {
		t.Fatalf("test event: %d", code)
	}
	return a, admin
}

// A delivery payops gave up without an attempt (an event it could not build
// a body for) says why in the endpoint's delivery log, not "none yet".
func TestAGivenUpDeliverySaysWhy(t *testing.T) {
	a, admin := endpointWithTestEvent(t)
	a.store.DB().MustExec(`UPDATE outbound_events SET snapshot = '{"payout": "unreadable"}'`)
	platform := &sender{status: 204}
	deliverNow(t, a.store, platform)
	if len(platform.ids) != 0 {
		t.Fatalf("sent %v", platform.ids)
	}
	var deliveryID string
	a.store.DB().Get(&deliveryID, `SELECT id::text FROM outbound_deliveries`)
	_, page := admin.get("/settings/webhooks/1")
	row, _ := textByID(t, page, "delivery-"+deliveryID)
	for _, want := range []string{"failed", "could not build this event's body", "none"} {
		if !strings.Contains(row, want) {
			t.Errorf("the delivery's row %q lacks %q", row, want)
		}
	}
	if strings.Contains(row, "none yet") {
		t.Errorf("a given-up delivery reads %q", row)
	}
}

// A delivery due for a while says why it has not gone: behind an earlier
// event of its payout, or waiting for its endpoint, or for the job; an
// event of no payout (a test event) is behind nothing.
func TestADueDeliverySaysWhatItWaitsFor(t *testing.T) {
	a, admin := endpointWithTestEvent(t)
	a.store.DB().MustExec(`UPDATE outbound_deliveries SET next_attempt_at = now() - interval '5 minutes'`)
	var deliveryID string
	a.store.DB().Get(&deliveryID, `SELECT id::text FROM outbound_deliveries`)
	_, page := admin.get("/settings/webhooks/1")
	if row, _ := textByID(t, page, "delivery-"+deliveryID); !strings.Contains(row, "outbound-webhooks job") ||
		strings.Contains(row, "its payout") {
		t.Errorf("a due test event on an enabled endpoint: %q", row)
	}
	if code, _, _ := admin.do("POST", "/settings/webhooks/1/disable", url.Values{"reason": {"maintenance"}}, nil); code != http.StatusSeeOther {
		t.Fatalf("disable: %d", code)
	}
	_, page = admin.get("/settings/webhooks/1")
	if row, _ := textByID(t, page, "delivery-"+deliveryID); !strings.Contains(row, "waits for the endpoint to be enabled") {
		t.Errorf("on a disabled endpoint: %q", row)
	}
}
