package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"payops/payout"
)

// Ledger accounts. A payout owed to a beneficiary sits in payouts_payable
// until the provider pays it out of our settlement balance with it.
const (
	accountPayable = "payouts_payable"
	accountFees    = "provider_fees"
)

func settlementAccount(provider string) string { return "provider_settlement:" + provider }

// LedgerEntry is one side of a posting.
type LedgerEntry struct {
	PostingID   int64     `db:"posting_id"`
	Kind        string    `db:"kind"`
	PostedAt    time.Time `db:"posted_at"`
	Account     string    `db:"account"`
	Direction   string    `db:"direction"`
	AmountMinor int64     `db:"amount_minor"`
	Currency    string    `db:"currency"`
}

type entry struct {
	account   string
	direction string
	amount    int64
}

// ledgerPayout is what postings are computed from.
type ledgerPayout struct {
	ID        int64
	Provider  string
	Amount    payout.Money
	Fee       *int64
	CreatedAt time.Time // the ledger's partition key (00040)
}

// posting is one balanced posting of a kind.
type posting struct {
	kind    string
	entries []entry
}

// postOutcome adds to b the ledger postings a change of payout p from one
// state to the next calls for, each kind at most once per payout:
//   - succeeded: debit payable, credit the provider's settlement account;
//   - fee (once known, on a succeeded payout): debit fees, credit settlement;
//   - reversed (after succeeded): the opposite of what was posted before,
//     read from q. A fee the reversal states first (the success stated
//     none) is the paid payout's fee: posted now and undone with the rest,
//     as it would have been had it come with the success, so the ledger
//     shows every fee the payout records.
func postOutcome(ctx context.Context, q Querier, r *rows, p ledgerPayout, from, to payout.Status) error {
	settle := settlementAccount(p.Provider)
	var ps []posting
	if to == payout.Succeeded && from != payout.Succeeded {
		ps = append(ps, posting{"succeeded", []entry{{accountPayable, "debit", p.Amount.Minor}, {settle, "credit", p.Amount.Minor}}})
	}
	feePosting := func() posting {
		return posting{"fee", []entry{{accountFees, "debit", *p.Fee}, {settle, "credit", *p.Fee}}}
	}
	if to == payout.Succeeded && p.Fee != nil && *p.Fee > 0 {
		ps = append(ps, feePosting())
	}
	if to == payout.Reversed && from != payout.Reversed {
		// Undo exactly what was posted: nothing for a payout that never
		// succeeded.
		var prior []LedgerEntry
		err := q.SelectContext(ctx, &prior, ledgerSelect+` AND l.kind IN ('succeeded', 'fee') ORDER BY e.id`, p.ID, p.CreatedAt)
		if err != nil {
			return fmt.Errorf("store: ledger of payout %d: %w", p.ID, err)
		}
		var kinds []string
		for _, e := range prior {
			kinds = append(kinds, e.Kind)
		}
		if slices.Contains(kinds, "succeeded") && !slices.Contains(kinds, "fee") && p.Fee != nil && *p.Fee > 0 {
			fee := feePosting()
			ps = append(ps, fee)
			for _, e := range fee.entries {
				prior = append(prior, LedgerEntry{Kind: fee.kind, Account: e.account, Direction: e.direction, AmountMinor: e.amount})
			}
		}
		var opposite []entry
		for _, e := range prior {
			dir := "debit"
			if e.Direction == "debit" {
				dir = "credit"
			}
			opposite = append(opposite, entry{e.Account, dir, e.AmountMinor})
		}
		if len(opposite) > 0 {
			ps = append(ps, posting{"reversed", opposite})
		}
	}
	return r.post(p, ps)
}

// ledgerSelect reads the ledger of payout $1 created at $2. Both ledger
// tables are partitioned by the payout's creation time (00040) and never
// archived: with $2 PostgreSQL plans the one month's partitions, where with
// the payout alone it planned and probed every month's (at sixty months,
// planning alone took about 3.5 ms, against 0.25 ms).
const ledgerSelect = `SELECT e.posting_id, l.kind, l.posted_at, e.account, e.direction, e.amount_minor, e.currency
	FROM ledger_postings l JOIN ledger_entries e ON e.posting_id = l.id AND e.payout_created_at = l.payout_created_at
	WHERE l.payout_id = $1 AND l.payout_created_at = $2 AND e.payout_created_at = $2`

// LedgerFor returns payout p's ledger entries in posting order.
func (s *Store) LedgerFor(ctx context.Context, p Payout) ([]LedgerEntry, error) {
	var out []LedgerEntry
	err := s.db.SelectContext(ctx, &out, ledgerSelect+` ORDER BY e.id`, p.ID, p.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("store: ledger of payout %d: %w", p.ID, err)
	}
	return out, nil
}

// Imbalance is a currency whose debits and credits differ.
type Imbalance struct {
	Currency string `db:"currency"`
	Net      int64  `db:"net"`
}

// LedgerImbalances returns every currency whose journal does not sum to
// zero; a sound ledger returns none.
func (s *Store) LedgerImbalances(ctx context.Context) ([]Imbalance, error) {
	var out []Imbalance
	err := s.db.SelectContext(ctx, &out, `
		SELECT currency, sum(CASE WHEN direction = 'debit' THEN amount_minor ELSE -amount_minor END) AS net
		FROM ledger_entries GROUP BY currency
		HAVING sum(CASE WHEN direction = 'debit' THEN amount_minor ELSE -amount_minor END) <> 0`)
	if err != nil {
		return nil, fmt.Errorf("store: ledger balance: %w", err)
	}
	return out, nil
}
