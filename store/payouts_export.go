package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"payops/payout"
)

// PayoutExportColumns name the columns of a payouts export, in order.
var PayoutExportColumns = []string{"reference_id", "provider", "provider_payout_id", "utr", "status", "amount", "currency",
	"fee", "market", "created_at", "submitted_at", "settled_at", "failure_code", "failure_reason", "open_hold_reasons",
	"ledger_posting_ids"}

// decimalSQL writes a column of minor units as the decimal amount in the
// payout's currency, exactly (numeric, never a float), as
// payout.Money.Decimal does.
func decimalSQL(col string) string {
	var b strings.Builder
	b.WriteString("CASE p.currency")
	for _, c := range payout.Currencies() {
		exp, _ := payout.Exponent(c)
		if exp == 0 {
			fmt.Fprintf(&b, " WHEN '%s' THEN %s::text", c, col)
			continue
		}
		fmt.Fprintf(&b, " WHEN '%s' THEN round(%s::numeric / 1%s, %d)::text", c, col, strings.Repeat("0", exp), exp)
	}
	return b.String() + " END"
}

// utcSQL writes a timestamp column as RFC 3339 in UTC.
func utcSQL(col string) string {
	return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`
}

// PayoutExportSQL returns the query of a payouts export for q and its
// arguments: one text column per field (PayoutExportColumns), newest
// first. make bench runs the same query under COPY, to compare.
func PayoutExportSQL(q PayoutQuery) (string, []any) {
	q.After = nil
	var args []any
	where := q.where(&args)
	col, _ := q.sortColumn()
	return `SELECT p.reference_id, p.provider, coalesce(p.provider_payout_id, ''), p.utr, p.status,
		` + decimalSQL("p.amount_minor") + `, p.currency, coalesce(` + decimalSQL("p.fee_minor") + `, ''), p.market,
		` + utcSQL("p.created_at") + `, coalesce(` + utcSQL("p.submitted_at") + `, ''),
		coalesce(` + utcSQL("p.settled_at") + `, ''), p.failure_code, p.failure_reason,
		coalesce((SELECT string_agg(h.reason, ' ' ORDER BY h.id) FROM holds h WHERE h.payout_id = p.id AND h.state = 'open'), ''),
		coalesce((SELECT string_agg(l.id::text, ' ' ORDER BY l.id) FROM ledger_postings l
			WHERE l.payout_id = p.id AND l.payout_created_at = p.created_at), '')
		FROM payouts p JOIN beneficiaries b ON b.id = p.beneficiary_id
		WHERE ` + where + ` ORDER BY ` + col + ` DESC, p.id DESC`, args
}

// EachPayoutExport streams the export of q to fn a row at a time, in
// bounded memory: row holds one value per PayoutExportColumns, valid only
// during the call. fn's error stops the stream and is returned.
func (s *Store) EachPayoutExport(ctx context.Context, q PayoutQuery, fn func(row []sql.RawBytes) error) error {
	query, args := PayoutExportSQL(q)
	rows, err := q.db(s).QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: export payouts: %w", err)
	}
	defer rows.Close()
	row := make([]sql.RawBytes, len(PayoutExportColumns))
	dest := make([]any, len(row))
	for i := range row {
		dest[i] = &row[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("store: export payouts: %w", err)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export payouts after %s: %w", strconv.Quote(string(row[0])), err)
	}
	return nil
}
