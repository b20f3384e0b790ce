package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Benchmark 6's database: n payouts as a payout service holds them after
// half a year, every identifier the search box takes seeded the way it
// arrives, in set-based SQL. Each payout's draws are hashes of its id
// (hashint8extended), so every run seeds the same data:
//
//   - created evenly over the last 180 days, ids in that order;
//   - providers razorpayx 35%, nxtbanking 25%, paywize 15%, xendit 20%
//     (IDR or PHP), sandbox 5%; the others pay INR;
//   - SUCCEEDED 93%, FAILED 5%, REVERSED 0.7%, CANCELLED 0.5%; among the
//     newest half per cent, a few dozen HELD (an open hold), PROCESSING or
//     QUEUED;
//   - amounts log-uniform (INR 100.00 to 500,000.00, PHP to 100,000.00, IDR
//     10,000 to 50,000,000), 40% of them round (whole rupees or hundreds);
//   - UTRs on settled INR payouts, shaped by mode (IMPS 12 digits, NEFT 16,
//     RTGS 22 characters), each its own; fees from razorpayx and paywize;
//   - n/5 beneficiaries, named from 64 first names and 64 surnames (4,096
//     names, so a whole name is about n/4,096 payouts), account numbers of
//     random digits (so four last digits are about n/10,000 payouts);
//   - a webhook delivery and its event for every settled razorpayx payout
//     and one in four of the others' (event ids, as payops makes them,
//     sha256: of the body; RazorpayX's X-Razorpay-Event-Id among the
//     headers), 5% of them delivered twice;
//   - ledger postings for every outcome (succeeded, fee, reversed), without
//     their entries, which nothing here reads.
func seedFind(ctx context.Context, db *sqlx.DB, n int) error {
	// One session: its triggers off (the foreign keys hold by construction,
	// and settled_at is written as the trigger sets it along a payout's
	// life: a REVERSED one keeps when it succeeded), the indexes that back
	// no constraint dropped and built again after the load, as a restore
	// does.
	conn, err := db.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The session goes back to the pool after: with its triggers on again.
	defer conn.ExecContext(context.WithoutCancel(ctx), `RESET ALL`)
	if _, err := conn.ExecContext(ctx, `SET session_replication_role = replica`); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	var indexes []struct {
		Name string `db:"name"`
		Def  string `db:"def"`
	}
	err = conn.SelectContext(ctx, &indexes, `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
		FROM pg_index i WHERE i.indrelid = ANY($1::regclass[])
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY 1`, pq.StringArray(findTables))
	if err != nil {
		return fmt.Errorf("seed: indexes: %w", err)
	}
	type step struct{ what, sql string }
	var steps []step
	for _, ix := range indexes {
		steps = append(steps, step{"", `DROP INDEX ` + ix.Name})
	}
	steps = append(steps, []step{
		{"beneficiaries", findBeneficiariesSQL},
		{"", `SELECT setval('beneficiaries_id_seq', greatest($1::int / 5, 1))`},
		{"payouts", findPayoutsSQL},
		{"", `SELECT setval('payouts_id_seq', $1::int)`},
		{"holds", `INSERT INTO holds (payout_id, reason, detail, placed_by, placed_at, sla_due_at)
			SELECT id, 'review_threshold', 'Above review threshold', 'submitter', created_at, created_at + interval '8 hours'
			FROM payouts WHERE status = 'HELD'`},
		{"ledger postings", `INSERT INTO ledger_postings (payout_id, kind, posted_at, payout_created_at)
			SELECT p.id, k.kind, p.settled_at, p.created_at FROM payouts p
			CROSS JOIN LATERAL (VALUES ('succeeded', true), ('fee', p.fee_minor IS NOT NULL),
				('reversed', p.status = 'REVERSED')) k (kind, posted)
			WHERE p.status IN ('SUCCEEDED', 'REVERSED') AND k.posted
			ORDER BY p.id, k.kind`},
		{"webhooks", findWebhooksSQL},
		{"webhooks delivered twice", findTwiceSQL},
	}...)
	for _, ix := range indexes {
		// A partitioned table's index is defined ON ONLY the parent (its
		// months' indexes are attached to it); made again on the whole
		// table, it is made on every month.
		steps = append(steps, step{"", strings.Replace(ix.Def, " ON ONLY ", " ON ", 1)})
	}
	steps = append(steps, step{"indexes and statistics", `VACUUM ANALYZE ` + strings.Join(findTables, ", ")})
	began := time.Now()
	for _, st := range steps {
		var err error
		if strings.Contains(st.sql, "$1") {
			_, err = conn.ExecContext(ctx, st.sql, n)
		} else {
			_, err = conn.ExecContext(ctx, st.sql)
		}
		if err != nil {
			return fmt.Errorf("seed %s: %w", cmp.Or(st.what, st.sql), err)
		}
		if st.what != "" {
			say("  %s: %s", st.what, time.Since(began).Round(100*time.Millisecond))
			began = time.Now()
		}
	}
	return vacuumUntilAllVisible(ctx, db, findTables...)
}

// findTables are the tables seedFind fills.
var findTables = []string{"payouts", "beneficiaries", "holds", "ledger_postings", "webhook_deliveries", "webhook_events"}

// draw is a uniform draw in [0, 1) from the hash of column col and salt.
func draw(col string, salt int) string {
	return fmt.Sprintf("((hashint8extended(%s::bigint, %d) & 9223372036854775807) %% 1000000 / 1000000::float8)", col, salt)
}

var firstNames = []string{"Aarav", "Aditya", "Akash", "Amit", "Ananya", "Anil", "Anjali", "Arjun", "Asha", "Deepak",
	"Divya", "Ganesh", "Gaurav", "Geeta", "Harish", "Isha", "Jaya", "Karan", "Kavita", "Kiran", "Lakshmi", "Mahesh",
	"Manoj", "Meena", "Mohan", "Neha", "Nikhil", "Nisha", "Pooja", "Pradeep", "Priya", "Rahul", "Rajesh", "Ramesh",
	"Ravi", "Rekha", "Rohit", "Sanjay", "Sarita", "Shreya", "Suresh", "Sunita", "Tanvi", "Usha", "Varun", "Vikram",
	"Vinod", "Yash", "Zoya", "Budi", "Siti", "Dewi", "Agus", "Rina", "Maria", "Jose", "Juan", "Ana", "Mark", "Grace",
	"Joy", "Paolo", "Bea", "Rizal"}

var surnames = []string{"Sharma", "Verma", "Patel", "Gupta", "Singh", "Kumar", "Reddy", "Rao", "Iyer", "Nair", "Menon",
	"Pillai", "Joshi", "Kulkarni", "Deshpande", "Mehta", "Shah", "Desai", "Bhat", "Chatterjee", "Banerjee", "Mukherjee",
	"Das", "Bose", "Ghosh", "Sen", "Mishra", "Pandey", "Tiwari", "Yadav", "Chauhan", "Thakur", "Malhotra", "Kapoor",
	"Khanna", "Chopra", "Arora", "Bhatia", "Sethi", "Gill", "Sandhu", "Naidu", "Hegde", "Shetty", "Kamath", "Pai",
	"Fernandes", "Saxena", "Srivastava", "Agarwal", "Jain", "Goel", "Bansal", "Mittal", "Santoso", "Wijaya", "Halim",
	"Gunawan", "Reyes", "Santos", "Cruz", "Garcia", "Mendoza", "Bautista"}

func sqlArray(ss []string) string {
	return "ARRAY['" + strings.Join(ss, "', '") + "']"
}

var findBeneficiariesSQL = `
	INSERT INTO beneficiaries (id, name, account_number, ifsc, bank_name, created_at)
	SELECT g, f.names[1 + floor(` + draw("g", 1) + ` * 64)::int] || ' ' || s.names[1 + floor(` + draw("g", 2) + ` * 64)::int],
		lpad(floor(` + draw("g", 3) + ` * 1000000)::bigint::text || lpad(floor(` + draw("g", 4) + ` * 1000000)::bigint::text, 6, '0'),
			12, '0'),
		k.code || '0' || lpad((g % 1000000)::text, 6, '0'), k.bank, now() - interval '200 days'
	FROM generate_series(1, greatest($1::int / 5, 1)) g,
		(SELECT ` + sqlArray(firstNames) + ` AS names) f, (SELECT ` + sqlArray(surnames) + ` AS names) s,
		LATERAL (SELECT (ARRAY['HDFC', 'ICIC', 'SBIN', 'UTIB', 'KKBK', 'PUNB', 'BARB', 'YESB'])[1 + g % 8] AS code,
			(ARRAY['HDFC Bank', 'ICICI Bank', 'State Bank of India', 'Axis Bank', 'Kotak Mahindra Bank',
				'Punjab National Bank', 'Bank of Baroda', 'Yes Bank'])[1 + g % 8] AS bank) k`

// The payouts, in three layers, each computed once a row (OFFSET 0 keeps
// the planner from folding them into one expression per use): r the draws,
// k what they decide, then the columns.
var findPayoutsSQL = `
	INSERT INTO payouts (id, reference_id, provider, provider_payout_id, beneficiary_id, amount_minor, currency, mode,
		narration, status, failure_code, failure_reason, utr, fee_minor, submitted_at, created_at, updated_at, settled_at,
		market)
	SELECT g, 'po_' || lpad(to_hex((g::bigint * 2654435761) % 4294967296), 8, '0'), provider,
		CASE WHEN status IN ('HELD', 'QUEUED') THEN NULL
		     WHEN provider = 'razorpayx' THEN 'pout_' || substr(md5('pout' || g), 1, 14)
		     WHEN provider = 'nxtbanking' THEN 'NXB' || lpad(((g::bigint * 2654435761) % 10000000000)::text, 10, '0')
		     WHEN provider = 'paywize' THEN 'PWZ' || upper(substr(md5('pwz' || g), 1, 15))
		     WHEN provider = 'xendit' THEN 'disb-' || md5('xnd' || g)
		     ELSE 'sbx_' || lpad(to_hex(g), 16, '0') END,
		1 + floor(ben * greatest($1::int / 5, 1))::int,
		greatest(round(lo * power(hi / lo, amt) / step) * step, unit)::bigint, currency, mode,
		(ARRAY['Vendor payment', 'Customer refund', 'Salary', 'Commission', 'Cashback', 'Insurance claim'])[1 + g % 6],
		status,
		CASE WHEN status = 'FAILED' THEN (ARRAY['BENEFICIARY_ACCOUNT_CLOSED', 'INVALID_IFSC', 'BENEFICIARY_BANK_DOWN',
			'AMOUNT_LIMIT_EXCEEDED'])[1 + g % 4] ELSE '' END,
		CASE WHEN status = 'FAILED' THEN (ARRAY['Beneficiary account is closed', 'IFSC code is invalid',
			'Beneficiary bank is down', 'Amount above the beneficiary bank''s limit'])[1 + g % 4] ELSE '' END,
		CASE WHEN status NOT IN ('SUCCEEDED', 'REVERSED') OR currency <> 'INR' THEN ''
		     WHEN mode = 'IMPS' THEN lpad(((g::bigint * 982451653) % 1000000000000)::text, 12, '0')
		     WHEN mode = 'NEFT' THEN bank || 'N' || lpad(((g::bigint * 982451653) % 100000000000)::text, 11, '0')
		     ELSE bank || 'R5' || to_char(created, 'YYYYMMDD') || lpad(g::text, 8, '0') END,
		CASE WHEN provider IN ('razorpayx', 'paywize') AND status IN ('SUCCEEDED', 'REVERSED')
		     THEN CASE mode WHEN 'IMPS' THEN 590 WHEN 'NEFT' THEN 295 ELSE 1770 END END,
		CASE WHEN status NOT IN ('HELD', 'QUEUED') THEN created + interval '1 second' END,
		created,
		CASE WHEN status = 'REVERSED' THEN least(created + interval '1 day' + took * interval '2 days', now())
		     WHEN status IN ('HELD', 'QUEUED', 'PROCESSING') THEN created + interval '2 seconds'
		     ELSE settled END,
		CASE WHEN status NOT IN ('HELD', 'QUEUED', 'PROCESSING') THEN settled END,
		CASE currency WHEN 'IDR' THEN 'ID' WHEN 'PHP' THEN 'PH' ELSE 'IN' END
	FROM (SELECT g, provider, currency, amt, ben, took, created, settled,
		CASE WHEN currency <> 'INR' THEN 'BANK_TRANSFER' WHEN mode < 0.70 THEN 'IMPS' WHEN mode < 0.95 THEN 'NEFT'
		     ELSE 'RTGS' END AS mode,
		CASE provider WHEN 'razorpayx' THEN 'YESB' WHEN 'paywize' THEN 'ICIC' WHEN 'nxtbanking' THEN 'HDFC'
		     ELSE 'SBIN' END AS bank,
		CASE WHEN st < 0.050 THEN 'FAILED' WHEN st < 0.057 THEN 'REVERSED' WHEN st < 0.062 THEN 'CANCELLED'
		     WHEN g <= $1::int - $1::int / 200 THEN 'SUCCEEDED'
		     WHEN st < 0.065 THEN 'HELD' WHEN st < 0.070 THEN 'PROCESSING' WHEN st < 0.072 THEN 'QUEUED'
		     ELSE 'SUCCEEDED' END AS status,
		-- Log-uniform between lo and hi minor units; 15% round to a
		-- coarse step, 25% to whole units.
		10000 AS lo,
		CASE currency WHEN 'PHP' THEN 10000000 ELSE 50000000 END AS hi,
		100 AS unit,
		CASE WHEN round < 0.15 THEN CASE currency WHEN 'IDR' THEN 1000 ELSE 10000 END WHEN round < 0.40 THEN 100
		     ELSE 1 END AS step
		FROM (SELECT g, prov, st, amt, round, mode, ben, took,
			CASE WHEN prov < 0.35 THEN 'razorpayx' WHEN prov < 0.60 THEN 'nxtbanking' WHEN prov < 0.75 THEN 'paywize'
			     WHEN prov < 0.95 THEN 'xendit' ELSE 'sandbox' END AS provider,
			CASE WHEN prov < 0.75 OR prov >= 0.95 THEN 'INR' WHEN cur < 0.7 THEN 'IDR' ELSE 'PHP' END AS currency,
			created, least(created + interval '5 seconds' + took * took * interval '3 hours', now()) AS settled
			FROM (SELECT g, ` + draw("g", 11) + ` AS prov, ` + draw("g", 12) + ` AS st, ` + draw("g", 13) + ` AS amt,
				` + draw("g", 14) + ` AS round, ` + draw("g", 15) + ` AS mode, ` + draw("g", 16) + ` AS ben,
				` + draw("g", 17) + ` AS took, ` + draw("g", 18) + ` AS cur,
				now() - interval '180 days' + (g - 1) * (interval '180 days' / $1::int) AS created
				FROM generate_series(1, $1::int) g OFFSET 0) r
			OFFSET 0) c
		OFFSET 0) k`

// findTwiceSQL delivers 5% of the webhooks again: the provider's retry,
// answered duplicate.
const findTwiceSQL = `INSERT INTO webhook_deliveries (provider, received_at, headers, body, body_length, payload, verified,
		event_id, event_type, outcome, detail, payout_id)
	SELECT provider, received_at + interval '1 minute', headers, body, body_length, payload, true, event_id,
		event_type, 'duplicate', 'event already received', payout_id
	FROM webhook_deliveries WHERE payout_id % 20 = 7 ORDER BY id`

// rawStatus is a settled payout's status as its provider's webhook says it.
const rawStatus = `CASE p.status WHEN 'SUCCEEDED' THEN 'processed' WHEN 'FAILED' THEN 'failed'
	WHEN 'REVERSED' THEN 'reversed' ELSE 'cancelled' END`

// The webhooks: the settled payout's last event as its provider sends it,
// stored as the endpoint stores it (delivery, then the event).
var findWebhooksSQL = `
	WITH src AS (
		SELECT p.id, p.provider, p.updated_at, 'payout.' || ` + rawStatus + ` AS event_type,
			convert_to(CASE p.provider
			WHEN 'razorpayx' THEN json_build_object('entity', 'event', 'account_id', 'acc_BenchPayops01',
				'event', 'payout.' || ` + rawStatus + `, 'contains', json_build_array('payout'),
				'payload', json_build_object('payout', json_build_object('entity', json_build_object(
					'id', p.provider_payout_id, 'entity', 'payout', 'fund_account_id',
					'fa_' || substr(md5('fa' || p.beneficiary_id), 1, 14), 'amount', p.amount_minor, 'currency', p.currency,
					'fees', coalesce(p.fee_minor, 0), 'tax', coalesce(p.fee_minor, 0) * 18 / 118, 'status', ` + rawStatus + `,
					'purpose', 'payout', 'utr', nullif(p.utr, ''), 'mode', p.mode, 'reference_id', p.reference_id,
					'narration', p.narration, 'failure_reason', nullif(p.failure_reason, ''),
					'created_at', extract(epoch FROM p.created_at)::bigint))),
				'created_at', extract(epoch FROM p.updated_at)::bigint)::text
			ELSE json_build_object('event', 'payout.' || ` + rawStatus + `, 'payout_id', p.provider_payout_id,
				'reference_id', p.reference_id, 'status', upper(` + rawStatus + `), 'utr', p.utr, 'amount', p.amount_minor,
				'currency', p.currency, 'failure_reason', p.failure_reason, 'timestamp', p.updated_at)::text END,
			'UTF8') AS body,
			CASE p.provider
			WHEN 'razorpayx' THEN jsonb_build_object('Content-Type', 'application/json', 'User-Agent', 'Razorpay-Webhook/v1',
				'X-Razorpay-Event-Id', 'evt_' || substr(md5('evt' || p.id), 1, 14),
				'X-Razorpay-Signature', md5('sig' || p.id) || md5('sig2' || p.id))
			WHEN 'paywize' THEN jsonb_build_object('Content-Type', 'application/json', 'X-Paywize-Signature',
				md5('sig' || p.id), 'X-Paywize-Timestamp', extract(epoch FROM p.updated_at)::bigint::text)
			WHEN 'xendit' THEN jsonb_build_object('Content-Type', 'application/json', 'X-Callback-Token',
				'(present, not stored)', 'Webhook-Id', md5('wh' || p.id))
			ELSE jsonb_build_object('Content-Type', 'application/json', 'X-Nxtb-Signature',
				md5('sig' || p.id) || md5('sig2' || p.id)) END AS headers
		FROM payouts p
		WHERE p.status IN ('SUCCEEDED', 'FAILED', 'REVERSED', 'CANCELLED') AND p.provider_payout_id IS NOT NULL
			AND (p.provider = 'razorpayx' OR p.id % 4 = 0)
		ORDER BY p.id
	), d AS (
		INSERT INTO webhook_deliveries (provider, received_at, headers, body, body_length, payload, verified, event_id,
			event_type, outcome, payout_id)
		SELECT provider, updated_at, headers, body, length(body), convert_from(body, 'UTF8'), true,
			'sha256:' || encode(sha256(body), 'hex'), event_type, 'applied', id
		FROM src
		RETURNING id, provider, event_id, payout_id
	)
	INSERT INTO webhook_events (provider, event_id, delivery_id, provider_payout_id, reference_id, raw_status, status, utr,
		failure_code, failure_reason, fee_minor, observed_at, payout_id)
	SELECT d.provider, d.event_id, d.id, p.provider_payout_id, p.reference_id, ` + rawStatus + `, p.status, p.utr,
		p.failure_code, p.failure_reason, p.fee_minor, p.updated_at, p.id
	FROM d JOIN payouts p ON p.id = d.payout_id
	ORDER BY d.id`
