-- Benchmark 1, pgbench's side: a DUPLICATE, a new event of this client's
-- (or the one bench ingested for it before the run) delivered again. The
-- statements POST /webhooks/sandbox runs for it (see new.sql).
\set k random(0, :n)
\set i :start + :k * :clients + :client_id
\set g :i / 3 * 10 + 1 + :i % 3
-- the payout's seeded amount, which the webhook states (bench/seed.go)
\set amount 1000 + (:g * 7919) % 10000000
\set ppid 100000000000 + :g
\set eid 1000000000000 + :g
\set utr 200000000000 + :g
-- pgbench's own (not the endpoint's, and left out of the check): its
-- variables as the one-element arrays the endpoint sends
SELECT '{' || :eid || '}' AS eids, '{' || :ppid || '}' AS ppids, '{' || :g || '}' AS gs, '{' || :g || ',' || :g || '}' AS gs2,
	'{' || :utr || '}' AS utrs, '{' || :amount || '}' AS amounts, '{' || :amount || ',' || :amount || '}' AS amounts2 \gset arr_
BEGIN;
SET LOCAL plan_cache_mode = force_generic_plan;
-- intake: each delivery's id, the match and the payout's lock, what apply
-- reads, and the dedupe, in one statement for a group of deliveries (here one)
WITH r AS (SELECT * FROM unnest((SELECT :providers::text[]), (SELECT :arr_eids::text[]), (SELECT :arr_ppids::text[]), (SELECT :arr_gs::text[]), (SELECT :raws_success::text[]), (SELECT :succeededs::text[]),
		(SELECT :arr_utrs::text[]), (SELECT :empties::text[]), (SELECT :empties::text[]), (SELECT :nulls::bigint[]), (SELECT :ats::timestamptz[]), (SELECT :arr_amounts::bigint[]), (SELECT :currencies::text[]), (SELECT :empties::text[]),
		(SELECT :falses::boolean[]))
		WITH ORDINALITY AS r(provider, event_id, ppid, ref, raw_status, status, utr, failure_code, failure_reason, fee_minor,
			observed_at, amount_minor, amount_currency, state_reason, pending_approval, n)),
	m AS (SELECT r.n, nextval('webhook_deliveries_id_seq') AS delivery_id,
		(SELECT id FROM payouts WHERE provider = r.provider AND r.ppid <> '' AND provider_payout_id = r.ppid
			UNION ALL
			SELECT id FROM payouts WHERE provider = r.provider AND r.ref <> '' AND reference_id = r.ref
				AND (provider_payout_id IS NULL OR r.ppid = '' OR provider_payout_id = r.ppid)
			LIMIT 1) AS payout_id
		FROM r ORDER BY r.n),
	p AS (SELECT id, reference_id, provider, amount_minor, currency, status, provider_payout_id, utr, failure_code,
	failure_reason, fee_minor, livemode, provider_state, provider_state_reason, pending_approval, created_at,
	submitted_at IS NOT NULL AS sent FROM payouts WHERE id = ANY (ARRAY(SELECT payout_id FROM m)) ORDER BY id
		FOR UPDATE),
	e AS (INSERT INTO webhook_events (provider, event_id, delivery_id, payout_id, provider_payout_id, reference_id,
			raw_status, status, utr, failure_code, failure_reason, fee_minor, observed_at, amount_minor, amount_currency,
			state_reason, pending_approval)
		SELECT r.provider, r.event_id, m.delivery_id, p.id, r.ppid, r.ref, r.raw_status, r.status, r.utr, r.failure_code,
			r.failure_reason, r.fee_minor, r.observed_at, r.amount_minor, r.amount_currency, r.state_reason, r.pending_approval
		FROM r JOIN m ON m.n = r.n LEFT JOIN p ON p.id = m.payout_id ORDER BY r.n
		ON CONFLICT (provider, event_id) DO NOTHING RETURNING provider, event_id),
	f AS (SELECT w.provider, w.event_id, w.delivery_id, w.payout_id FROM webhook_events w
		WHERE w.event_id = ANY (ARRAY(SELECT event_id FROM r)) AND w.provider = ANY (ARRAY(SELECT provider FROM r)))
SELECT m.delivery_id, EXISTS (SELECT FROM e WHERE e.provider = r.provider AND e.event_id = r.event_id) AS new_event,
	f.delivery_id AS first_delivery_id, f.payout_id AS first_payout_id, p.id IS NOT NULL AS matched, coalesce(p.id, 0) AS id,
	coalesce(p.reference_id, '') AS reference_id, coalesce(p.provider, '') AS provider,
	coalesce(p.amount_minor, 0) AS amount_minor, coalesce(p.currency, '') AS currency, coalesce(p.status, '') AS status,
	p.provider_payout_id, coalesce(p.utr, '') AS utr, coalesce(p.failure_code, '') AS failure_code,
	coalesce(p.failure_reason, '') AS failure_reason, p.fee_minor, coalesce(p.livemode, false) AS livemode,
	coalesce(p.provider_state, '') AS provider_state, coalesce(p.provider_state_reason, '') AS provider_state_reason,
	coalesce(p.pending_approval, false) AS pending_approval, coalesce(p.created_at, 'epoch') AS created_at,
	coalesce(p.sent, false) AS sent
FROM r JOIN m ON m.n = r.n LEFT JOIN f ON f.provider = r.provider AND f.event_id = r.event_id
	LEFT JOIN p ON p.id = m.payout_id
ORDER BY r.n \gset in_
-- pgbench's own again: what intake found, as arrays
SELECT '{' || :in_delivery_id || '}' AS dids, '{"' || :in_created_at || '"}' AS created, '{"' || :in_reference_id || '"}' AS refs,
	'{' || :in_first_payout_id || '}' AS first_payouts \gset arr_
-- the delivery's row, whole with its outcome: the first delivery's payout
WITH delivery AS (INSERT INTO webhook_deliveries (id, provider, headers, body, body_length, payload, verified,
			event_id, event_type, outcome, detail, payout_id)
		SELECT CASE WHEN x.id = 0 THEN nextval('webhook_deliveries_id_seq') ELSE x.id END, x.provider, x.headers, x.body,
			x.body_length, x.payload, x.verified, x.event_id, x.event_type, x.outcome, x.detail, x.payout_id
		FROM unnest((SELECT :arr_dids::bigint[]), (SELECT :providers::text[]), (SELECT :headerss::jsonb[]), (SELECT :bodies::bytea[]), (SELECT :body_lengths::bigint[]), (SELECT :payloads::text[]), (SELECT :trues::boolean[]), (SELECT :arr_eids::text[]), (SELECT :types_success::text[]), (SELECT :duplicates::text[]), (SELECT :details_duplicate::text[]), (SELECT :arr_first_payouts::bigint[]))
			WITH ORDINALITY AS x(id, provider, headers, body, body_length, payload, verified, event_id, event_type, outcome,
				detail, payout_id, n)
		ORDER BY x.n
		RETURNING id)
SELECT (SELECT max(id) FROM delivery) AS delivery;
COMMIT;
