// Package paywize is a client of Paywize's payout API and its payout
// webhooks (seed 001). Paywize encrypts bodies with AES-256-CBC and PKCS#7
// padding: key = the 32-byte API key, IV = the 16-byte secret key, base64 on
// the wire. Requests carry {"payload": ...}; answers and webhooks {"data": ...}
// (webhooks "payload" too). Answers branch on resp_code, not the HTTP status.
//
// Where Paywize's documents disagree or are silent, the choices are made here
// and only here: the token request is sent encrypted and its answer may be a
// {"token"} object or the bare JWT; the HMAC key of X-Paywize-Signature is a
// separately configured webhook secret; payouts are found by sender_id (our
// reference); and no listing by time is documented, so List is unsupported.
package paywize

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
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

// Config is what the client needs to reach one Paywize account.
type Config struct {
	BaseURL       string // https://merchant.paywize.in
	APIKey        string // 32 bytes: the AES key
	SecretKey     string // 16 bytes: the AES IV
	WebhookSecret string // keys X-Paywize-Signature
	WalletID      string
	CallbackURL   string // where Paywize sends this account's webhooks
	Timeout       time.Duration
}

// Client talks to Paywize.
type Client struct {
	cfg   Config
	call  *adapters.Caller
	block cipher.Block

	mu       sync.Mutex
	token    string
	tokenExp time.Time
}

// NewClient returns a client for cfg, or an error when the keys have the
// wrong length for AES-256-CBC.
func NewClient(cfg Config) (*Client, error) {
	if len(cfg.APIKey) != 32 {
		return nil, fmt.Errorf("paywize: the API key must be 32 bytes (it is the AES-256 key), not %d", len(cfg.APIKey))
	}
	if len(cfg.SecretKey) != aes.BlockSize {
		return nil, fmt.Errorf("paywize: the secret key must be 16 bytes (it is the AES IV), not %d", len(cfg.SecretKey))
	}
	block, err := aes.NewCipher([]byte(cfg.APIKey))
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, call: adapters.NewCaller("paywize", cfg.BaseURL, cfg.Timeout), block: block}, nil
}

// Name returns "paywize".
func (c *Client) Name() string { return "paywize" }

// Caller exposes the HTTP caller, so tests can shorten its backoff.
func (c *Client) Caller() *adapters.Caller { return c.call }

// statusMap maps Paywize's statuses, compared case-insensitively, to the
// canonical states.
var statusMap = map[string]payout.Status{
	"INITIATED":  payout.Queued,
	"PENDING":    payout.Processing,
	"PROCESSING": payout.Processing,
	"SUCCESS":    payout.Succeeded,
	"COMPLETED":  payout.Succeeded,
	"FAILED":     payout.Failed,
	"REFUNDED":   payout.Reversed,
	"CANCELLED":  payout.Cancelled,
}

// informational are webhook statuses seed 001 lists as additional events:
// progress notes, not payout states.
var informational = map[string]bool{"BANK_CONFIRMED": true, "SETTLEMENT_INITIATED": true, "COMPLIANCE_CHECK": true}

// MapStatus returns the canonical state for a Paywize status.
func MapStatus(s string) (payout.Status, bool) {
	st, ok := statusMap[strings.ToUpper(strings.TrimSpace(s))]
	return st, ok
}

// Transaction is a payout as Paywize's status answers and webhooks describe
// it, in both documented shapes: the payout API's (sender_id, utr_number)
// and the Connected Banking webhook's (merchant_ref_id, bank_reference).
type Transaction struct {
	TransactionID  string `json:"transaction_id"`
	SenderID       string `json:"sender_id"`
	MerchantRefID  string `json:"merchant_ref_id"`
	Amount         string `json:"amount"`
	Currency       string `json:"currency"`
	Status         string `json:"status"`
	StatusMessage  string `json:"status_message"`
	UTRNumber      string `json:"utr_number"`
	BankReference  string `json:"bank_reference"`
	PaymentDetails *struct {
		Charges string `json:"charges"`
	} `json:"payment_details"`
}

// Reference is our reference as the transaction echoes it.
func (t Transaction) Reference() string {
	if t.SenderID != "" {
		return t.SenderID
	}
	return t.MerchantRefID
}

func (t Transaction) observe() (payout.Observation, bool) {
	st, ok := MapStatus(t.Status)
	if !ok {
		return payout.Observation{}, false
	}
	obs := payout.Observation{ProviderPayoutID: t.TransactionID, RawStatus: t.Status, Status: st, UTR: t.UTRNumber}
	if obs.UTR == "" {
		obs.UTR = t.BankReference
	}
	if st == payout.Failed || st == payout.Cancelled || st == payout.Reversed {
		obs.FailureReason = t.StatusMessage
	}
	if t.PaymentDetails != nil && t.PaymentDetails.Charges != "" {
		if fee, err := payout.ParseMoney(t.PaymentDetails.Charges, "INR"); err == nil {
			obs.Fee = &fee
		}
	}
	return obs, true
}

// amount reads the transaction's amount, a decimal string of rupees
// ("10000.00", seed 001) in its currency (INR when it names none),
// exactly; nil when it states none. The gross amount is compared, not
// net_amount (the amount less Paywize's charges).
func (t Transaction) amount() (*payout.Money, error) {
	if t.Amount == "" {
		return nil, nil
	}
	cur := strings.ToUpper(strings.TrimSpace(t.Currency))
	if cur == "" {
		cur = "INR"
	}
	m, err := payout.ParseMoney(strings.TrimSpace(t.Amount), cur)
	if err != nil {
		return nil, fmt.Errorf("amount: %w", err)
	}
	return &m, nil
}

// Submit initiates the payout at POST /api/payout/v1/initiate with our
// reference as sender_id. Paywize refuses a used sender_id (4002 "Invalid or
// Duplicate Sender ID") without returning the payout, so that answer is
// resolved by looking the payout up by sender_id; a retry is thus safe.
func (c *Client) Submit(ctx context.Context, p adapters.Payout) (payout.Observation, error) {
	if p.Amount.Currency != "INR" {
		return payout.Observation{}, &adapters.Error{Provider: "paywize", Kind: adapters.Request, Message: "Paywize pays out INR only"}
	}
	remarks := adapters.Clip(p.Narration, 10) // Paywize allows 10 characters
	mode := p.Mode
	if mode == "" {
		mode = "IMPS"
	}
	plain, _ := json.Marshal(map[string]string{
		"sender_id": p.ReferenceID, "wallet_id": c.cfg.WalletID, "amount": p.Amount.Decimal(), "payment_mode": mode,
		"beneficiary_name": p.Beneficiary.Name, "beneficiary_ifsc": p.Beneficiary.IFSC,
		"beneficiary_acc_number": p.Beneficiary.AccountNumber, "remarks": remarks, "callback_url": c.cfg.CallbackURL,
	})
	var t Transaction
	err := c.do(ctx, adapters.Call{Op: "submit", Method: http.MethodPost, Path: "/api/payout/v1/initiate", Safe: true}, plain, &t)
	if adapters.KindOf(err) == adapters.Duplicate {
		obs, lookup := c.status(ctx, url.Values{"sender_id": {p.ReferenceID}})
		if adapters.AfterUnclearTry(err) {
			// The sender_id was taken by our own try whose answer was lost:
			// a lookup that finds nothing (yet) leaves it unclear.
			return obs, adapters.Taken(lookup)
		}
		return obs, adapters.TakenOrInvalid(lookup)
	}
	if err != nil {
		return payout.Observation{}, adapters.Unclear(err)
	}
	obs, err := c.observation(t)
	return obs, adapters.UnclearAnswer(err)
}

// Status asks GET /api/payout/v1/status by Paywize's transaction id, or by
// sender_id when that is not known yet.
func (c *Client) Status(ctx context.Context, p adapters.Payout) (payout.Observation, error) {
	if p.ProviderPayoutID != "" {
		return c.status(ctx, url.Values{"transaction_id": {p.ProviderPayoutID}})
	}
	return c.status(ctx, url.Values{"sender_id": {p.ReferenceID}})
}

func (c *Client) status(ctx context.Context, q url.Values) (payout.Observation, error) {
	var t Transaction
	if err := c.do(ctx, adapters.Call{Op: "status", Method: http.MethodGet, Path: "/api/payout/v1/status", Query: q, Safe: true}, nil, &t); err != nil {
		return payout.Observation{}, err
	}
	return c.observation(t)
}

func (c *Client) observation(t Transaction) (payout.Observation, error) {
	obs, ok := t.observe()
	if !ok {
		return payout.Observation{}, &adapters.Error{Provider: "paywize", Kind: adapters.Request, Message: "unknown payout status " + t.Status}
	}
	amount, err := t.amount()
	if err != nil {
		return payout.Observation{}, &adapters.Error{Provider: "paywize", Kind: adapters.Request, Message: "transaction " + t.TransactionID + ": " + err.Error()}
	}
	obs.Amount = amount
	return obs, nil
}

// Lists says List is not offered (adapters.Lister).
func (c *Client) Lists() bool { return false }

// List is not offered: Paywize documents no listing or report endpoint, so
// the day-end side comes from the settlement report finance uploads.
func (c *Client) List(ctx context.Context, from, to time.Time) ([]adapters.Record, error) {
	return nil, adapters.ErrListUnsupported
}

// envelope is every Paywize answer: a result code and encrypted data.
type envelope struct {
	RespCode    int    `json:"resp_code"`
	RespMessage string `json:"resp_message"`
	Data        string `json:"data"`
	// The token endpoint answers in camelCase.
	RespCodeCamel    int    `json:"respCode"`
	RespMessageCamel string `json:"respMessage"`
}

func (e envelope) code() (int, string) {
	if e.RespCode != 0 {
		return e.RespCode, e.RespMessage
	}
	return e.RespCodeCamel, e.RespMessageCamel
}

// do sends plain (encrypted into {"payload": ...}) with a bearer token and
// decrypts the answer's data into out, classifying resp_code.
func (c *Client) do(ctx context.Context, call adapters.Call, plain []byte, out any) error {
	tok, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	call.Header = http.Header{"Authorization": {"Bearer " + tok}}
	data, err := c.exchange(ctx, call, plain)
	if adapters.KindOf(err) == adapters.Credentials {
		c.mu.Lock()
		c.token = ""
		c.mu.Unlock()
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &adapters.Error{Provider: "paywize", Kind: adapters.Request, Message: "unreadable data: " + err.Error(), Unread: true}
	}
	return nil
}

func (c *Client) exchange(ctx context.Context, call adapters.Call, plain []byte) ([]byte, error) {
	if plain != nil {
		call.Body, _ = json.Marshal(map[string]string{"payload": c.Encrypt(plain)})
	}
	resp, err := c.call.Do(ctx, call, func(b []byte) string {
		var e envelope
		json.Unmarshal(b, &e)
		_, msg := e.code()
		return msg
	})
	var body []byte
	switch {
	case err == nil:
		body = resp.Body
	case adapters.HTTPErrorOf(err) != nil && adapters.KindOf(err) != adapters.Transient:
		// A 4xx may still carry a resp_code that says more than the status.
		body = adapters.HTTPErrorOf(err).Body
	default:
		return nil, err
	}
	var e envelope
	if jerr := json.Unmarshal(body, &e); jerr != nil {
		if err != nil {
			return nil, err
		}
		return nil, &adapters.Error{Provider: "paywize", Kind: adapters.Request, Message: "unreadable answer", Unread: true}
	}
	code, msg := e.code()
	if code == 0 && err != nil {
		// A 4xx whose body has no resp_code ({"message": "Unauthorized"}
		// from a gateway): its HTTP status says what it is, credentials
		// (the token dropped) or a duplicate or an unknown payout.
		return nil, err
	}
	if code == 0 && err == nil {
		// A 2xx without its resp_code says nothing payops can read: the
		// provider answered, and may have acted.
		return nil, &adapters.Error{Provider: "paywize", Kind: adapters.Request, HTTPStatus: statusOf(resp, err),
			Message: "answer without a resp_code", Unread: true, AfterUnclear: resp.AfterUnclear}
	}
	if code != 2000 {
		return nil, &adapters.Error{Provider: "paywize", Kind: kindForCode(code, msg), HTTPStatus: statusOf(resp, err),
			Message: fmt.Sprintf("%d %s", code, msg), AfterUnclear: resp.AfterUnclear || adapters.AfterUnclearTry(err)}
	}
	if e.Data == "" {
		return []byte("{}"), nil
	}
	return c.Decrypt(e.Data)
}

func statusOf(resp adapters.Response, err error) int {
	if h := adapters.HTTPErrorOf(err); h != nil {
		return h.Status
	}
	return resp.Status
}

// kindForCode classifies Paywize's resp_code values as documented.
func kindForCode(code int, msg string) adapters.Kind {
	lower := strings.ToLower(msg)
	switch {
	case code == 4001:
		return adapters.Credentials
	case code == 4002 && strings.Contains(lower, "duplicate"):
		return adapters.Duplicate
	case strings.Contains(lower, "insufficient"):
		return adapters.InsufficientFunds
	case code == 4103:
		return adapters.NotFound
	case code >= 5000:
		return adapters.Transient
	default:
		return adapters.Request
	}
}

// accessToken returns a cached token, asking POST /api/v1/auth/clients/token
// for a new one (they live 300 s) when it is missing or about to expire.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Now().Before(c.tokenExp) {
		return c.token, nil
	}
	plain, _ := json.Marshal(map[string]string{"apiKey": c.cfg.APIKey, "secretKey": c.cfg.SecretKey})
	data, err := c.exchange(ctx, adapters.Call{Op: "auth", Method: http.MethodPost, Path: "/api/v1/auth/clients/token", Safe: true}, plain)
	if err != nil {
		return "", err
	}
	var t struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(data, &t) != nil || t.Token == "" {
		t.Token = strings.Trim(strings.TrimSpace(string(data)), `"`)
	}
	if t.Token == "" || t.Token == "{}" {
		return "", &adapters.Error{Provider: "paywize", Kind: adapters.Credentials, Message: "token request returned no token"}
	}
	c.token, c.tokenExp = t.Token, time.Now().Add(270*time.Second)
	return c.token, nil
}
