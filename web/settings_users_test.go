package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"payops/payout"
)

// userID returns the id of the user with email.
func (a *app) userID(email string) string {
	a.t.Helper()
	u, err := a.store.UserByEmail(context.Background(), email)
	if err != nil {
		a.t.Fatal(err)
	}
	return fmt.Sprint(u.ID)
}

// audited returns how many audit entries of action about entity id were
// made by actor.
func (a *app) audited(actor, action, id string) int {
	a.t.Helper()
	var n int
	if err := a.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND entity_id = $3`,
		actor, action, id); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// valueByID returns the value attribute of the element with that id.
func valueByID(t *testing.T, page, id string) string {
	t.Helper()
	n := byID(t, page, id)
	if n == nil {
		t.Fatalf("no element #%s", id)
	}
	return attr(n, "value")
}

// signInWith posts the sign-in form with email and password.
func (c *client) signInWith(email, password string) (int, string, http.Header) {
	c.t.Helper()
	return c.do("POST", "/login", url.Values{"email": {email}, "password": {password}}, nil)
}

// An admin adds a user with a set-password link: the link is on the page
// once; before it is used the user cannot sign in; it sets a password once
// and sends them to sign in, and then they can.
func TestAdminAddsAUserWithASetPasswordLink(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	admin := a.client()
	admin.login("admin@example.com")

	code, page, _ := admin.do("POST", "/settings/users", url.Values{"name": {"Kiran Compliance"},
		"email": {"kiran@example.com"}, "role": {"compliance"}, "how": {"link"}}, nil)
	if code != http.StatusCreated {
		t.Fatalf("add user: %d", code)
	}
	link := valueByID(t, page, "set-password-link")
	path, ok := strings.CutPrefix(link, a.srv.URL)
	if !ok || !strings.HasPrefix(path, "/set-password/") || len(path) < len("/set-password/")+40 {
		t.Fatalf("the link shown: %q", link)
	}
	id := a.userID("kiran@example.com")
	if got, _ := textByID(t, page, "user-"+id); !strings.Contains(got, "Awaiting password") ||
		!strings.Contains(got, "compliance") {
		t.Errorf("the new user's row: %q", got)
	}
	if a.audited("admin@example.com", "user.create", id) != 1 {
		t.Error("adding the user is not audited as the admin")
	}
	if _, again := admin.get("/settings/users"); byID(t, again, "new-link") != nil || strings.Contains(again, path) {
		t.Error("the link is shown again on the next visit")
	}

	kiran := a.client()
	code, body, _ := kiran.signInWith("kiran@example.com", "anything-at-all")
	if got, _ := textByID(t, body, "login-error"); code != http.StatusUnauthorized || got != "Email or password is incorrect." {
		t.Errorf("sign-in before a password is set: %d %q, want 401 as for a wrong password", code, got)
	}
	setPasswordThroughLink(t, kiran, path)
	if a.audited("kiran@example.com", "user.password_set", id) != 1 {
		t.Error("setting the password is not audited")
	}
	code, _, h := kiran.signInWith("kiran@example.com", "a-long-new-password")
	if code != http.StatusSeeOther || h.Get("Location") != "/" || !kiran.signedIn() {
		t.Errorf("sign in with the new password: %d to %q", code, h.Get("Location"))
	}
}

// setPasswordThroughLink opens the link at path: passwords too short or
// typed differently are 422 with the form; a good one is set and sends to
// sign in; the link then says it was used, and a made-up one is not found.
func setPasswordThroughLink(t *testing.T, c *client, path string) {
	t.Helper()
	code, body := c.get(path)
	if got, _ := textByID(t, body, "set-password"); code != http.StatusOK || !strings.Contains(got, "kiran@example.com") {
		t.Fatalf("the link's page: %d %q", code, got)
	}
	for _, bad := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"password": {"too-short"}, "confirm": {"too-short"}}, "error-password"},
		{url.Values{"password": {"a-long-new-password"}, "confirm": {"a-long-new-passwort"}}, "error-confirm"},
	} {
		code, body, _ := c.do("POST", path, bad.form, nil)
		if _, ok := textByID(t, body, bad.field); code != http.StatusUnprocessableEntity || !ok ||
			byID(t, body, "set-password-form") == nil {
			t.Errorf("%v: %d, #%s %v, want 422 with the form", bad.form, code, bad.field, ok)
		}
	}
	form := url.Values{"password": {"a-long-new-password"}, "confirm": {"a-long-new-password"}}
	code, _, h := c.do("POST", path, form, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/login?password=set" {
		t.Fatalf("set the password: %d to %q", code, h.Get("Location"))
	}
	for _, method := range []string{"GET", "POST"} {
		code, body, _ := c.do(method, path, form, nil)
		if got, _ := textByID(t, body, "link-refused"); code != http.StatusGone || !strings.Contains(got, "used already") {
			t.Errorf("%s the used link: %d %q, want 410", method, code, got)
		}
	}
	code, body = c.get("/set-password/not-a-link")
	if code != http.StatusNotFound || byID(t, body, "link-refused") == nil {
		t.Errorf("a made-up link: %d", code)
	}
}

// An admin sets an initial password instead, or makes a new link for a user
// who lost theirs: the older link stops working; the user's password works
// until the new link is used.
func TestAdminSetsAPasswordOrMakesANewLink(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	admin := a.client()
	admin.login("admin@example.com")
	code, page, _ := admin.do("POST", "/settings/users", url.Values{"name": {"Olu Ops"}, "email": {"olu@example.com"},
		"role": {"ops"}, "how": {"password"}, "password": {"an-initial-password"}}, nil)
	if code != http.StatusCreated || byID(t, page, "set-password-link") != nil {
		t.Fatalf("add with a password: %d, or a link shown", code)
	}
	olu := a.client()
	if code, _, _ = olu.signInWith("olu@example.com", "an-initial-password"); code != http.StatusSeeOther {
		t.Fatalf("sign in with the initial password: %d", code)
	}
	id := a.userID("olu@example.com")
	links := make([]string, 2)
	for i := range links {
		code, page, _ := admin.do("POST", "/settings/users/"+id+"/link", nil, nil)
		if code != http.StatusCreated {
			t.Fatalf("new link %d: %d", i+1, code)
		}
		links[i] = strings.TrimPrefix(valueByID(t, page, "set-password-link"), a.srv.URL)
	}
	if a.audited("admin@example.com", "user.password_link", id) != 2 {
		t.Error("new links are not audited")
	}
	if code, body := olu.get(links[0]); code != http.StatusGone || !strings.Contains(body, "newer link") {
		t.Errorf("the replaced link: %d", code)
	}
	if !olu.signedIn() {
		t.Error("making a link ended the user's session before it was used")
	}
	form := url.Values{"password": {"another-long-password"}, "confirm": {"another-long-password"}}
	if code, _, _ := olu.do("POST", links[1], form, nil); code != http.StatusSeeOther {
		t.Fatalf("use the new link: %d", code)
	}
	if olu.signedIn() {
		t.Error("setting a new password left the user's other session live")
	}
	if got := endReason(a.lastSession("olu@example.com")); got != "password_set" {
		t.Errorf("the session ended for %q", got)
	}
}

// A link expires PasswordLinkTTL after it was made: then its page says so
// (410) and sets nothing.
func TestSetPasswordLinkExpires(t *testing.T) {
	clk := newClock()
	a := newApp(t, withClock(clk))
	a.addUser("admin@example.com", payout.RoleAdmin)
	admin := a.client()
	admin.login("admin@example.com")
	_, page, _ := admin.do("POST", "/settings/users", url.Values{"name": {"Late"}, "email": {"late@example.com"},
		"role": {"finance"}, "how": {"link"}}, nil)
	path := strings.TrimPrefix(valueByID(t, page, "set-password-link"), a.srv.URL)
	clk.advance(payout.PasswordLinkTTL - time.Minute)
	if code, _ := a.client().get(path); code != http.StatusOK {
		t.Fatalf("a minute before it expires: %d", code)
	}
	clk.advance(2 * time.Minute)
	form := url.Values{"password": {"a-long-new-password"}, "confirm": {"a-long-new-password"}}
	code, body, _ := a.client().do("POST", path, form, nil)
	if got, _ := textByID(t, body, "link-refused"); code != http.StatusGone || !strings.Contains(got, "expired") {
		t.Errorf("after it expired: %d %q", code, got)
	}
	if u, _ := a.store.UserByEmail(context.Background(), "late@example.com"); u.PasswordHash != "" {
		t.Error("an expired link set a password")
	}
}
