package web_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"payops/payout"
	"payops/web"
)

// from returns c sending from address ip instead (Linux answers on all of
// 127.0.0.0/8), as another client of the dashboard.
func (c *client) from(ip string) *client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c.http.Transport = &http.Transport{DialContext: d.DialContext}
	return c
}

// anotherInstance starts a second payops server on the app's database, as
// when payops runs as several instances, and returns a client of it.
func (a *app) anotherInstance() *client {
	a.t.Helper()
	deps := a.deps
	deps.Metrics = prometheus.NewRegistry()
	s, err := web.New(a.config, deps)
	if err != nil {
		a.t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	a.t.Cleanup(srv.Close)
	c := a.client()
	c.base = srv.URL
	return c
}

// signIn posts the sign-in form and returns the status and Retry-After.
func (c *client) signIn(email, password string) (int, string) {
	c.t.Helper()
	code, _, h := c.do("POST", "/login", url.Values{"email": {email}, "password": {password}}, nil)
	return code, h.Get("Retry-After")
}

// Every attempt is counted before its password is checked, so guesses sent
// all at once get no more tries than guesses sent one by one.
func TestSignInThrottleCountsConcurrentGuesses(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	const guesses = 40
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() {
			code, retry := a.client().signIn("ops@example.com", "guess-"+strconv.Itoa(i))
			secs, err := strconv.Atoi(retry)
			if code == http.StatusTooManyRequests && (err != nil || secs < 1 || secs > 15*60) {
				t.Errorf("429 with Retry-After %q, want 1 to 900 seconds", retry)
			}
			mu.Lock()
			got[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	t.Logf("%d guesses at once answered %v", guesses, got)
	tried := got[http.StatusUnauthorized]
	if tried > 5 || tried+got[http.StatusTooManyRequests] != guesses {
		t.Fatalf("%d guesses at once answered %v; want at most 5 tried (401), the rest refused (429)", guesses, got)
	}
	// Guesses refused in the crowd may leave some of the five unused (an
	// attempt counts the others in flight); each guess tried counts.
	c := a.client()
	for i := tried; i < 5; i++ {
		if code, _ := c.signIn("ops@example.com", "guess"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d after the crowd: %d, want 401", i+1, code)
		}
	}
	if code, _ := c.signIn("ops@example.com", "secret-pass"); code != http.StatusTooManyRequests {
		t.Errorf("the right password after five failures: %d, want 429", code)
	}
}

// Instances on one database share the count.
func TestSignInThrottleSharedByInstances(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	first, second := a.client(), a.anotherInstance()
	for i, c := range []*client{first, second, first, second, first} {
		if code, _ := c.signIn("ops@example.com", "guess"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i+1, code)
		}
	}
	for name, c := range map[string]*client{"first": first, "second": second} {
		if code, retry := c.signIn("ops@example.com", "guess"); code != http.StatusTooManyRequests || retry == "" {
			t.Errorf("sixth guess on the %s instance: %d with Retry-After %q, want 429 with one", name, code, retry)
		}
	}
}

// Failures are counted per email and address and per address: guesses
// from one address do not lock the user out from another; an address
// guessing at many users is stopped after 20.
func TestSignInThrottlePerEmailAndAddress(t *testing.T) {
	a := newApp(t)
	for _, email := range []string{"ops@example.com", "a@example.com", "b@example.com", "c@example.com", "d@example.com"} {
		a.addUser(email, payout.RoleOps)
	}
	attacker, user := a.client().from("127.0.0.2"), a.client().from("127.0.0.3")
	steps := []struct {
		name            string
		c               *client
		email, password string
		want            int
	}{
		{"guess 1", attacker, "ops@example.com", "guess", http.StatusUnauthorized},
		{"guess 2", attacker, "ops@example.com", "guess", http.StatusUnauthorized},
		{"guess 3", attacker, "ops@example.com", "guess", http.StatusUnauthorized},
		{"guess 4", attacker, "ops@example.com", "guess", http.StatusUnauthorized},
		{"guess 5", attacker, "ops@example.com", "guess", http.StatusUnauthorized},
		{"guess 6", attacker, "ops@example.com", "guess", http.StatusTooManyRequests},
		{"right password from the attacker's address", attacker, "ops@example.com", "secret-pass",
			http.StatusTooManyRequests},
		{"right password from the user's address", user, "ops@example.com", "secret-pass", http.StatusSeeOther},
		{"another user from the attacker's address", attacker, "a@example.com", "guess", http.StatusUnauthorized},
	}
	for _, st := range steps {
		if code, _ := st.c.signIn(st.email, st.password); code != st.want {
			t.Errorf("%s: %d, want %d", st.name, code, st.want)
		}
	}
	// 6 failures from the attacker's address so far (the refused ones do
	// not count); 14 more across users reach the address's 20.
	for i := range 14 {
		email := []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"}[i%4]
		if code, _ := attacker.signIn(email, "guess"); code != http.StatusUnauthorized {
			t.Fatalf("address guess %d: %d, want 401", i+7, code)
		}
	}
	if code, _ := attacker.signIn("d@example.com", "secret-pass"); code != http.StatusTooManyRequests {
		t.Errorf("21st attempt from one address: %d, want 429", code)
	}
	if code, _ := user.signIn("d@example.com", "secret-pass"); code != http.StatusSeeOther {
		t.Errorf("from another address: %d, want 303", code)
	}
}

// Signing in clears the email and address's failures and is not counted
// against the address; failures run out of the window after 15 minutes.
func TestSignInThrottleClearsAndForgets(t *testing.T) {
	clk := newClock()
	a := newApp(t, withClock(clk))
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	tries := func(password string, n, want int) {
		t.Helper()
		for i := range n {
			if code, _ := c.signIn("ops@example.com", password); code != want {
				t.Fatalf("%s %d: %d, want %d", password, i+1, code, want)
			}
		}
	}
	tries("guess", 4, http.StatusUnauthorized)
	tries("secret-pass", 1, http.StatusSeeOther)
	tries("guess", 5, http.StatusUnauthorized) // the four before were cleared
	tries("guess", 1, http.StatusTooManyRequests)
	clk.advance(15*time.Minute + time.Second)
	tries("guess", 5, http.StatusUnauthorized)
	tries("guess", 1, http.StatusTooManyRequests)
	// Successes from one address are not failures of it.
	other := a.client().from("127.0.0.4")
	for i := range 25 {
		if code, _ := other.signIn("ops@example.com", "secret-pass"); code != http.StatusSeeOther {
			t.Fatalf("sign-in %d from one address: %d, want 303", i+1, code)
		}
	}
}
