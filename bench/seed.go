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
// No fee is known (the sandbox reports none). With inFlight (benchmark 1),
// the SUCCEEDED payouts with g % 10 = 0 have the history a webhook gave
// them (seedHistory); else the history tables start empty.
type shape struct {
	n        int
	inFlight bool
	// sandboxIDs gives provider payout ids the sandbox answers for
	// ("sbx_" and 16 hex digits); else they are 12-digit numbers, which a
	// pgbench script can compute.
	sandboxIDs bool
}

const beneficiaries = 100_000

// seedHistory gives the SUCCEEDED payouts with g % 10 = 0 (a tenth, less
// the stuck) what the webhook that settled them wrote: its delivery and
// event, the payout event and audit entry (in this month's partitions, as
// written now), the ledger posting with its two entries, and the outbound
// payout.succeeded event delivered to an endpoint since gone (endpoint 0:
// no endpoint of the run has an event before it starts). A database in
// use has history: with the history tables empty, PostgreSQL plans the
// statements of the first webhooks (foreign key checks among them) for
// empty tables, scans, and keeps those plans while the tables grow during
// the run, which no database in use does.
const seedHistory = `WITH h AS (SELECT id AS g, reference_id, provider_payout_id, amount_minor, created_at, updated_at, utr
		FROM payouts WHERE id % 10 = 0 AND id % 100 <> 0 AND status = 'SUCCEEDED'),
	d AS (INSERT INTO webhook_deliveries (id, provider, headers, body, body_length, payload, verified, event_id, event_type,
			outcome, detail, payout_id)
		SELECT nextval('webhook_deliveries_id_seq'), 'sandbox', '{"Content-Type": "application/json"}',
			convert_to('{"payout_id": "' || provider_payout_id || '", "status": "SUCCESS"}', 'UTF8'), 40,
			'{"payout_id": "' || provider_payout_id || '", "status": "SUCCESS"}', true, 'seed-' || g, 'payout.success',
			'applied', 'moved to SUCCEEDED', g
		FROM h RETURNING id, payout_id),
	e AS (INSERT INTO webhook_events (provider, event_id, delivery_id, payout_id, provider_payout_id, reference_id,
			raw_status, status, utr, failure_code, failure_reason, fee_minor, observed_at, amount_minor, amount_currency,
			state_reason, pending_approval)
		SELECT 'sandbox', 'seed-' || h.g, d.id, h.g, h.provider_payout_id, h.reference_id, 'SUCCESS', 'SUCCEEDED', h.utr,
			'', '', NULL, h.updated_at, h.amount_minor, 'INR', '', false
		FROM h JOIN d ON d.payout_id = h.g),
	pe AS (INSERT INTO payout_events (payout_id, source, raw_status, status, previous, decision, detail, utr, failure_code,
			failure_reason, actor, observed_at, delivery_id)
		SELECT h.g, 'webhook', 'SUCCESS', 'SUCCEEDED', 'PROCESSING', 'applied', 'moved to SUCCEEDED', h.utr, '', '',
			'sandbox', h.updated_at, d.id
		FROM h JOIN d ON d.payout_id = h.g),
	a AS (INSERT INTO audit_log (actor, action, entity_type, entity_id, details)
		SELECT 'sandbox', 'payout.observe', 'payout', reference_id,
			'{"source": "webhook", "from": "PROCESSING", "to": "SUCCEEDED", "decision": "applied"}' FROM h),
	ob AS (INSERT INTO outbound_events (type, payout_id, snapshot, created_at)
		SELECT 'payout.succeeded', g, jsonb_build_object('payout', jsonb_build_object('reference_id', reference_id,
			'status', 'SUCCEEDED')), updated_at
		FROM h RETURNING id, payout_id, created_at),
	od AS (INSERT INTO outbound_deliveries (event_id, endpoint_id, payout_id, state, attempts, last_status, created_at, done_at)
		SELECT id, 0, payout_id, 'delivered', 1, 204, created_at, created_at FROM ob),
	lp AS (INSERT INTO ledger_postings (payout_id, kind, payout_created_at)
		SELECT g, 'succeeded', created_at FROM h RETURNING id, payout_id, payout_created_at)
INSERT INTO ledger_entries (posting_id, payout_created_at, account, direction, amount_minor, currency)
SELECT lp.id, lp.payout_created_at, x.account, x.direction, h.amount_minor, 'INR'
FROM lp JOIN h ON h.g = lp.payout_id
	CROSS JOIN (VALUES ('payouts_payable', 'debit'), ('provider_settlement:sandbox', 'credit')) AS x(account, direction)`

func seed(ctx context.Context, db *sqlx.DB, s shape) error {
	steps := []seedStep{
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
	}
	vacuum := `VACUUM ANALYZE payouts, beneficiaries`
	if s.inFlight {
		steps = append(steps, seedStep{"history", seedHistory, nil})
		vacuum = `VACUUM ANALYZE`
	}
	// As a database in use would be: statistics known, pages all-visible
	// (then checked: pgtest.VacuumUntilAllVisible).
	steps = append(steps, seedStep{"vacuum", vacuum, nil})
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
