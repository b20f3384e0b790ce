package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"payops/payout"
)

// A new role or disabling someone ends their sessions at once and is
// audited as the admin; enabling lets them sign in again. Each action goes
// back to the list, which says what it did.
func TestAdminChangesRolesAndDisablesUsers(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	a.addUser("ops@example.com", payout.RoleOps)
	admin := a.client()
	admin.login("admin@example.com")
	ops := a.client()
	ops.login("ops@example.com")
	id := a.userID("ops@example.com")

	steps := []struct {
		action string
		form   url.Values
		notice string
		ended  string // the end reason of ops' session; "" when it lives on
	}{
		{"role", url.Values{"role": {"finance"}}, "is now finance", "role_changed"},
		{"disable", nil, "is disabled", "user_disabled"},
		{"enable", nil, "may sign in again", ""},
	}
	for _, st := range steps {
		if st.ended != "" {
			ops.login("ops@example.com")
		}
		code, _, h := admin.do("POST", "/settings/users/"+id+"/"+st.action, st.form, nil)
		want := "/settings/users?done=" + st.action + "&user=" + id + "#user-" + id
		if code != http.StatusSeeOther || h.Get("Location") != want {
			t.Fatalf("%s: %d to %q, want 303 to %q", st.action, code, h.Get("Location"), want)
		}
		_, page := admin.get(strings.TrimSuffix(want, "#user-"+id))
		if got, _ := textByID(t, page, "users-notice"); !strings.Contains(got, st.notice) {
			t.Errorf("%s: notice %q, want %q", st.action, got, st.notice)
		}
		if st.ended == "" {
			ops.login("ops@example.com") // enabled: they sign in again
		} else if got := endReason(a.lastSession("ops@example.com")); got != st.ended || ops.signedIn() {
			t.Errorf("%s: ops' session ended for %q, want %q", st.action, got, st.ended)
		}
		if a.audited("admin@example.com", "user."+st.action, id) != 1 {
			t.Errorf("%s is not audited as the admin", st.action)
		}
	}
	// The same action again under HTMX: a redirect header, not a page.
	code, _, h := admin.do("POST", "/settings/users/"+id+"/disable", nil, map[string]string{"HX-Request": "true"})
	if code != http.StatusNoContent || !strings.HasPrefix(h.Get("HX-Redirect"), "/settings/users?done=disable") {
		t.Errorf("disable under HTMX: %d, HX-Redirect %q", code, h.Get("HX-Redirect"))
	}
	// A notice the address claims but the user's state denies is not shown.
	if _, page := admin.get("/settings/users?done=enable&user=" + id); byID(t, page, "users-notice") != nil {
		t.Error("a notice shown for an enable that did not happen")
	}
}

// An admin cannot disable themselves or change their own role: 409 with the
// page saying why, nothing changed, their session alive. Their own row
// offers neither.
func TestAdminCannotDisableOrDemoteThemselves(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	a.addUser("other-admin@example.com", payout.RoleAdmin)
	admin := a.client()
	admin.login("admin@example.com")
	me := a.userID("admin@example.com")
	for _, c := range []struct {
		action string
		form   url.Values
		says   string
	}{
		{"disable", nil, "cannot disable yourself"},
		{"role", url.Values{"role": {"ops"}}, "cannot change your own role"},
	} {
		code, page, _ := admin.do("POST", "/settings/users/"+me+"/"+c.action, c.form, nil)
		if got, _ := textByID(t, page, "users-problem"); code != http.StatusConflict || !strings.Contains(got, c.says) {
			t.Errorf("%s yourself: %d %q, want 409 saying %q", c.action, code, got, c.says)
		}
	}
	if !admin.signedIn() {
		t.Fatal("a refused change ended the admin's session")
	}
	_, page := admin.get("/settings/users")
	row := byID(t, page, "user-"+me)
	if row == nil || find(row, func(n *html.Node) bool { return attr(n, "name") == "role" }) != nil ||
		byID(t, page, "disable-"+me) != nil {
		t.Error("the admin's own row offers a role change or Disable")
	}
	if byID(t, page, "disable-"+a.userID("other-admin@example.com")) == nil {
		t.Error("another admin's row offers no Disable")
	}
	if a.audited("admin@example.com", "user.disable", me) != 0 {
		t.Error("a refused disable is audited as done")
	}
}

// Bad input is 422 with the same form, a message at each bad field, and
// what was typed kept (escaped); nothing is added.
func TestUsersPageRefusesBadInput(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	a.addUser("ops@example.com", payout.RoleOps)
	admin := a.client()
	admin.login("admin@example.com")
	evil := `<script>alert(1)</script>`
	cases := []struct {
		form   url.Values
		fields []string
	}{
		{url.Values{"name": {""}, "email": {"not-an-email" + evil}, "role": {"boss"}, "how": {"link"}},
			[]string{"name", "email", "role"}},
		{url.Values{"name": {evil}, "email": {"x@example.com"}, "role": {"ops"}, "how": {"password"},
			"password": {"short"}}, []string{"password"}},
		{url.Values{"name": {"X"}, "email": {"x@example.com"}, "role": {"ops"}, "how": {"carrier-pigeon"}},
			[]string{"how"}},
		{url.Values{"name": {"Ops Again"}, "email": {"OPS@example.com"}, "role": {"ops"}, "how": {"link"}},
			[]string{"email"}},
	}
	for _, c := range cases {
		code, page, _ := admin.do("POST", "/settings/users", c.form, nil)
		if code != http.StatusUnprocessableEntity || byID(t, page, "add-user-form") == nil {
			t.Errorf("%v: %d, want 422 with the form", c.form, code)
			continue
		}
		for _, f := range c.fields {
			if msg, ok := textByID(t, page, "error-"+f); !ok || msg == "" {
				t.Errorf("%v: no message at %s", c.form, f)
			}
		}
		if strings.Contains(page, evil) {
			t.Errorf("%v: the input is echoed unescaped", c.form)
		}
		if got := valueByID(t, page, "new-name"); got != strings.TrimSpace(c.form.Get("name")) {
			t.Errorf("%v: the name typed is not kept: %q", c.form, got)
		}
	}
	var users int
	a.store.DB().Get(&users, `SELECT count(*) FROM users`)
	if users != 2 {
		t.Errorf("%d users after bad input, want 2", users)
	}
	id := a.userID("ops@example.com")
	code, page, _ := admin.do("POST", "/settings/users/"+id+"/role", url.Values{"role": {"root"}}, nil)
	if msg, ok := textByID(t, page, "error-user-"+id); code != http.StatusUnprocessableEntity || !ok || msg == "" {
		t.Errorf("an unknown role: %d, message %q", code, msg)
	}
	if code, _, _ := admin.do("POST", "/settings/users/999999/disable", nil, nil); code != http.StatusNotFound {
		t.Errorf("no such user: %d", code)
	}
}

// Only admins see Settings in the header; the settings index shows each role
// what it may change.
func TestSettingsNavAndIndexFollowThePermissionTable(t *testing.T) {
	a := newApp(t)
	for _, role := range payout.Roles {
		email := string(role) + "@example.com"
		a.addUser(email, role)
		c := a.client()
		c.login(email)
		_, page := c.get("/")
		if got := byID(t, page, "nav-settings") != nil; got != (role == payout.RoleAdmin) {
			t.Errorf("%s: Settings link %v", role, got)
		}
		code, page := c.get("/settings")
		admin := role.Can(payout.ActManageUsers)
		if code != http.StatusOK || (byID(t, page, "settings-users") != nil) != admin ||
			(byID(t, page, "settings-none") != nil) == admin {
			t.Errorf("%s: /settings %d, users card %v", role, code, byID(t, page, "settings-users") != nil)
		}
	}
}
