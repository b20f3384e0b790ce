package handlers

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// RateLimiter spaces each API token's requests to its rate with a burst, as
// a GCRA token bucket kept as the time each token's next request is due.
// It counts per payops instance: behind a load balancer over n instances a
// token gets up to n times its rate.
type RateLimiter struct {
	mu  sync.Mutex
	due map[int64]time.Time // per token id, when the bucket is empty again
}

// NewRateLimiter returns an empty limiter.
func NewRateLimiter() *RateLimiter { return &RateLimiter{due: map[int64]time.Time{}} }

// Allow takes one request of token id at now, for perSecond requests a
// second with burst at once. When refused it returns how long until one
// more is allowed.
func (l *RateLimiter) Allow(id int64, perSecond, burst int, now time.Time) (bool, time.Duration) {
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
