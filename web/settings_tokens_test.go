package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"payops/payout"
)

// An admin creates a test token: its secret is on the page once, works
// against the API, and is not on the list after; the list shows its scope,
// prefix, limits and state. Revoking asks first, then refuses the token at
// once. Both are audited as the admin.
func TestAdminCreatesAndRevokesAToken(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	admin := a.client()
	admin.login("admin@example.com")
	if _, page := admin.get("/settings/tokens"); byID(t, page, "tokens-empty") == nil {
		t.Error("no empty state before any token")
	}
	code, page, _ := admin.do("POST", "/settings/tokens", url.Values{"name": {" try-out "}, "scope": {"test"},
		"rate": {"7"}, "allow": {"127.0.0.1, 10.0.0.0/8"}}, nil)
	if code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	secret := valueByID(t, page, "token-secret")
	if !strings.HasPrefix(secret, "pot_") || len(secret) < 50 {
		t.Fatalf("the secret shown: %q", secret)
	}
	if code, _, _ := a.api("GET", "/api/v1/payouts", secret, ""); code != http.StatusOK {
		t.Errorf("the new token against the API: %d", code)
	}
	_, page = admin.get("/settings/tokens")
	if byID(t, page, "new-token") != nil || strings.Contains(page, secret) {
		t.Fatal("the secret is shown again after the page it was created on")
	}
	var id string
	a.store.DB().Get(&id, `SELECT id::text FROM api_tokens WHERE name = 'try-out'`)
	row, _ := textByID(t, page, "token-"+id)
	for _, want := range []string{"try-out", "test", secret[:12] + "…", "7/s", "127.0.0.1/32, 10.0.0.0/8", "just now"} {
		if !strings.Contains(row, want) {
			t.Errorf("the token's row %q lacks %q", row, want)
		}
	}
	if a.audited("admin@example.com", "token.create", id) != 1 {
		t.Error("creating the token is not audited as the admin")
	}

	revokeAfterConfirming(t, a, admin, id, secret)
}

// revokeAfterConfirming revokes token id through its confirmation page: it
// is refused at once, listed among the revoked, audited; again changes
// nothing.
func revokeAfterConfirming(t *testing.T, a *app, admin *client, id, secret string) {
	t.Helper()
	code, page := admin.get("/settings/tokens/" + id + "/revoke")
	if got, _ := textByID(t, page, "revoke-confirm"); code != http.StatusOK || !strings.Contains(got, "401") {
		t.Fatalf("the confirmation: %d %q", code, got)
	}
	code, _, h := admin.do("POST", "/settings/tokens/"+id+"/revoke", nil, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/settings/tokens?revoked="+id {
		t.Fatalf("revoke: %d to %q", code, h.Get("Location"))
	}
	if code, _, _ := a.api("GET", "/api/v1/payouts", secret, ""); code != http.StatusUnauthorized {
		t.Errorf("the revoked token against the API: %d, want 401", code)
	}
	_, page = admin.get(h.Get("Location"))
	if got, _ := textByID(t, page, "tokens-notice"); !strings.Contains(got, "Token try-out") ||
		!strings.Contains(got, "is revoked") {
		t.Errorf("notice %q", got)
	}
	if row, _ := textByID(t, byIDPage(t, page, "revoked-tokens"), "token-"+id); !strings.Contains(row, "try-out") {
		t.Errorf("the revoked token is not among the revoked: %q", row)
	}
	if a.audited("admin@example.com", "token.revoke", id) != 1 {
		t.Error("revoking the token is not audited as the admin")
	}
	// Again: nothing more happens; the confirmation page goes back to the list.
	if code, _, _ := admin.do("POST", "/settings/tokens/"+id+"/revoke", nil, nil); code != http.StatusSeeOther ||
		a.audited("admin@example.com", "token.revoke", id) != 1 {
		t.Errorf("revoke again: %d", code)
	}
	if code, _, h := admin.do("GET", "/settings/tokens/"+id+"/revoke", nil, nil); code != http.StatusSeeOther ||
		h.Get("Location") != "/settings/tokens?revoked="+id {
		t.Errorf("the confirmation of a revoked token: %d to %q", code, h.Get("Location"))
	}
	var stored int
	a.store.DB().Get(&stored, `SELECT count(*) FROM audit_log WHERE details::text LIKE '%' || $1 || '%'`, secret[4:20])
	if stored != 0 {
		t.Error("the secret is in the audit log")
	}
}

// byIDPage returns the HTML of the element with id inside page, for looking
// inside it.
func byIDPage(t *testing.T, page, id string) string {
	t.Helper()
	n := byID(t, page, id)
	if n == nil {
		t.Fatalf("no element #%s", id)
	}
	var b strings.Builder
	if err := renderHTML(&b, n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Bad input is 422 with the form, a message at each bad field, and what was
// typed kept (escaped); a name an active token has is refused too. The rules
// are payops token create's.
func TestTokensPageRefusesBadInput(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	a.withToken() // "shop", active
	admin := a.client()
	admin.login("admin@example.com")
	evil := `<img src=x onerror=alert(1)>`
	cases := []struct {
		form   url.Values
		fields []string
	}{
		{url.Values{"name": {""}, "scope": {"admin"}, "rate": {"0"}, "allow": {"example.com"}},
			[]string{"name", "scope", "rate", "allow"}},
		{url.Values{"name": {evil}, "rate": {"fast"}}, []string{"scope", "rate"}},
		{url.Values{"name": {"shop"}, "scope": {"live"}}, []string{"name"}},
		{url.Values{"name": {strings.Repeat("n", 101)}, "scope": {"test"}, "allow": {"10.0.0.0/33"}},
			[]string{"name", "allow"}},
	}
	for _, c := range cases {
		code, page, _ := admin.do("POST", "/settings/tokens", c.form, nil)
		if code != http.StatusUnprocessableEntity || byID(t, page, "create-token-form") == nil {
			t.Errorf("%v: %d, want 422 with the form", c.form, code)
			continue
		}
		for _, f := range c.fields {
			if msg, ok := textByID(t, page, "error-"+f); !ok || msg == "" {
				t.Errorf("%v: no message at %s", c.form, f)
			}
		}
		if strings.Contains(page, evil) || byID(t, page, "token-secret") != nil {
			t.Errorf("%v: the input is echoed unescaped, or a secret shown", c.form)
		}
		if got := valueByID(t, page, "token-name"); got != c.form.Get("name") {
			t.Errorf("%v: the name typed is not kept: %q", c.form, got)
		}
	}
	var tokens int
	a.store.DB().Get(&tokens, `SELECT count(*) FROM api_tokens`)
	if tokens != 1 {
		t.Errorf("%d tokens after bad input, want 1", tokens)
	}
	if code, _, _ := admin.do("POST", "/settings/tokens/999999/revoke", nil, nil); code != http.StatusNotFound {
		t.Errorf("revoke no such token: %d", code)
	}
}
