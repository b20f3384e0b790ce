package payout

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// EndpointPolicy says which addresses outbound webhooks may be sent to.
// By default only https to public addresses; AllowPrivate (the setting
// PAYOPS_WEBHOOK_ALLOW_PRIVATE=1, for tests and the demo) also allows http
// and loopback, private and link-local addresses.
type EndpointPolicy struct {
	AllowPrivate bool
}

// ErrEndpointRefused is what CheckURL and CheckAddr wrap for an address the
// policy does not allow.
var ErrEndpointRefused = errors.New("endpoint refused")

// CheckURL returns the parsed endpoint URL, or an error wrapping
// ErrEndpointRefused for one payops may not call: not https (unless private
// targets are allowed), with user info, without a host, or naming an IP
// address CheckAddr refuses. A host name is checked again at every
// connection, on the address it resolves to.
func (p EndpointPolicy) CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEndpointRefused, err)
	}
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && p.AllowPrivate):
		return nil, fmt.Errorf("%w: the URL must start with https://", ErrEndpointRefused)
	case u.Hostname() == "":
		return nil, fmt.Errorf("%w: the URL has no host", ErrEndpointRefused)
	case u.User != nil:
		return nil, fmt.Errorf("%w: the URL must not carry a user name or password", ErrEndpointRefused)
	case u.Fragment != "":
		return nil, fmt.Errorf("%w: the URL must not have a #fragment", ErrEndpointRefused)
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		if err := p.CheckAddr(ip); err != nil {
			return nil, err
		}
	} else if h := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."); (h == "localhost" || strings.HasSuffix(h, ".localhost")) && !p.AllowPrivate {
		return nil, fmt.Errorf("%w: %s is this machine", ErrEndpointRefused, h)
	}
	return u, nil
}

// CheckAddr returns nil for an address webhooks may be sent to, and an error
// wrapping ErrEndpointRefused for a loopback, private, link-local,
// unspecified, multicast, shared (100.64.0.0/10) or otherwise reserved
// one unless the policy allows private targets. Unspecified and multicast
// addresses are refused always. An IPv6 address that carries an IPv4 one
// (NAT64's 64:ff9b::/96) is judged by the IPv4 address it reaches.
func (p EndpointPolicy) CheckAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	switch {
	case !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast():
		return fmt.Errorf("%w: %s is not an address to send to", ErrEndpointRefused, ip)
	case p.AllowPrivate:
		return nil
	case ip.IsLoopback(), ip.IsPrivate(), ip.IsLinkLocalUnicast(), reserved(ip):
		return fmt.Errorf("%w: %s is a private, loopback, link-local or reserved address "+
			"(PAYOPS_WEBHOOK_ALLOW_PRIVATE=1 allows them)", ErrEndpointRefused, ip)
	}
	return nil
}

// reservedSpace is space that is private in all but name or not on the
// internet (IANA's special-purpose registries, the entries not "globally
// reachable"): "this network" (0.0.0.0/8), carrier-grade NAT (RFC 6598),
// IETF protocol assignments (192.0.0.0/24), the three IPv4 documentation
// networks (TEST-NET-1 to 3, which a host may use as its own: this one's
// sandbox does), the retired 6to4 relay anycast, benchmarking
// (198.18.0.0/15), the old class E (240.0.0.0/4), and IPv6's discard,
// documentation, ORCHIDv2 and 6to4 prefixes (6to4 carries an IPv4 address
// a relay would reach on its own network).
var reservedSpace = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"), netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("100::/64"), netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("2001:20::/28"),
	netip.MustParsePrefix("2002::/16"), netip.MustParsePrefix("3fff::/20"),
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64 (RFC 8215): where it leads is the network's own
}

// nat64 is the well-known NAT64 prefix (RFC 6052): its last 32 bits are
// the IPv4 address the translator connects to.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

func reserved(ip netip.Addr) bool {
	for _, p := range reservedSpace {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
