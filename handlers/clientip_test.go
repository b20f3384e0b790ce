package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"payops/payout"
)

// X-Forwarded-For is believed only from a trusted proxy, and only as far
// as the trusted proxies go: the client is the first address from the
// right that is not one of them; what the client wrote left of it counts
// for nothing.
func TestClientAddr(t *testing.T) {
	trusted, err := payout.ParseNetworks("10.0.0.0/8, 192.168.1.7 ,::1")
	if err != nil || len(trusted) != 3 {
		t.Fatalf("ParseNetworks = %v, %v", trusted, err)
	}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "203.0.113.9", nil, "203.0.113.9"},
		{"an untrusted peer's header is ignored", "203.0.113.9", []string{"198.51.100.1"}, "203.0.113.9"},
		{"one trusted proxy", "10.1.2.3", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a client's own forged hop is skipped", "10.1.2.3", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "10.1.2.3", []string{"198.51.100.1, 192.168.1.7"}, "198.51.100.1"},
		{"headers joined in order", "10.1.2.3", []string{"1.2.3.4", "198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"all trusted: the leftmost", "10.1.2.3", []string{"10.0.0.5"}, "10.0.0.5"},
		{"a hop that is no address", "10.1.2.3", []string{"unknown"}, "10.1.2.3"},
		{"IPv6 loopback proxy", "::1", []string{"2001:db8::1"}, "2001:db8::1"},
	}
	for _, tt := range tests {
		if got := ClientAddr(tt.peer, tt.xff, trusted); got != tt.want {
			t.Errorf("%s: ClientAddr(%s, %q) = %s, want %s", tt.name, tt.peer, tt.xff, got, tt.want)
		}
	}
	if got := ClientAddr("10.1.2.3", []string{"198.51.100.1"}, nil); got != "10.1.2.3" {
		t.Errorf("with no trusted proxies: %s", got)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal"} {
		if _, err := payout.ParseNetworks(bad); err == nil {
			t.Errorf("payout.ParseNetworks(%q) accepted", bad)
		}
	}
}

// Behind a trusted proxy, ClientIP (the throttle's, the allowlists', the
// session's) is the client's address.
func TestTrustProxiesSetsTheClient(t *testing.T) {
	trusted, _ := payout.ParseNetworks("10.0.0.0/8")
	var seen string
	h := TrustProxies(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = ClientIP(r) }))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:51234"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen != "198.51.100.1" {
		t.Errorf("ClientIP behind a trusted proxy = %s", seen)
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "203.0.113.9:40000"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen != "203.0.113.9" {
		t.Errorf("ClientIP from an untrusted peer claiming a forward = %s", seen)
	}
}

// /metrics answers the internal network without a token, and only the
// token's bearer with one.
func TestMetricsAllowed(t *testing.T) {
	req := func(peer, auth string) *http.Request {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = peer
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	proxied := req("10.0.0.2:5000", "")
	proxied.Header.Set("X-Forwarded-For", "203.0.113.9")
	if MetricsAllowed(proxied, "") {
		t.Error("a request through an untrusted proxy (private peer, X-Forwarded-For) was allowed")
	}
	trusted, _ := payout.ParseNetworks("10.0.0.0/8")
	var seen bool
	TrustProxies(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = MetricsAllowed(r, "") })).
		ServeHTTP(httptest.NewRecorder(), proxied)
	if seen {
		t.Error("an internet client behind a trusted proxy was allowed")
	}
	for _, tt := range []struct {
		peer, token, auth string
		want              bool
	}{
		{"127.0.0.1:5000", "", "", true},
		{"10.2.3.4:5000", "", "", true},
		{"[::1]:5000", "", "", true},
		{"203.0.113.9:5000", "", "", false},
		{"203.0.113.9:5000", "0123456789abcdef", "Bearer 0123456789abcdef", true},
		{"127.0.0.1:5000", "0123456789abcdef", "", false},
		{"127.0.0.1:5000", "0123456789abcdef", "Bearer 0123456789abcdeX", false},
		{"127.0.0.1:5000", "0123456789abcdef", "0123456789abcdef", false},
	} {
		if got := MetricsAllowed(req(tt.peer, tt.auth), tt.token); got != tt.want {
			t.Errorf("peer %s, token %q, Authorization %q: allowed %v, want %v", tt.peer, tt.token, tt.auth, got, tt.want)
		}
	}
}
