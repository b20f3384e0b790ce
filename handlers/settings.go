package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// UserAdminStore is what the users page reads and writes.
type UserAdminStore interface {
	Users(ctx context.Context) ([]store.UserListing, error)
	UserByID(ctx context.Context, id int64) (store.User, error)
	AddUser(ctx context.Context, u store.User, by store.Actor, link *store.PasswordLinkSpec) (int64, error)
	NewPasswordLink(ctx context.Context, userID int64, link store.PasswordLinkSpec, by store.Actor) (store.User, error)
	DisableUser(ctx context.Context, email string, by store.Actor) (store.UserChange, error)
	EnableUser(ctx context.Context, email string, by store.Actor) (store.UserChange, error)
	SetUserRole(ctx context.Context, email string, role payout.Role, by store.Actor) (store.UserChange, error)
}

// TokenAdminStore is what the API tokens page reads and writes.
type TokenAdminStore interface {
	Tokens(ctx context.Context) ([]store.APIToken, error)
	TokenByID(ctx context.Context, id int64) (store.APIToken, error)
	CreateToken(ctx context.Context, spec store.TokenSpec, token string) (store.APIToken, error)
	RevokeTokenID(ctx context.Context, id int64, by string) (store.APIToken, error)
}

// SettingsPage lists the settings the signed-in role may change: users,
// API tokens and notifications for admins, and the hold owners for everyone to read.
func (h *Handlers) SettingsPage(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	vm := views.Settings{Meta: MetaFor(r, "Settings", "settings")}
	if u.Role.Can(payout.ActManageUsers) {
		users, err := h.Store.Users(r.Context())
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		vm.Users = &views.SettingsCard{Summary: usersSummary(users, h.Now())}
	}
	if u.Role.Can(payout.ActManageTokens) {
		tokens, err := h.Store.Tokens(r.Context())
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		vm.Tokens = &views.SettingsCard{Summary: tokensSummary(tokens)}
	}
	if u.Role.Can(payout.ActConfigureNotify) {
		channels, err := h.Store.NotifyChannels(r.Context())
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		vm.Notify = &views.SettingsCard{Summary: h.notifySummary(channels)}
	}
	if u.Role.Can(payout.ActManageWebhooks) {
		endpoints, err := h.Store.WebhookEndpoints(r.Context())
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		vm.Webhooks = &views.SettingsCard{Summary: endpointsSummary(endpoints)}
	}
	Render(w, r, http.StatusOK, views.SettingsPage(vm), nil)
}

// usersSummary counts users by state: "6 users: 4 can sign in, 1 awaits a
// password, 1 disabled".
func usersSummary(users []store.UserListing, now time.Time) string {
	counts := map[string]int{}
	for _, u := range users {
		counts[userState(u, now)]++
	}
	parts := []string{}
	for _, c := range []struct{ state, one, many string }{{"active", "can sign in", "can sign in"},
		{"invited", "awaits a password", "await a password"}, {"no-password", "has no password", "have no password"},
		{"disabled", "disabled", "disabled"}} {
		switch n := counts[c.state]; {
		case n == 1:
			parts = append(parts, "1 "+c.one)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", n, c.many))
		}
	}
	return fmt.Sprintf("%d user%s: %s", len(users), plural(len(users)), strings.Join(parts, ", "))
}

// tokensSummary counts active tokens by scope: "3 active: 1 live, 2 test".
func tokensSummary(tokens []store.APIToken) string {
	counts := map[payout.Scope]int{}
	active := 0
	for _, t := range tokens {
		if t.RevokedAt == nil {
			counts[t.Scope]++
			active++
		}
	}
	if active == 0 {
		return "No active token"
	}
	var parts []string
	for _, sc := range payout.Scopes {
		if counts[sc] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[sc], sc))
		}
	}
	return fmt.Sprintf("%d active: %s", active, strings.Join(parts, ", "))
}

// baseURL is where this request reached payops, for links an admin passes
// on: https when the request came over TLS or the dashboard is served over
// HTTPS (PAYOPS_SECURE_COOKIES).
func (h *Handlers) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || h.Secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// notifySummary says how notices go: "Email on for 5 of 5 conditions, 2
// chat webhooks", or that email is not set up.
func (h *Handlers) notifySummary(channels map[payout.ConditionKind]store.NotifyChannel) string {
	email, chats := 0, 0
	for _, k := range payout.ConditionKinds {
		if channels[k].Email {
			email++
		}
		chats += len(channels[k].ChatURLs)
	}
	s := fmt.Sprintf("Email on for %d of %d conditions", email, len(payout.ConditionKinds))
	if h.EmailFrom == "" {
		s = "Email off (PAYOPS_SMTP_URL not set)"
	}
	return fmt.Sprintf("%s, %d chat webhook%s", s, chats, plural(chats))
}

// endpointsSummary counts outbound webhook endpoints: "2 endpoints: 1
// enabled, 1 disabled".
func endpointsSummary(endpoints []store.WebhookEndpoint) string {
	enabled := 0
	for _, e := range endpoints {
		if e.Enabled() {
			enabled++
		}
	}
	return fmt.Sprintf("%d endpoint%s: %d enabled, %d disabled", len(endpoints), plural(len(endpoints)), enabled,
		len(endpoints)-enabled)
}
