package handlers

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// RateLimiter spaces each key's requests (an API token's, by id; a
// provider's refused webhooks, by name) to its rate with a burst, as a GCRA
// token bucket kept as the time each key's next request is due. It counts
// per payops instance: behind a load balancer over n instances a key gets
// up to n times its rate.
type RateLimiter[K comparable] struct {
	mu  sync.Mutex
	due map[K]time.Time // per key, when the bucket is empty again
}

// NewRateLimiter returns an empty limiter.
func NewRateLimiter[K comparable]() *RateLimiter[K] { return &RateLimiter[K]{due: map[K]time.Time{}} }

// Allow takes one request of key id at now, for perSecond requests a
// second with burst at once. When refused it returns how long until one
// more is allowed.
func (l *RateLimiter[K]) Allow(id K, perSecond, burst int, now time.Time) (bool, time.Duration) {
	interval := time.Second / time.Duration(max(perSecond, 1))
	depth := interval * time.Duration(max(burst, 1))
	l.mu.Lock()
	defer l.mu.Unlock()
	due := l.due[id]
	if due.Before(now) {
		due = now
	}
	// due-now is how much of the bucket is in use; one more request adds
	// an interval to it.
	if used := due.Add(interval).Sub(now); used > depth {
		return false, used - depth
	}
	l.due[id] = due.Add(interval)
	return true, 0
}

// ClientIP is the address a request came from: the TCP peer, which
// TrustProxies has set to the client behind proxies named in
// PAYOPS_TRUSTED_PROXIES (X-Forwarded-For is believed from those only).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
