package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"payops/payout"
	"payops/store"
)

// BigDay is one provider's business day at scale, for benchmarks (make
// bench and store's BenchmarkReconcileMillion): n SUCCEEDED payouts of
// provider "sandbox" sent that day, and the provider's n records of it, with
// 0.5% missing on each side and 0.2% amount and 0.2% status mismatches.
type BigDay struct {
	Day     time.Time
	Records []payout.ProviderRecord
	Diffs   int // how many differences reconciling the day must find
}

// NewBigDay inserts the day's n payouts into db with one set-based INSERT
// (and ANALYZE) and returns the day with the provider's records, which it
// also loads into a table of their own for BareJoin.
func NewBigDay(ctx context.Context, db *sqlx.DB, n int) (BigDay, error) {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var ben int64
	err := db.GetContext(ctx, &ben, `INSERT INTO beneficiaries (name, account_number, ifsc) VALUES ('Bench', '123456789012', 'HDFC0001234') RETURNING id`)
	if err != nil {
		return BigDay{}, fmt.Errorf("pgtest: big day: %w", err)
	}
	_, err = db.ExecContext(ctx, `
		INSERT INTO payouts (reference_id, provider, provider_payout_id, beneficiary_id, amount_minor, currency, status,
			fee_minor, submitted_at, created_at, updated_at)
		SELECT 'B-' || g, 'sandbox', 'pp-B-' || g, $1, 1000 + g % 100000, 'INR', 'SUCCEEDED', 500,
			$2::timestamptz + (g % 86400) * interval '1 second', $2::timestamptz + (g % 86400) * interval '1 second', now()
		FROM generate_series(1, $3::int) g`, ben, day, n)
	if err != nil {
		return BigDay{}, fmt.Errorf("pgtest: big day: %w", err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE payouts`); err != nil {
		return BigDay{}, fmt.Errorf("pgtest: big day: %w", err)
	}
	fee := int64(500)
	records := make([]payout.ProviderRecord, n)
	for i := range records {
		g := int64(i + 1)
		r := payout.ProviderRecord{ProviderPayoutID: fmt.Sprintf("pp-B-%d", g), ReferenceID: fmt.Sprintf("B-%d", g),
			Amount: payout.Money{Minor: 1000 + g%100000, Currency: "INR"}, Status: payout.Succeeded, Fee: &fee}
		switch {
		case g%200 == 13:
			r.ProviderPayoutID, r.ReferenceID = fmt.Sprintf("pp-X-%d", g), fmt.Sprintf("X-%d", g) // missing on each side
		case g%500 == 7:
			r.Amount.Minor++ // amount mismatch
		case g%500 == 11:
			r.Status = payout.Failed // status mismatch
		}
		records[i] = r
	}
	if err := loadRecords(ctx, db, records); err != nil {
		return BigDay{}, err
	}
	return BigDay{Day: day, Records: records, Diffs: 2*n/200 + 2*n/500}, nil
}

// VacuumBigDay vacuums and analyzes both sides of NewBigDay's day, as a
// day's rows are by day end (hint bits set, visible to all): otherwise the
// first scan of either side writes every page, and autovacuum runs during
// the measurement. The ten-million seed vacuums everything itself, once
// the rest is loaded (a vacuum in the middle of it left the stuck payouts
// slower to count).
func VacuumBigDay(ctx context.Context, db *sqlx.DB) error {
	tables := []string{"payouts", "bigday_records"}
	for _, table := range tables {
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE `+table); err != nil {
			return fmt.Errorf("pgtest: big day: %w", err)
		}
	}
	_, err := VacuumUntilAllVisible(ctx, db, tables...)
	return err
}

// loadRecords writes the day's records into a plain table of their own,
// bigday_records, for BareJoin.
func loadRecords(ctx context.Context, db *sqlx.DB, records []payout.ProviderRecord) error {
	// COPY needs a transaction: the store's.
	err := store.New(db).WithTx(ctx, func(q store.Querier) error {
		tx := q.(interface {
			sqlx.ExecerContext
			PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
		})
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS bigday_records`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE bigday_records (provider_payout_id text, reference_id text,
			amount_minor bigint, currency text, status text, fee_minor bigint)`); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, pq.CopyIn("bigday_records", "provider_payout_id", "reference_id", "amount_minor",
			"currency", "status", "fee_minor"))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range records {
			if _, err := stmt.ExecContext(ctx, r.ProviderPayoutID, r.ReferenceID, r.Amount.Minor, r.Amount.Currency,
				string(r.Status), r.Fee); err != nil {
				return err
			}
		}
		if _, err := stmt.ExecContext(ctx); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `ANALYZE bigday_records`)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgtest: big day: records: %w", err)
	}
	return nil
}

// BareJoin counts the rows of a bare FULL OUTER JOIN of the provider's
// payouts with the day's records, which NewBigDay loaded into a table of
// their own: the floor PostgreSQL sets for comparing the two sides.
func BareJoin(ctx context.Context, db *sqlx.DB) (int, error) {
	var joined int
	err := db.GetContext(ctx, &joined, `SELECT count(*) FROM (SELECT * FROM payouts WHERE provider = 'sandbox') p
		FULL OUTER JOIN bigday_records t ON t.provider_payout_id = p.provider_payout_id`)
	if err != nil {
		return 0, fmt.Errorf("pgtest: bare join: %w", err)
	}
	return joined, nil
}
