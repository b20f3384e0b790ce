package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"payops/payout"
	"payops/web"
)

// TestEveryGuardedRouteFollowsThePermissionTable walks every unsafe route of
// the dashboard, and every page that needs more than a sign-in, as nobody
// and as each role, and compares the answers with the permission table:
// nobody is sent to sign in, a role the table names gets past the guard,
// any other role gets 403.
func TestEveryGuardedRouteFollowsThePermissionTable(t *testing.T) {
	a := newApp(t, withDrills(), withJobs())
	clients := map[payout.Role]*client{}
	for _, role := range payout.Roles {
		email := string(role) + "@example.com"
		a.addUser(email, role)
		clients[role] = a.client()
		clients[role].login(email)
	}
	params := regexp.MustCompile(`\{[^}]+\}`)
	sample := map[string]string{"{ref}": "no-such-ref", "{id}": "999999", "{name}": "no-such-job",
		"{provider}": "sandbox", "{date}": "2020-01-01", "{kind}": "stuck", "{code}": "IN", "{$}": ""}
	walked := 0
	for _, rt := range a.web.Routes() {
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		if rt.Access == web.Public || (method == http.MethodGet && rt.Access == web.SignedIn) {
			continue
		}
		walked++
		path := params.ReplaceAllStringFunc(pattern, func(p string) string { return sample[p] })
		t.Run(rt.Pattern, func(t *testing.T) {
			code, _, h := a.client().do(method, path, nil, nil)
			if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
				t.Errorf("nobody: %d to %q, want 303 to /login", code, h.Get("Location"))
			}
			for _, role := range payout.Roles {
				allowed := rt.Access == web.SignedIn || role.Can(rt.Access)
				code, body, _ := clients[role].do(method, path, nil, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
				if got := code != http.StatusForbidden; got != allowed {
					t.Errorf("%s: %d (%.80s), table allows: %v", role, code, body, allowed)
				}
			}
		})
	}
	if walked < 15 {
		t.Fatalf("walked %d guarded routes: the route table is not being read", walked)
	}
}
