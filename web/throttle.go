package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"time"

	"payops/store"
)

// Sign-in throttling counts attempts per email and address, and per
// address, in PostgreSQL, so every instance of payops counts the same
// ones. Not per email alone: then anyone could lock a named user out by
// guessing. An address gets more tries than an email and address, as an
// office may share one.
const (
	maxFailuresPerAccount = 5  // per email and address
	maxFailuresPerAddress = 20 // per address, whatever the email
	// ThrottleWindow is how long a failed sign-in counts.
	ThrottleWindow = 15 * time.Minute
)

// AttemptStore is what the sign-in throttle needs of the store.
type AttemptStore interface {
	AddLoginAttempt(ctx context.Context, keys []string, at, since time.Time) ([]int64, []store.AttemptCount, error)
	DeleteLoginAttempts(ctx context.Context, ids []int64, clearKey string) error
}

// attempt is one sign-in attempt, counted before its password is checked.
type attempt struct {
	ids     []int64       // its rows, one per key
	account string        // its email and address's key
	wait    time.Duration // more than 0 when refused: until a slot frees
}

// beginAttempt counts a sign-in attempt for email from ip. When it is over
// a limit it is taken back at once and returned with the wait.
func (s *Server) beginAttempt(ctx context.Context, email, ip string) (attempt, error) {
	now := s.now()
	account, address := s.throttleKeys(email, ip)
	ids, counts, err := s.users.AddLoginAttempt(ctx, []string{account, address}, now, now.Add(-ThrottleWindow))
	a := attempt{ids: ids, account: account}
	if err != nil {
		if len(ids) > 0 { // counted but not judged: no failure
			_ = s.users.DeleteLoginAttempts(ctx, ids, "")
		}
		return a, err
	}
	for i, limit := range []int{maxFailuresPerAccount, maxFailuresPerAddress} {
		if c := counts[i]; c.Count > limit {
			// Others counting at once may have stamped theirs a moment later.
			a.wait = max(a.wait, min(ThrottleWindow-now.Sub(c.Oldest), ThrottleWindow))
		}
	}
	if a.wait > 0 {
		return a, s.users.DeleteLoginAttempts(ctx, ids, "")
	}
	return a, nil
}

// attemptSucceeded takes a successful attempt back, with its email and
// address's failures before it: a sign-in is no failure of the address. A
// failed attempt's rows stay and count.
func (s *Server) attemptSucceeded(ctx context.Context, a attempt) error {
	return s.users.DeleteLoginAttempts(ctx, a.ids, a.account)
}

// throttleKeys returns the keys an attempt for email from ip counts under.
// The email and address key is an HMAC, so the table holds no email (nor a
// password typed into the email field) and no key longer than the hash.
func (s *Server) throttleKeys(email, ip string) (account, address string) {
	addr := throttleAddress(ip)
	m := hmac.New(sha256.New, s.throttleKey)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email)) + "\x00" + addr))
	return "account:" + hex.EncodeToString(m.Sum(nil)), "address:" + addr
}

// throttleAddress is the address an attempt is counted under: an IPv4
// address as it is, an IPv6 address's /64, which one subscriber commonly
// holds whole.
func throttleAddress(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}
