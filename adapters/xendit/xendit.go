// Package xendit is a client of Xendit's Payouts v2 API (seed 002): payouts
// created with an Idempotency-key, their status, and webhooks verified by
// the x-callback-token header. Amounts are numbers in major units (whole
// rupiah for IDR), decoded without floats.
package xendit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"payops/adapters"
	"payops/payout"
)

// Config is what the client needs to reach one Xendit account.
type Config struct {
	BaseURL       string // https://api.xendit.co
	SecretKey     string // basic auth user, empty password
	CallbackToken string // the dashboard's webhook verification token
	Timeout       time.Duration
}

// Client talks to Xendit.
type Client struct {
	cfg  Config
	call *adapters.Caller
}

// NewClient returns a client for cfg.
func NewClient(cfg Config) *Client {
	return &Client{cfg: cfg, call: adapters.NewCaller("xendit", cfg.BaseURL, cfg.Timeout)}
}

// Name returns "xendit".
func (c *Client) Name() string { return "xendit" }

// Caller exposes the HTTP caller, so tests can shorten its backoff.
func (c *Client) Caller() *adapters.Caller { return c.call }

// statusMap maps Xendit's payout statuses to the canonical states. The two
// compliance statuses come from Xendit's newer lifecycle page: a payout held
// for assessment has not been sent; a rejected one never will be.
var statusMap = map[string]payout.Status{
	"ACCEPTED":                      payout.Queued,
	"PENDING_COMPLIANCE_ASSESSMENT": payout.Queued,
	"REQUESTED":                     payout.Processing,
	"SUCCEEDED":                     payout.Succeeded,
	"FAILED":                        payout.Failed,
	"CANCELLED":                     payout.Cancelled,
	"COMPLIANCE_REJECTED":           payout.Cancelled,
	"REVERSED":                      payout.Reversed,
}

// MapStatus returns the canonical state for a Xendit status.
func MapStatus(s string) (payout.Status, bool) {
	st, ok := statusMap[strings.ToUpper(strings.TrimSpace(s))]
	return st, ok
}

// Payout is Xendit's payout object.
type Payout struct {
	ID          string      `json:"id"`
	ReferenceID string      `json:"reference_id"`
	Amount      json.Number `json:"amount"`
	Currency    string      `json:"currency"`
	ChannelCode string      `json:"channel_code"`
	Status      string      `json:"status"`
	FailureCode string      `json:"failure_code"`
	Created     string      `json:"created"`
	Updated     string      `json:"updated"`
}

func (p Payout) observe() (payout.Observation, bool) {
	st, ok := MapStatus(p.Status)
	if !ok {
		return payout.Observation{}, false
	}
	at, _ := time.Parse(time.RFC3339, p.Updated)
	at = at.UTC() // RFC 3339 allows offsets PostgreSQL refuses (past 15:59)
	obs := payout.Observation{ProviderPayoutID: p.ID, RawStatus: p.Status, Status: st, FailureCode: p.FailureCode, At: at}
	if p.FailureCode != "" {
		obs.FailureReason = failureReasons[p.FailureCode]
	}
	return obs, true
}

// amount reads the payout's amount, a JSON number in major units of its
// currency (whole rupiah for IDR, up to 2 decimals for PHP), exactly; nil
// when the object states none.
func (p Payout) amount() (*payout.Money, error) {
	if p.Amount == "" {
		return nil, nil
	}
	m, err := payout.ParseMoney(p.Amount.String(), strings.ToUpper(p.Currency))
	if err != nil {
		return nil, fmt.Errorf("amount: %w", err)
	}
	return &m, nil
}

// failureReasons explains Xendit's failure codes to operators.
var failureReasons = map[string]string{
	"INSUFFICIENT_BALANCE":       "Insufficient balance in the Xendit account",
	"INVALID_DESTINATION":        "The recipient account does not exist or is invalid",
	"REJECTED_BY_CHANNEL":        "Rejected by the destination channel",
	"TEMPORARY_TRANSFER_ERROR":   "Temporary error in the channel network",
	"TRANSFER_ERROR":             "Fatal error processing the payout",
	"UNKNOWN_BANK_NETWORK_ERROR": "Undocumented error from the bank",
	"DESTINATION_MAXIMUM_LIMIT":  "Amount exceeds what the recipient can receive",
}

func (c *Client) observation(p Payout) (payout.Observation, error) {
	obs, ok := p.observe()
	if !ok {
		return payout.Observation{}, &adapters.Error{Provider: "xendit", Kind: adapters.Request, Message: "unknown payout status " + p.Status}
	}
	amount, err := p.amount()
	if err != nil {
		return payout.Observation{}, &adapters.Error{Provider: "xendit", Kind: adapters.Request, Message: "payout " + p.ID + ": " + err.Error()}
	}
	obs.Amount = amount
	return obs, nil
}

// channelPrefix is the country prefix of Xendit channel codes by currency.
var channelPrefix = map[string]string{"IDR": "ID_", "PHP": "PH_", "VND": "VN_", "MYR": "MY_", "THB": "TH_"}

// ChannelCode is the Xendit channel code for a beneficiary's bank code: as
// given when it already names the country ("ID_BCA"), else prefixed by the
// currency's country.
func ChannelCode(bankCode, currency string) string {
	if strings.Contains(bankCode, "_") {
		return bankCode
	}
	return channelPrefix[currency] + strings.ToUpper(bankCode)
}

// Submit creates the payout with POST /v2/payouts and our reference as the
// Idempotency-key, so a retry returns the same payout. A duplicate answer
// (409, DUPLICATE_ERROR or DUPLICATE_TRANSACTION_ERROR) is resolved by
// looking the payout up by reference.
func (c *Client) Submit(ctx context.Context, p adapters.Payout) (payout.Observation, error) {
	body, _ := json.Marshal(map[string]any{
		"reference_id": p.ReferenceID,
		"channel_code": ChannelCode(p.Beneficiary.BankCode, p.Amount.Currency),
		"channel_properties": map[string]string{
			"account_number": p.Beneficiary.AccountNumber, "account_holder_name": p.Beneficiary.Name,
		},
		"amount":      json.Number(p.Amount.Decimal()),
		"currency":    p.Amount.Currency,
		"description": p.Narration,
	})
	var res Payout
	err := c.do(ctx, adapters.Call{Op: "submit", Method: http.MethodPost, Path: "/v2/payouts", Body: body, Safe: true,
		Header: http.Header{"Idempotency-Key": {p.ReferenceID}}}, &res)
	if adapters.KindOf(err) == adapters.Duplicate {
		obs, err := c.byReference(ctx, p.ReferenceID)
		return obs, adapters.Taken(err)
	}
	if err != nil {
		return payout.Observation{}, adapters.Unclear(err)
	}
	obs, err := c.observation(res)
	return obs, adapters.UnclearAnswer(err)
}

// Status fetches GET /v2/payouts/{id}, or looks the payout up by reference.
func (c *Client) Status(ctx context.Context, p adapters.Payout) (payout.Observation, error) {
	if p.ProviderPayoutID == "" {
		return c.byReference(ctx, p.ReferenceID)
	}
	var res Payout
	if err := c.do(ctx, adapters.Call{Op: "status", Method: http.MethodGet, Path: "/v2/payouts/" + url.PathEscape(p.ProviderPayoutID), Safe: true}, &res); err != nil {
		return payout.Observation{}, err
	}
	return c.observation(res)
}

// byReference reads GET /v2/payouts?reference_id=, which Xendit's reference
// shows as a bare array and its Go SDK as {"data": [...]}: both are read.
func (c *Client) byReference(ctx context.Context, ref string) (payout.Observation, error) {
	var raw json.RawMessage
	if err := c.do(ctx, adapters.Call{Op: "find", Method: http.MethodGet, Path: "/v2/payouts", Query: url.Values{"reference_id": {ref}}, Safe: true}, &raw); err != nil {
		return payout.Observation{}, err
	}
	var list []Payout
	if err := json.Unmarshal(raw, &list); err != nil {
		var wrapped struct {
			Data []Payout `json:"data"`
		}
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			return payout.Observation{}, &adapters.Error{Provider: "xendit", Kind: adapters.Request, Message: "unreadable payout list"}
		}
		list = wrapped.Data
	}
	if len(list) == 0 {
		return payout.Observation{}, &adapters.Error{Provider: "xendit", Kind: adapters.NotFound, Message: "no payout with reference " + ref}
	}
	return c.observation(list[len(list)-1])
}

// Lists says List is not offered (adapters.Lister).
func (c *Client) Lists() bool { return false }

// List is not offered: Xendit's v2 API lists payouts only by reference, so
// the day-end side comes from the settlement report finance uploads.
func (c *Client) List(ctx context.Context, from, to time.Time) ([]adapters.Record, error) {
	return nil, adapters.ErrListUnsupported
}

// Webhook checks x-callback-token against the configured verification token
// (a static token, compared as it is, in constant time), then parses the
// event: {"event": "payout.succeeded", "data": {payout}}. Xendit sends no
// event id, so the endpoint dedupes on the body's hash. No send time is
// checked (SentAt stays zero): the token signs nothing, so whoever holds it
// can write any "created" they like; a body sent again is caught only as a
// duplicate of its hash.
func (c *Client) Webhook(h http.Header, body []byte) (adapters.Event, error) {
	if !adapters.EqualToken(c.cfg.CallbackToken, h.Get("X-Callback-Token")) {
		return adapters.Event{}, adapters.ErrSignature
	}
	var env struct {
		Event string  `json:"event"`
		Data  *Payout `json:"data"`
	}
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	err := d.Decode(&env)
	if err != nil {
		return adapters.Event{}, adapters.Malformed("%v", err)
	}
	if !strings.HasPrefix(env.Event, "payout.") {
		return adapters.Event{Type: env.Event, Ignore: true, Payload: body}, nil
	}
	if env.Data == nil || (env.Data.ID == "" && env.Data.ReferenceID == "") {
		return adapters.Event{}, adapters.Malformed("%s without data.id", env.Event)
	}
	obs, ok := env.Data.observe()
	if !ok {
		return adapters.Event{}, adapters.Malformed("unknown payout status %q", env.Data.Status)
	}
	if obs.Amount, err = env.Data.amount(); err != nil {
		return adapters.Event{}, adapters.Malformed("%v", err)
	}
	return adapters.Event{Type: env.Event, ReferenceID: env.Data.ReferenceID, Observation: obs, Payload: body}, nil
}

func (c *Client) do(ctx context.Context, call adapters.Call, out any) error {
	if call.Header == nil {
		call.Header = http.Header{}
	}
	call.Header.Set("Authorization", adapters.BasicAuth(c.cfg.SecretKey, ""))
	resp, err := c.call.Do(ctx, call, errorMessage)
	if err != nil {
		if h := adapters.HTTPErrorOf(err); h != nil {
			switch errorCode(h.Body) {
			case "DUPLICATE_ERROR", "DUPLICATE_TRANSACTION_ERROR":
				return adapters.Reclassify(err, adapters.Duplicate, "")
			case "INSUFFICIENT_BALANCE":
				return adapters.Reclassify(err, adapters.InsufficientFunds, "insufficient balance in the Xendit account")
			}
		}
		return err
	}
	d := json.NewDecoder(strings.NewReader(string(resp.Body)))
	d.UseNumber()
	if err := d.Decode(out); err != nil {
		return &adapters.Error{Provider: "xendit", Kind: adapters.Request, Message: "unreadable response: " + err.Error(), Unread: true}
	}
	return nil
}

type apiError struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

func errorMessage(b []byte) string {
	var e apiError
	if json.Unmarshal(b, &e) == nil && e.ErrorCode != "" {
		return e.ErrorCode + ": " + e.Message
	}
	return ""
}

func errorCode(b []byte) string {
	var e apiError
	json.Unmarshal(b, &e)
	return e.ErrorCode
}

// Balance reads the cash balance from GET /balance (IDR, whole rupiah).
func (c *Client) Balance(ctx context.Context) (payout.Money, error) {
	var res struct {
		Balance json.Number `json:"balance"`
	}
	err := c.do(ctx, adapters.Call{Op: "balance", Method: http.MethodGet, Path: "/balance",
		Query: url.Values{"account_type": {"CASH"}}, Safe: true}, &res)
	if err != nil {
		return payout.Money{}, err
	}
	m, err := payout.ParseMoney(res.Balance.String(), "IDR")
	if err != nil {
		return payout.Money{}, &adapters.Error{Provider: "xendit", Kind: adapters.Request, Message: "unreadable balance: " + err.Error()}
	}
	return m, nil
}
