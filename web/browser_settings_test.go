package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"payops/payout"
	"payops/store"
)

func value(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}

// settingsFixture gives the admin screens something to show: users in each
// state and tokens of each scope, one revoked.
func settingsFixture(t *testing.T, a *app) {
	t.Helper()
	ctx := context.Background()
	a.addUser("priya.ops@example.com", payout.RoleOps)
	// A name as long as the demo admin's, in the header.
	if _, err := a.store.CreateUser(ctx, store.User{Email: "admin@example.com", Name: "Arjun Admin",
		Role: payout.RoleAdmin, PasswordHash: string(testHash)}); err != nil {
		t.Fatal(err)
	}
	a.addUser("farhan.finance@example.com", payout.RoleFinance)
	a.addUser("former.colleague@example.com", payout.RoleCompliance)
	if _, err := a.store.DisableUser(ctx, "former.colleague@example.com", store.Actor{Name: "cli"}); err != nil {
		t.Fatal(err)
	}
	for i, spec := range []store.TokenSpec{
		{Name: "marketplace-prod", Scope: payout.ScopeLive, RatePerSecond: 200, AllowFrom: []string{"203.0.113.0/24"}},
		{Name: "drills-ci", Scope: payout.ScopeDrills},
		{Name: "old-integration", Scope: payout.ScopeLive},
	} {
		secret, _ := store.NewToken()
		if _, err := a.store.CreateToken(ctx, spec, secret); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if _, err := a.store.RevokeToken(ctx, spec.Name, "admin@example.com"); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// An admin adds a user with a set-password link from Settings; the new user
// opens the link in their own browser, sets a password and signs in. The
// admin then creates a test token, sees its secret once, and revokes it after
// confirming. Every screen fits 1280 px; screenshots at 1280x720 and 1440x900.
func TestBrowserAdminScreens(t *testing.T) {
	a := newApp(t)
	settingsFixture(t, a)
	ctx := browser(t)
	step(t, ctx, "a 1280x720 viewport", chromedp.EmulateViewport(1280, 720))
	signIn(t, ctx, a.srv.URL, "admin@example.com")
	link := browserAddUser(t, ctx)
	browserSetPassword(t, a, link)
	browserTokens(t, ctx, a)
	for _, page := range []struct{ name, path, wait string }{{"settings", "/settings", "#settings-cards"},
		{"users", "/settings/users", "#users"}, {"tokens", "/settings/tokens", "#create-token-form"}} {
		step(t, ctx, "open "+page.name+" at 1440x900", chromedp.EmulateViewport(1440, 900),
			chromedp.Navigate(a.srv.URL+page.path), chromedp.WaitVisible(chromedp.CSS(page.wait)))
		fitsWidth(t, ctx, page.name+" at 1440")
		screenshot(t, ctx, page.name+"-1440")
	}
}

// browserAddUser opens Settings from the header, sends the add-user form
// empty (a message at each field), then adds Kiran with a link and returns
// the link.
func browserAddUser(t *testing.T, ctx context.Context) string {
	t.Helper()
	step(t, ctx, "open Settings from the header", chromedp.Click(chromedp.CSS("#nav-settings")),
		chromedp.WaitVisible(chromedp.CSS("#settings-cards")))
	fitsWidth(t, ctx, "settings")
	screenshot(t, ctx, "settings-1280")
	step(t, ctx, "open Users", chromedp.Click(chromedp.CSS("#settings-users")),
		chromedp.WaitVisible(chromedp.CSS("#users")))
	fitsWidth(t, ctx, "users")
	screenshot(t, ctx, "users-1280")
	step(t, ctx, "add a user with nothing filled in",
		chromedp.Click(chromedp.CSS("#how-password")),
		chromedp.Click(chromedp.CSS("#add-user-submit")),
		chromedp.WaitVisible(chromedp.CSS("#error-email")))
	for _, f := range []string{"#error-name", "#error-role", "#error-password"} {
		if text(t, ctx, f) == "" {
			t.Errorf("no message at %s", f)
		}
	}
	screenshot(t, ctx, "users-errors-1280")
	step(t, ctx, "add a user with a link",
		chromedp.SendKeys(chromedp.CSS("#new-name"), "Kiran Compliance"),
		chromedp.SendKeys(chromedp.CSS("#new-email"), "kiran@example.com"),
		chromedp.SetValue(chromedp.CSS("#new-role"), "compliance"),
		chromedp.Click(chromedp.CSS("#how-link")),
		chromedp.Click(chromedp.CSS("#add-user-submit")),
		chromedp.WaitVisible(chromedp.CSS("#new-link")))
	fitsWidth(t, ctx, "users after adding")
	if !strings.Contains(text(t, ctx, "#new-user-wait"), "decide only "+payout.GrantWaitWords+" from now") {
		t.Error("adding a compliance user does not say when they decide")
	}
	screenshot(t, ctx, "users-added-1280")
	return value(t, ctx, "#set-password-link")
}

// browserSetPassword is the new user, in a browser of their own: they open
// the link, choose a password and sign in with it.
func browserSetPassword(t *testing.T, a *app, link string) {
	t.Helper()
	if !strings.HasPrefix(link, a.srv.URL+"/set-password/") {
		t.Fatalf("the link shown: %q", link)
	}
	ctx := browser(t)
	step(t, ctx, "a 1280x720 viewport", chromedp.EmulateViewport(1280, 720))
	step(t, ctx, "open the link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#set-password-form")))
	screenshot(t, ctx, "set-password-1280")
	step(t, ctx, "set a password",
		chromedp.SendKeys(chromedp.CSS("#password"), "kirans-own-passphrase"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "kirans-own-passphrase"),
		chromedp.Click(chromedp.CSS("#set-password-submit")),
		chromedp.WaitVisible(chromedp.CSS("#login-notice")))
	step(t, ctx, "sign in with it",
		chromedp.SendKeys(chromedp.CSS("#email"), "kiran@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "kirans-own-passphrase"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#current-user")))
	if got := text(t, ctx, "#current-user"); got != "Kiran Compliance" {
		t.Errorf("signed in as %q", got)
	}
}

// browserTokens: a bad form first, then a test token whose secret works
// against the API and is gone after a reload; revoked after confirming, it
// is refused.
func browserTokens(t *testing.T, ctx context.Context, a *app) {
	t.Helper()
	step(t, ctx, "open API tokens", chromedp.Navigate(a.srv.URL+"/settings/tokens"),
		chromedp.WaitVisible(chromedp.CSS("#create-token-form")))
	screenshot(t, ctx, "tokens-1280")
	step(t, ctx, "create a token with a bad rate and network",
		chromedp.SendKeys(chromedp.CSS("#token-rate"), "lots"),
		chromedp.SendKeys(chromedp.CSS("#token-allow"), "office"),
		chromedp.Click(chromedp.CSS("#create-token-submit")),
		chromedp.WaitVisible(chromedp.CSS("#error-rate")))
	screenshot(t, ctx, "tokens-errors-1280")
	step(t, ctx, "create a test token",
		chromedp.Clear(chromedp.CSS("#token-rate")),
		chromedp.Clear(chromedp.CSS("#token-allow")),
		chromedp.SendKeys(chromedp.CSS("#token-name"), "my-sandbox-trial"),
		chromedp.Click(chromedp.CSS("#scope-test")),
		chromedp.Click(chromedp.CSS("#create-token-submit")),
		chromedp.WaitVisible(chromedp.CSS("#new-token")))
	secret := value(t, ctx, "#token-secret")
	if code, _, _ := a.api("GET", "/api/v1/payouts", secret, ""); code != 200 {
		t.Errorf("the token shown against the API: %d", code)
	}
	fitsWidth(t, ctx, "tokens after creating")
	screenshot(t, ctx, "tokens-created-1280")
	var id int64
	a.store.DB().Get(&id, `SELECT id FROM api_tokens WHERE name = 'my-sandbox-trial'`)
	step(t, ctx, "reload, then revoke it",
		chromedp.Navigate(a.srv.URL+"/settings/tokens"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#token-%d", id))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf("#revoke-%d", id))),
		chromedp.WaitVisible(chromedp.CSS("#revoke-confirm")))
	screenshot(t, ctx, "token-revoke-1280")
	step(t, ctx, "confirm", chromedp.Click(chromedp.CSS("#revoke-submit")),
		chromedp.WaitVisible(chromedp.CSS("#tokens-notice")))
	if got := text(t, ctx, "#tokens-notice"); !strings.Contains(got, "my-sandbox-trial") {
		t.Errorf("notice %q", got)
	}
	if code, _, _ := a.api("GET", "/api/v1/payouts", secret, ""); code != 401 {
		t.Errorf("the revoked token against the API: %d, want 401", code)
	}
	screenshot(t, ctx, "tokens-revoked-1280")
}
