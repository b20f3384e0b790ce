package store

import (
	"encoding/json"
	"time"

	"payops/payout"
)

// PayoutJSON is a payout as the platform sees it: the body of
// GET /api/v1/payouts/{ref} and the data of an outbound payout event. There
// is one builder, PayoutJSONOf, for both.
type PayoutJSON struct {
	ReferenceID      string          `json:"reference_id"`
	Status           string          `json:"status"`
	Provider         string          `json:"provider"`
	ProviderPayoutID *string         `json:"provider_payout_id"`
	Amount           string          `json:"amount"`
	Currency         string          `json:"currency"`
	Market           string          `json:"market"`
	Program          string          `json:"program"`
	Fee              *string         `json:"fee"`
	UTR              *string         `json:"utr"`
	FailureCode      *string         `json:"failure_code"`
	FailureReason    *string         `json:"failure_reason"`
	Metadata         json.RawMessage `json:"metadata"` // the platform's, as it sent it
	// RetryOf is, for a payout an operator sent again as a new instruction
	// (REF-R1), the reference of the failed payout it replaces; RetriedAs,
	// for that failed payout, the reference of the one that replaced it (in
	// the API's answers only: an event is as of its change). A platform that
	// sees payout.failed should not send again a payout already retried.
	RetryOf   *string `json:"retry_of"`
	RetriedAs *string `json:"retried_as,omitempty"`
	// Livemode is false for a test payout (the sandbox's, a drill's), as
	// Stripe's livemode: it moves no money.
	Livemode bool       `json:"livemode"`
	Holds    []HoldJSON `json:"holds"`
	// Exceptions are the payout's open exception cases, in the API's
	// answers only (an event's data leaves them out).
	Exceptions []CaseJSON  `json:"exceptions,omitempty"`
	Ledger     []EntryJSON `json:"ledger"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// HoldJSON is a hold as the platform sees it: why, and its state; the
// operators' names and notes stay inside.
type HoldJSON struct {
	ID        int64      `json:"id"`
	Reason    string     `json:"reason"`
	Detail    string     `json:"detail"`
	State     string     `json:"state"`
	PlacedAt  time.Time  `json:"placed_at"`
	DecidedAt *time.Time `json:"decided_at"`
}

// EntryJSON is a ledger entry as the platform sees it.
type EntryJSON struct {
	Posting   int64     `json:"posting"`
	Kind      string    `json:"kind"`
	Account   string    `json:"account"`
	Direction string    `json:"direction"`
	Amount    string    `json:"amount"`
	Currency  string    `json:"currency"`
	PostedAt  time.Time `json:"posted_at"`
}

// PayoutJSONOf returns the platform's view of p with its holds (in
// HoldsFor's order) and ledger entries (in posting order).
func PayoutJSONOf(p Payout, holds []Hold, entries []LedgerEntry) PayoutJSON {
	out := PayoutJSON{
		ReferenceID: p.ReferenceID, Status: string(p.Status), Provider: p.Provider, ProviderPayoutID: p.ProviderPayoutID,
		Amount: p.Amount().Decimal(), Currency: p.Currency, Market: p.Market, Program: p.Program, UTR: nonEmpty(p.UTR),
		FailureCode: nonEmpty(p.FailureCode), FailureReason: nonEmpty(p.FailureReason), Metadata: p.Metadata,
		RetryOf: p.RetryOfRef, RetriedAs: p.RetriedAs,
		Livemode: p.Livemode, Holds: []HoldJSON{}, Ledger: []EntryJSON{},
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
	}
	if out.Program == "" { // an event snapshot taken before programs
		out.Program = payout.DefaultProgram
	}
	if len(out.Metadata) == 0 {
		out.Metadata = json.RawMessage(`{}`)
	}
	if p.FeeMinor != nil {
		fee := payout.Money{Minor: *p.FeeMinor, Currency: p.Currency}.Decimal()
		out.Fee = &fee
	}
	for _, h := range holds {
		hj := HoldJSON{ID: h.ID, Reason: string(h.Reason), Detail: h.Detail, State: h.State, PlacedAt: h.PlacedAt.UTC()}
		if h.DecidedAt != nil {
			at := h.DecidedAt.UTC()
			hj.DecidedAt = &at
		}
		out.Holds = append(out.Holds, hj)
	}
	for _, e := range entries {
		out.Ledger = append(out.Ledger, EntryJSON{Posting: e.PostingID, Kind: e.Kind, Account: e.Account,
			Direction: e.Direction, Amount: payout.Money{Minor: e.AmountMinor, Currency: e.Currency}.Decimal(),
			Currency: e.Currency, PostedAt: e.PostedAt.UTC()})
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CaseJSON is an open exception case as the platform sees it: what kind,
// why, and since when; owners and notes stay inside.
type CaseJSON struct {
	ID           int64     `json:"id"`
	Kind         string    `json:"kind"`
	FailureClass string    `json:"failure_class,omitempty"`
	Summary      string    `json:"summary"`
	OpenedAt     time.Time `json:"opened_at"`
}

// AddOpenCases puts a payout's open cases in its JSON.
func (pj *PayoutJSON) AddOpenCases(cases []Case) {
	for _, c := range cases {
		if c.Open() {
			pj.Exceptions = append(pj.Exceptions, CaseJSON{ID: c.ID, Kind: string(c.Kind), FailureClass: c.FailureClass,
				Summary: c.Summary, OpenedAt: c.OpenedAt.UTC()})
		}
	}
}
