// Package nxtbanking is a client of the NxtBanking payout API (seed 000):
// token auth, beneficiaries, payouts and their status, and signed webhooks.
// The sandbox provider speaks the same API, so payops reaches it through
// this client too.
//
// What seed 000 does not document is assumed here and only here: looking a
// payout up by reference (GET /api/v1/payouts?reference_id=), listing by
// time (GET /api/v1/payouts?from=&to=, RFC 3339, answering {"payouts": [...]}),
// a 409 body naming the existing payout_id, and amounts being decimal rupees.
// Downtime events (payout.downtime.started/resolved) are not NxtBanking's
// but the sandbox's, RazorpayX-style (see downtime).
package nxtbanking

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
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
	Name          string // the provider's name in payops; "nxtbanking" when empty
	BaseURL       string
	APIKey        string
	APISecret     string
	WebhookSecret string
	Timeout       time.Duration // per attempt; 10 s when zero
	// Classify classifies the failure codes of a server that speaks
	// NxtBanking's API with codes of its own: the sandbox's
	// (sandbox.ClassifyFailure). NxtBanking's table when nil.
	Classify func(code string) payout.FailureClass
	// Balance says the server has the sandbox's GET /api/v1/balance: the
	// NxtBanking seed documents no balance call, the sandbox has one.
	Balance bool
}

// Client talks to the NxtBanking API. It is safe for concurrent use.
type Client struct {
	cfg  Config
	call *adapters.Caller

	mu       sync.Mutex
	token    string
	tokenExp time.Time
}

// NewClient returns a client for cfg.
func NewClient(cfg Config) *Client {
	if cfg.Name == "" {
		cfg.Name = "nxtbanking"
	}
	return &Client{cfg: cfg, call: adapters.NewCaller(cfg.Name, cfg.BaseURL, cfg.Timeout)}
}

// Caller exposes the HTTP caller, so tests can shorten its backoff.
func (c *Client) Caller() *adapters.Caller { return c.call }

// Name returns the provider's name in payops.
func (c *Client) Name() string { return c.cfg.Name }

// statusMap maps NxtBanking's payout statuses, compared case-insensitively,
// to the canonical states. Webhook event names carry the same words after
// "payout.": payout.initiated, payout.processing, payout.success,
// payout.completed, payout.failed, payout.reversed.
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

// PayoutResource is a payout as NxtBanking's API and webhooks show it.
// Amounts are decimal rupees, decoded without floats.
type PayoutResource struct {
	Event       string      `json:"event,omitempty"` // webhooks only
	PayoutID    string      `json:"payout_id"`
	ReferenceID string      `json:"reference_id"`
	Status      string      `json:"status"`
	UTR         string      `json:"utr,omitempty"`
	Amount      json.Number `json:"amount,omitempty"`
	// Currency is not in NxtBanking's documented payloads (it pays INR
	// only): absent means INR. The sandbox, which speaks this format in
	// every currency, names it.
	Currency      string      `json:"currency,omitempty"`
	Fee           json.Number `json:"fee,omitempty"`
	FailureCode   string      `json:"failure_code,omitempty"`
	FailureReason string      `json:"failure_reason,omitempty"`
	Timestamp     string      `json:"timestamp,omitempty"`
}

func (c *Client) observe(res PayoutResource, raw string) (payout.Observation, error) {
	st, ok := MapStatus(raw)
	if !ok {
		return payout.Observation{}, fmt.Errorf("unknown NxtBanking status %q", raw)
	}
	at, _ := time.Parse(time.RFC3339, res.Timestamp)
	at = at.UTC() // kept in UTC: RFC 3339 allows offsets PostgreSQL refuses (past 15:59)
	obs := payout.Observation{ProviderPayoutID: res.PayoutID, RawStatus: raw, Status: st, UTR: res.UTR,
		FailureCode: res.FailureCode, FailureReason: res.FailureReason, At: at}
	if res.Fee != "" {
		if fee, err := payout.ParseMoney(res.Fee.String(), res.currency()); err == nil {
			obs.Fee = &fee
		}
	}
	amount, err := res.amount()
	if err != nil {
		return payout.Observation{}, err
	}
	obs.Amount = amount
	return obs, nil
}

func (r PayoutResource) currency() string {
	if r.Currency == "" {
		return "INR"
	}
	return strings.ToUpper(r.Currency)
}

// amount reads the payout's amount, decimal major units ("500.00", 50000)
// in its currency, exactly; nil when the resource states none.
func (r PayoutResource) amount() (*payout.Money, error) {
	if r.Amount == "" {
		return nil, nil
	}
	m, err := payout.ParseMoney(r.Amount.String(), r.currency())
	if err != nil {
		return nil, fmt.Errorf("amount: %w", err)
	}
	return &m, nil
}

// Submit registers the beneficiary, then creates the payout with our
// reference id. A 409 (the reference is used) is answered by looking the
// existing payout up. Insufficient balance is told apart from other 4xx by
// the provider's message.
func (c *Client) Submit(ctx context.Context, p adapters.Payout) (payout.Observation, error) {
	var ben struct {
		BeneficiaryID string `json:"beneficiary_id"`
	}
	benBody, _ := json.Marshal(map[string]string{"name": p.Beneficiary.Name, "account_number": p.Beneficiary.AccountNumber,
		"ifsc": p.Beneficiary.IFSC, "bank_name": p.Beneficiary.BankName, "type": "savings"})
	if err := c.do(ctx, adapters.Call{Op: "create_beneficiary", Method: http.MethodPost, Path: "/api/v1/beneficiaries", Body: benBody, Safe: true}, &ben); err != nil {
		return payout.Observation{}, err
	}
	req := map[string]any{"beneficiary_id": ben.BeneficiaryID, "amount": json.Number(p.Amount.Decimal()),
		"mode": p.Mode, "reference_id": p.ReferenceID, "narration": p.Narration}
	if p.Amount.Currency != "INR" {
		// Not in NxtBanking's request (INR only); the sandbox needs it to
		// state the amount back in the payout's currency.
		req["currency"] = p.Amount.Currency
	}
	body, _ := json.Marshal(req)
	var res PayoutResource
	err := c.do(ctx, adapters.Call{Op: "submit", Method: http.MethodPost, Path: "/api/v1/payouts", Body: body, Safe: true}, &res)
	if adapters.KindOf(err) == adapters.Duplicate {
		obs, err := c.byReference(ctx, p.ReferenceID)
		return obs, adapters.Taken(err)
	}
	if err != nil {
		if h := adapters.HTTPErrorOf(err); h != nil && h.Status/100 == 4 && strings.Contains(strings.ToLower(string(h.Body)), "insufficient") {
			return payout.Observation{}, adapters.Reclassify(err, adapters.InsufficientFunds, "insufficient balance")
		}
		return payout.Observation{}, adapters.Unclear(err)
	}
	obs, err := c.observe(res, res.Status)
	return obs, adapters.UnclearAnswer(err)
}

// Status fetches GET /v1/payouts/{id}, or looks the payout up by our
// reference when the provider's id is not known yet.
func (c *Client) Status(ctx context.Context, p adapters.Payout) (payout.Observation, error) {
	if p.ProviderPayoutID == "" {
		return c.byReference(ctx, p.ReferenceID)
	}
	var res PayoutResource
	if err := c.do(ctx, adapters.Call{Op: "status", Method: http.MethodGet, Path: "/v1/payouts/" + url.PathEscape(p.ProviderPayoutID), Safe: true}, &res); err != nil {
		return payout.Observation{}, err
	}
	obs, err := c.observe(res, res.Status)
	if err != nil {
		return payout.Observation{}, &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Request, Message: err.Error()}
	}
	return obs, nil
}

func (c *Client) byReference(ctx context.Context, ref string) (payout.Observation, error) {
	var res PayoutResource
	err := c.do(ctx, adapters.Call{Op: "find", Method: http.MethodGet, Path: "/api/v1/payouts", Query: url.Values{"reference_id": {ref}}, Safe: true}, &res)
	if err != nil {
		return payout.Observation{}, err
	}
	obs, err := c.observe(res, res.Status)
	if err != nil {
		return payout.Observation{}, &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Request, Message: err.Error()}
	}
	return obs, nil
}

// List returns the payouts created in [from, to).
func (c *Client) List(ctx context.Context, from, to time.Time) ([]adapters.Record, error) {
	var res struct {
		Payouts []PayoutResource `json:"payouts"`
	}
	q := url.Values{"from": {from.UTC().Format(time.RFC3339)}, "to": {to.UTC().Format(time.RFC3339)}}
	if err := c.do(ctx, adapters.Call{Op: "list", Method: http.MethodGet, Path: "/api/v1/payouts", Query: q, Safe: true}, &res); err != nil {
		return nil, err
	}
	out := make([]adapters.Record, 0, len(res.Payouts))
	for _, r := range res.Payouts {
		obs, err := c.observe(r, r.Status)
		if err != nil {
			return nil, &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Request, Message: err.Error()}
		}
		amt, err := payout.ParseMoney(r.Amount.String(), r.currency())
		if err != nil {
			return nil, &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Request, Message: "payout " + r.PayoutID + ": " + err.Error()}
		}
		out = append(out, adapters.Record{ProviderPayoutID: r.PayoutID, ReferenceID: r.ReferenceID, Amount: amt, Fee: obs.Fee,
			RawStatus: r.Status, Status: obs.Status, UTR: r.UTR, At: obs.At})
	}
	return out, nil
}

func (c *Client) do(ctx context.Context, call adapters.Call, out any) error {
	for attempt := 1; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		call.Header = http.Header{"Authorization": {"Bearer " + tok}}
		resp, err := c.call.Do(ctx, call, errorMessage)
		if adapters.KindOf(err) == adapters.Credentials {
			// The token may have been revoked early (the provider
			// restarted, or rotated it): forget it so the next call
			// exchanges a new one, and ask once more if asking is safe.
			c.mu.Lock()
			c.token = ""
			c.mu.Unlock()
			if call.Safe && attempt == 1 {
				continue
			}
		}
		if err != nil {
			return err
		}
		return decode(c.cfg.Name, resp.Body, out)
	}
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
	resp, err := c.call.Do(ctx, adapters.Call{Op: "auth", Method: http.MethodPost, Path: "/api/v1/auth/token", Body: body, Safe: true}, errorMessage)
	if err != nil {
		return "", err
	}
	var res struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := decode(c.cfg.Name, resp.Body, &res); err != nil {
		return "", err
	}
	if res.AccessToken == "" {
		return "", &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Credentials, Message: "token exchange returned no token"}
	}
	// Renew a minute early so no request goes out with a token that expires
	// in flight.
	life := max(time.Duration(res.ExpiresIn)*time.Second-time.Minute, 0)
	c.token, c.tokenExp = res.AccessToken, time.Now().Add(life)
	return c.token, nil
}

func decode(provider string, b []byte, out any) error {
	if out == nil {
		return nil
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(out); err != nil {
		return &adapters.Error{Provider: provider, Kind: adapters.Request, Message: "unreadable response: " + err.Error(), Unread: true}
	}
	return nil
}

// errorMessage takes the provider's own message from an error body; the
// body itself is not repeated, as it may hold account details.
func errorMessage(b []byte) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) == nil {
		if e.Message != "" {
			return e.Message
		}
		return e.Error
	}
	return ""
}

// Balances reports whether the server has a balance call (Config.Balance).
func (c *Client) Balances() bool { return c.cfg.Balance }

// Balance reads the sandbox's GET /api/v1/balance: {"balance": "1250.00",
// "currency": "INR"} in major units.
func (c *Client) Balance(ctx context.Context) (payout.Money, error) {
	var res struct {
		Balance  json.Number `json:"balance"`
		Currency string      `json:"currency"`
	}
	if err := c.do(ctx, adapters.Call{Op: "balance", Method: http.MethodGet, Path: "/api/v1/balance", Safe: true}, &res); err != nil {
		return payout.Money{}, err
	}
	m, err := payout.ParseMoney(res.Balance.String(), cmp.Or(res.Currency, "INR"))
	if err != nil {
		return payout.Money{}, &adapters.Error{Provider: c.cfg.Name, Kind: adapters.Request, Message: "unreadable balance: " + err.Error()}
	}
	return m, nil
}
