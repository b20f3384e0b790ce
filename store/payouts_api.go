package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// What the platform API reads besides FindPayouts: a payout with its
// metadata, and the holds and ledger entries of a page of payouts in one
// query each, so a page of 500 payouts is three queries, not a thousand.

// apiColumns are what the platform's view of a payout reads besides
// payoutColumns: its metadata, and the references of its retry links (an
// operator's retry of a failed payout, payouts.retry_of, each way).
const apiColumns = `, p.metadata,
	(SELECT r.reference_id FROM payouts r WHERE r.id = p.retry_of) AS retry_of_ref,
	(SELECT n.reference_id FROM payouts n WHERE n.retry_of = p.id ORDER BY n.id DESC LIMIT 1) AS retried_as`

// PayoutWithMetadata returns PayoutByRef's payout with its Metadata, or
// ErrNotFound.
func (s *Store) PayoutWithMetadata(ctx context.Context, ref string, m RefMode) (Payout, error) {
	var p Payout
	err := s.db.GetContext(ctx, &p, `SELECT `+payoutColumns+apiColumns+payoutFrom+byRef, refArgs(ref, m)...)
	if err != nil {
		return Payout{}, fmt.Errorf("store: payout %s: %w", ref, mapErr(err))
	}
	return p, nil
}

// HoldsOfPayouts returns the holds of the payouts with the given ids, by
// payout id, each payout's in HoldsFor's order (open first, then oldest);
// a payout without holds has no key.
func (s *Store) HoldsOfPayouts(ctx context.Context, ids []int64) (map[int64][]Hold, error) {
	out := map[int64][]Hold{}
	if len(ids) == 0 {
		return out, nil
	}
	var holds []Hold
	err := s.db.SelectContext(ctx, &holds, holdSelect+`WHERE h.payout_id = ANY($1)
		ORDER BY h.payout_id, h.state <> 'open', h.id`, pq.Int64Array(ids))
	if err != nil {
		return nil, fmt.Errorf("store: holds of %d payouts: %w", len(ids), err)
	}
	for _, h := range holds {
		out[h.PayoutID] = append(out[h.PayoutID], h)
	}
	return out, nil
}

// LedgerOfPayouts returns the ledger entries of payouts ps, by payout id,
// each payout's in posting order as LedgerFor's; a payout without postings
// has no key. The payouts' creation times name the ledger's months to read
// (ledgerSelect).
func (s *Store) LedgerOfPayouts(ctx context.Context, ps []Payout) (map[int64][]LedgerEntry, error) {
	out := map[int64][]LedgerEntry{}
	if len(ps) == 0 {
		return out, nil
	}
	ids, created := make([]int64, len(ps)), make([]time.Time, len(ps))
	for i, p := range ps {
		ids[i], created[i] = p.ID, p.CreatedAt
	}
	var rows []struct {
		PayoutID int64 `db:"payout_id"`
		LedgerEntry
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT l.payout_id, e.posting_id, l.kind, l.posted_at, e.account, e.direction, e.amount_minor, e.currency
		FROM ledger_postings l JOIN ledger_entries e ON e.posting_id = l.id AND e.payout_created_at = l.payout_created_at
		WHERE l.payout_id = ANY($1) AND l.payout_created_at = ANY($2) AND e.payout_created_at = ANY($2)
		ORDER BY l.payout_id, e.id`, pq.Int64Array(ids), pq.Array(created))
	if err != nil {
		return nil, fmt.Errorf("store: ledger of %d payouts: %w", len(ids), err)
	}
	for _, r := range rows {
		out[r.PayoutID] = append(out[r.PayoutID], r.LedgerEntry)
	}
	return out, nil
}
