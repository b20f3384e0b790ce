package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"payops/jobs"
	"payops/payout"
	"payops/store"
)

// One admin adds two compliance users from the dashboard, with passwords
// the admin knows: neither may release or reject for payout.GrantWait, the
// payout page and the holds queue say until when, the users page shows it,
// and the people who decide already are told (CondDeciderGranted).
func TestAnAdminCannotMakeDecidersWhoDecideAtOnce(t *testing.T) {
	a := newApp(t)
	a.withToken()
	a.addUser("admin@example.com", payout.RoleAdmin)
	a.addUser("c1@example.com", payout.RoleCompliance)
	id := a.heldPayout("GW-1", expiredTax)
	admin := a.client()
	admin.login("admin@example.com")
	for _, who := range []string{"sock1", "sock2"} {
		code, page, _ := admin.do("POST", "/settings/users", url.Values{"name": {who}, "email": {who + "@example.com"},
			"role": {"compliance"}, "how": {"password"}, "password": {"an-initial-password"}}, nil)
		if code != http.StatusCreated || !strings.Contains(textOf(byID(t, page, "new-user-wait")), "decide only 24 hours from now") {
			t.Fatalf("add %s: %d, or the page does not say when they decide", who, code)
		}
	}
	sock := a.client()
	if code, _, _ := sock.signInWith("sock1@example.com", "an-initial-password"); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	_, page := sock.get("/payouts/GW-1")
	if wait, _ := textByID(t, page, "decide-wait-"+id); !strings.Contains(wait, "you decide from") ||
		strings.Contains(page, `id="release-`+id) || strings.Contains(page, `id="reject-`+id) {
		t.Fatalf("the payout page offers a new decider Release or Reject, or does not say when they decide (%q)", wait)
	}
	if _, holds := sock.get("/holds"); byID(t, holds, "decide-wait") == nil || strings.Contains(holds, `value="release"`) {
		t.Error("the holds queue offers a new decider the bulk release, or does not say why not")
	}
	for _, action := range []string{"release", "reject"} {
		code, body, _ := sock.do("POST", "/holds/"+id+"/"+action, url.Values{"note": {"all fine"}, "seen": {a.seen(id)}}, nil)
		if code != http.StatusForbidden || !strings.Contains(body, "you decide from") {
			t.Errorf("%s by a compliance user the admin added a moment ago: %d; want 403 saying when they decide", action, code)
		}
	}
	if a.holdState(id) != "open" {
		t.Fatal("a refused decision changed the hold")
	}
	// Compliance sees them where they work, whatever the notices' settings.
	c1 := a.client()
	c1.login("c1@example.com")
	if _, holds := c1.get("/holds"); !strings.Contains(textOf(byID(t, holds, "new-deciders")), "sock1@example.com") ||
		!strings.Contains(textOf(byID(t, holds, "new-deciders")), "sock2@example.com") {
		t.Error("the holds queue does not show compliance the new deciders")
	}
	_, users := admin.get("/settings/users")
	if row, _ := textByID(t, users, "user-"+a.userID("sock1@example.com")); !strings.Contains(row, "decides from") {
		t.Errorf("the users page's row for the new decider: %q", row)
	}

	// A new role given from the users page says so at once.
	a.addUser("olu@example.com", payout.RoleOps)
	code, _, h := admin.do("POST", "/settings/users/"+a.userID("olu@example.com")+"/role", url.Values{"role": {"compliance"}}, nil)
	if code != http.StatusSeeOther {
		t.Fatalf("make olu compliance: %d", code)
	}
	if _, page := admin.get(h.Get("Location")); !strings.Contains(textOf(byID(t, page, "users-notice")), "decides only from") {
		t.Errorf("the notice after making a user compliance does not say when they decide")
	}

	// Compliance and the admins are told, once a grant.
	var granted jobs.Condition
	for _, c := range jobs.StandardConditions(a.store, time.Hour) {
		if c.Kind == payout.CondDeciderGranted {
			granted = c
		}
	}
	active, err := granted.Evaluate(context.Background(), time.Now(), store.NotifyChannel{})
	if err != nil || len(active) != 3 || !strings.Contains(active[0].Subject, "sock1@example.com") ||
		!strings.Contains(active[0].Detail, "disable the account") {
		t.Fatalf("the new deciders' condition: %+v %v", active, err)
	}
	if told := payout.CondDeciderGranted.Audience(); !slices.Contains(told, payout.RoleCompliance) || !slices.Contains(told, payout.RoleAdmin) {
		t.Error("compliance and the admins are not the ones told")
	}
}
