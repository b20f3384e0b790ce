// Package outbound sends payops' outbound webhooks over HTTP: a client that
// follows no redirect and connects only to addresses the endpoint policy
// allows, checked on the address each connection is made to (after DNS,
// so a name that resolves to a private address later is refused too).
package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"payops/payout"
)

// Client posts signed events to endpoints.
type Client struct {
	http   *http.Client
	policy payout.EndpointPolicy
}

// NewClient returns a client whose every request, connection included,
// ends after timeout.
func NewClient(policy payout.EndpointPolicy, timeout time.Duration) *Client {
	return &Client{policy: policy, http: &http.Client{
		Transport: Transport(policy, timeout),
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is an answer, and not a 2xx one
		},
	}}
}

// Transport connects only to addresses policy allows, checked on the
// address each connection is made to (after DNS), through no proxy, each
// connection and handshake ending after timeout. The outbound webhooks'
// client uses it, and so do the notices' chat webhooks (chat.NewClient):
// a URL an admin typed is never a way into payops' own network.
func Transport(policy payout.EndpointPolicy, timeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: timeout, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("outbound: dial %s: %w", address, err)
		}
		return policy.CheckAddr(ap.Addr())
	}}
	return &http.Transport{
		Proxy:                 nil, // a proxy would connect for us, past the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
}

// Message is one signed attempt to deliver an event.
type Message struct {
	ID        string    // webhook-id: the same on every attempt of an event
	At        time.Time // webhook-timestamp: the attempt's
	Signature string    // webhook-signature
	Body      []byte
}

// Answer is what an endpoint answered: its status and up to 1 KiB of its
// body.
type Answer struct {
	Status int
	Body   string
}

// maxAnswer is how much of an answer is read and kept.
const maxAnswer = 1024

// Send posts m to endpoint and returns the answer, whatever its status; an
// error when the URL is refused by the policy or no answer came.
func (c *Client) Send(ctx context.Context, endpoint string, m Message) (Answer, error) {
	if _, err := c.policy.CheckURL(endpoint); err != nil {
		return Answer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(m.Body))
	if err != nil {
		return Answer{}, fmt.Errorf("outbound: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "payops-webhooks/1")
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(m.At.Unix(), 10))
	req.Header.Set("webhook-signature", m.Signature)
	resp, err := c.http.Do(req)
	if err != nil {
		// Without the address (a *url.Error names it, query and all): the
		// error is logged and stored with each attempt. As notify/chat.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return Answer{}, fmt.Errorf("outbound: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	// Drain a little more so the connection can be reused.
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	return Answer{Status: resp.StatusCode, Body: string(b)}, nil
}
