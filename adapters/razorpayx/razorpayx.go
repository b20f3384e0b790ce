// Package razorpayx is a client of the RazorpayX Payouts API: payouts with
// the fund account given inline (the composite API), their status and
// listing, and signed webhooks (seed 003). Amounts are integer paise.
package razorpayx

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"payops/adapters"
	"payops/payout"
)

// Config is what the client needs to reach one RazorpayX account.
type Config struct {
	BaseURL        string   // https://api.razorpay.com
	KeyID          string   // basic auth user
	KeySecret      string   // basic auth password
	AccountNumber  string   // our RazorpayX account the money leaves from
	WebhookSecrets []string // several while a secret is rotated
	Timeout        time.Duration
}

// Client talks to RazorpayX.
type Client struct {
	cfg  Config
	call *adapters.Caller
}

// NewClient returns a client for cfg.
func NewClient(cfg Config) *Client {
	return &Client{cfg: cfg, call: adapters.NewCaller("razorpayx", cfg.BaseURL, cfg.Timeout)}
}

// Name returns "razorpayx".
func (c *Client) Name() string { return "razorpayx" }

// Caller exposes the HTTP caller, so tests can shorten its backoff.
func (c *Client) Caller() *adapters.Caller { return c.call }

// statusMap maps RazorpayX payout statuses to the canonical states.
var statusMap = map[string]payout.Status{
	"pending":    payout.Queued, // awaiting approval in the account's workflow
	"queued":     payout.Queued, // low balance or bank downtime
	"scheduled":  payout.Queued,
	"processing": payout.Processing,
	"processed":  payout.Succeeded,
	"failed":     payout.Failed,
	"reversed":   payout.Reversed,
	"rejected":   payout.Cancelled,
	"cancelled":  payout.Cancelled,
}

// MapStatus returns the canonical state for a RazorpayX status.
func MapStatus(s string) (payout.Status, bool) {
	st, ok := statusMap[strings.ToLower(strings.TrimSpace(s))]
	return st, ok
}

// Payout is RazorpayX's payout entity.
type Payout struct {
	ID            string `json:"id"`
	Amount        int64  `json:"amount"` // paise
	Currency      string `json:"currency"`
	Fees          int64  `json:"fees"`
	Tax           int64  `json:"tax"`
	Status        string `json:"status"`
	UTR           string `json:"utr"`
	Mode          string `json:"mode"`
	ReferenceID   string `json:"reference_id"`
	FailureReason string `json:"failure_reason"`
	StatusDetails *struct {
		Description string `json:"description"`
		Source      string `json:"source"`
		Reason      string `json:"reason"`
	} `json:"status_details"`
	CreatedAt int64 `json:"created_at"` // unix seconds
}

func (p Payout) observe() (payout.Observation, bool) {
	st, ok := MapStatus(p.Status)
	if !ok {
		return payout.Observation{}, false
	}
	obs := payout.Observation{ProviderPayoutID: p.ID, RawStatus: p.Status, Status: st, UTR: p.UTR}
	if p.CreatedAt > 0 {
		// Left out, it is no time at all (not 1970): the observation is
		// then dated when payops made it.
		obs.At = time.Unix(p.CreatedAt, 0)
	}
	if p.StatusDetails != nil && (st == payout.Failed || st == payout.Reversed || st == payout.Cancelled) {
		obs.FailureCode, obs.FailureReason = p.StatusDetails.Reason, p.StatusDetails.Description
	}
	if obs.FailureReason == "" && p.FailureReason != "" && st != payout.Succeeded {
		obs.FailureReason = p.FailureReason
	}
	// pending: waiting for someone's approval in the account's workflow
	// (seed 003: "remains in this state till you approve or reject it").
	obs.PendingApproval = strings.EqualFold(strings.TrimSpace(p.Status), "pending")
	if d := p.StatusDetails; d != nil {
		// Why RazorpayX holds the payout where it is: queued's low balance
		// or bank downtime, a pending payout's workflow.
		obs.StateReason = strings.TrimSpace(d.Description)
		if d.Reason != "" && obs.StateReason != "" {
			obs.StateReason = d.Reason + ": " + obs.StateReason
		} else if d.Reason != "" {
			obs.StateReason = d.Reason
		}
	}
	cur := currencyOf(p)
	if p.Fees > 0 {
		obs.Fee = &payout.Money{Minor: p.Fees, Currency: cur}
	}
	// amount is integer paise; RazorpayX's smallest payout is 100, so 0 is
	// a message that states none.
	if p.Amount != 0 {
		obs.Amount = &payout.Money{Minor: p.Amount, Currency: cur}
	}
	return obs, true
}

// currencyOf is a payout's currency as payops writes it: upper case, and
// INR when the answer leaves it out (RazorpayX pays out INR only), for
// status answers and reconciliation's list alike.
func currencyOf(p Payout) string {
	if cur := strings.ToUpper(strings.TrimSpace(p.Currency)); cur != "" {
		return cur
	}
	return "INR"
}

func (c *Client) observation(p Payout) (payout.Observation, error) {
	obs, ok := p.observe()
	if !ok {
		return payout.Observation{}, &adapters.Error{Provider: "razorpayx", Kind: adapters.Request, Message: "unknown payout status " + strconv.Quote(p.Status)}
	}
	return obs, nil
}

var idempotencyKeyOK = regexp.MustCompile(`^[A-Za-z0-9_ -]{4,36}$`)

// IdempotencyKey is the X-Payout-Idempotency value for our reference: the
// reference itself when RazorpayX accepts it (4-36 letters, digits, '-',
// '_' or space), else a hash of it, so the same payout always sends the
// same key.
func IdempotencyKey(ref string) string {
	if idempotencyKeyOK.MatchString(ref) {
		return ref
	}
	sum := sha256.Sum256([]byte(ref))
	return hex.EncodeToString(sum[:])[:36]
}

var narrationUnsafe = regexp.MustCompile(`[^a-zA-Z0-9 ]`)

// Submit creates the payout with POST /v1/payouts and X-Payout-Idempotency,
// which RazorpayX honours by returning the first payout again, so it is safe
// to retry. queue_if_low_balance is false: a low balance fails at once and is
// reported as InsufficientFunds, a funding hold, rather than queueing money
// silently.
func (c *Client) Submit(ctx context.Context, p adapters.Payout) (payout.Observation, error) {
	if p.Amount.Currency != "INR" {
		return payout.Observation{}, &adapters.Error{Provider: "razorpayx", Kind: adapters.Request, Message: "RazorpayX pays out INR only"}
	}
	narration := adapters.Clip(narrationUnsafe.ReplaceAllString(p.Narration, ""), 30)
	ref := adapters.Clip(p.ReferenceID, 40) // RazorpayX keeps 40 characters of reference_id
	mode := p.Mode
	if mode == "" {
		mode = "IMPS"
	}
	body, _ := json.Marshal(map[string]any{
		"account_number": c.cfg.AccountNumber,
		"amount":         p.Amount.Minor,
		"currency":       "INR",
		"mode":           mode,
		"purpose":        "payout",
		"fund_account": map[string]any{
			"account_type": "bank_account",
			"bank_account": map[string]string{"name": p.Beneficiary.Name, "ifsc": p.Beneficiary.IFSC, "account_number": p.Beneficiary.AccountNumber},
			"contact":      map[string]string{"name": p.Beneficiary.Name, "type": "vendor", "reference_id": ref},
		},
		"queue_if_low_balance": false,
		"reference_id":         ref,
		"narration":            narration,
	})
	var res Payout
	err := c.do(ctx, adapters.Call{Op: "submit", Method: http.MethodPost, Path: "/v1/payouts", Body: body, Safe: true,
		Header: http.Header{"X-Payout-Idempotency": {IdempotencyKey(p.ReferenceID)}}}, &res)
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

// Status fetches GET /v1/payouts/{id}, or the payout with our reference when
// its id is not known.
func (c *Client) Status(ctx context.Context, p adapters.Payout) (payout.Observation, error) {
	if p.ProviderPayoutID == "" {
		return c.byReference(ctx, p.ReferenceID)
	}
	var res Payout
	if err := c.do(ctx, adapters.Call{Op: "status", Method: http.MethodGet, Path: "/v1/payouts/" + url.PathEscape(p.ProviderPayoutID), Safe: true}, &res); err != nil {
		return payout.Observation{}, err
	}
	return c.observation(res)
}

func (c *Client) byReference(ctx context.Context, ref string) (payout.Observation, error) {
	ref = adapters.Clip(ref, 40)
	var res collection
	q := url.Values{"account_number": {c.cfg.AccountNumber}, "reference_id": {ref}}
	if err := c.do(ctx, adapters.Call{Op: "find", Method: http.MethodGet, Path: "/v1/payouts", Query: q, Safe: true}, &res); err != nil {
		return payout.Observation{}, err
	}
	if len(res.Items) == 0 {
		return payout.Observation{}, &adapters.Error{Provider: "razorpayx", Kind: adapters.NotFound, Message: "no payout with reference " + ref}
	}
	return c.observation(res.Items[0])
}

type collection struct {
	Entity string   `json:"entity"`
	Count  int      `json:"count"`
	Items  []Payout `json:"items"`
}

// List pages through GET /v1/payouts with from and to in unix seconds, 100
// at a time.
func (c *Client) List(ctx context.Context, from, to time.Time) ([]adapters.Record, error) {
	var out []adapters.Record
	for skip := 0; ; skip += 100 {
		q := url.Values{"account_number": {c.cfg.AccountNumber}, "from": {strconv.FormatInt(from.Unix(), 10)},
			"to": {strconv.FormatInt(to.Unix()-1, 10)}, "count": {"100"}, "skip": {strconv.Itoa(skip)}}
		var res collection
		if err := c.do(ctx, adapters.Call{Op: "list", Method: http.MethodGet, Path: "/v1/payouts", Query: q, Safe: true}, &res); err != nil {
			return nil, err
		}
		for _, p := range res.Items {
			obs, err := c.observation(p)
			if err != nil {
				return nil, err
			}
			out = append(out, adapters.Record{ProviderPayoutID: p.ID, ReferenceID: p.ReferenceID,
				Amount: payout.Money{Minor: p.Amount, Currency: currencyOf(p)}, Fee: obs.Fee, RawStatus: p.Status,
				Status: obs.Status, UTR: p.UTR, At: obs.At})
		}
		if len(res.Items) < 100 {
			return out, nil
		}
	}
}

func (c *Client) do(ctx context.Context, call adapters.Call, out any) error {
	if call.Header == nil {
		call.Header = http.Header{}
	}
	call.Header.Set("Authorization", adapters.BasicAuth(c.cfg.KeyID, c.cfg.KeySecret))
	resp, err := c.call.Do(ctx, call, errorMessage)
	if err != nil {
		if h := adapters.HTTPErrorOf(err); h != nil && h.Status/100 == 4 && errorReason(h.Body) == "insufficient_funds" {
			return adapters.Reclassify(err, adapters.InsufficientFunds, "insufficient funds in the RazorpayX account")
		}
		return err
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return &adapters.Error{Provider: "razorpayx", Kind: adapters.Request, Message: "unreadable response: " + err.Error(), Unread: true}
	}
	return nil
}

type apiError struct {
	Error struct {
		Code        string `json:"code"`
		Description string `json:"description"`
		Reason      string `json:"reason"`
	} `json:"error"`
}

func errorMessage(b []byte) string {
	var e apiError
	if json.Unmarshal(b, &e) == nil && e.Error.Description != "" {
		return e.Error.Code + ": " + e.Error.Description
	}
	return ""
}

func errorReason(b []byte) string {
	var e apiError
	json.Unmarshal(b, &e)
	return e.Error.Reason
}

// Balance reads the available balance of the configured account from GET
// /v1/banking_balances (amounts in paise).
func (c *Client) Balance(ctx context.Context) (payout.Money, error) {
	var res struct {
		Items []struct {
			AccountNumber   string `json:"account_number"`
			Currency        string `json:"currency"`
			AvailableAmount int64  `json:"available_amount"`
		} `json:"items"`
	}
	if err := c.do(ctx, adapters.Call{Op: "balance", Method: http.MethodGet, Path: "/v1/banking_balances", Safe: true}, &res); err != nil {
		return payout.Money{}, err
	}
	for _, it := range res.Items {
		if it.AccountNumber == c.cfg.AccountNumber {
			return payout.Money{Minor: it.AvailableAmount, Currency: cmp.Or(strings.ToUpper(it.Currency), "INR")}, nil
		}
	}
	return payout.Money{}, &adapters.Error{Provider: "razorpayx", Kind: adapters.Request,
		Message: "the balances listed do not include the configured account"}
}
