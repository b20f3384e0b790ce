package payout

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// SandboxProvider is the simulated provider `make run` starts: a test
// provider like DrillProvider.
const SandboxProvider = "sandbox"

// IsTestProvider reports whether a provider moves no money: the sandbox and
// the drill provider. They exist only where enabled, and only test tokens
// send payouts to them.
func IsTestProvider(name string) bool { return slices.Contains(TestProviders, name) }

// TestProviders are the providers that move no money, for SQL that leaves
// them out.
var TestProviders = []string{SandboxProvider, DrillProvider}

// Scope is what a platform API token may do. A token has one scope, so
// that a token made for trying payops out can never move money and a
// token that moves money can never be pointed at a provider that
// does not.
type Scope string

// The scopes of API tokens.
const (
	// ScopeLive sends and reads payouts through the real providers: the
	// platform's ordinary token.
	ScopeLive Scope = "live"
	// ScopeTest sends and reads payouts through the test providers only:
	// for trying payops against the sandbox, and each failure drill's own
	// token, made for it and revoked after.
	ScopeTest Scope = "test"
	// ScopeDrills starts failure drills and follows them (payops drill);
	// it sends no payouts itself.
	ScopeDrills Scope = "drills"
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeLive, ScopeTest, ScopeDrills}

// ParseScope returns the Scope named s or an error naming the valid ones.
func ParseScope(s string) (Scope, error) {
	for _, sc := range Scopes {
		if string(sc) == s {
			return sc, nil
		}
	}
	return "", fmt.Errorf("unknown scope %q: use live, test or drills", s)
}

// Live reports whether the scope's payouts are live ones, moving money; a
// test token's are test payouts, in a reference space of their own.
func (s Scope) Live() bool { return s == ScopeLive }

// SendsPayouts reports whether tokens of the scope create and read payouts.
func (s Scope) SendsPayouts() bool { return s == ScopeLive || s == ScopeTest }

// RunsDrills reports whether tokens of the scope start and follow drills.
func (s Scope) RunsDrills() bool { return s == ScopeDrills }

// Covers reports whether tokens of the scope send and read payouts of the
// provider: real ones for live tokens, test ones for test tokens.
func (s Scope) Covers(provider string) bool {
	return (s == ScopeLive && !IsTestProvider(provider)) || (s == ScopeTest && IsTestProvider(provider))
}

// Providers returns which of the configured providers a token of the scope
// sends payouts to.
func (s Scope) Providers(configured []string) []string {
	var out []string
	for _, p := range configured {
		if s.Covers(p) {
			out = append(out, p)
		}
	}
	return out
}

// ProviderRefusal is the message for a payout naming provider, which is
// configured but not open to tokens of the scope; "" when it is open, or
// not configured at all (the request's own check says so).
func (s Scope) ProviderRefusal(provider string, configured []string) string {
	if !slices.Contains(configured, provider) || slices.Contains(s.Providers(configured), provider) {
		return ""
	}
	if IsTestProvider(provider) {
		return fmt.Sprintf("%q is a test provider: it takes payouts only from test tokens (payops token create --scope test)",
			Echo(provider))
	}
	return fmt.Sprintf("this is a test token: it sends payouts only to the test providers (%s)",
		strings.Join(s.Providers(configured), ", "))
}

// ParseNetworks reads a comma-separated list of addresses and CIDR
// networks ("10.0.0.0/8, 203.0.113.7") into networks; an address stands
// for itself alone. Empty is none.
func ParseNetworks(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()).String())
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a network such as 10.0.0.0/8", f)
		}
		out = append(out, p.Masked().String())
	}
	return out, nil
}

// FromAllowed reports whether addr is in one of nets (as ParseNetworks
// or PostgreSQL's cidr writes them); any address is when nets is empty.
func FromAllowed(addr string, nets []string) bool {
	if len(nets) == 0 {
		return true
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, n := range nets {
		if p, err := netip.ParsePrefix(n); err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}
