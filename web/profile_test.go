package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"payops/payout"
)

// A user chooses the time zone their pages show times in; the zone is
// named wherever a time is shown, and only the zones offered are taken.
func TestProfileTimeZone(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addPayout("TZ-1", payout.Succeeded, time.Hour)
	c := a.client()
	c.login("ops@example.com")
	code, page := c.get("/profile")
	if code != http.StatusOK || !strings.HasSuffix(mustText(t, page, "profile-now"), "UTC") {
		t.Fatalf("profile: %d, now %q", code, mustText(t, page, "profile-now"))
	}
	code, _, h := c.do("POST", "/profile", url.Values{"time_zone": {"Asia/Kolkata"}}, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/profile?saved=1" {
		t.Fatalf("set the zone: %d %q", code, h.Get("Location"))
	}
	_, page = c.get("/payouts/TZ-1")
	if got := mustText(t, page, "payout-created"); !strings.HasSuffix(got, "IST (UTC+05:30)") {
		t.Errorf("created %q, want a time in IST with its offset", got)
	}
	for _, bad := range []string{"Mars/Olympus", "Europe/Paris", "<script>"} {
		code, page, _ := c.do("POST", "/profile", url.Values{"time_zone": {bad}}, nil)
		if code != http.StatusUnprocessableEntity || byID(t, page, "profile-problem") == nil || strings.Contains(page, "<script>") {
			t.Errorf("zone %q: %d", bad, code)
		}
	}
	var zone string
	a.store.DB().Get(&zone, `SELECT time_zone FROM users WHERE email = 'ops@example.com'`)
	if zone != "Asia/Kolkata" {
		t.Errorf("stored zone %q after refused changes", zone)
	}
}
