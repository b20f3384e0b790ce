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
// unspecified, multicast or shared (100.64.0.0/10) one unless the policy
// allows private targets. Unspecified and multicast addresses are refused
// always.
func (p EndpointPolicy) CheckAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast():
		return fmt.Errorf("%w: %s is not an address to send to", ErrEndpointRefused, ip)
	case p.AllowPrivate:
		return nil
	case ip.IsLoopback(), ip.IsPrivate(), ip.IsLinkLocalUnicast(), sharedSpace.Contains(ip):
		return fmt.Errorf("%w: %s is a private, loopback or link-local address "+
			"(PAYOPS_WEBHOOK_ALLOW_PRIVATE=1 allows them)", ErrEndpointRefused, ip)
	}
	return nil
}

// sharedSpace is carrier-grade NAT space (RFC 6598), private in all but name.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")
