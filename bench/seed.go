package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"payops/store/pgtest"
)

// The payouts a benchmark database holds, by g = the payout's id, 1..n, all
// of provider "sandbox", spread so each kind is all over the table:
//
//   - g % 100 = 0: stuck — PROCESSING, sent, last change 15 minutes to 47
//     hours ago, never re-checked (10,000 of a million);
//   - g % 10 in 1..3, with inFlight: PROCESSING, changed a minute ago — what
//     benchmark 1's new webhooks settle (300,000 of a million);
//   - g % 20 = 9: FAILED; g % 20 = 19: REVERSED;
//   - the rest SUCCEEDED, last change 3 to 33 days ago.
//
// No fee is known (the sandbox reports none) and the event, audit and
// ledger tables start empty.
type shape struct {
	n        int
	inFlight bool
	// sandboxIDs gives provider payout ids the sandbox answers for
	// ("sbx_" and 16 hex digits); else they are 12-digit numbers, which a
	// pgbench script can compute.
	sandboxIDs bool
}

const beneficiaries = 100_000

func seed(ctx context.Context, db *sqlx.DB, s shape) error {
	steps := []struct {
		what string
		sql  string
		args []any
	}{
		{"beneficiaries", `
			INSERT INTO beneficiaries (id, name, account_number, ifsc, bank_name)
			SELECT g, 'Beneficiary ' || g, lpad((g::bigint * 7919 % 1000000000000)::text, 12, '0'), 'HDFC0001234', 'HDFC Bank'
			FROM generate_series(1, $1::int) g`, []any{min(beneficiaries, s.n)}},
		{"beneficiaries sequence", `SELECT setval('beneficiaries_id_seq', $1::int)`, []any{min(beneficiaries, s.n)}},
		{"payouts", `
			INSERT INTO payouts (id, reference_id, provider, provider_payout_id, beneficiary_id, amount_minor, currency, mode,
				narration, status, failure_code, failure_reason, utr, submitted_at, created_at, updated_at)
			SELECT g, 'BENCH-' || lpad(g::text, 7, '0'), 'sandbox',
				CASE WHEN $2 THEN 'sbx_' || lpad(to_hex(g), 16, '0') ELSE (100000000000 + g)::text END,
				1 + g % $4::int, 1000 + (g::bigint * 7919) % 10000000, 'INR', 'IMPS', 'bench payout ' || g,
				k.status,
				CASE WHEN k.status = 'FAILED' THEN 'BENEFICIARY_ACCOUNT_CLOSED' ELSE '' END,
				CASE WHEN k.status = 'FAILED' THEN 'Beneficiary account is closed' ELSE '' END,
				CASE WHEN k.status IN ('SUCCEEDED', 'REVERSED') THEN (300000000000 + g)::text ELSE '' END,
				k.changed - interval '5 minutes', k.changed - interval '5 minutes', k.changed
			FROM generate_series(1, $1::int) g
			CROSS JOIN LATERAL (SELECT
				CASE WHEN g % 100 = 0 THEN 'PROCESSING'
				     WHEN $3 AND g % 10 BETWEEN 1 AND 3 THEN 'PROCESSING'
				     WHEN g % 20 = 9 THEN 'FAILED'
				     WHEN g % 20 = 19 THEN 'REVERSED'
				     ELSE 'SUCCEEDED' END AS status,
				CASE WHEN g % 100 = 0 THEN now() - interval '15 minutes' - (g / 100 % 2820) * interval '1 minute'
				     WHEN $3 AND g % 10 BETWEEN 1 AND 3 THEN now() - interval '1 minute'
				     ELSE now() - interval '3 days' - (g % 43200) * interval '1 minute' END AS changed) k`,
			[]any{s.n, s.sandboxIDs, s.inFlight, min(beneficiaries, s.n)}},
		{"payouts sequence", `SELECT setval('payouts_id_seq', $1::int)`, []any{s.n}},
		// As a database in use would be: statistics known, pages all-visible
		// (then checked: pgtest.VacuumUntilAllVisible).
		{"vacuum", `VACUUM ANALYZE payouts, beneficiaries`, nil},
	}
	for _, st := range steps {
		if _, err := db.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("seed %s: %w", st.what, err)
		}
	}
	return vacuumUntilAllVisible(ctx, db, "payouts", "beneficiaries")
}

// vacuumUntilAllVisible is pgtest.VacuumUntilAllVisible, saying which
// tables it vacuumed again.
func vacuumUntilAllVisible(ctx context.Context, db *sqlx.DB, tables ...string) error {
	again, err := pgtest.VacuumUntilAllVisible(ctx, db, tables...)
	if len(again) > 0 {
		say("  vacuumed again, not all-visible after the first: %s", strings.Join(again, ", "))
	}
	return err
}

// Benchmark 1's payouts by role. inFlightG is the g of the i-th in-flight
// payout (g % 10 in 1..3); settledG that of the j-th of the SUCCEEDED
// payouts with g % 10 in 4..8, j < n/10*5. pgbench's scripts compute the
// same.
func inFlightG(i int) int { return i/3*10 + 1 + i%3 }

func settledG(j int) int { return j/5*10 + 4 + j%5 }

func providerPayoutID(g int) string { return fmt.Sprint(100_000_000_000 + g) }

func referenceID(g int) string { return fmt.Sprintf("BENCH-%07d", g) }
