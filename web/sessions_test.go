package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// clock is a server clock a test moves by hand.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func newClock() *clock { return &clock{at: time.Now()} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// withClock gives the server clk as its clock for sessions and sign-in.
func withClock(clk *clock) appOption { return func(c *appConfig) { c.now = clk.now } }

// copyOf returns another client holding a copy of c's cookies: someone who
// got hold of the session cookie.
func (c *client) copyOf() *client {
	c.t.Helper()
	u, err := url.Parse(c.base)
	if err != nil {
		c.t.Fatal(err)
	}
	other := &client{t: c.t, base: c.base, http: &http.Client{Timeout: c.http.Timeout, CheckRedirect: c.http.CheckRedirect}}
	other.http.Jar, _ = cookiejar.New(nil)
	other.http.Jar.SetCookies(u, c.http.Jar.Cookies(u))
	return other
}

// signedIn reports whether c's session still opens the overview; signed
// out, it must be sent to the sign-in page.
func (c *client) signedIn() bool {
	c.t.Helper()
	code, body, h := c.do("GET", "/", nil, nil)
	switch {
	case code == http.StatusOK:
		if _, ok := textByID(c.t, body, "current-user"); !ok {
			c.t.Fatal("the overview answered 200 without a signed-in user")
		}
		return true
	case code == http.StatusSeeOther && strings.HasPrefix(h.Get("Location"), "/login"):
		return false
	}
	c.t.Fatalf("GET /: %d to %q, want the overview or the sign-in page", code, h.Get("Location"))
	return false
}

// lastSession returns the newest session of the user with email.
func (a *app) lastSession(email string) store.Session {
	a.t.Helper()
	var s store.Session
	err := a.store.DB().Get(&s, `
		SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.ended_at, s.end_reason, s.client_address
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1 ORDER BY s.id DESC LIMIT 1`, email)
	if err != nil {
		a.t.Fatal(err)
	}
	return s
}

func endReason(s store.Session) string {
	if s.EndReason == nil {
		return ""
	}
	return *s.EndReason
}

// Signing out ends the session on the server: a copy of the cookie taken
// before stops working at once.
func TestSignOutEndsTheSessionOnTheServer(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	c.login("ops@example.com")
	stolen := c.copyOf()
	if !stolen.signedIn() {
		t.Fatal("a copy of the cookie does not work even before signing out")
	}
	if code, _, h := c.do("POST", "/logout", nil, nil); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Fatalf("sign out: %d to %q", code, h.Get("Location"))
	}
	if stolen.signedIn() {
		t.Error("the copied cookie still works after signing out")
	}
	if c.signedIn() {
		t.Error("the browser that signed out is still signed in")
	}
	s := a.lastSession("ops@example.com")
	if got, want := endReason(s), store.EndLogout; got != want || s.EndedAt == nil {
		t.Errorf("session ended for %q at %v, want %q", got, s.EndedAt, want)
	}
	if s.ClientAddress != "127.0.0.1" {
		t.Errorf("session's client address %q, want 127.0.0.1", s.ClientAddress)
	}
	// Signing in again starts a new session; the old cookie stays dead.
	c.login("ops@example.com")
	if !c.signedIn() || stolen.signedIn() {
		t.Error("after signing in again: the new session should work and the old cookie not")
	}
}

// Disabling a user or changing their role ends their sessions at once;
// other users' sessions go on.
func TestUserChangesEndTheirSessions(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *store.Store) (store.UserChange, error)
		reason string
	}{
		{"disable", func(s *store.Store) (store.UserChange, error) {
			return s.DisableUser(context.Background(), "ops@example.com", store.Actor{Name: "test"})
		}, store.EndUserDisabled},
		{"role change", func(s *store.Store) (store.UserChange, error) {
			return s.SetUserRole(context.Background(), "OPS@example.com", payout.RoleFinance, store.Actor{Name: "test"})
		}, store.EndRoleChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t)
			a.addUser("ops@example.com", payout.RoleOps)
			a.addUser("admin@example.com", payout.RoleAdmin)
			ops, other, admin := a.client(), a.client(), a.client()
			ops.login("ops@example.com")
			other.login("ops@example.com")
			admin.login("admin@example.com")
			c, err := tt.change(a.store)
			if err != nil || !c.Changed || c.SessionsEnded != 2 {
				t.Fatalf("change: %+v %v, want changed with 2 sessions ended", c, err)
			}
			// Ended by the change itself, before either cookie comes back.
			var live int
			a.store.DB().Get(&live, `SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id
				WHERE u.email = 'ops@example.com' AND s.ended_at IS NULL`)
			if live != 0 {
				t.Errorf("%d sessions of the changed user live on", live)
			}
			if ops.signedIn() || other.signedIn() {
				t.Errorf("a cookie of the changed user still works")
			}
			if got := endReason(a.lastSession("ops@example.com")); got != tt.reason {
				t.Errorf("session ended for %q, want %q", got, tt.reason)
			}
			if !admin.signedIn() {
				t.Error("another user's session ended too")
			}
		})
	}
}

// A session ends after the idle period without a request and, however
// busy, 8 hours after signing in.
func TestSessionTimeouts(t *testing.T) {
	every := func(d time.Duration, n int) []time.Duration {
		var out []time.Duration
		for range n {
			out = append(out, d)
		}
		return out
	}
	tests := []struct {
		name   string
		waits  []time.Duration // before each request after signing in
		live   bool            // after the last
		reason string
	}{
		{"used after 29 minutes", []time.Duration{29 * time.Minute}, true, ""},
		{"idle 30 minutes", []time.Duration{30*time.Minute + time.Second}, false, store.EndIdle},
		{"idle 31 minutes after being used", []time.Duration{20 * time.Minute, 31 * time.Minute}, false, store.EndIdle},
		{"used every 25 minutes for 7h55m", every(25*time.Minute, 19), true, ""},
		{"used every 25 minutes past 8 hours", append(every(25*time.Minute, 19), 6*time.Minute), false, store.EndExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			a := newApp(t, withClock(clk))
			a.addUser("ops@example.com", payout.RoleOps)
			c := a.client()
			c.login("ops@example.com")
			for i, wait := range tt.waits {
				clk.advance(wait)
				live := c.signedIn()
				if last := i == len(tt.waits)-1; !last && !live {
					t.Fatalf("request %d ended the session early", i+1)
				}
				if i == len(tt.waits)-1 && live != tt.live {
					t.Fatalf("signed in after the last wait: %v, want %v", live, tt.live)
				}
			}
			if got := endReason(a.lastSession("ops@example.com")); got != tt.reason {
				t.Errorf("end reason %q, want %q", got, tt.reason)
			}
		})
	}
}

// A session's last use is written at most about once a minute, not on
// every request.
func TestSessionLastSeenWrittenOnceAMinute(t *testing.T) {
	clk := newClock()
	a := newApp(t, withClock(clk))
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	c.login("ops@example.com")
	signedIn := a.lastSession("ops@example.com").LastSeenAt
	steps := []struct {
		wait    time.Duration
		written bool
	}{
		{10 * time.Second, false},
		{40 * time.Second, false},
		{15 * time.Second, true}, // 65 s after sign-in
		{30 * time.Second, false},
		{45 * time.Second, true},
	}
	want := signedIn
	for i, st := range steps {
		clk.advance(st.wait)
		if !c.signedIn() {
			t.Fatalf("step %d: signed out", i+1)
		}
		if st.written {
			want = clk.now()
		}
		// PostgreSQL keeps microseconds.
		if got := a.lastSession("ops@example.com").LastSeenAt; got.Sub(want).Abs() > time.Microsecond {
			t.Errorf("step %d: last seen %v, want %v", i+1, got, want)
		}
	}
}

// The session cookie is HttpOnly and SameSite=Lax always, and Secure when
// the sign-in came over HTTPS through a proxy (X-Forwarded-Proto), even
// without PAYOPS_SECURE_COOKIES: given over HTTPS, it is never sent back
// over plain HTTP.
func TestSessionCookieSecureBehindHTTPS(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	for _, proto := range []string{"", "https"} {
		c := a.client()
		code, _, h := c.do("POST", "/login", url.Values{"email": {"ops@example.com"}, "password": {"secret-pass"}},
			map[string]string{"X-Forwarded-Proto": proto})
		cookie := h.Get("Set-Cookie")
		if code != http.StatusSeeOther || !strings.HasPrefix(cookie, "payops_session=") ||
			!strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") {
			t.Fatalf("sign in over %q: %d %q", proto, code, cookie)
		}
		if secure := strings.Contains(cookie, "; Secure"); secure != (proto == "https") {
			t.Errorf("sign in over %q: Secure is %v: %q", proto, secure, cookie)
		}
	}
}

// A page polling by itself (a running job's row, a drill's progress) does
// not keep an unattended session alive: its GETs carry views.PollHeader and
// are not a use; the session still goes idle 30 minutes after the last
// request someone made.
func TestPollingDoesNotKeepASessionAlive(t *testing.T) {
	clk := newClock()
	a := newApp(t, withClock(clk))
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	c.login("ops@example.com")
	for range 29 {
		clk.advance(time.Minute)
		if code, _, _ := c.do("GET", "/jobs", nil, map[string]string{"HX-Request": "true", views.PollHeader: "1"}); code != http.StatusOK {
			t.Fatalf("a poll while the session lives: %d", code)
		}
	}
	clk.advance(time.Minute + time.Second)
	if c.signedIn() {
		t.Fatal("29 minutes of polling kept the session alive past its idle period")
	}
	if got := endReason(a.lastSession("ops@example.com")); got != store.EndIdle {
		t.Errorf("end reason %q, want %q", got, store.EndIdle)
	}
}
