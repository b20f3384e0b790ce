package handlers

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"payops/payout"
)

// ClientAddr is the address a request came from, given its TCP peer and
// its X-Forwarded-For headers: the peer, unless the peer is a trusted
// proxy; then, reading X-Forwarded-For from the right (each proxy appends
// the address it got the request from), the first address that is not a
// trusted proxy's. Anything left of that was written by the client and is
// not believed.
func ClientAddr(peer string, forwarded []string, trusted []string) string {
	if len(trusted) == 0 || len(forwarded) == 0 || !isTrusted(peer, trusted) {
		return peer
	}
	var hops []string
	for _, h := range forwarded {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		a, err := netip.ParseAddr(hop)
		if err != nil {
			return peer // a hop a trusted proxy would not write: believe none of it
		}
		if !isTrusted(hop, trusted) {
			return a.Unmap().String()
		}
		peer = a.Unmap().String()
	}
	return peer
}

// isTrusted reports whether addr is one of the trusted proxies (trusted
// is not empty: FromAllowed allows everyone for an empty list).
func isTrusted(addr string, trusted []string) bool {
	return len(trusted) > 0 && payout.FromAllowed(addr, trusted)
}

// TrustProxies sets each request's RemoteAddr to its ClientAddr, so the
// sign-in throttle, API token allowlists, sessions and logs see the client
// behind trusted proxies rather than the proxy.
func TrustProxies(trusted []string, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := ClientIP(r)
		if addr := ClientAddr(peer, r.Header.Values("X-Forwarded-For"), trusted); addr != peer {
			r.RemoteAddr = net.JoinHostPort(addr, "0")
			// Resolved: what is left would only mislead MetricsAllowed.
			r.Header.Del("X-Forwarded-For")
			r.Header.Del("Forwarded")
		}
		next.ServeHTTP(w, r)
	})
}

// MetricsAllowed reports whether r may read /metrics, whose gauges are the
// business's numbers (payouts by state, stuck, holds, differences): with a
// token set, only a request bearing it; without one, only from loopback or
// private addresses (where Prometheus scrapes from), never the internet:
// a request still carrying X-Forwarded-For or Forwarded came through a
// proxy PAYOPS_TRUSTED_PROXIES does not name, whose private address says
// nothing of the client behind it, so it is refused.
func MetricsAllowed(r *http.Request, token string) bool {
	if token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
	}
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" {
		return false
	}
	a, err := netip.ParseAddr(ClientIP(r))
	if err != nil {
		return false
	}
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate()
}
