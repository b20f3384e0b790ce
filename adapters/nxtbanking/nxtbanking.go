// Package nxtbanking is a client of the NxtBanking payout API (seed 000):
// token auth, payouts and their status, and webhook signatures. The sandbox
// provider speaks the same API, so payops reaches it through this client.
package nxtbanking

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"payops/adapters"
	"payops/payout"
)

// Config is what the client needs to reach one NxtBanking account.
type Config struct {
	Name      string // the provider's name in payops; "nxtbanking" when empty
	BaseURL   string
	APIKey    string
	APISecret string
	Timeout   time.Duration // per request; 10 s when zero
}

// Client talks to the NxtBanking API. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client

	mu       sync.Mutex
	token    string
	tokenExp time.Time
}

// NewClient returns a client for cfg.
func NewClient(cfg Config) *Client {
	if cfg.Name == "" {
		cfg.Name = "nxtbanking"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Client{cfg: cfg, http: &http.Client{Timeout: cfg.Timeout}}
}

// Name returns the provider's name in payops.
func (c *Client) Name() string { return c.cfg.Name }

// statusMap maps NxtBanking's payout statuses (compared case-insensitively)
// to the canonical states. Webhook event names carry the same words after
// "payout.": payout.initiated, payout.processing, payout.success, ...
var statusMap = map[string]payout.Status{
	"QUEUED":     payout.Queued,
	"INITIATED":  payout.Queued,
	"PENDING":    payout.Processing,
	"PROCESSING": payout.Processing,
	"SUCCESS":    payout.Succeeded,
	"COMPLETED":  payout.Succeeded,
	"FAILED":     payout.Failed,
	"REVERSED":   payout.Reversed,
	"CANCELLED":  payout.Cancelled,
}

// MapStatus returns the canonical state for a NxtBanking status word.
func MapStatus(s string) (payout.Status, bool) {
	st, ok := statusMap[strings.ToUpper(strings.TrimSpace(s))]
	return st, ok
}

// PayoutResource is a payout as NxtBanking's GET /v1/payouts/{id} returns it.
// Amounts are decimal numbers in major units (rupees), decoded without floats.
type PayoutResource struct {
	PayoutID      string      `json:"payout_id"`
	ReferenceID   string      `json:"reference_id"`
	Status        string      `json:"status"`
	UTR           string      `json:"utr,omitempty"`
	Amount        json.Number `json:"amount"`
	FailureCode   string      `json:"failure_code,omitempty"`
	FailureReason string      `json:"failure_reason,omitempty"`
	Timestamp     string      `json:"timestamp,omitempty"`
}

// Status fetches the payout from GET /v1/payouts/{id}.
func (c *Client) Status(ctx context.Context, p adapters.Payout) (payout.Observation, error) {
	if p.ProviderPayoutID == "" {
		return payout.Observation{}, &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Request,
			Message: "payout has no provider payout id yet: it was not sent"}
	}
	var res PayoutResource
	if err := c.do(ctx, http.MethodGet, "/v1/payouts/"+url.PathEscape(p.ProviderPayoutID), nil, &res); err != nil {
		return payout.Observation{}, err
	}
	st, ok := MapStatus(res.Status)
	if !ok {
		return payout.Observation{}, &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Request,
			Message: fmt.Sprintf("unknown payout status %q", res.Status)}
	}
	at, _ := time.Parse(time.RFC3339, res.Timestamp)
	return payout.Observation{
		Source:           payout.SourcePoll,
		ProviderPayoutID: res.PayoutID,
		RawStatus:        res.Status,
		Status:           st,
		UTR:              res.UTR,
		FailureCode:      res.FailureCode,
		FailureReason:    res.FailureReason,
		At:               at,
	}, nil
}

// accessToken returns a cached token, exchanging the key and secret at
// POST /api/v1/auth/token when it is missing or about to expire.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Now().Before(c.tokenExp) {
		return c.token, nil
	}
	body, _ := json.Marshal(map[string]string{"api_key": c.cfg.APIKey, "api_secret": c.cfg.APISecret})
	var res struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := c.send(ctx, http.MethodPost, "/api/v1/auth/token", "", body, &res); err != nil {
		return "", err
	}
	if res.AccessToken == "" {
		return "", &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Credentials, Message: "token exchange returned no token"}
	}
	// Renew a minute early so no request goes out with a token that expires
	// in flight.
	life := time.Duration(res.ExpiresIn)*time.Second - time.Minute
	if life < 0 {
		life = 0
	}
	c.token, c.tokenExp = res.AccessToken, time.Now().Add(life)
	return c.token, nil
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	tok, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	err = c.send(ctx, method, path, tok, body, out)
	if adapters.KindOf(err) == adapters.Credentials {
		// The token may have been revoked early: forget it so the next call
		// exchanges a new one. This call is not retried.
		c.mu.Lock()
		c.token = ""
		c.mu.Unlock()
	}
	return err
}

func (c *Client) send(ctx context.Context, method, path, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Request, Message: err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Transient, Message: describe(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Transient, HTTPStatus: resp.StatusCode, Message: describe(err)}
	}
	if resp.StatusCode/100 != 2 {
		return &adapters.Error{Provider: c.cfg.Name, Kind: adapters.KindForStatus(resp.StatusCode),
			HTTPStatus: resp.StatusCode, Message: errorMessage(b)}
	}
	if out != nil {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(out); err != nil {
			return &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Request, HTTPStatus: resp.StatusCode,
				Message: "unreadable response: " + err.Error()}
		}
	}
	return nil
}

// describe says what went wrong on the network without the request URL,
// which may carry identifiers we do not log.
func describe(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// errorMessage takes the provider's own message from an error body, kept
// short; the body itself is not repeated, as it may hold account details.
func errorMessage(b []byte) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) == nil {
		if e.Message != "" {
			return truncate(e.Message)
		}
		if e.Error != "" {
			return truncate(e.Error)
		}
	}
	return "no error message"
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// Sign returns the X-NxtB-Signature of a webhook body: the lowercase hex
// HMAC-SHA256 of the raw bytes with the webhook secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig is the signature of body with secret, in
// constant time.
func Verify(secret, body []byte, sig string) bool {
	want := Sign(secret, body)
	return hmac.Equal([]byte(want), []byte(sig))
}
